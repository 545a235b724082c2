/**
 * Durability. Every acknowledged write request becomes ONE line appended to `database/log.jsonl`
 * in the data dir, written with a synchronous write before the answer is sent. A line holds all
 * of the request's writes (a 1000-document batch, a multi-update, a whole transaction), so a
 * request is either entirely in the log or not at all: a `kill -9` mid-write leaves at most a
 * torn last line, which loading cuts off. Each line carries a checksum, so that any other damage
 * is detected and stops the start instead of being taken for a torn line (log.ts). The process
 * dying cannot lose a line the kernel already has, so no fsync per request (that only matters for
 * power loss, not crashes).
 *
 * Why a log and not a file per collection: a write costs one small append, never re-serialising
 * a collection, so inserting 1,000,000 events stays linear. Why compaction: overwriting the same
 * documents would grow the log without bound, so when the log is well past the live data (twice
 * it, and at least COMPACT_MIN_BYTES) the live documents are written to a temp file, between
 * requests, followed by the lines appended meanwhile, fsynced and renamed over the log: the rename
 * is atomic, so a crash leaves either the old log or the new one, each with every acknowledged
 * write (log.ts). Memory and disk therefore stay proportional to the data, not to the number of
 * writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BackendError } from '../errors';
import type { CollectionSpec } from '../project';
import type { Doc, DocId } from './ejson';
import { BigMap } from './bigmap';
import { answeredBy } from './fallback';
import { Index, plan, type Plannable, type Postings, type Scalar } from './indexes';
import { encodeLine, LogFile, readLog } from './log';

export const COMPACT_MIN_BYTES = 1024 * 1024;
const COMPACT_RATIO = 2;
/** Documents per line of a compacted log: one line is what a compaction step encodes between two checks of its time. */
const DOCS_PER_SNAPSHOT_LINE = 100;

export type WriteOp =
  | { kind: 'put'; collection: string; doc: Doc; insert?: boolean }
  | { kind: 'delete'; collection: string; id: DocId }
  | { kind: 'create'; collection: string };

interface Entry {
  doc: Doc;
  /** The commit sequence number that wrote this version. */
  version: number;
  /** Its encoded size in the log, to know how much of the log is live. */
  bytes: number;
  /**
   * Its place in the collection's natural order (the order of `docs`: first inserted first, an
   * update keeping the place), which an index's candidates are put back in.
   */
  position: number;
}

/** Told about each document a commit is about to change, with the version being replaced. */
export type WriteWatcher = (collection: string, id: DocId, before: Doc | undefined) => void;

export interface DatabaseStats {
  /** Documents handed to the query matcher: what an index saves shows up here. */
  examined: number;
  logBytes: number;
  liveBytes: number;
  compactions: number;
  /** Pipeline stages and query tests answered by the compiled code or by mingo (fallback.ts): which path ran. */
  answeredBy: typeof answeredBy;
  /** A compaction is under way (it runs between requests). */
  compacting: boolean;
}

export class Collection implements Plannable {
  readonly docs = new BigMap<DocId, Entry>();
  readonly indexes: Index[];
  private readonly byFirstField = new Map<string, Index>();
  private positions = 0;

  constructor(
    readonly name: string,
    /** Declared in collections.json (exists from the start, not recorded in the log). */
    readonly declared: boolean,
    specs: CollectionSpec['indexes'],
  ) {
    this.indexes = [];
    for (const spec of specs.filter((spec) => spec.keys.length > 0 && spec.keys[0].name !== '_id')) {
      const index = new Index(spec, this.byFirstField.get(spec.keys[0].name));
      this.indexes.push(index);
      if (!this.byFirstField.has(index.firstField)) this.byFirstField.set(index.firstField, index);
    }
  }

  indexOn(field: string): Index | undefined {
    return this.byFirstField.get(field);
  }

  get(id: DocId): Doc | undefined {
    return this.docs.get(id)?.doc;
  }

  /** A superset of the documents matching `query`: index candidates, or every document. */
  candidates(query: Doc): Iterable<Doc> {
    const chosen = plan(this, query);
    if (!chosen) return this.allDocs();
    return this.resolve(chosen.sets);
  }

