import { EJSON } from 'bson';
import type { IndexSpec } from '../project';
import { BigMap, MAP_LIMIT, type MapView } from './bigmap';
import { bsonText } from './bsontext';
import { SecondKeys, type Bounds } from './compound';
import type { Doc, DocId } from './ejson';
import { compareNumbers, compareStrings, isNumeric, typeName } from './semantics';

/**
 * An index serves the planner through its FIRST field (equality, `$in` and ranges), a compound
 * one through its first two too (equality or `$in` on the first, equality or a range on the
 * second: compound.ts), and, when unique, guards its full compound key. Candidates it gives are a
 * superset of the matches: mingo still filters every candidate, so the index never decides
 * semantics, only cost. Each key holds its documents themselves, not only their ids: a day's
 * million events are read straight from the index, where looking each id up again cost more than
 * matching the document.
 *
 * What the emulator holds per document is what its collector walks: at ten million events, each
 * key kept per document and index was tens of bytes of a 14 GB heap, and a full collection of it
 * took a rollup's request past the SDK's 15 s. So indexes on the same first field share its keys,
 * and a null or missing value is no key: a query for null reads the collection (MongoDB's index
 * holds them; here that only costs time, on a value Rukou never queries).
 */
export type Scalar = string | number | boolean | null | Date;

/** The documents of one key, by id. */
export type Postings = MapView<DocId, Doc>;

/** Sets whose union holds the candidates; `size` (the sum) ranks plans before any is merged. */
export interface Candidates {
  sets: Postings[];
  size: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof RegExp);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || value instanceof Date || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * The key a value is indexed under, or undefined for one no index keys (an embedded document, an
 * array inside an array, a regular expression …): missing is null, and a number or a string of
 * another BSON type (a Long, a Decimal128, a symbol) is the JavaScript number or string MongoDB
 * finds it equal to (semantics.equalValues), so that an index's candidates hold it too.
 */
export function indexKey(value: unknown): Scalar | undefined {
  if (value === undefined) return null;
  if (isScalar(value)) return value;
  if (isNumeric(value)) return Number(String(value));
  return typeName(value) === 'string' ? String(value) : undefined;
}

/** Every value a dotted path reaches, descending into arrays like MongoDB's multikey indexes. */
export function valuesAt(doc: unknown, path: string[], from = 0): unknown[] {
  if (from === path.length) return Array.isArray(doc) ? doc : [doc];
  if (Array.isArray(doc)) {
    const segment = path[from];
    const byPosition = /^\d+$/.test(segment) ? valuesAt(doc[Number(segment)], path, from + 1) : [];
    return [...byPosition, ...doc.flatMap((item) => (isPlainObject(item) ? valuesAt(item, path, from) : []))];
  }
  if (!isPlainObject(doc)) return [undefined];
  return valuesAt(doc[path[from]], path, from + 1);
}

/**
 * A key's documents: a Map, which its document past 2^24 turns into a BigMap holding it (a Map
 * for each of a million users' keys costs less than a BigMap around one).
 */
type KeyDocs = Map<DocId, Doc> | BigMap<DocId, Doc>;

/** One map per key type, so ranges compare like with like (MongoDB's type bracketing). */
class KeyMaps {
  readonly strings = new BigMap<string, KeyDocs>();
  readonly numbers = new BigMap<number, KeyDocs>();
  readonly dates = new BigMap<number, KeyDocs>();
  readonly others = new BigMap<boolean | null, KeyDocs>();
  private sorted: { strings: string[]; numbers: number[]; dates: number[] } | null = null;

  private mapFor(key: Scalar): [BigMap<unknown, KeyDocs>, unknown] {
    if (typeof key === 'string') return [this.strings as BigMap<unknown, KeyDocs>, key];
    if (typeof key === 'number') return [this.numbers as BigMap<unknown, KeyDocs>, key];
    if (key instanceof Date) return [this.dates as BigMap<unknown, KeyDocs>, key.getTime()];
    return [this.others as BigMap<unknown, KeyDocs>, key];
  }

