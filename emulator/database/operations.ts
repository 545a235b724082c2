import { randomBytes } from 'node:crypto';
// mingo's main entry copies its whole operator table on every update; the updater brings its own few.
import { update as applyUpdate } from 'mingo/updater';
import { BackendError, invalidParam, mongoRefusal } from '../errors';
import { runPipeline } from './aggregate';
import { checkStageSpecs, mingoPipeline } from './fallback';
import type { Doc, DocId } from './ejson';
import type { Scalar } from './indexes';
import type { Foreign } from './lookup';
import { checkFindSortMemory, checkStored, withStageMemory } from './limits';
import { matcherFor } from './match';
import { typeName } from './semantics';
import { isPlainObject, setField } from './values';
import type { DatabaseState, WriteOp } from './state';
import { sortDocuments, sortKeys } from './semantics';
import { addToSetAsPush, checkUpdate, checkUpdatePaths, makePushedArrays, shadowInherited } from './updates';
import { checkStages } from './version';

/** Where an operation reads documents: the live state, or a transaction's snapshot with its own writes. */
export interface Reader {
  exists(collection: string): boolean;
  get(collection: string, id: DocId): Doc | undefined;
  /** A superset of the documents matching `query` (the index's pick, or everything). */
  candidates(collection: string, query: Doc): Iterable<Doc>;
  /** A superset of the documents holding one of `keys` at `field`, in natural order, from an index; null when none narrows them (state.Collection.keyed). */
  keyed(collection: string, field: string, keys: readonly Scalar[]): Doc[] | null;
}

/** The database as it is now, outside any transaction. */
export function liveReader(state: DatabaseState): Reader {
  return {
    exists: (name) => state.has(name),
    get: (name, id) => state.collection(name).get(id),
    candidates: (name, query) => state.collection(name).candidates(query),
    keyed: (name, field, keys) => state.collection(name).keyed(field, keys),
  };
}

export interface FindOptions {
  order?: Doc;
  offset: number;
  limit: number;
  projection?: Doc;
}

export interface ModifyOptions {
  multi: boolean;
  /** false: `set` (the data replaces the document); true: `update` (the data holds update operators). */
  merge: boolean;
  upsert: boolean;
}

export interface Modified {
  ops: WriteOp[];
  updated: number;
  upsertId?: DocId;
  docs: Doc[];
}

// Ids like the cloud's (32 hex digits), unique without a random draw per document:
// seconds (of the emulator's clock), a per-process random part, then a counter.
const PROCESS_PART = randomBytes(6).toString('hex');
let idCounter = 0;
function newId(now: number): string {
  idCounter = (idCounter + 1) % 0x1000000000000;
  return `${Math.floor(now / 1000).toString(16).padStart(8, '0')}${PROCESS_PART}${idCounter.toString(16).padStart(12, '0')}`;
}

/**
 * Stored documents are never changed in place (snapshots and answers hold references), so updates
 * work on a copy. A value of another BSON type (an ObjectId, a Binary …) is kept as it is: copied
 * field by field it became a plain object of its insides, stored as such.
 */
function cloneDoc<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneDoc) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setField(copy, key, cloneDoc(value[key]));
    return copy as T;
  }
  return value;
}

/**
 * A document as MongoDB stores it, its `_id` first ("the _id field is always the first field in
 * the documents", https://www.mongodb.com/docs/manual/core/document/), made when it has none.
 */
function idFirst(doc: Doc, made: () => DocId): Doc {
  if (Object.keys(doc)[0] === '_id' && doc._id !== undefined) return doc;
  const { _id, ...rest } = doc;
  return { _id: _id ?? made(), ...rest };
}

function checkId(id: unknown): DocId {
  if (typeof id === 'string' || typeof id === 'number') return id;
  throw invalidParam(`_id must be a string or a number, got ${JSON.stringify(id)}`);
}

function duplicateId(collection: string, id: DocId): BackendError {
  return new BackendError('DATABASE_REQUEST_FAILED', `E11000 duplicate key error collection: ${collection} index: _id_ dup key: { _id: ${JSON.stringify(id)} }`);
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const segments = path.split('.');
  let target = doc;
  for (const segment of segments.slice(0, -1)) {
    if (!isPlainObject(target[segment])) setField(target, segment, {});
    target = target[segment] as Doc;
  }
  setField(target, segments[segments.length - 1], cloneDoc(value));
}

/** The equality conditions of a query: what an upsert's new document starts from (MongoDB does the same). */
function seedFromQuery(query: Doc): Doc {
  const seed: Doc = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('$') || value instanceof RegExp) continue;
    if (!isPlainObject(value)) setPath(seed, key, value);
    else if ('$eq' in value) setPath(seed, key, value.$eq);
    else if (!Object.keys(value).some((k) => k.startsWith('$'))) setPath(seed, key, value);
  }
  return seed;
}

/**
 * The id of a query that is nothing but `{_id: id}`, what every `doc(id)` call sends: one lookup
 * answers it, and building a matcher for it cost more than the rest of the request.
 */