  /**
   * The documents that may hold one of `keys` at `field` (a superset: the caller tests them), each
   * once and in natural order, as `candidates({})` would give them: by `_id`, or from the index
   * whose first field is `field`; null when neither narrows them.
   */
  keyed(field: string, keys: readonly Scalar[]): Doc[] | null {
    const entries: Entry[] = [];
    if (field === '_id') {
      for (const key of keys) {
        // an _id is a string or a number (operations.checkId): no document has any other
        const entry = typeof key === 'string' || typeof key === 'number' ? this.docs.get(key) : undefined;
        if (entry) entries.push(entry);
      }
    } else {
      const index = this.indexOn(field);
      if (!index) return null;
      for (const key of keys) {
        const postings = index.equal(key);
        if (!postings) return null;
        for (const ids of postings) for (const id of ids.keys()) entries.push(this.docs.get(id) as Entry);
      }
    }
    // postings keep the order their documents were (re)written in, and several keys may share a document
    entries.sort((a, b) => a.position - b.position);
    return entries.filter((entry, i) => i === 0 || entry !== entries[i - 1]).map((entry) => entry.doc);
  }

  /** The place in natural order of a document new to the collection: after every other. */
  nextPosition(): number {
    return this.positions++;
  }

  private *allDocs(): Iterable<Doc> {
    for (const entry of this.docs.values()) yield entry.doc;
  }

  private resolve(sets: Postings[]): Iterable<Doc> {
    return sets.length === 1 ? sets[0].values() : this.union(sets);
  }

  private *union(sets: Postings[]): Iterable<Doc> {
    const seen = new BigMap<DocId, true>();
    for (const docs of sets) {
      for (const [id, doc] of docs) {
        if (seen.has(id)) continue;
        seen.set(id, true);
        yield doc;
      }
    }
  }
}

function duplicateKey(collection: string, index: string, key: string): BackendError {
  // The cloud reports a duplicate as a failed database request carrying MongoDB's E11000 text;
  // the SDK maps DATABASE_REQUEST_FAILED to errCode -502001 and keeps the message.
  return new BackendError('DATABASE_REQUEST_FAILED', `E11000 duplicate key error collection: ${collection} index: ${index} dup key: ${key}`);
}

export function collectionNotFound(name: string): BackendError {
  return new BackendError(
    'DATABASE_COLLECTION_NOT_EXIST',
    `collection "${name}" does not exist: declare it in database/collections.json or create it with db.createCollection`,
  );
}

export class DatabaseState {
  private readonly collections = new Map<string, Collection>();
  private readonly watchers = new Set<WriteWatcher>();
  private readonly log: LogFile;
  private sequence = 0;
  private liveBytes = 0;
  private compactions = 0;
  /** After a compaction is given up (a full disk), the next waits until the log has grown by COMPACT_MIN_BYTES more. */
  private compactAt = 0;
  examined = 0;

