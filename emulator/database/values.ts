/**
 * How the compiled queries and pipelines (match.ts, expressions.ts, aggregate.ts) read values out
 * of documents. How they compare them is MongoDB's, in semantics.ts. What is not simple to read
 * (a path through an array, which MongoDB fans out) is `Undecided`: that work is left to the
 * corrected mingo of fallback.ts.
 */
import * as mingo from 'mingo/util';
import { isPlainObject } from './semantics';

// defined with the rest of MongoDB's value rules; re-exported for the modules that read documents
export { isPlainObject };

// mingo's type tests, taken once: its CommonJS build reaches each export through two getters,
// which cost more per document than the tests themselves.
export const { isNil, isNumber, isObject, isOperator } = mingo;

/**
 * Sets a document's field, one named `__proto__` included: a plain assignment of that name sets
 * the object's prototype instead, and an update or a stage that built a document that way lost
 * the field (MongoDB stores it like any other).
 */
export function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

export class Undecided extends Error {}

/** Thrown, never created per document: a fallback must cost nothing but the catch. */
export const UNDECIDED = new Undecided('left to mingo');

/** The segments of a dotted path, or null for a path mingo refuses or reads in a way of its own. */
export function fieldPath(path: string): string[] | null {
  const segments = path.split('.');
  return segments.every((segment) => segment !== '' && segment !== '__proto__') ? segments : null;
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
