import * as mingo from 'mingo/util';

/**
 * mingo's own value rules, so that compiled code agrees with mingo by construction. Taken once
 * here: mingo's CommonJS build reaches each export through two getters, which cost more per
 * document than the comparisons themselves.
 */
export const { compare, isEqual, isNil, isNumber, isObject, isOperator, typeOf } = mingo;

/**
 * Field paths read the way mingo reads them, for the documents where that is simple: through
 * plain objects only. An array on the way (MongoDB semantics fan a path out over its elements) or
 * an object that is not plain (a Date's fields) is `Undecided`: the caller then leaves that work
 * to mingo, which stays the reference for every answer (see match.ts and aggregate.ts).
 */
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

/** The value at `segments` below `start`; undefined when missing (a string or null has no fields). */
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
