/**
 * How the compiled queries and pipelines (match.ts, expressions.ts, aggregate.ts) read and compare
 * values: as mingo does, which stays the reference for every answer. What is not simple to read
 * the same way is `Undecided`, and that work is left to mingo.
 */
import * as mingo from 'mingo/util';

// mingo's own rules, taken once: its CommonJS build reaches each export through two getters,
// which cost more per document than the comparisons themselves.
export const { compare, isEqual, isNil, isNumber, isObject, isOperator, typeOf } = mingo;

/** mingo's $eq (queries and expressions) for a value that is not an array. */
export const equals = (value: unknown, operand: unknown): boolean => isEqual(value, operand) || (isNil(value) && isNil(operand));

const simple = <T extends number | string | boolean>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** mingo's compare, with its commonest cases (two primitives of one type, two Dates) worked out here by its own formula. */
export function compareValues(a: unknown, b: unknown): number {
  const type = typeof a;
  if (type === typeof b && (type === 'string' || type === 'number' || type === 'boolean')) return simple(a as string, b as string);
  if (a instanceof Date && b instanceof Date) return simple(a.getTime(), b.getTime());
  return compare(a, b);
}

/**
 * mingo's comparison operators ($gt, $gte, $lt, $lte, in queries and in expressions): only a
 * value of the operand's own type compares; an array compares by its elements.
 */
export const ordered =
  (test: (order: number) => boolean) =>
  (value: unknown, operand: unknown): boolean => {
    if (!Array.isArray(value)) return sameType(value, operand) && test(compareValues(value, operand));
    for (const item of value) if (sameType(item, operand) && test(compareValues(item, operand))) return true;
    return false;
  };

function sameType(a: unknown, b: unknown): boolean {
  const type = typeof a;
  if (type !== 'object' && type === typeof b) return true;
  if (a instanceof Date && b instanceof Date) return true;
  return typeOf(a) === typeOf(b);
}

export class Undecided extends Error {}

/** Thrown, never created per document: a fallback must cost nothing but the catch. */
export const UNDECIDED = new Undecided('left to mingo');

/** The segments of a dotted path, or null for a path mingo refuses or reads in a way of its own. */
export function fieldPath(path: string): string[] | null {
  const segments = path.split('.');
  return segments.every((segment) => segment !== '' && segment !== '__proto__') ? segments : null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * The value at `segments` below `start`, read through plain objects only; undefined when missing
 * (a string or null has no fields). An array on the way (MongoDB fans a path out over its
 * elements) or another kind of object (a Date's fields) is Undecided.
 */
export function valueAt(start: unknown, segments: readonly string[]): unknown {
  let value = start;
  for (const segment of segments) {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw UNDECIDED;
    if (value === null || typeof value !== 'object') return undefined;
    if (!isPlainObject(value)) throw UNDECIDED;
    value = Object.hasOwn(value, segment) ? value[segment] : undefined;
  }
  return value;
}
