/**
 * MongoDB's value semantics: how the cloud database (MongoDB underneath) orders, compares, groups
 * and tests values. This is the one copy: the compiled queries and pipelines (match.ts,
 * expressions.ts, aggregate.ts) call it, and so does mingo, whose operators that answer otherwise
 * are replaced by ones built on it (fallback.ts). Sources, each rule citing its own:
 * - [order] Comparison/Sort Order, https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/
 *   (types from MinKey, null, numbers, strings, objects, arrays, BinData, ObjectId, booleans, Dates,
 *   Timestamps to regular expressions; strings by simple binary comparison; objects field by field
 *   in their order; arrays in a sort by their least or greatest element, [] below null);
 * - [server] the server's canonical type ranks (src/mongo/bson/bsontypes.h, canonicalizeBSONType):
 *   a missing value (EOO) ranks 0, below null (5), which is why an aggregation expression finds a
 *   missing field less than null and unequal to it (the $ne page says so: "considers a missing field
 *   different from a null value", https://www.mongodb.com/docs/manual/reference/operator/aggregation/ne/);
 * - [nan] NaN is equal to itself and below every other number in sorts and expressions
 *   (src/mongo/base/compare_numbers.h), and matches no range query but NaN itself (SERVER-18350).
 */
import { EJSON } from 'bson';
import type { Doc } from './ejson';

/** The canonical rank of a value's type [server]; values of different ranks order by rank. */
const RANK = {
  minKey: -1,
  missing: 0,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  boolean: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  code: 60,
  maxKey: 127,
} as const;

/** The classes bson decodes the rarer EJSON wrappers into ($oid, $binary, $numberDecimal…), by `_bsontype`. */
const BSON_CLASS_RANKS: Record<string, number> = {
  ObjectId: RANK.objectId,
  Binary: RANK.binData,
  Decimal128: RANK.number,
  Long: RANK.number,
  Int32: RANK.number,
  Double: RANK.number,
  BSONSymbol: RANK.string,
  Timestamp: RANK.timestamp,
  Code: RANK.code,
  MinKey: RANK.minKey,
  MaxKey: RANK.maxKey,
};

const bsonClass = (value: object): string | undefined => {
  const name = (value as { _bsontype?: unknown })._bsontype;
  return typeof name === 'string' ? name : undefined;
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function typeRank(value: unknown): number {
  switch (typeof value) {
    case 'undefined':
      return RANK.missing;
    case 'number':
      return RANK.number;
    case 'string':
      return RANK.string;
    case 'boolean':
      return RANK.boolean;
    case 'object':
      break;
    default:
      // functions and symbols are never stored: they sort last rather than throw
      return RANK.maxKey;
  }
  if (value === null) return RANK.null;
  if (Array.isArray(value)) return RANK.array;
  if (value instanceof Date) return RANK.date;
  if (value instanceof RegExp) return RANK.regex;
  const name = bsonClass(value);
  return name === undefined ? RANK.object : (BSON_CLASS_RANKS[name] ?? RANK.object);
}

/** Whether a value is a number of any BSON numeric type (what $inc and $mul take). */
export const isNumeric = (value: unknown): boolean => typeRank(value) === RANK.number;

/** A number of any BSON numeric type as a JavaScript number (Decimal128 and Long through their text). */
function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

/** [nan]: NaN equals NaN and sorts below every other number; -0 equals 0. */
export function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const aNaN = Number.isNaN(a);
  return aNaN === Number.isNaN(b) ? 0 : aNaN ? -1 : 1;
}

/**
 * A UTF-16 code unit's place in code point order. Strings compare by their UTF-8 bytes [order],
 * which is code point order; JavaScript compares UTF-16 code units, which agree with it except
 * that a surrogate (an astral character, U+10000 and above) sorts before U+E000–U+FFFF there.
 */
