import { randomUUID } from 'node:crypto';
import { BackendError } from '../errors';
import type { Doc, DocId } from './ejson';
import type { Reader } from './operations';
import type { DatabaseState, WriteOp } from './state';

/**
 * Snapshot isolation without copying the database: stored documents are immutable, so a
 * transaction only needs the versions that OTHERS replaced after it started. The state tells
 * every open transaction about each document it is about to change; the transaction keeps the
 * first version it hears of (its snapshot's version). Its own writes are buffered and applied in
 * one commit; if another writer touched a document it writes, the commit answers
 * DATABASE_TRANSACTION_CONFLICT, which makes the SDK's runTransaction run the callback again.
 */

/**
 * How long a transaction stays open, by the emulator's clock: the cloud documents no lifetime
 * (MongoDB's own default, transactionLifetimeLimitSeconds, is 60 s), so a generous one, past which
 * every operation of the transaction, its commit included, is refused.
 */
const LIFETIME_MS = 10 * 60 * 1000;

const keyOf = (collection: string, id: DocId): string => `${collection}\u0000${typeof id}\u0000${id}`;

interface Buffered {
  collection: string;
  id: DocId;
  doc: Doc | null;
  insert: boolean;
}

export class Transaction implements Reader {
  /** Versions others replaced since the start (undefined: the document did not exist then). */
  private readonly before = new Map<string, { collection: string; id: DocId; doc: Doc | undefined }>();
  private readonly writes = new Map<string, Buffered>();
  readonly stopWatching: () => void;

  constructor(
    readonly id: string,
    private readonly state: DatabaseState,
    readonly startedAt: number,
  ) {
    this.stopWatching = state.watch((collection, docId, doc) => {
      const key = keyOf(collection, docId);
      if (!this.before.has(key)) this.before.set(key, { collection, id: docId, doc });
    });
  }

  exists(collection: string): boolean {
    return this.state.has(collection);
  }

  get(collection: string, id: DocId): Doc | undefined {
    const key = keyOf(collection, id);
    const own = this.writes.get(key);
    if (own) return own.doc ?? undefined;
    const old = this.before.get(key);
    if (old) return old.doc;
    return this.state.collection(collection).get(id);
  }

  *candidates(collection: string, query: Doc): Iterable<Doc> {
    const seen = new Set<string>();
    const visit = (id: DocId): Doc | undefined => {
      const key = keyOf(collection, id);
      if (seen.has(key)) return undefined;
      seen.add(key);
      return this.get(collection, id);
    };
    for (const live of this.state.collection(collection).candidates(query)) {
      const doc = visit(live._id as DocId);
      if (doc) yield doc;
    }
    for (const changed of [...this.before.values(), ...this.writes.values()]) {
      if (changed.collection !== collection) continue;
      const doc = visit(changed.id);
      if (doc) yield doc;
    }
  }

  /** No index knows a snapshot's versions: a `$lookup` in a transaction (which aggregate() refuses anyway) reads them all. */
  keyed(): null {
    return null;
  }

  buffer(ops: WriteOp[]): void {
    for (const op of ops) {
      if (op.kind === 'create') throw new BackendError('DATABASE_REQUEST_FAILED', 'collections cannot be created inside a transaction');
      const id = op.kind === 'put' ? (op.doc._id as DocId) : op.id;
      const key = keyOf(op.collection, id);
      const earlier = this.writes.get(key);
      // An insert followed by updates is still an insert when it reaches the state.
      const insert = earlier ? earlier.insert : op.kind === 'put' && op.insert === true;
      this.writes.set(key, { collection: op.collection, id, doc: op.kind === 'put' ? op.doc : null, insert });
    }
  }

  /** The buffered writes as one request's ops, or the conflict that forbids them. */
  commitOps(): WriteOp[] {
    for (const key of this.writes.keys()) {
      if (this.before.has(key)) {
        const { collection, id } = this.writes.get(key) as Buffered;
        throw new BackendError('DATABASE_TRANSACTION_CONFLICT', `document ${JSON.stringify(id)} of "${collection}" was changed by another writer after this transaction started`);
      }
    }
    const ops: WriteOp[] = [];
    for (const write of this.writes.values()) {
      if (write.doc) ops.push({ kind: 'put', collection: write.collection, doc: write.doc, insert: write.insert });
      // A document this transaction inserted and then removed never reaches the state.
      else if (!write.insert) ops.push({ kind: 'delete', collection: write.collection, id: write.id });
    }
    return ops;
  }
}

export class Transactions {
  private readonly open = new Map<string, Transaction>();

  constructor(private readonly state: DatabaseState) {}

  start(now: number): string {
    for (const transaction of this.open.values()) if (now - transaction.startedAt > LIFETIME_MS) this.end(transaction);
    const transaction = new Transaction(randomUUID(), this.state, now);
    this.open.set(transaction.id, transaction);
    return transaction.id;
  }

  /** An open transaction; one past its lifetime at `now` ends, refused with everything it buffered. */
  get(id: string, now: number): Transaction {
    const transaction = this.open.get(id);
    if (!transaction) throw new BackendError('DATABASE_TRANSACTION_FAIL', `transaction ${id} is not open (already committed, aborted or expired)`);
    if (now - transaction.startedAt > LIFETIME_MS) {
      this.end(transaction);
      throw new BackendError('DATABASE_TRANSACTION_FAIL', `transaction ${id} expired: it started ${Math.round((now - transaction.startedAt) / 1000)} s ago, and a transaction lives ${LIFETIME_MS / 1000} s; nothing of it was written`);
    }
    return transaction;
  }

  /** Applies the transaction's writes atomically (one log line), or refuses them all; either way it ends. */
  commit(id: string, now: number): void {
    const transaction = this.get(id, now);
    try {
      this.state.commit(transaction.commitOps());
    } finally {
      this.end(transaction);
    }
  }

  abort(id: string, now: number): void {
    this.end(this.get(id, now));
  }

  private end(transaction: Transaction): void {
    transaction.stopWatching();
    this.open.delete(transaction.id);
  }

  get size(): number {
    return this.open.size;
  }
}
