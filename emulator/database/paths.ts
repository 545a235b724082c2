/**
 * How MongoDB reads a dotted path through arrays, which mingo reads its own way (it flattens
 * nested arrays and takes every numeric part as an index). MongoDB has two readings:
 * - a query's (src/mongo/db/matcher/path.cpp, ElementPath): a path goes through embedded
 *   documents, and through an array into those of its elements that are embedded documents —
 *   one level: an array inside an array is not entered by name. A numeric part also reads the
 *   array's element at that position. The values reached, each tested by the query operator,
 *   are the leaf's value, and when it is an array its elements and then the array itself; a
 *   path that stops at a missing field or a scalar reaches "missing" (which null matches);
 * - an aggregation expression's (`'$a.b'`, ExpressionFieldPath::evaluatePath): through an array
 *   into its embedded documents only, giving the array of their values, a missing one left out;
 *   a numeric part is a field name there, never a position.
 */
import { isPlainObject } from './semantics';

const INDEX = /^\d+$/;

/** What a query path reaches from an embedded document, from part `from` on (getFieldDottedOrArray, then the iterator). */
function fromDocument(doc: Record<string, unknown>, path: readonly string[], from: number, out: unknown[]): void {
  let value: unknown = doc;
  for (let i = from; i < path.length; i++) {
    if (!isPlainObject(value) || !Object.hasOwn(value, path[i]) || value[path[i]] === undefined) {
      out.push(undefined);
      return;
    }
    value = value[path[i]];
    if (Array.isArray(value)) {
      fromArray(value, path, i + 1, out);
      return;
    }
  }
  out.push(value);
}

/** What a query path reaches from an array, its part `from` being the first after the array. */
function fromArray(array: readonly unknown[], path: readonly string[], from: number, out: unknown[]): void {
  if (from === path.length) {
    // the leaf is an array: its elements, then the array as a whole
    for (const item of array) out.push(item ?? null);
    out.push(array);
    return;
  }
  const offset = INDEX.test(path[from]) ? Number(path[from]) : -1;
  for (let k = 0; k < array.length; k++) {
    const item = array[k];
    if (isPlainObject(item)) fromDocument(item, path, from, out);
    if (k !== offset) continue;
    // the element at the position the numeric part names
    if (from + 1 === path.length) out.push(item ?? null);
    else if (isPlainObject(item)) fromDocument(item, path, from + 1, out);
    else if (Array.isArray(item)) fromArray(item, path, from + 1, out);
  }
}

/**
 * The values a query path reaches in a document, as a query operator tests them; `undefined`
 * stands for a missing field.
 *
 * @example
 * queryValues({ a: [{ b: 5 }, {}] }, ['a', 'b']) // [5, undefined]: {'a.b': null} matches
 * queryValues({ a: [[{ b: 1 }]] }, ['a', 'b']) // []: an array in an array is not entered by name
 */
export function queryValues(doc: Record<string, unknown>, path: readonly string[]): unknown[] {
  const out: unknown[] = [];
  fromDocument(doc, path, 0, out);
  return out;
}

/**
 * The value of an expression's field path below `value`: through embedded documents, and through
 * an array into its embedded documents only (each giving its value, a missing one left out, so an
 * array of arrays gives []); undefined when missing.
 *
 * @example
 * expressionValue({ x: [{ a: 1 }, [{ a: 2 }], 3] }, ['x', 'a']) // [1]
 */
export function expressionValue(value: unknown, path: readonly string[], from = 0): unknown {
  let at = value;
  for (let i = from; i < path.length; i++) {
    if (Array.isArray(at)) {
      const values: unknown[] = [];
      for (const item of at) {
        if (!isPlainObject(item)) continue;
        const nested = expressionValue(item, path, i);
        if (nested !== undefined) values.push(nested);
      }
      return values;
    }
    if (!isPlainObject(at) || !Object.hasOwn(at, path[i])) return undefined;
    at = at[path[i]];
  }
  return at;
}
