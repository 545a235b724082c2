import { BackendError, invalidParam } from '../errors';
import { sendJson, type Params } from '../http';
import type { AdminAction, Route } from '../server';
import { decode, decodeObject, encode, type Doc } from './ejson';
import { atTime } from './fallback';
import { checkAnswer, checkBatch, checkCollectionName, checkCollections, checkCommand, cutToAnswerRows, pageSize } from './limits';
import { liveReader, type DatabaseOperations, type Reader } from './operations';
import type { DatabaseState, WriteOp } from './state';
import type { Transactions } from './transactions';

function text(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidParam(`${name} must be an EJSON string`);
  return value;
}

function collectionName(params: Params): string {
  const name = params.collectionName;
  if (typeof name !== 'string' || name === '') throw invalidParam('collectionName is required');
  return name;
}

function object(params: Params, name: string, now: number): Doc | undefined {
  const raw = text(params, name);
  if (raw === undefined) return undefined;
  try {
    return decodeObject(raw, name, now);
  } catch (error) {
    throw invalidParam(`${name} is not an EJSON object: ${(error as Error).message}`);
  }
}

function query(params: Params, now: number): Doc {
  return object(params, 'query', now) ?? {};
}

function flag(params: Params, name: string, fallback: boolean): boolean {
  const value = params[name];
  if (value === undefined) return fallback;
  return value === true || value === 'true';
}

/** A number, or its digits as a string; nothing else is read as one (Number() threw on some objects and took [5] and true). */
function integer(params: Params, name: string, fallback: number): number {
  const value = params[name];
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < 0) throw invalidParam(`${name} must be a non-negative integer`);
  return number;
}

/**
 * The transaction a request belongs to, when it names one: the SDK sends the id startTransaction
 * answered, a string. Any other value is refused: it was taken as no transaction, so the request
 * ran outside the one it meant (or String() threw on it).
 */
function transactionIdOf(params: Params): string | undefined {
  const id = params.transactionId;
  if (id === undefined || id === null || id === '') return undefined;
  if (typeof id !== 'string') throw invalidParam('transactionId must be the string startTransaction answered');
  return id;
}

/** The documents of a read, as EJSON texts, within what one answer may carry. */
function answer(docs: Doc[]): Record<string, unknown> {
  checkAnswer(docs);
  return { data: { list: docs.map(encode) } };
}

/**
 * mingo refuses unknown operators and malformed expressions by throwing; the cloud answers those
 * as an invalid operator (-502002) or a failed request (-502001).
 */
function asBackendError(error: unknown): unknown {
  if (error instanceof BackendError || !(error instanceof Error)) return error;
  const code = /operator/i.test(error.message) ? 'DATABASE_INVALID_OPERRATOR' : 'DATABASE_REQUEST_FAILED';
  return new BackendError(code, error.message);
}

/**
 * The database admin actions of the wire protocol (each kind of request as the real SDK sends it: `test/emulator/contract/sdk-requests.json`). `now` is
 * the emulator's clock: each request reads it once, for its serverDate values, `_id`s and
 * transaction, and mingo reads it for $$NOW and $currentDate (atTime).
 */