  /** Answers the key's documents, the document among them. */
  add(key: Scalar, id: DocId, doc: Doc): Postings {
    const [map, k] = this.mapFor(key);
    let ids = map.get(k);
    if (!ids) {
      ids = new Map();
      map.set(k, ids);
      this.sorted = null;
    } else if (ids instanceof Map && ids.size >= MAP_LIMIT && !ids.has(id)) {
      map.set(k, (ids = new BigMap(MAP_LIMIT, ids)));
    }
    ids.set(id, doc);
    return ids;
  }

  /** Answers the key's documents the document was among, if any. */
  remove(key: Scalar, id: DocId): Postings | undefined {
    const [map, k] = this.mapFor(key);
    const ids = map.get(k);
    if (!ids) return undefined;
    ids.delete(id);
    if (ids.size === 0) {
      map.delete(k);
      this.sorted = null;
    }
    return ids;
  }

  get(key: Scalar): Postings | undefined {
    const [map, k] = this.mapFor(key);
    return map.get(k);
  }

  /**
   * Sorted distinct keys, rebuilt only after a key appears or disappears. In MongoDB's order
   * (semantics.ts), which the matcher applies to the candidates: strings by code point, NaN
   * below every number. Sorted otherwise, a range would miss keys it should give.
   */
  private sortedKeys(): { strings: string[]; numbers: number[]; dates: number[] } {
    this.sorted ??= {
      strings: [...this.strings.keys()].sort(compareStrings),
      numbers: [...this.numbers.keys()].sort(compareNumbers),
      dates: [...this.dates.keys()].sort(compareNumbers),
    };
    return this.sorted;
  }

  range(bounds: Bounds): Postings[] {
    const sample = (bounds.low ?? bounds.high)?.value;
    const sorted = this.sortedKeys();
    const [keys, map, norm, order] =
      typeof sample === 'string'
        ? [sorted.strings as (string | number)[], this.strings as MapView<string | number, Postings>, (v: unknown) => v as string, compareStrings as KeyOrder]
        : sample instanceof Date
          ? [sorted.dates, this.dates as MapView<string | number, Postings>, (v: unknown) => (v as Date).getTime(), compareNumbers as KeyOrder]
          : [sorted.numbers, this.numbers as MapView<string | number, Postings>, (v: unknown) => v as number, compareNumbers as KeyOrder];
    const low = bounds.low && { value: norm(bounds.low.value), inclusive: bounds.low.inclusive };
    const high = bounds.high && { value: norm(bounds.high.value), inclusive: bounds.high.inclusive };
    let start = 0;
    if (low) {
      start = lowerBound(keys, low.value, order);
      if (!low.inclusive && start < keys.length && order(keys[start], low.value) === 0) start++;
    }
    const sets: Postings[] = [];
    for (let i = start; i < keys.length; i++) {
      const key = keys[i];
      const above = high ? order(key, high.value) : -1;
      if (above > 0 || (above === 0 && !high?.inclusive)) break;
      const ids = map.get(key);
      if (ids) sets.push(ids);
    }
    return sets;
  }
}

type KeyOrder = (a: string | number, b: string | number) => number;

function lowerBound(keys: (string | number)[], value: string | number, order: KeyOrder): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order(keys[mid], value) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The keys a document contributes (indexKey), null aside (missing counts as null); objects and nested arrays give none. */
function keysOf(doc: Doc, path: string[]): Scalar[] {
  const keys: Scalar[] = [];
  for (const value of valuesAt(doc, path)) {
    const key = indexKey(value);
    if (key !== undefined && key !== null) keys.push(key);
  }
  return keys;
}

/** What an empty array is indexed as: BSON's undefined, a key apart from null. */
const EMPTY_ARRAY = Symbol('an empty array');

/** One value of a unique key as text: equal exactly when MongoDB finds the values equal (-0 is 0; a Date is no string). */
function keyPart(value: unknown): string {
  if (value === EMPTY_ARRAY) return 'undefined';
  return EJSON.stringify(value === undefined ? null : Object.is(value, -0) ? 0 : value, { relaxed: false });
}

/** Every combination of one value from each list (a compound key over arrays). */
function combinations(lists: readonly unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((partial, list) => partial.flatMap((prefix) => list.map((value) => [...prefix, value])), [[]]);
}