const codePointOrder = (unit: number): number => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** Strings by their UTF-8 bytes (MongoDB's simple binary comparison [order]). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) < codePointOrder(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** Whether JavaScript's own `<` orders these strings as MongoDB does: no code unit at or above U+D800. */
const nativeOrderHolds = (text: string): boolean => !/[\uD800-\uFFFF]/.test(text);

/** An object's fields as MongoDB has them: an undefined value is a missing field, not a field. */
function fieldsOf(object: Record<string, unknown>): string[] {
  return Object.keys(object).filter((key) => object[key] !== undefined);
}

/** [order]: field by field in order, each by its value's type, then its name, then its value; a prefix is less. */
function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const left = fieldsOf(a);
  const right = fieldsOf(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const x = a[left[i]];
    const y = b[right[i]];
    const byType = typeRank(x) - typeRank(y);
    if (byType !== 0) return byType < 0 ? -1 : 1;
    const byName = compareStrings(left[i], right[i]);
    if (byName !== 0) return byName;
    const byValue = compareValues(x, y);
    if (byValue !== 0) return byValue;
  }
  return Math.sign(left.length - right.length);
}

/** An array element as MongoDB holds it: an array has no missing elements, they are null. */
const element = (value: unknown): unknown => (value === undefined ? null : value);

/** Arrays as values (aggregation expressions, $group keys): element by element, then by length. */
function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareValues(element(a[i]), element(b[i]));
    if (order !== 0) return order;
  }
  return Math.sign(a.length - b.length);
}

/** Values of the rarer BSON classes within their rank: by their canonical EJSON text, which is stable if not byte order. */
function compareBsonClasses(a: object, b: object): number {
  if (bsonClass(a) === 'ObjectId' && bsonClass(b) === 'ObjectId') return compareStrings(String(a), String(b));
  return compareStrings(EJSON.stringify(a, { relaxed: false }), EJSON.stringify(b, { relaxed: false }));
}

/**
 * MongoDB's total order of values, as aggregation expressions ($cmp, $lt, $eq…), $max and $min
 * and $group keys use it: by type rank first [order], a missing value lowest of all [server], then
 * within the type. -1, 0 or 1.
 *
 * @example
 * compareValues(undefined, null) // -1: a missing field is less than null
 * compareValues('a', 10) // 1: every string is greater than every number
 * compareValues({ a: 1, b: 2 }, { b: 2, a: 1 }) // -1: field order counts
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const type = typeof a;
  if (type === typeof b) {
    if (type === 'number') return compareNumbers(a as number, b as number);
    if (type === 'string') return compareStrings(a as string, b as string);
    if (type === 'boolean') return a ? 1 : -1;
  }
  const rank = typeRank(a);
  const other = typeRank(b);
  if (rank !== other) return rank < other ? -1 : 1;
  switch (rank) {
    case RANK.number:
      return compareNumbers(numberOf(a), numberOf(b));
    case RANK.string:
      return compareStrings(String(a), String(b));
    case RANK.date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    case RANK.array:
      return compareArrays(a as unknown[], b as unknown[]);
    case RANK.regex: {
      const bySource = compareStrings((a as RegExp).source, (b as RegExp).source);
      return bySource !== 0 ? bySource : compareStrings((a as RegExp).flags, (b as RegExp).flags);
    }
    case RANK.object:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case RANK.missing:
    case RANK.null:
    case RANK.minKey:
    case RANK.maxKey:
      return 0;
    default:
      return compareBsonClasses(a as object, b as object);
  }
}

/** MongoDB's equality of values: equal in its order (so NaN equals NaN, 1 equals 1.0, field order counts). */
export function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // two primitives that are not === are unequal, but for NaN
  if ((a === null || typeof a !== 'object') && (b === null || typeof b !== 'object')) return typeof a === 'number' && typeof b === 'number' && a !== a && b !== b;
  return compareValues(a, b) === 0;
}

/**
 * Truth in aggregation expressions ($and, $or, $not, $cond, $filter): false, null, a missing value
 * and 0 are false, everything else is true, NaN, "" and [] included ("$and evaluates as false …
 * null, 0, and undefined values … all other values as true, including non-zero numeric values",
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/and/).
 */
export const truthy = (value: unknown): boolean =>
  !(value === false || value === null || value === undefined || value === 0 || (typeof value === 'object' && typeRank(value) === RANK.number && numberOf(value) === 0));

