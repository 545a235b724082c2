/**
 * The dotted field paths of a pipeline's expressions (`'$a.b'`, `'$$this.a'`), handed to mingo
 * in a form it reads as MongoDB does. mingo resolves a field path itself, before any operator
 * sees it, and through arrays its own way (an array inside an array kept, a numeric part taken as
 * a position), where MongoDB reads only the embedded documents of an array and a numeric part as
 * a name (paths.expressionValue). So before mingo runs stages, each dotted path in an expression
 * becomes `{[FIELD_PATH]: [head, ...names]}`: the head (`'$a'`, `'$$this'`) mingo still resolves,
 * its variables and all; the operator of that name (fallback.ts) reads the names below it.
 */
import type { Doc } from './ejson';
import { isPlainObject } from './semantics';

/** The operator a dotted field path becomes; a name no request can mean, since MongoDB has no `$_` operators. */
export const FIELD_PATH = '$_rukouFieldPath';

/** Variables that hold no document to read fields of: left as they are. */
const NO_FIELDS = new Set(['$$REMOVE', '$$NOW', '$$CLUSTER_TIME', '$$KEEP', '$$PRUNE', '$$DESCEND']);

function fieldPath(text: string): unknown {
  const dot = text.indexOf('.');
  if (!text.startsWith('$') || dot < 0 || NO_FIELDS.has(text.slice(0, dot))) return text;
  return { [FIELD_PATH]: [text.slice(0, dot), ...text.slice(dot + 1).split('.')] };
}

/** An expression with its dotted field paths rewritten; a `$literal`'s value is no expression. */
function inExpression(value: unknown): unknown {
  if (typeof value === 'string') return fieldPath(value);
  if (Array.isArray(value)) return value.map(inExpression);
  if (!isPlainObject(value)) return value;
  // fromEntries, not assignment: a field named __proto__ stays a field
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === '$literal' ? inner : inExpression(inner)]));
}

/** A query with the expressions of its `$expr` rewritten, in `$and`, `$or` and `$nor` too. */
export function inQuery(query: unknown): unknown {
  if (!isPlainObject(query)) return query;
  return Object.fromEntries(
    Object.entries(query).map(([key, inner]) => {
      if (key === '$expr') return [key, inExpression(inner)];
      if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(inner)) return [key, inner.map(inQuery)];
      return [key, inner];
    }),
  );
}

/** `spec` with the named fields rewritten as expressions, when it is an object. */
const fields =
  (...names: string[]) =>
  (spec: unknown): unknown =>
    isPlainObject(spec) ? Object.fromEntries(Object.entries(spec).map(([key, inner]) => [key, names.includes(key) ? inExpression(inner) : inner])) : spec;

const inPipeline = (stages: unknown): unknown => (Array.isArray(stages) ? stages.map((stage) => (isPlainObject(stage) ? inStage(stage) : stage)) : stages);

/** Where each stage holds expressions. */
const STAGES: Record<string, (spec: unknown) => unknown> = {
  $project: inExpression,
  $addFields: inExpression,
  $set: inExpression,
  $group: inExpression,
  $sortByCount: inExpression,
  $redact: inExpression,
  $replaceRoot: fields('newRoot'),
  $bucket: fields('groupBy', 'output'),
  $bucketAuto: fields('groupBy', 'output'),
  $graphLookup: fields('startWith'),
  $match: inQuery,
  $lookup: (spec) => {
    const withLet = fields('let')(spec);
    return isPlainObject(withLet) && Object.hasOwn(withLet, 'pipeline') ? { ...withLet, pipeline: inPipeline(withLet.pipeline) } : withLet;
  },
  $facet: (spec) => (isPlainObject(spec) ? Object.fromEntries(Object.entries(spec).map(([name, stages]) => [name, inPipeline(stages)])) : spec),
};

function inStage(stage: Doc): Doc {
  return Object.fromEntries(Object.entries(stage).map(([name, spec]) => [name, Object.hasOwn(STAGES, name) ? STAGES[name](spec) : spec]));
}

/** Stages with the dotted field paths of their expressions rewritten for mingo. */
export const withFieldPaths = (stages: Doc[]): Doc[] => stages.map(inStage);