/**
 * Documents under a first key from which its second keys are kept sorted: below, reading them all
 * costs little, and keeping order for each of a million users' few documents (`{openid, at}`)
 * would cost the emulator hundreds of MB.
 */
const SORTED_FROM = 256;
/**
 * Documents under a first key up to which its second keys are kept sorted: a million events' times
 * sort in under a second, but ten million's took 19 s in the emulator holding them (a 15 GB heap,
 * whose collector the sort's arrays set off), past the SDK's 15 s for the query that asked;
 * reading them all took 4 s.
 */
const SORTED_UP_TO = 1_000_000;

export class Index {
  readonly name: string;
  readonly unique: boolean;
  readonly fields: string[];
  /** Each key's direction, 1 or -1. */
  private readonly directions: number[];
  private readonly paths: string[][];
  /** The first field's keys, shared by the indexes on it: the first of them writes them. */
  private readonly keys: KeyMaps;
  private readonly writesKeys: boolean;
  private readonly owners = new BigMap<string, DocId>();
  /** A compound index's second field, per key of the first that a query asked about. */
  private readonly seconds: WeakMap<Postings, SecondKeys> | null;

  /** `sameFirstField`: an index of the collection made before this one on the same first field, whose keys this one reads. */
  constructor(spec: IndexSpec, sameFirstField?: Index) {
    this.keys = sameFirstField?.keys ?? new KeyMaps();
    this.writesKeys = sameFirstField === undefined;
    this.name = spec.name;
    this.unique = spec.unique === true;
    this.fields = spec.keys.map((key) => key.name);
    this.directions = spec.keys.map((key) => (String(key.direction) === '-1' ? -1 : 1));
    this.paths = this.fields.map((field) => field.split('.'));
    this.seconds = this.fields.length > 1 ? new WeakMap() : null;
  }

  /**
   * Whether a walk of this index gives documents in `order` (a sort, `{field: 1 | -1}`), forwards
   * or backwards: its leading keys are the order's fields, each in the order's direction or each
   * in the opposite one. MongoDB then sorts nothing in memory.
   */
  sorts(order: Doc): boolean {
    const keys = Object.entries(order);
    if (keys.length > this.fields.length) return false;
    const way = (i: number): number => Number(keys[i][1]) * this.directions[i];
    return keys.every(([field], i) => field === this.fields[i] && way(i) === way(0));
  }

  get firstField(): string {
    return this.fields[0];
  }

  /**
   * The keys a unique index guards for a document: each key's text, with the key as MongoDB
   * prints it in a refusal (`{ email: "y" }`). An array gives a key per element, as MongoDB's
   * multikey index does, so `email: ['x', 'y']` holds both 'x' and 'y'; a missing field is null,
   * an empty array undefined; a compound key is each combination.
   */
  uniqueKeys(doc: Doc): Map<string, string> {
    const keys = new Map<string, string>();
    const lists = this.paths.map((path) => {
      const values = valuesAt(doc, path);
      return values.length === 0 ? [EMPTY_ARRAY] : values;
    });
    for (const values of combinations(lists)) {
      const text = values.map(keyPart).join(',');
      if (!keys.has(text)) keys.set(text, `{ ${this.fields.map((field, i) => `${field}: ${values[i] === EMPTY_ARRAY ? 'undefined' : bsonText(values[i] ?? null)}`).join(', ')} }`);
    }
    return keys;
  }

  owner(key: string): DocId | undefined {
    return this.owners.get(key);
  }

  /** Called for each index of the collection in the order they were made, so that the keys' writer comes first. */
  add(id: DocId, doc: Doc): void {
    for (const key of keysOf(doc, this.paths[0])) {
      const postings = this.writesKeys ? this.keys.add(key, id, doc) : this.keys.get(key);
      if (postings) this.seconds?.get(postings)?.add(doc);
    }
    if (this.unique) for (const key of this.uniqueKeys(doc).keys()) this.owners.set(key, id);
  }

  /** In the order of `add`: a key its writer left without documents is gone, and so is what the others kept of it. */
  remove(id: DocId, doc: Doc): void {
    for (const key of keysOf(doc, this.paths[0])) {
      const postings = this.writesKeys ? this.keys.remove(key, id) : this.keys.get(key);
      if (postings) this.seconds?.get(postings)?.remove();
    }
    if (this.unique) for (const key of this.uniqueKeys(doc).keys()) if (this.owners.get(key) === id) this.owners.delete(key);
  }