/** A value's BSON type name as MongoDB's errors print it ("missing", "double", "array" …). */
export function typeName(value: unknown): string {
  switch (typeRank(value)) {
    case RANK.missing:
      return 'missing';
    case RANK.null:
      return 'null';
    case RANK.number:
      return typeof value === 'number' ? (Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 'int' : 'double') : String(bsonClass(value as object)).toLowerCase();
    case RANK.string:
      return 'string';
    case RANK.array:
      return 'array';
    case RANK.boolean:
      return 'bool';
    case RANK.date:
      return 'date';
    case RANK.regex:
      return 'regex';
    case RANK.object:
      return 'object';
    default:
      return String(bsonClass(value as object)).toLowerCase();
  }
}

/** The argument of an operator that takes one: MongoDB reads a list of one, `[x]`, as x (its manual writes `{$size: [ <expression> ]}`). */
export const theArgument = (args: unknown): unknown => (Array.isArray(args) && args.length === 1 ? args[0] : args);

/**
 * The argument of an operator of exactly one (the server's ExpressionFixedArity): a list of one is
 * it, a list of another length the server's error, not a literal array (`{$size: ['$a', 1]}`).
 */
export function onlyArgument(name: string, args: unknown): unknown {
  if (Array.isArray(args) && args.length !== 1) throw new Error(`Expression ${name} takes exactly 1 arguments. ${args.length} were passed in.`);
  return args;
}

/**
 * $size: the length of an array, and an error for anything else, a missing field and null
 * included ("If the argument for $size is missing or does not resolve to an array, $size errors",
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/size/). The text is the server's.
 */
export function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  throw new Error(`The argument to $size must be an array. Type of argument: ${typeName(value)}`);
}

/** $in (expression): whether the array holds the value, and an error when the second argument is not an array. */
export function inArray(value: unknown, array: unknown): boolean {
  if (!Array.isArray(array)) throw new Error(`$in requires an array as a second argument, found: ${typeName(array)}`);
  return array.some((item) => equalValues(element(item), value));
}

/**
 * Query equality for one value ($eq, a plain value, $ne, $in, $nin; arrays are the caller's): a
 * null operand also matches a missing field ("The { item : null } query matches documents that
 * either contain the item field whose value is null or that do not contain the item field",
 * https://www.mongodb.com/docs/manual/tutorial/query-for-null-fields/).
 */
export function queryEquals(value: unknown, operand: unknown): boolean {
  return operand === null ? value === null || value === undefined : equalValues(value, operand);
}

/**
 * A query's range operators ($gt, $gte, $lt, $lte) for one value: only a value of the operand's
 * type compares (type bracketing: "$lt … perform[s] comparisons only on fields where the BSON type
 * matches the query value's type", [order]); a null operand stands for null and missing alike, so
 * $gte and $lte null match both and $gt and $lt null match nothing; NaN matches only the inclusive
 * operators with a NaN operand [nan].
 */
export function queryRange(value: unknown, operand: unknown, test: (order: number) => boolean, inclusive: boolean): boolean {
  if (operand === null || operand === undefined) return inclusive && (value === null || value === undefined);
  if (typeRank(value) !== typeRank(operand)) return false;
  if (typeof value === 'number' && typeof operand === 'number' && (Number.isNaN(value) || Number.isNaN(operand))) {
    return inclusive && Number.isNaN(value) && Number.isNaN(operand);
  }
  return test(compareValues(value, operand));
}

/**
 * $max and $min over values one at a time: null and missing are skipped, the rest compared in
 * MongoDB's order, arrays as whole values ("$max ignores null values and missing fields",
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/max/). Keeps the first of equals.
 */
export const greater = (kept: unknown, value: unknown): unknown =>
  value === null || value === undefined ? kept : kept === undefined || compareValues(value, kept) > 0 ? value : kept;
export const lesser = (kept: unknown, value: unknown): unknown =>
  value === null || value === undefined ? kept : kept === undefined || compareValues(value, kept) < 0 ? value : kept;

/**
 * A text that two values share exactly when MongoDB finds them equal: what a $group key or an
 * $addToSet member is known by when it is not a primitive. Numbers by value (-0 is 0, NaN is one
 * value), strings exactly, objects with their fields in order (missing ones left out), arrays with
 * missing elements as null, Dates by time, other BSON values by their canonical EJSON.
 */