function onlyId(query: Doc): DocId | undefined {
  let id: unknown;
  for (const key in query) {
    if (key !== '_id') return undefined;
    id = query[key];
  }
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/**
 * Refuses what MongoDB refuses of an update's operators before applying them, and what the
 * emulator cannot apply:
 * - an operator whose operand is no document (`{$unset: null}`, `{$inc: 5}`, `{$inc: [1]}`):
 *   mingo's updater threw a TypeError's text on null, did nothing with 5 and incremented a field
 *   named "0" for [1]; MongoDB answers FailedToParse in these words;
 * - a field named `__proto__` (`{$set: {__proto__: 1}}`, `a.__proto__.b`, a `$rename` to it):
 *   MongoDB updates such a field like any other, but mingo's updater silently skipped the first
 *   and refused the others with its own text. Stored `__proto__` fields are kept; only updating one
 *   is a difference from the cloud (README);
 * - a document mixing operators and fields, which the SDK sends for a top-level field named like
 *   what every JavaScript object inherits (`{valueOf: 1}` goes as `{valueOf: 1, $set: {valueOf: 1}}`:
 *   its UpdateSerializer reads `condition[key]` through the prototype and keeps the field, ahead of
 *   the operators it appends). MongoDB takes a document whose first field is no operator for a
 *   replacement (update_driver.cpp), and cannot store its operator fields.
 */
function checkModifier(modifier: Doc): void {
  const keys = Object.keys(modifier);
  if (!keys[0].startsWith('$')) {
    const operator = keys.find((key) => key.startsWith('$'));
    throw mongoRefusal(`The dollar ($) prefixed field '${operator}' in '${operator}' is not valid for storage.`);
  }
  for (const [operator, fields] of Object.entries(modifier)) {
    if (!isPlainObject(fields)) {
      throw new BackendError('DATABASE_REQUEST_FAILED', `Modifiers operate on fields but we found type ${typeName(fields)} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${JSON.stringify(fields) ?? 'undefined'}}`);
    }
    const paths = [...Object.keys(fields), ...(operator === '$rename' ? Object.values(fields).filter((to): to is string => typeof to === 'string') : [])];
    const named = paths.find((path) => path.split('.').includes('__proto__'));
    if (named !== undefined) throw new BackendError('DATABASE_REQUEST_FAILED', `the emulator cannot update a field named __proto__ (${operator} of ${JSON.stringify(named)}), which the cloud's MongoDB can: write the whole document with set() instead`);
  }
}

/**
 * Whether an update names a path through the positional `$` (`'scores.$'`), the one operator
 * that needs the query (to find the matched element). The document already matched, and
 * handing mingo the query anyway made it compile a matcher per update.
 */
function positional(modifier: Doc): boolean {
  for (const fields of Object.values(modifier)) {
    if (!isPlainObject(fields)) continue;
    for (const path of Object.keys(fields)) if (path.split('.').includes('$')) return true;
  }
  return false;
}

/** What the database does for each action; `now`, where an operation takes it, is the request's time (the emulator's clock, read once). */
export class DatabaseOperations {
  constructor(private readonly state: DatabaseState) {}

  private requireCollection(reader: Reader, collection: string): void {
    if (!reader.exists(collection)) this.state.collection(collection);
  }

  /** The matching documents, at most `max`, counting every document the matcher had to look at. */
  matching(reader: Reader, collection: string, query: Doc, max = Infinity): Doc[] {
    this.requireCollection(reader, collection);
    const id = onlyId(query);
    if (id !== undefined) {
      const doc = max > 0 ? reader.get(collection, id) : undefined;
      if (!doc) return [];
      this.state.examined++;
      return [doc];
    }
    const everything = Object.keys(query).length === 0;
    const matcher = everything ? null : matcherFor(query);
    const found: Doc[] = [];
    if (max <= 0) return found;
    let examined = 0;
    for (const doc of reader.candidates(collection, query)) {
      examined++;
      if (matcher && !matcher(doc)) continue;
      found.push(doc);
      if (found.length >= max) break;
    }
    this.state.examined += examined;
    return found;
  }

  insert(reader: Reader, collection: string, docs: Doc[], now: number): { ops: WriteOp[]; ids: DocId[] } {
    this.requireCollection(reader, collection);
    if (docs.length === 0) throw invalidParam('insertDocument needs at least one document');
    const ids: DocId[] = [];
    const seen = new Set<DocId>();
    const stored = docs.map((doc) => idFirst(doc, () => newId(now)));
    for (const doc of stored) {
      const id = checkId(doc._id);
      checkStored(doc, 'insert');
      if (seen.has(id) || reader.get(collection, id)) throw duplicateId(collection, id);
      seen.add(id);
      ids.push(id);
    }
    return { ops: stored.map((doc) => ({ kind: 'put', collection, doc, insert: true })), ids };
  }

  find(reader: Reader, collection: string, query: Doc, options: FindOptions): Doc[] {
    const { order, offset, limit, projection } = options;
    const ordered = order !== undefined && Object.keys(order).length > 0;
    const matches = this.matching(reader, collection, query, ordered ? Infinity : offset + limit);
    const page = ordered ? this.sorted(collection, matches, order, offset + limit).slice(offset) : matches.slice(offset, offset + limit);
    return projection && Object.keys(projection).length > 0 ? runPipeline([{ $project: projection }], page, {}) : page;
  }

  /**
   * The first `keep` documents in `order`. Sorted in memory, as MongoDB sorts them when no index
   * gives that order, they are held to its find's limit (limits.ts); `_id` and the indexes do.
   */
  private sorted(collection: string, docs: Doc[], order: Doc, keep: number): Doc[] {
    const held = sortDocuments(docs, sortKeys(order), keep);
    const indexed = (Object.keys(order).length === 1 && Object.hasOwn(order, '_id')) || this.state.collection(collection).indexes.some((index) => index.sorts(order));
    if (!indexed) checkFindSortMemory(held);
    return held;
  }

  count(reader: Reader, collection: string, query: Doc): number {
    return this.matching(reader, collection, query).length;
  }

  modify(reader: Reader, collection: string, query: Doc, data: Doc, options: ModifyOptions, now: number): Modified {
    const targets = this.matching(reader, collection, query, options.multi ? Infinity : 1);
    const modifier = Object.keys(data).some((key) => key.startsWith('$')) ? data : { $set: data };
    if (options.merge) checkModifier(modifier);
    const result: Modified = { ops: [], updated: 0, docs: [] };
    // refused before any document, as MongoDB parses an update before it reads one
    if (options.merge) checkUpdatePaths(modifier);
    for (const doc of targets) {
      const next = options.merge ? this.updated(doc, modifier, query) : { _id: doc._id, ...cloneDoc(data) };
      if (!next) continue;
      checkStored(next, 'update');
      result.ops.push({ kind: 'put', collection, doc: next });
      result.docs.push(next);
      result.updated++;
    }
    if (targets.length === 0 && options.upsert) {
      const seed = seedFromQuery(query);
      const doc = idFirst(options.merge ? (this.updated(seed, modifier, query) ?? seed) : { _id: seed._id, ...cloneDoc(data) }, () => newId(now));
      const id = checkId(doc._id);
      checkStored(doc, 'update');
      result.ops.push({ kind: 'put', collection, doc, insert: true });
      result.docs.push(doc);
      result.upsertId = id;
    }
    return result;
  }

  /**
   * The document after the update operators, or null when they change nothing (it then does not
   * count as updated). An update MongoDB refuses for one document throws (updates.ts), so that a
   * multi-document update writes none of them.
   */
  private updated(doc: Doc, modifier: Doc, query: Doc): Doc | null {
    checkUpdate(doc, modifier);
    const applied = addToSetAsPush(doc, modifier);
    if (Object.keys(applied).length === 0) return null;
    const copy = cloneDoc(doc);
    const unshadow = shadowInherited(copy, applied);
    const made = makePushedArrays(copy, applied);
    const changed = applyUpdate(copy, applied, undefined, positional(applied) ? query : undefined);
    unshadow();
    if (changed.length === 0 && !made) return null;
    if (doc._id !== undefined && copy._id !== doc._id) throw invalidParam('an update may not change _id');
    return copy;
  }

  remove(reader: Reader, collection: string, query: Doc, multi: boolean): WriteOp[] {
    return this.matching(reader, collection, query, multi ? Infinity : 1).map((doc) => ({ kind: 'delete', collection, id: doc._id as DocId }));
  }

  /**
   * Runs a pipeline (see aggregate.ts); a leading `$match` is answered here first, so it can use an
   * index, and so is each equality `$lookup`'s query (lookup.ts). The stages' memory is checked as
   * the cloud's is (limits.ts).
   */
  aggregate(reader: Reader, collection: string, pipeline: Doc[]): Doc[] {
    checkStages(pipeline);
    checkStageSpecs(pipeline);
    const [first, ...rest] = pipeline;
    const leadingMatch = first !== undefined && '$match' in first && isPlainObject(first.$match);
    const source = leadingMatch ? this.matching(reader, collection, first.$match as Doc) : this.matching(reader, collection, {});
    const stages = leadingMatch ? rest : pipeline;
    const everything = (name: string): Doc[] => (reader.exists(name) ? [...reader.candidates(name, {})] : []);
    const options = { collectionResolver: everything, foreign: (name: string) => this.foreign(reader, name, everything) };
    // run in pieces for the $group memory count, but once a stage fell back to mingo, so does the rest, as in one run
    let fellBack = false;
    const run = (part: Doc[], docs: Doc[]): Doc[] => (fellBack ? mingoPipeline(part, docs, options) : runPipeline(part, docs, options, () => (fellBack = true)));
    return withStageMemory(stages, source, run);
  }

  /** A collection as a `$lookup` reads it, counting the documents it hands out as examined (the join tests each). */
  private foreign(reader: Reader, name: string, everything: (name: string) => Doc[]): Foreign {
    const examined = <T extends Doc[] | null>(docs: T): T => {
      this.state.examined += docs?.length ?? 0;
      return docs;
    };
    return {
      keyed: (field, keys) => (reader.exists(name) ? examined(reader.keyed(name, field, keys)) : []),
      all: () => examined(everything(name)),
    };
  }
}