  /** The documents whose first field is `value`; null for null, which is no key (a query for it reads the collection). */
  equal(value: Scalar): Postings[] | null {
    if (value === null) return null;
    const ids = this.keys.get(value);
    return ids ? [ids] : [];
  }

  range(bounds: Bounds): Postings[] {
    return this.keys.range(bounds);
  }

  /**
   * A compound index's documents under each of `firstKeys` whose second field is within
   * `bounds` (a key with few documents gives them all, for the matcher to filter); null when the
   * index has one field, when a key has very many documents, or when that does not narrow them
   * (SecondKeys).
   */
  within(firstKeys: readonly Scalar[], bounds: Bounds): Candidates | null {
    if (!this.seconds || firstKeys.includes(null)) return null;
    const sets: Postings[] = [];
    for (const key of firstKeys) {
      const postings = this.keys.get(key);
      if (!postings) continue;
      if (postings.size > SORTED_UP_TO) return null;
      // a week of days asked at once (`day: {$in: […]}`) is mostly days with few documents beside one with many
      if (postings.size < SORTED_FROM) {
        sets.push(postings);
        continue;
      }
      let second = this.seconds.get(postings);
      if (!second) this.seconds.set(postings, (second = new SecondKeys((doc) => keysOf(doc, this.paths[1]))));
      const hits = second.within(postings, bounds);
      if (!hits) return null;
      sets.push(hits);
    }
    return sized(sets, sets.map((set) => set.size));
  }
}

/** What the planner needs from a collection: its indexes (by first field), and `_id` lookups. */
export interface Plannable {
  readonly indexes: readonly Index[];
  indexOn(field: string): Index | undefined;
  get(id: DocId): Doc | undefined;
}

const RANGE_OPS = ['$gt', '$gte', '$lt', '$lte'] as const;

function rangeOperand(value: unknown): value is number | string | Date {
  return typeof value === 'number' || typeof value === 'string' || value instanceof Date;
}

function sameKind(a: unknown, b: unknown): boolean {
  return (a instanceof Date && b instanceof Date) || (!(a instanceof Date) && !(b instanceof Date) && typeof a === typeof b);
}

function sized(sets: Postings[], sizes: number[]): Candidates {
  return { sets, size: sizes.reduce((sum, n) => sum + n, 0) };
}

function planId(target: Plannable, condition: unknown): Candidates | null {
  const ids = isPlainObject(condition)
    ? Array.isArray(condition.$in)
      ? condition.$in
      : '$eq' in condition
        ? [condition.$eq]
        : null
    : [condition];
  if (!ids || !ids.every((id) => typeof id === 'string' || typeof id === 'number')) return null;
  const present = new Map<DocId, Doc>();
  for (const id of ids as DocId[]) {
    const doc = target.get(id);
    if (doc) present.set(id, doc);
  }
  return sized([present], [present.size]);
}

const isOperators = (condition: unknown): condition is Record<string, unknown> => isPlainObject(condition) && Object.keys(condition).every((key) => key.startsWith('$'));

/** The values a condition holds a field equal to (a value, `$eq`, `$in`), or null. */
function equalsOf(condition: unknown): Scalar[] | null {
  if (isScalar(condition)) return [condition];
  if (!isOperators(condition)) return null;
  if ('$eq' in condition && isScalar(condition.$eq)) return [condition.$eq];
  if (Array.isArray(condition.$in) && condition.$in.every(isScalar)) return condition.$in;
  return null;
}

/** The range a condition holds a field in (its range operators, or equality to a number, a string or a Date), or null. */
function boundsOf(condition: unknown): Bounds | null {
  const equal = equalsOf(condition);
  if (equal) return equal.length === 1 && rangeOperand(equal[0]) ? { low: { value: equal[0], inclusive: true }, high: { value: equal[0], inclusive: true } } : null;
  if (!isOperators(condition)) return null;
  const bounds: Bounds = {};
  for (const op of RANGE_OPS) {
    const operand = condition[op];
    if (!rangeOperand(operand)) continue;
    const bound = { value: operand, inclusive: op.endsWith('e') };
    if (op.startsWith('$g')) bounds.low = bound;
    else bounds.high = bound;
  }
  if (!bounds.low && !bounds.high) return null;
  if (bounds.low && bounds.high && !sameKind(bounds.low.value, bounds.high.value)) return null;
  return bounds;
}