function keyText(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'number':
      return `n${value === 0 ? 0 : value}`;
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'boolean':
      return value ? 'T' : 'F';
    case 'object':
      break;
    default:
      return `?${String(value)}`;
  }
  if (value === null) return 'z';
  if (Array.isArray(value)) return `[${value.map((item) => keyText(element(item))).join(',')}]`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r${JSON.stringify([value.source, value.flags])}`;
  const name = bsonClass(value);
  if (name !== undefined) return typeRank(value) === RANK.number ? `n${numberOf(value)}` : `b${EJSON.stringify(value, { relaxed: false })}`;
  const record = value as Record<string, unknown>;
  return `{${fieldsOf(record)
    .map((key) => `${JSON.stringify(key)}:${keyText(record[key])}`)
    .join(',')}}`;
}

/** A key that needs no text of its own: a primitive (by SameValueZero, so NaN is one key) or a valid Date. */
export const isKeyPart = (value: unknown): boolean =>
  value === null || typeof value !== 'object' || (value instanceof Date && value.constructor === Date && !Number.isNaN(value.getTime()));

/** One field of a key: its value (a Date by its time, kept apart from numbers) leads to the next level, or to the value. */
class Level {
  readonly byValue = new Map<unknown, unknown>();
  byTime: Map<number, unknown> | null = null;

  get(part: unknown): unknown {
    return part instanceof Date ? this.byTime?.get(part.getTime()) : this.byValue.get(part);
  }

  set(part: unknown, value: unknown): void {
    if (part instanceof Date) (this.byTime ??= new Map()).set(part.getTime(), value);
    else this.byValue.set(part, value);
  }

  /** The next level for `part`, made if missing. */
  below(part: unknown): Level {
    let next = this.get(part) as Level | undefined;
    if (!next) this.set(part, (next = new Level()));
    return next;
  }
}

/**
 * The field names of object keys in their order (field order counts in MongoDB: it names the
 * shape), the same names sorted, and the level they start at. The levels go in sorted order,
 * whatever the key's own: the rollup's {o: openid, k: key} keys then take the few values of k
 * before the many openids, one Map per k, where the key's order would make one Map per user.
 */
export interface Shape {
  fields: readonly string[];
  sorted: readonly string[];
  level: Level;
}

/**
 * A map whose keys are equal when MongoDB's values are (what $group and $addToSet use): primitives
 * as Map keys (SameValueZero: -0 is 0 and NaN is NaN, as in MongoDB), Dates by time, objects of
 * such values by their field names in order and then value by value, anything else by keyText. A
 * group's value sits directly in the last Map: a million groups are a million lookups, and each
 * extra object between the Map and the value is one more cache miss per document.
 */
export class KeyedMap<V> {
  private readonly top = new Level();
  private readonly shapes = new Map<string, Level>();
  private readonly others = new Map<string, V>();
  // $group keys mostly share one shape: the last one is found again without a lookup
  private last: Shape | null = null;

  get(key: unknown): V | undefined {
    if (isKeyPart(key)) return this.top.get(key) as V | undefined;
    const parts = this.partsOf(key);
    return parts ? this.getParts(parts.shape, parts.values) : this.others.get(keyText(key));
  }

  set(key: unknown, value: V): void {
    if (isKeyPart(key)) return this.top.set(key, value);
    const parts = this.partsOf(key);
    if (parts) this.setParts(parts.shape, parts.values, value);
    else this.others.set(keyText(key), value);
  }

  /** The value of an object key of `shape` given as its values in sorted field order (each a key part). */
  getParts(shape: Shape, sortedValues: readonly unknown[]): V | undefined {
    if (sortedValues.length === 0) return shape.level.get(undefined) as V | undefined;
    let at: unknown = shape.level;
    for (const part of sortedValues) {
      at = (at as Level).get(part);
      if (at === undefined) return undefined;
    }
    return at as V;
  }

  setParts(shape: Shape, sortedValues: readonly unknown[], value: V): void {
    let level = shape.level;
    const last = sortedValues.length - 1;
    for (let i = 0; i < last; i++) level = level.below(sortedValues[i]);
    if (last < 0) shape.level.set(undefined, value);
    else level.set(sortedValues[last], value);
  }

  shape(fields: readonly string[]): Shape {
    const last = this.last;
    if (last && fields.length === last.fields.length && fields.every((field, i) => field === last.fields[i])) return last;
    const name = JSON.stringify(fields);
    let level = this.shapes.get(name);
    if (!level) this.shapes.set(name, (level = new Level()));
    this.last = { fields: [...fields], sorted: [...fields].sort(), level };
    return this.last;
  }

  private partsOf(key: unknown): { shape: Shape; values: unknown[] } | null {
    if (!isPlainObject(key)) return null;
    const fields = fieldsOf(key);
    if (!fields.every((field) => isKeyPart(key[field]))) return null;
    const shape = this.shape(fields);
    return { shape, values: shape.sorted.map((field) => key[field]) };
  }
}

/** A key as MongoDB gives it back: -0 is 0 (as a Map key already was). */
export const groupKey = (key: unknown): unknown => (key === 0 ? 0 : key);

const NO_KEY = Symbol('no key yet');

/** Of two sort key candidates, the one the direction picks: the least ascending, the greatest descending. */
function pick(kept: unknown, candidate: unknown, descending: boolean): unknown {
  if (kept === NO_KEY) return candidate;
  const order = compareValues(candidate, kept);
  return (descending ? order > 0 : order < 0) ? candidate : kept;
}

/**
 * The sort key of a value at a path [order]: an array field sorts by its least element ascending
 * and its greatest descending (a path through an array reads every element's field), an empty
 * array as less than null (a missing value, the lowest rank), a missing field as null. A numeric
 * segment reads an array's element at that position.
 */
function sortKeyAt(value: unknown, path: readonly string[], from: number, descending: boolean): unknown {
  let at = value;
  for (let i = from; i < path.length; i++) {
    if (Array.isArray(at)) {
      if (/^\d+$/.test(path[i])) {
        at = at[Number(path[i])];
        continue;
      }
      let key: unknown = NO_KEY;
      for (const item of at) key = pick(key, sortKeyAt(item, path, i, descending), descending);
      return key === NO_KEY ? undefined : key;
    }
    if (!isPlainObject(at)) return null;
    at = Object.hasOwn(at, path[i]) ? at[path[i]] : undefined;
  }
  if (!Array.isArray(at)) return at === undefined ? null : at;
  let key: unknown = NO_KEY;
  for (const item of at) key = pick(key, element(item), descending);
  return key === NO_KEY ? undefined : key;
}

/** One key of a $sort: its path and direction. */
export interface SortKey {
  path: readonly string[];
  descending: boolean;
}

/** A $sort specification checked as MongoDB checks it: at least one key, each 1 or -1. */
export function sortKeys(spec: unknown): SortKey[] {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new Error('$sort stage must have at least one sort key');
  return Object.entries(spec).map(([field, direction]) => {
    if (direction !== 1 && direction !== -1) throw new Error('$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    return { path: field.split('.'), descending: direction === -1 };
  });
}

/** The sort key of one document for one key. */
const sortKeyOf = (doc: Doc, key: SortKey): unknown => sortKeyAt(doc, key.path, 0, key.descending);

type Column = { values: unknown[]; order: (a: unknown, b: unknown) => number };

const byNumber = (a: unknown, b: unknown): number => (a as number) - (b as number);
const byString = (a: unknown, b: unknown): number => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);

/** A column of one simple type compares natively (Dates by their times), any other by compareValues. */
function column(values: unknown[]): Column {
  if (values.every((v) => typeof v === 'number' && !Number.isNaN(v))) return { values, order: byNumber };
  if (values.every((v) => typeof v === 'string' && nativeOrderHolds(v))) return { values, order: byString };
  if (values.every((v) => v instanceof Date && !Number.isNaN(v.getTime()))) return { values: values.map((v) => (v as Date).getTime()), order: byNumber };
  return { values, order: compareValues };
}

/**
 * Documents in $sort order. MongoDB leaves the order of equal keys unspecified; this keeps their
 * input order (ties broken by position). When only the first `keep` documents are read on (a
 * $limit follows), only those are selected and ordered.
 */
export function sortDocuments(docs: Doc[], keys: readonly SortKey[], keep = Infinity): Doc[] {
  const columns = keys.map((key) => column(docs.map((doc) => sortKeyOf(doc, key))));
  const before = (a: number, b: number): number => {
    for (let k = 0; k < columns.length; k++) {
      const { values, order } = columns[k];
      const c = order(values[a], values[b]);
      if (c !== 0) return keys[k].descending ? -c : c;
    }
    return a - b;
  };
  const positions = keep < docs.length ? smallest(keep, docs.length, before) : Array.from(docs.keys()).sort(before);
  return positions.map((i) => docs[i]);
}

/**
 * How many leading documents the stages after a $sort read (a $limit, or a $skip and a $limit):
 * all that a sort must order, and all that it holds in memory, as MongoDB's sort with a limit does.
 */
export function sortKeep(next: readonly Doc[]): number {
  const count = (stage: Doc | undefined, name: string): number | null => {
    const value = stage && Object.keys(stage).length === 1 ? stage[name] : undefined;
    return Number.isInteger(value) && (value as number) >= 0 ? (value as number) : null;
  };
  const limit = count(next[0], '$limit');
  if (limit !== null) return limit;
  const skip = count(next[0], '$skip');
  const after = count(next[1], '$limit');
  return skip !== null && after !== null ? skip + after : Infinity;
}

/** The `count` first of positions 0…n−1 in the total order `before`, in order: a bounded max-heap, O(n log count). */
function smallest(count: number, n: number, before: (a: number, b: number) => number): number[] {
  const heap: number[] = [];
  const swap = (i: number, j: number): void => {
    [heap[i], heap[j]] = [heap[j], heap[i]];
  };
  for (let p = 0; p < n && count > 0; p++) {
    if (heap.length < count) {
      heap.push(p);
      for (let i = heap.length - 1; i > 0 && before(heap[(i - 1) >> 1], heap[i]) < 0; i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    } else if (before(p, heap[0]) < 0) {
      heap[0] = p;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let largest = i;
        if (left < heap.length && before(heap[left], heap[largest]) > 0) largest = left;
        if (right < heap.length && before(heap[right], heap[largest]) > 0) largest = right;
        if (largest === i) break;
        swap(i, largest);
        i = largest;
      }
    }
  }
  return heap.sort(before);
}

/** A projection value that computes its field (an expression or a literal) rather than keeping, dropping or sub-projecting it. */
function isComputed(value: unknown): boolean {
  if (typeof value === 'boolean' || typeof value === 'number') return false;
  return !isPlainObject(value) || Object.keys(value).some((key) => key.startsWith('$'));
}

/**
 * The fields of a projected document in MongoDB's order (the server's inclusion projection copies
 * the input's fields it keeps, in the input's order, then sets the fields it computes, in the
 * projection's order): `_id` first as stored, a computed field after the kept ones, and one whose
 * value is missing left out. mingo sorts them by name and puts `_id` last. An exclusion keeps the
 * input's order, as both already do.
 */
export function inProjectionOrder(input: Doc, projected: Doc, spec: Doc): Doc {
  const entries = Object.entries(spec);
  if (entries.every(([field, value]) => field === '_id' || value === 0 || value === false)) return projected;
  const kept = new Set<string>(Object.hasOwn(spec, '_id') ? [] : ['_id']);
  const computed: string[] = [];
  for (const [field, value] of entries) {
    if (value === 0 || value === false) continue;
    if (field.includes('.') || !isComputed(value)) kept.add(field.split('.')[0]);
    else computed.push(field);
  }
  const out: Doc = {};
  const put = (field: string): void => {
    if (!Object.hasOwn(out, field) && Object.hasOwn(projected, field) && projected[field] !== undefined) out[field] = projected[field];
  };
  for (const field of Object.keys(input)) if (kept.has(field)) put(field);
  for (const field of computed) put(field);
  // a sub-projection of a field the input lacks creates it: after the others
  for (const field of Object.keys(projected)) put(field);
  return out;
}

/**
 * A copy of `doc` with the value at `path` set, or removed when undefined: copied along the path
 * only, never changed in place, so that the copies share every other value. A value on the way
 * that is not an embedded document becomes one, as the server's MutableDocument makes it
 * (MutableValue::getDocPtr). `depth`: where in the path `doc` sits.
 */
export function withField(doc: Doc, path: readonly string[], value: unknown, depth = 0): Doc {
  const out: Doc = { ...doc };
  const field = path[depth];
  if (depth + 1 < path.length) out[field] = withField(isPlainObject(doc[field]) ? doc[field] : {}, path, value, depth + 1);
  else if (value === undefined) delete out[field];
  else out[field] = value;
  return out;
}
