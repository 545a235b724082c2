import type { Doc } from './ejson';
import { answeredBy, checkQuery, mingoQuery } from './fallback';
import { isPlainObject, queryEquals, queryRange } from './semantics';
import { fieldPath, Undecided, UNDECIDED, valueAt } from './values';

/**
 * Query matching with MongoDB's answers (semantics.ts) at a fraction of mingo's cost. mingo
 * interprets a query for every document (about a microsecond each); a rollup pipeline matches a
 * million events, a dozen times. The common conditions (equality, ranges, $ne, $in, $exists,
 * $and; equality to a scalar, or to `{}`) are compiled here into plain comparisons, for the
 * documents whose path holds no array; any other document, and any other query, is tested by the
 * corrected mingo (fallback.ts).
 */
export type Matcher = (doc: Doc) => boolean;

type Condition = (doc: Doc) => boolean;

const isScalar = (value: unknown): boolean =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && !Number.isNaN(value)) ||
  (value instanceof Date && !Number.isNaN(value.getTime()));

/** `{}`: `byChannel: {$ne: {}}` keeps the user-days with a channel. */
const isEmptyDocument = (value: unknown): boolean => isPlainObject(value) && Object.keys(value).length === 0;
const isEqualityOperand = (value: unknown): boolean => isScalar(value) || isEmptyDocument(value);

const isOperatorObject = (value: unknown): value is Record<string, unknown> => isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => key.startsWith('$'));

const range =
  (test: (order: number) => boolean, inclusive: boolean) =>
  (value: unknown, operand: unknown): boolean =>
    queryRange(value, operand, test, inclusive);

const OPERATORS: Record<string, { accepts: (operand: unknown) => boolean; test: (value: unknown, operand: unknown) => boolean }> = {
  $eq: { accepts: isEqualityOperand, test: queryEquals },
  $ne: { accepts: isEqualityOperand, test: (value, operand) => !queryEquals(value, operand) },
  $gt: { accepts: isScalar, test: range((order) => order > 0, false) },
  $gte: { accepts: isScalar, test: range((order) => order >= 0, true) },
  $lt: { accepts: isScalar, test: range((order) => order < 0, false) },
  $lte: { accepts: isScalar, test: range((order) => order <= 0, true) },
  $in: {
    accepts: (operand) => Array.isArray(operand) && operand.every(isScalar),
    test: (value, operand) => (operand as unknown[]).some((item) => queryEquals(value, item)),
  },
  $exists: { accepts: () => true, test: (value, operand) => (value !== undefined) === Boolean(operand) },
};

function fieldConditions(field: string, condition: unknown): Condition[] | null {
  const path = fieldPath(field);
  if (!path) return null;
  const operators = isOperatorObject(condition) ? condition : isScalar(condition) ? { $eq: condition } : null;
  if (!operators) return null;
  const conditions: Condition[] = [];
  for (const [name, operand] of Object.entries(operators)) {
    const operator = OPERATORS[name];
    if (!operator || !operator.accepts(operand)) return null;
    conditions.push((doc) => {
      const value = valueAt(doc, path);
      // an array is matched element by element (and as a whole) by MongoDB: the fallback knows how
      if (Array.isArray(value)) throw UNDECIDED;
      return operator.test(value, operand);
    });
  }
  return conditions;
}

function compileConditions(query: Doc): Condition[] | null {
  const conditions: Condition[] = [];
  for (const [key, condition] of Object.entries(query)) {
    let compiled: Condition[] | null;
    if (key === '$and') compiled = Array.isArray(condition) && condition.length > 0 && condition.every(isPlainObject) ? allOf(condition) : null;
    else if (key.startsWith('$')) compiled = null;
    else compiled = fieldConditions(key, condition);
    if (!compiled) return null;
    conditions.push(...compiled);
  }
  return conditions;
}

function allOf(clauses: Doc[]): Condition[] | null {
  const conditions: Condition[] = [];
  for (const clause of clauses) {
    const compiled = compileConditions(clause);
    if (!compiled) return null;
    conditions.push(...compiled);
  }
  return conditions;
}

/**
 * A matcher for `query` with MongoDB's answers, or null when the query is beyond the compiled
 * conditions. The fallback's query is built only if some document needs it.
 */
export function compileMatcher(query: Doc): Matcher | null {
  const conditions = compileConditions(query);
  if (!conditions) return null;
  let fallback: Matcher | undefined;
  return (doc) => {
    try {
      let matched = true;
      for (const condition of conditions) {
        if (condition(doc)) continue;
        matched = false;
        break;
      }
      answeredBy.compiledTests++;
      return matched;
    } catch (error) {
      if (error instanceof Undecided) return (fallback ??= mingoQuery(query))(doc);
      throw error;
    }
  };
}

/** The compiled matcher, or the fallback's query for a query beyond it; operands MongoDB refuses are refused first, whichever answers. */
export function matcherFor(query: Doc): Matcher {
  checkQuery(query);
  return compileMatcher(query) ?? mingoQuery(query);
}