export function databaseActions(state: DatabaseState, operations: DatabaseOperations, transactions: Transactions, now: () => number): Record<string, AdminAction> {
  const live = liveReader(state);

  const readerFor = (params: Params, at: number): Reader => {
    const id = transactionIdOf(params);
    return id === undefined ? live : transactions.get(id, at);
  };

  const write = (params: Params, ops: WriteOp[], at: number): void => {
    const id = transactionIdOf(params);
    if (id === undefined) state.commit(ops);
    else transactions.get(id, at).buffer(ops);
  };

  /**
   * A transaction runs operations on one record: "事务操作时为保障效率和并发性，只允许进行单记录操作，不允许进行批量操作，
   * 但可以在一个事务中对多个记录进行操作" (Database.startTransaction reference). So `doc(id)` reads and
   * writes and the `add` of one document; a `where()` read or write, a multi-document write, a
   * batch `add` are refused (the cloud's answer is not documented; this one says what to do).
   */
  const singleRecord = (params: Params, batch: boolean): void => {
    if (transactionIdOf(params) === undefined || !batch) return;
    throw new BackendError('DATABASE_TRANSACTION_FAIL', 'a transaction runs operations on one record only (doc(id).get, update, set, remove, and add of one document): run where() queries, multi-document writes and batch adds outside it');
  };
  const byId = (params: Params): boolean => params.queryType === 'DOC' && !flag(params, 'multi', false);

  const guarded =
    (action: (params: Params, now: number) => Record<string, unknown>): AdminAction =>
    ({ params }) => {
      const at = now();
      try {
        return atTime(at, () => action(params, at));
      } catch (error) {
        throw asBackendError(error);
      }
    };

  return {
    'database.insertDocument': guarded((params, now) => {
      const raw = params.data;
      if (!Array.isArray(raw) || !raw.every((item) => typeof item === 'string')) throw invalidParam('data must be an array of EJSON strings');
      checkBatch(raw.length);
      singleRecord(params, raw.length !== 1);
      const docs = raw.map((item: string) => decodeObject(item, 'a document', now));
      const { ops, ids } = operations.insert(readerFor(params, now), collectionName(params), docs, now);
      write(params, ops, now);
      return { data: { insertedIds: ids } };
    }),

    'database.getDocument': guarded((params, now) => {
      singleRecord(params, !byId(params));
      const where = query(params, now);
      const order = object(params, 'order', now);
      const projection = object(params, 'projection', now);
      checkCommand(where, order, projection);
      const docs = operations.find(readerFor(params, now), collectionName(params), where, {
        order,
        offset: integer(params, 'offset', 0),
        limit: pageSize(integer(params, 'limit', 0)),
        projection,
      });
      return answer(docs);
    }),

    'database.calculateDocument': guarded((params, now) => {
      singleRecord(params, true);
      const where = query(params, now);
      checkCommand(where);
      return { data: { total: operations.count(readerFor(params, now), collectionName(params), where) } };
    }),

    'database.modifyDocument': guarded((params, now) => {
      singleRecord(params, !byId(params));
      const data = object(params, 'data', now);
      if (!data) throw invalidParam('data is required');
      const where = query(params, now);
      checkCommand(where, data);
      const result = operations.modify(readerFor(params, now), collectionName(params), where, data, {
        multi: flag(params, 'multi', false),
        merge: flag(params, 'merge', true),
        upsert: flag(params, 'upsert', false),
      }, now);
      write(params, result.ops, now);
      return { data: result.upsertId === undefined ? { updated: result.updated } : { updated: result.updated, upsert_id: result.upsertId } };
    }),

    'database.modifyAndReturnDoc': guarded((params, now) => {
      const data = object(params, 'data', now);
      if (!data) throw invalidParam('data is required');
      const where = query(params, now);
      checkCommand(where, data);
      const result = operations.modify(readerFor(params, now), collectionName(params), where, data, { multi: false, merge: true, upsert: false }, now);
      write(params, result.ops, now);
      const doc = result.docs[0] ?? operations.matching(readerFor(params, now), collectionName(params), where, 1)[0];
      return { data: { updated: result.updated, doc: doc === undefined ? null : encode(doc) } };
    }),

    'database.removeDocument': guarded((params, now) => {
      singleRecord(params, !byId(params));
      const where = query(params, now);
      checkCommand(where);
      const ops = operations.remove(readerFor(params, now), collectionName(params), where, flag(params, 'multi', false));
      write(params, ops, now);
      return { data: { deleted: ops.length } };
    }),

    'database.aggregateDocuments': guarded((params, now) => {
      singleRecord(params, true);
      const stages = params.stages;
      if (!Array.isArray(stages)) throw invalidParam('stages must be an array');
      const pipeline = stages.map((stage: { stageKey?: unknown; stageValue?: unknown }) => {
        if (typeof stage?.stageKey !== 'string' || typeof stage.stageValue !== 'string') throw invalidParam('each stage needs stageKey and stageValue');
        return { [stage.stageKey]: decode(stage.stageValue, now) };
      });
      checkCommand(pipeline);
      return answer(cutToAnswerRows(pipeline, operations.aggregate(readerFor(params, now), collectionName(params), pipeline)));
    }),

    'database.addCollection': guarded((params) => {
      const name = collectionName(params);
      checkCollectionName(name);
      if (!state.has(name)) checkCollections(state.collectionCount);
      state.commit([{ kind: 'create', collection: name }]);
      return {};
    }),

    'database.startTransaction': guarded((_params, at) => ({ transactionId: transactions.start(at) })),

    'database.commitTransaction': guarded((params, at) => {
      transactions.commit(transactionIdOf(params) ?? '', at);
      return {};
    }),

    'database.abortTransaction': guarded((params, at) => {
      transactions.abort(transactionIdOf(params) ?? '', at);
      return {};
    }),
  };
}

/** GET /__rukou/database/stats: what the database did (documents examined, log size, compactions). */
export function statsRoute(state: DatabaseState, transactions: Transactions): Route {
  return {
    method: 'GET',
    prefix: '/__rukou/database/stats',
    handle(_req, res) {
      sendJson(res, 200, { ...state.stats(), openTransactions: transactions.size });
      return Promise.resolve();
    },
  };
}