  constructor(
    dir: string,
    private readonly specs: CollectionSpec[],
    private readonly warn: (message: string) => void,
  ) {
    for (const spec of specs) this.collections.set(spec.name, new Collection(spec.name, true, spec.indexes));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'log.jsonl');
    this.log = new LogFile(file, readLog(file, (ops, jsonLength) => this.replay(ops, jsonLength), warn));
  }

  /** The commit sequence number: a transaction's snapshot is "everything up to here". */
  get version(): number {
    return this.sequence;
  }

  stats(): DatabaseStats {
    return { examined: this.examined, logBytes: this.log.size, liveBytes: this.liveBytes, compactions: this.compactions, compacting: this.log.compacting, answeredBy: { ...answeredBy } };
  }

  has(name: string): boolean {
    return this.collections.has(name);
  }

  get collectionCount(): number {
    return this.collections.size;
  }

  collection(name: string): Collection {
    const collection = this.collections.get(name);
    if (!collection) throw collectionNotFound(name);
    return collection;
  }

  watch(watcher: WriteWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Applies one request's writes atomically: checks them all (collections, duplicate ids,
   * unique indexes) against the state as the earlier writes of the same request leave it,
   * appends them as one log line, and only then changes memory. A refusal writes nothing.
   */
  commit(ops: WriteOp[]): void {
    if (ops.length === 0) return;
    this.check(ops);
    const line = encodeLine(ops);
    this.log.append(line.bytes);
    this.sequence++;
    for (let i = 0; i < ops.length; i++) this.apply(ops[i], line.docBytes[i], true);
    if (this.log.size > Math.max(COMPACT_MIN_BYTES, this.compactAt) && this.log.size > COMPACT_RATIO * this.liveBytes) this.compact();
  }

  close(): void {
    this.log.close();
  }

  private check(ops: WriteOp[]): void {
    const created = new Set<string>();
    // What earlier writes of this request did: the document now at an id, and unique-key owners.
    const pendingDocs = new Map<string, Map<DocId, Doc | null>>();
    const pendingOwners = new Map<Index, Map<string, DocId | null>>();
    const current = (collection: Collection, id: DocId): Doc | undefined => {
      const pending = pendingDocs.get(collection.name)?.get(id);
      return pending === undefined ? collection.get(id) : (pending ?? undefined);
    };
    for (const op of ops) {
      if (op.kind === 'create') {
        if (this.collections.has(op.collection) || created.has(op.collection)) {
          throw new BackendError('DATABASE_COLLECTION_ALREADY_EXIST', `collection "${op.collection}" already exists`);
        }
        created.add(op.collection);
        continue;
      }
      if (created.has(op.collection)) continue;
      const collection = this.collection(op.collection);
      const id = op.kind === 'put' ? (op.doc._id as DocId) : op.id;
      const before = current(collection, id);
      if (op.kind === 'put' && op.insert && before) throw duplicateKey(op.collection, '_id_', `{ _id: ${JSON.stringify(id)} }`);
      const after = op.kind === 'put' ? op.doc : null;
      for (const index of collection.indexes) {
        if (!index.unique) continue;
        let owners = pendingOwners.get(index);
        if (!owners) pendingOwners.set(index, (owners = new Map()));
        const oldKeys = before ? index.uniqueKeys(before) : new Map<string, string>();
        const newKeys = after ? index.uniqueKeys(after) : new Map<string, string>();
        for (const key of oldKeys.keys()) if (!newKeys.has(key)) owners.set(key, null);
        for (const [key, printed] of newKeys) {
          if (oldKeys.has(key)) continue;
          const owner = owners.has(key) ? owners.get(key) : index.owner(key);
          if (owner !== undefined && owner !== null && owner !== id) throw duplicateKey(op.collection, index.name, printed);
          owners.set(key, id);
        }
      }
      let docs = pendingDocs.get(op.collection);
      if (!docs) pendingDocs.set(op.collection, (docs = new Map()));
      docs.set(id, after);
    }
  }

  private apply(op: WriteOp, bytes: number, notify: boolean): void {
    if (op.kind === 'create') {
      const spec = this.specs.find((s) => s.name === op.collection);
      this.collections.set(op.collection, new Collection(op.collection, false, spec?.indexes ?? []));
      return;
    }
    const collection = this.collection(op.collection);
    const id = op.kind === 'put' ? (op.doc._id as DocId) : op.id;
    const old = collection.docs.get(id);
    if (notify) for (const watcher of this.watchers) watcher(op.collection, id, old?.doc);
    if (old) {
      for (const index of collection.indexes) index.remove(id, old.doc);
      this.liveBytes -= old.bytes;
    }
    if (op.kind === 'delete') {
      collection.docs.delete(id);
      return;
    }
    collection.docs.set(id, { doc: op.doc, version: this.sequence, bytes, position: old ? old.position : collection.nextPosition() });
    for (const index of collection.indexes) index.add(id, op.doc);
    this.liveBytes += bytes;
  }

  /** Applies one line of the log as the start reads it. */
  private replay(ops: WriteOp[], jsonLength: number): void {
    this.sequence++;
    // Re-encoding every document only to measure it would double the load time; a share of the line is close enough.
    const share = Math.round(jsonLength / ops.length);
    for (const op of ops) {
      if (op.kind !== 'create' && !this.collections.has(op.collection)) continue;
      if (op.kind === 'create' && this.collections.has(op.collection)) continue;
      this.apply(op, op.kind === 'put' ? share : 0, false);
    }
  }

  /**
   * Rewrites the log as the live data alone, between requests (LogFile.compact): at a million
   * documents, writing them all in one go held every request for 15–19 s.
   */
  private compact(): void {
    this.log.compact(this.snapshot(), (error) => {
      if (!error) {
        this.compactions++;
        return;
      }
      this.compactAt = this.log.size + COMPACT_MIN_BYTES;
      this.warn(`database log: compaction given up, the log stays as it was: ${error.message}`);
    });
  }

  /** The live data as log lines: each created collection, then its documents DOCS_PER_SNAPSHOT_LINE per line. */
  private *snapshot(): Generator<WriteOp[]> {
    for (const collection of this.collections.values()) {
      if (!collection.declared) yield [{ kind: 'create', collection: collection.name }];
      let batch: WriteOp[] = [];
      for (const entry of collection.docs.values()) {
        batch.push({ kind: 'put', collection: collection.name, doc: entry.doc });
        if (batch.length === DOCS_PER_SNAPSHOT_LINE) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }
  }
}