function planField(target: Plannable, field: string, condition: unknown): Candidates | null {
  if (field === '_id') return planId(target, condition);
  const index = target.indexOn(field);
  if (!index) return null;
  const equal = equalsOf(condition);
  const bounds = equal ? null : boundsOf(condition);
  if (!equal && !bounds) return null;
  // a range may hold a million keys, too many to spread into a call's arguments
  const sets = equal ? [] : index.range(bounds as Bounds);
  for (const value of equal ?? []) {
    const postings = index.equal(value);
    if (!postings) return null;
    sets.push(...postings);
  }
  return sized(sets, sets.map((s) => s.size));
}

/** A query's condition on each field, its own and its `$and` clauses' (one clause per bound of `_.gt(a).and(_.lt(b))`). */
function fieldConditions(query: Doc): Map<string, unknown> {
  const conditions = new Map(Object.entries(query).filter(([key]) => !key.startsWith('$')));
  const clauses = Array.isArray(query.$and) ? query.$and.filter(isPlainObject) : [];
  for (const clause of clauses) for (const [field, condition] of Object.entries(clause)) if (!field.startsWith('$') && !isOperators(condition) && !conditions.has(field)) conditions.set(field, condition);
  for (const [field, merged] of mergeOperatorClauses(clauses)) if (!conditions.has(field)) conditions.set(field, merged);
  return conditions;
}

/** Each compound index whose first field the query holds equal and whose second it bounds (Index.within). */
function planCompound(target: Plannable, query: Doc): (Candidates | null)[] {
  const conditions = fieldConditions(query);
  return target.indexes.map((index) => {
    if (index.fields.length < 2) return null;
    const firstKeys = equalsOf(conditions.get(index.fields[0]));
    const bounds = boundsOf(conditions.get(index.fields[1]));
    return firstKeys && bounds ? index.within(firstKeys, bounds) : null;
  });
}

/** Per field, the operator conditions of several `$and` clauses folded into one (each operator kept once). */
function mergeOperatorClauses(clauses: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const merged = new Map<string, Record<string, unknown>>();
  for (const clause of clauses) {
    for (const [field, condition] of Object.entries(clause)) {
      if (field.startsWith('$') || !isPlainObject(condition) || !Object.keys(condition).every((k) => k.startsWith('$'))) continue;
      const into = merged.get(field) ?? {};
      for (const [op, operand] of Object.entries(condition)) if (!(op in into)) into[op] = operand;
      merged.set(field, into);
    }
  }
  return merged;
}

/**
 * Picks the narrowest indexed conjunct of a query (a field condition, a clause of `$and`, or an
 * `$or` whose every branch is indexed). null means no index helps: the caller scans.
 */
export function plan(target: Plannable, query: Doc): Candidates | null {
  let best: Candidates | null = null;
  const consider = (candidates: Candidates | null): void => {
    if (candidates && (!best || candidates.size < best.size)) best = candidates;
  };
  for (const [key, condition] of Object.entries(query)) {
    if (key === '$and' && Array.isArray(condition)) {
      const clauses = condition.filter(isPlainObject);
      for (const clause of clauses) consider(plan(target, clause));
      // `_.gte(a).and(_.lt(b))` arrives as one clause per bound: together they make one range.
      for (const [field, merged] of mergeOperatorClauses(clauses)) consider(planField(target, field, merged));
    } else if (key === '$or' && Array.isArray(condition)) {
      const branches = condition.map((clause) => (isPlainObject(clause) ? plan(target, clause) : null));
      if (branches.length > 0 && branches.every((b) => b !== null)) {
        const known = branches as Candidates[];
        consider({ sets: known.flatMap((b) => [...b.sets]), size: known.reduce((sum, b) => sum + b.size, 0) });
      }
    } else if (!key.startsWith('$')) {
      consider(planField(target, key, condition));
    }
  }
  for (const candidates of planCompound(target, query)) consider(candidates);
  return best;
}
