/**
 * mingo, corrected to MongoDB's semantics: the path that answers whatever the compiled code does
 * not (an operator it does not compile, a value it leaves undecided). mingo's operators that
 * answer otherwise than MongoDB are replaced here by ones built on semantics.ts, the same rules
 * the compiled code follows, so that both paths give one answer:
 * - query $eq $ne $gt $gte $lt $lte $in $nin $exists: type bracketing, null matching missing, NaN,
 *   field order and code point order of strings, and the values a dotted path reaches through
 *   arrays (paths.ts: one level of arrays, a missing field in an array's document); $elemMatch: an
 *   error for anything but a document; $mod: MongoDB's checks of [divisor, remainder], numbers only;
 *   MongoDB's checks of the operands of $regex, $options, $not, $type, $size, $all and the bit tests;
 * - expression $eq $ne $gt $gte $lt $lte $cmp: MongoDB's order across types, a missing value
 *   below null and unequal to it; $and $or $not $cond $filter: MongoDB's truth (NaN and "" are
 *   true); $size and $in: an error for anything but an array; $objectToArray: the server's error
 *   for anything but an embedded document, and no pair for a missing value; $range: MongoDB's
 *   limit of 100 MiB;
 * - accumulators $push and $addToSet skip a missing value, $max and $min compare in MongoDB's
 *   order (NaN lowest, arrays as whole values), $sum and $avg count NaN, $addToSet and $group
 *   know field order;
 * - stages: $count of nothing is nothing, $facet takes arrays of known stages, $sample takes
 *   {size: n ≥ 0} and gives each document at most once, $sort sorts in MongoDB's order within its
 *   memory, $group groups by MongoDB's equality, $project gives its fields in MongoDB's order,
 *   $unwind keeps "" and {}, reads its path through embedded documents only and writes nothing into
 *   its input, $lookup's equality join matches as MongoDB's query does and reads its collection
 *   through the index on the foreign field (lookup.ts);
 * - an expression's dotted field path reads an array's embedded documents only, and a numeric
 *   part as a name (fieldpaths.ts, paths.ts);
 * and, found by the conformance corpus (test/emulator/database/conformance/), mingo operators
 * that answer the reference pages' examples otherwise: the operators of one argument given it as
 * a list of one (`$sqrt: [x]`), $sum $avg $max $min as expressions, $indexOfArray's start,
 * $indexOfCP (missing), $trunc of one argument, $substr's negative length, $week, and $bucket
 * (a value on a boundary, empty buckets); and, found by a user's pass, null for the date parts of
 * a null or missing date and for a $slice of one, and $mergeObjects of one document and as an
 * accumulator of what its expression gives.
 * Everything else is mingo's own (the README lists what is known to differ).
 */
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr } from 'mingo/core';
import { Lazy, type Iterator } from 'mingo/lazy';
import * as accumulators from 'mingo/operators/accumulator';
import * as expressions from 'mingo/operators/expression';
import * as pipelines from 'mingo/operators/pipeline';
import * as projections from 'mingo/operators/projection';
import * as queries from 'mingo/operators/query';
import * as windows from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import type { Doc } from './ejson';
import { FIELD_PATH, inQuery, withFieldPaths } from './fieldpaths';
import { checkSortMemory } from './limits';
import { arrayForeign, equalityLookup, joiner, type ForeignResolver } from './lookup';
import { expressionValue, queryValues } from './paths';
import { setField } from './values';
import {
  compareValues,
  equalValues,
  greater,
  groupKey,
  inArray,
  inProjectionOrder,
  isPlainObject,
  KeyedMap,
  lesser,
  queryEquals,
  queryRange,
  sizeOf,
  sortDocuments,
  sortKeep,
  sortKeys,
  theArgument,
  onlyArgument,
  truthy,
  typeName,
  withField,
} from './semantics';

/**
 * Which path answered, counted since the process started: pipeline stages run by the compiled
 * code (aggregate.ts) or by mingo, and documents tested by a compiled query (match.ts) or by
 * mingo's. The database stats route shows it, so that a test can tell which path gave an answer.
 */
export const answeredBy = { compiledStages: 0, mingoStages: 0, compiledTests: 0, mingoTests: 0 };

/**
 * mingo's operators, typed plainly: its own types are intersections of every operator's
 * signature, which no new operator satisfies. They are handed to its Context once, cast.
 */
type ExpressionOperator = (obj: unknown, args: unknown, options: Options) => unknown;
type AccumulatorOperator = (docs: unknown[], operand: unknown, options: Options) => unknown;
type PipelineOperator = (collection: Iterator, spec: unknown, options: Options) => Iterator;
type QueryOperator = (selector: string, operand: unknown, options: Options) => (doc: Doc) => boolean;

/** What mingo hands its operators: its ComputeOptions, a class its package does not export. */
interface ComputeOptions extends Options {
  /** The options the run was given, the emulator's own among them. */
  readonly options: FallbackOptions;
  readonly local: { root?: unknown };
  update(locals: { root?: unknown; groupId?: unknown; variables?: Doc }): ComputeOptions;
}

/**
 * A copy of the options an operator was handed, for locals of its own (a document as root, a
 * variable): made through the instance's own class, as mingo's operators make theirs with
 * ComputeOptions.init. Field paths resolve against the root, so each document needs one.
 */
function scoped(options: Options): ComputeOptions {
  return (options.constructor as unknown as { init(options: Options): ComputeOptions }).init(options);
}

function pair(obj: unknown, args: unknown, options: Options, name: string): [unknown, unknown] {
  if (!Array.isArray(args) || args.length !== 2) throw new Error(`Expression ${name} takes exactly 2 arguments. ${Array.isArray(args) ? args.length : 1} were passed in.`);
  return evalExpr(obj, args, options) as [unknown, unknown];
}

const comparison =
  (name: string, test: (a: unknown, b: unknown) => boolean): ExpressionOperator =>
  (obj, args, options) => {
    const [a, b] = pair(obj, args, options, name);
    return test(a, b);
  };

/**
 * Operators of one argument, which MongoDB also takes as a list of one (`{$sqrt: [x]}`, as its
 * manual writes them) and mingo reads as an array value. ($isArray, $toLower and $toUpper read
 * the list themselves.)
 */
const UNARY = ['$abs', '$ceil', '$exp', '$floor', '$sqrt', '$reverseArray', '$arrayToObject', '$strLenBytes', '$strLenCP', '$type'];

const mingoExpression = (name: string): ExpressionOperator => (expressions as unknown as Record<string, ExpressionOperator>)[name];

const unwrapped = (name: string): ExpressionOperator => {
  const operator = mingoExpression(name);
  return (obj, args, options) => operator(obj, theArgument(args), options);
};

function integerArgument(value: unknown, name: string, position: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${name}'s ${position} argument must be a non-negative integer, not ${typeName(value)}`);
  return value as number;
}

const sum = (items: readonly unknown[]): number => items.reduce((total: number, item) => (typeof item === 'number' ? total + item : total), 0);
const numbers = (items: readonly unknown[]): number[] => items.filter((item): item is number => typeof item === 'number');

/** What $sum, $avg, $max and $min make of their values, as accumulators and as expressions alike. */
const FOLDS: Record<string, (items: unknown[]) => unknown> = {
  $sum: sum,
  $avg: (items) => {
    const found = numbers(items);
    return found.length === 0 ? null : sum(found) / found.length;
  },
  $max: (items) => items.reduce(greater, undefined) ?? null,
  $min: (items) => items.reduce(lesser, undefined) ?? null,
};

/**
 * $sum, $avg, $max and $min in an expression ($project, $addFields): MongoDB takes a list of
 * several arguments as the values, and a single argument, or a list of one, as its elements when
 * it is an array and as the one value otherwise. mingo errs on a single value and reads a list of
 * one array as one non-numeric value. In a $group mingo evaluates them over the group's
 * documents, which are then the root: those go to the accumulator.
 */
const accumulatorExpression =
  (name: string): ExpressionOperator =>
  (obj, args, options) => {
    if (Array.isArray(obj) && obj === (options as ComputeOptions).local.root) return ACCUMULATORS[name](obj, args, options);
    const one = !Array.isArray(args) || args.length === 1;
    const evaluated = evalExpr(obj, theArgument(args), options);
    return FOLDS[name](one ? (Array.isArray(evaluated) ? evaluated : [evaluated]) : (evaluated as unknown[]));
  };

/** $substr and $substrBytes: a negative length reads to the end, a negative start gives "" (https://www.mongodb.com/docs/manual/reference/operator/aggregation/substr/). */
const substrBytes: ExpressionOperator = (obj, args, options) => {
  const operator = mingoExpression('$substrBytes');
  if (!Array.isArray(args) || args.length !== 3) return operator(obj, args, options);
  const [text, start, length] = evalExpr(obj, args, options) as [unknown, unknown, unknown];
  if (typeof start === 'number' && start < 0) return '';
  const rest = typeof text === 'string' && typeof start === 'number' && typeof length === 'number' && length < 0 ? Buffer.byteLength(text) - start : length;
  return operator(obj, [{ $literal: text }, start, rest], options);
};

/** $ln and $log10 of a positive number, and MongoDB's refusal of any other (mingo gave null for 0). */
const logarithm =
  (name: string, log: (n: number) => number): ExpressionOperator =>
  (obj, args, options) => {
    const value = evalExpr(obj, theArgument(args), options);
    if (value === null || value === undefined) return null;
    if (typeof value !== 'number') throw new Error(`${name} only supports numeric types, not ${typeName(value)}`);
    if (!(value > 0) && !Number.isNaN(value)) throw new Error(`${name}'s argument must be a positive number, but is ${value}`);
    return log(value);
  };

/**
 * A value as $toUpper and $toLower read it (the server's Value::coerceToString): null and missing
 * are "", numbers and Dates their text, anything else refused.
 */
function coercedText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return value.toISOString();
  throw new Error(`can't convert from BSON type ${typeName(value)} to String`);
}

/** $toUpper and $toLower change ASCII letters only ("only has a well-defined behavior for strings of ASCII characters"). */
const letterCase =
  (pattern: RegExp, change: (letter: string) => string): ExpressionOperator =>
  (obj, args, options) =>
    coercedText(evalExpr(obj, theArgument(args), options)).replace(pattern, change);

/** The order of $dateToParts's fields (the server's ExpressionDateToParts), where mingo put the time first. */
const DATE_PARTS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'];
const ISO_DATE_PARTS = ['isoWeekYear', 'isoWeek', 'isoDayOfWeek', 'hour', 'minute', 'second', 'millisecond'];
/** The date operators of one date (and a time zone): null for a null or missing date, where mingo refused to read it. */
const ONE_DATE = ['$year', '$month', '$dayOfMonth', '$hour', '$minute', '$second', '$millisecond', '$dayOfWeek', '$dayOfYear', '$isoWeek', '$isoWeekYear', '$isoDayOfWeek'];

/**
 * The date a date operator reads (its argument, or the `date` of `{date, timezone}`,
 * DateExpressionAcceptingTimeZone), and its arguments with that date given as a value, so that
 * mingo does not evaluate it again.
 */
function dateOperand(obj: unknown, args: unknown, options: Options): { date: unknown; args: unknown } {
  const argument = theArgument(args);
  const zoned = isPlainObject(argument) && Object.hasOwn(argument, 'date');
  const date = evalExpr(obj, zoned ? argument.date : argument, options);
  return { date, args: zoned ? { ...argument, date: { $literal: date } } : { $literal: date } };
}

/** A date operator that answers null for a null or missing date, as the server's does ("if (dateVal.nullish()) return Value(BSONNULL)"), and mingo's otherwise. */
const nullishDate =
  (name: string): ExpressionOperator =>
  (obj, args, options) => {
    const operand = dateOperand(obj, args, options);
    return operand.date === null || operand.date === undefined ? null : mingoExpression(name)(obj, operand.args, options);
  };

/** How much memory MongoDB lets a $range take (internalQueryMaxRangeBytes), counting 16 bytes an element. */
const MAX_RANGE_BYTES = 100 * 1024 * 1024;

const EXPRESSIONS: Record<string, ExpressionOperator> = {
  /** The remainder, and MongoDB's refusal of a zero divisor or a value that is not a number (mingo gave null). */
  $mod(obj, args, options) {
    const [dividend, divisor] = pair(obj, args, options, '$mod');
    if (dividend === null || dividend === undefined || divisor === null || divisor === undefined) return null;
    if (typeof dividend !== 'number' || typeof divisor !== 'number') throw new Error(`$mod only supports numeric types, not ${typeName(dividend)} and ${typeName(divisor)}`);
    if (divisor === 0) throw new Error("can't $mod by zero");
    return dividend % divisor;
  },
  $ln: logarithm('$ln', Math.log),
  $log10: logarithm('$log10', Math.log10),
  $toUpper: letterCase(/[a-z]+/g, (letters) => letters.toUpperCase()),
  $toLower: letterCase(/[A-Z]+/g, (letters) => letters.toLowerCase()),
  /**
   * The first case that is true (MongoDB's truth), else the default, else MongoDB's refusal: mingo
   * gave a missing value for an input no branch takes, and read NaN and "" as false.
   */
  $switch(obj, args, options) {
    if (!isPlainObject(args)) throw new Error(`$switch requires an object as an argument, found: ${typeName(args)}`);
    if (!Array.isArray(args.branches)) throw new Error(`$switch expected an array for 'branches', found: ${typeName(args.branches)}`);
    if (args.branches.length === 0) throw new Error('$switch requires at least one branch.');
    for (const branch of args.branches) {
      if (!isPlainObject(branch)) throw new Error(`$switch expected each branch to be an object, found: ${typeName(branch)}`);
      if (!Object.hasOwn(branch, 'case')) throw new Error("$switch requires each branch have a 'case' expression");
      if (!Object.hasOwn(branch, 'then')) throw new Error("$switch requires each branch have a 'then' expression.");
      if (truthy(evalExpr(obj, branch.case, options))) return evalExpr(obj, branch.then, options);
    }
    if (!Object.hasOwn(args, 'default')) throw new Error('$switch could not find a matching branch for an input, and no default was specified.');
    return evalExpr(obj, args.default, options);
  },
  /** The index in UTF-8 bytes of a substring's first occurrence, or -1: mingo counted UTF-16 units. */
  $indexOfBytes(obj, args, options) {
    if (!Array.isArray(args) || args.length < 2 || args.length > 4) throw new Error('Expression $indexOfBytes takes at least 2 arguments, and at most 4');
    const [text, search, start, end] = evalExpr(obj, args, options) as unknown[];
    if (text === null || text === undefined) return null;
    if (typeof text !== 'string') throw new Error(`$indexOfBytes requires a string as the first argument, found: ${typeName(text)}`);
    if (typeof search !== 'string') throw new Error(`$indexOfBytes requires a string as the second argument, found: ${typeName(search)}`);
    const bytes = Buffer.from(text, 'utf8');
    const from = start === undefined ? 0 : integerArgument(start, '$indexOfBytes', 'starting index');
    const to = end === undefined ? bytes.length : Math.min(integerArgument(end, '$indexOfBytes', 'ending index'), bytes.length);
    const wanted = Buffer.from(search, 'utf8');
    return from > to ? -1 : bytes.subarray(0, to).indexOf(wanted, from);
  },
  /**
   * mingo's parse, refused as MongoDB refuses a string it cannot read when no onError is given
   * (mingo gave a missing value); without a format, a space between the day and the time reads as
   * the `T` of ISO 8601, as MongoDB reads it.
   */
  $dateFromString(obj, args, options) {
    const spec = evalExpr(obj, args, options);
    if (!isPlainObject(spec)) throw new Error(`$dateFromString only supports an object as an argument, found: ${typeName(spec)}`);
    const { dateString } = spec;
    const spaced = spec.format === undefined && typeof dateString === 'string' && /^\d{4}-\d{2}-\d{2} \d/.test(dateString);
    const read = { ...spec, dateString: spaced ? (dateString as string).replace(' ', 'T') : dateString };
    const date = mingoExpression('$dateFromString')(obj, { $literal: read }, options);
    if (date === undefined && typeof dateString === 'string' && !Object.hasOwn(spec, 'onError')) throw new Error(`Error parsing date string '${dateString}'`);
    return date;
  },
  /** mingo's parts in MongoDB's order, and null for a null or missing date (mingo read it as 1970). */
  $dateToParts(obj, args, options) {
    const spec = evalExpr(obj, args, options);
    if (!isPlainObject(spec)) throw new Error(`$dateToParts only supports an object as its argument`);
    if (spec.date === null || spec.date === undefined) return null;
    const parts = mingoExpression('$dateToParts')(obj, { $literal: spec }, options) as Doc;
    return Object.fromEntries((spec.iso8601 === true ? ISO_DATE_PARTS : DATE_PARTS).map((name) => [name, parts[name]]));
  },
  /** A dotted field path (fieldpaths.ts): its head resolved by mingo, the names below it read as MongoDB reads them. */
  [FIELD_PATH](obj, args, options) {
    const [head, ...names] = args as string[];
    return expressionValue(evalExpr(obj, head, options), names);
  },
  ...Object.fromEntries(UNARY.map((name) => [name, unwrapped(name)])),
  ...Object.fromEntries(ONE_DATE.map((name) => [name, nullishDate(name)])),
  /**
   * The documents listed (or the one given) merged: mingo refused a single document. In a $group,
   * where mingo evaluates it over the group's documents, the accumulator's.
   */
  $mergeObjects(obj, args, options) {
    if (Array.isArray(obj) && obj === (options as ComputeOptions).local.root) return ACCUMULATORS.$mergeObjects(obj, args, options);
    return mergeDocuments((Array.isArray(args) ? args : [args]).map((operand) => evalExpr(obj, operand, options)));
  },
  /** null when the array or a count is null or missing ("if (arrayVal.nullish() || arg2.nullish()) return Value(BSONNULL)", ExpressionSlice), where mingo refused. */
  $slice(obj, args, options) {
    if (!Array.isArray(args) || args.length < 2 || args.length > 3) return mingoExpression('$slice')(obj, args, options);
    const values = evalExpr(obj, args, options) as unknown[];
    // evaluated once: mingo is given the values
    return values.some((value) => value === null || value === undefined) ? null : mingoExpression('$slice')(obj, values.map((value) => ({ $literal: value })), options);
  },
  ...Object.fromEntries(Object.keys(FOLDS).map((name) => [name, accumulatorExpression(name)])),
  $substr: substrBytes,
  $substrBytes: substrBytes,
  /** MongoDB's limit on the array it builds; mingo built any, and a range of 2e9 numbers took the process down. */
  $range(obj, args, options) {
    const values = Array.isArray(args) ? (evalExpr(obj, args, options) as unknown[]) : [];
    const [start, end, step = 1] = values;
    if (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) && step !== 0) {
      const bytes = Math.max(0, Math.ceil(((end as number) - (start as number)) / (step as number))) * 16;
      if (bytes > MAX_RANGE_BYTES) throw new Error(`$range would use too much memory (${bytes} bytes) and cannot spill to disk. Memory limit: ${MAX_RANGE_BYTES} bytes`);
    }
    return mingoExpression('$range')(obj, args, options);
  },
  /** $trunc of one number, not only [number, place]. */
  $trunc: (obj, args, options) => mingoExpression('$trunc')(obj, Array.isArray(args) ? args : [args], options),
  /** The week of the year, weeks starting on Sunday, days before the first Sunday in week 0 (strftime's %U, https://www.mongodb.com/docs/manual/reference/operator/aggregation/week/). */
  $week(obj, args, options) {
    const operand = dateOperand(obj, args, options);
    if (operand.date === null || operand.date === undefined) return null;
    const day = mingoExpression('$dayOfYear')(obj, operand.args, options);
    const weekday = mingoExpression('$dayOfWeek')(obj, operand.args, options);
    return typeof day === 'number' && typeof weekday === 'number' ? Math.floor((day + 7 - weekday) / 7) : null;
  },
  $indexOfArray(obj, args, options) {
    if (!Array.isArray(args) || args.length < 2 || args.length > 4) throw new Error('Expression $indexOfArray takes at least 2 arguments, and at most 4');
    const [array, search, start, end] = evalExpr(obj, args, options) as unknown[];
    if (array === null || array === undefined) return null;
    if (!Array.isArray(array)) throw new Error(`$indexOfArray requires an array as a first argument, found: ${typeName(array)}`);
    const from = start === undefined ? 0 : integerArgument(start, '$indexOfArray', 'starting index');
    const to = end === undefined ? array.length : Math.min(integerArgument(end, '$indexOfArray', 'ending index'), array.length);
    for (let i = from; i < to; i++) if (equalValues(array[i] === undefined ? null : array[i], search)) return i;
    return -1;
  },
  /** mingo has no $indexOfCP: the index in code points of a substring's first occurrence, or -1. */
  $indexOfCP(obj, args, options) {
    if (!Array.isArray(args) || args.length < 2 || args.length > 4) throw new Error('Expression $indexOfCP takes at least 2 arguments, and at most 4');
    const [text, search, start, end] = evalExpr(obj, args, options) as unknown[];
    if (text === null || text === undefined) return null;
    if (typeof text !== 'string') throw new Error(`$indexOfCP requires a string as the first argument, found: ${typeName(text)}`);
    if (typeof search !== 'string') throw new Error(`$indexOfCP requires a string as the second argument, found: ${typeName(search)}`);
    const points = [...text];
    const wanted = [...search];
    const from = start === undefined ? 0 : integerArgument(start, '$indexOfCP', 'starting index');
    const to = end === undefined ? points.length : Math.min(integerArgument(end, '$indexOfCP', 'ending index'), points.length);
    for (let i = from; i + wanted.length <= to; i++) if (wanted.every((point, j) => points[i + j] === point)) return i;
    return -1;
  },
  /**
   * An embedded document's fields as `{k, v}` pairs, null for null and missing, the server's error
   * for anything else (its ExpressionObjectToArray). A field whose value is missing gives no pair:
   * the server's document iterator skips it, where mingo gave `{k}` without `v`.
   */
  $objectToArray(obj, args, options) {
    const value = evalExpr(obj, theArgument(args), options);
    if (value === null || value === undefined) return null;
    if (!isPlainObject(value)) throw new Error(`$objectToArray requires a document input, found: ${typeName(value)}`);
    return Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .map((k) => ({ k, v: value[k] }));
  },
  $eq: comparison('$eq', equalValues),
  $ne: comparison('$ne', (a, b) => !equalValues(a, b)),
  $gt: comparison('$gt', (a, b) => compareValues(a, b) > 0),
  $gte: comparison('$gte', (a, b) => compareValues(a, b) >= 0),
  $lt: comparison('$lt', (a, b) => compareValues(a, b) < 0),
  $lte: comparison('$lte', (a, b) => compareValues(a, b) <= 0),
  $cmp: (obj, args, options) => {
    const [a, b] = pair(obj, args, options, '$cmp');
    return compareValues(a, b);
  },
  $and(obj, args, options) {
    for (const arg of Array.isArray(args) ? args : [args]) if (!truthy(evalExpr(obj, arg, options))) return false;
    return true;
  },
  $or(obj, args, options) {
    for (const arg of Array.isArray(args) ? args : [args]) if (truthy(evalExpr(obj, arg, options))) return true;
    return false;
  },
  $not: (obj, args, options) => !truthy(evalExpr(obj, theArgument(args), options)),
  $cond(obj, args, options) {
    const parts: unknown[] = Array.isArray(args) ? args : isPlainObject(args) ? [args.if, args.then, args.else] : [];
    if (parts.length !== 3) throw new Error('$cond takes 3 arguments: an array [if, then, else] or an object {if, then, else}');
    return evalExpr(obj, truthy(evalExpr(obj, parts[0], options)) ? parts[1] : parts[2], options);
  },
  $filter(obj, args, options) {
    if (!isPlainObject(args) || !Object.hasOwn(args, 'input') || !Object.hasOwn(args, 'cond')) throw new Error("$filter needs 'input' and 'cond'");
    const input = evalExpr(obj, args.input, options);
    if (input === null || input === undefined) return null;
    if (!Array.isArray(input)) throw new Error(`input to $filter must be an array not ${typeName(input)}`);
    const limit = args.limit ?? Infinity;
    if (limit !== Infinity && (!Number.isInteger(limit) || (limit as number) < 1)) throw new Error('$filter: limit must be a positive integer');
    const name = typeof args.as === 'string' ? args.as : 'this';
    const inner = scoped(options);
    const kept: unknown[] = [];
    for (const item of input) {
      if (kept.length === limit) break;
      if (truthy(evalExpr(obj, args.cond, inner.update({ variables: { [name]: item } })))) kept.push(item);
    }
    return kept;
  },
  $size: (obj, args, options) => sizeOf(evalExpr(obj, theArgument(onlyArgument('$size', args)), options)),
  $in: (obj, args, options) => {
    const [value, array] = pair(obj, args, options, '$in');
    return inArray(value, array);
  },
};

/**
 * The values an accumulator reads: one per document, a missing one left out (MongoDB's $push and
 * $addToSet skip it). mingo calls an accumulator as an expression ({$max: ['$a', '$b']}) with the
 * values already computed and no operand: those are the values then.
 */
function values(docs: unknown[], operand: unknown, options: Options): unknown[] {
  if (operand === null || operand === undefined) return docs;
  const inner = scoped(options);
  const out: unknown[] = [];
  for (const root of docs) {
    const value = evalExpr(root, operand, inner.update({ root }));
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** Documents merged in order, a later field over an earlier one; null and missing ones skipped ("$mergeObjects ignores null operands"). */
function mergeDocuments(documents: readonly unknown[]): Doc {
  const merged: Doc = {};
  for (const value of documents) {
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) throw new Error(`$mergeObjects requires object inputs, but input ${JSON.stringify(value)} is of type ${typeName(value)}`);
    for (const [name, field] of Object.entries(value)) if (field !== undefined) merged[name] = field;
  }
  return merged;
}

/** The distinct values in order of first appearance, by MongoDB's equality (field order counts, 1 is 1.0). */
function distinct(items: readonly unknown[]): unknown[] {
  const seen = new KeyedMap<true>();
  const out: unknown[] = [];
  for (const item of items) {
    const key = groupKey(item);
    if (seen.get(key)) continue;
    seen.set(key, true);
    out.push(key);
  }
  return out;
}

const ACCUMULATORS: Record<string, AccumulatorOperator> = {
  $push: (docs, operand, options) => values(docs, operand, options),
  $addToSet: (docs, operand, options) => distinct(values(docs, operand, options)),
  // {$sum: 1} counts: a constant is added once per document
  $sum: (docs, operand, options) => (typeof operand === 'number' ? docs.length * operand : FOLDS.$sum(values(docs, operand, options))),
  $avg: (docs, operand, options) => FOLDS.$avg(values(docs, operand, options)),
  /** The documents the expression gives, merged in order (mingo's merged the grouped documents themselves). */
  $mergeObjects: (docs, operand, options) => mergeDocuments(values(docs, operand, options)),
  $max: (docs, operand, options) => FOLDS.$max(values(docs, operand, options)),
  $min: (docs, operand, options) => FOLDS.$min(values(docs, operand, options)),
};

/** A valid $count field name, or MongoDB's refusal. */
function countField(spec: unknown): string {
  if (typeof spec !== 'string' || spec === '') throw new Error('the count field must be a non-empty string');
  if (spec.startsWith('$')) throw new Error('the count field cannot be a $-prefixed path');
  if (spec.includes('.')) throw new Error("the count field cannot contain '.'");
  return spec;
}

/**
 * $count: one document with the number of documents, and no document for none ("If the input
 * dataset is empty, $count doesn't return a result",
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/count/).
 */
export function count(docs: readonly Doc[], spec: unknown): Doc[] {
  const field = countField(spec);
  return docs.length === 0 ? [] : [{ [field]: docs.length }];
}

/** A field path of a stage's options, checked as the server's FieldPath checks it. */
function fieldPathOf(text: string): string[] {
  if (text === '') throw new Error('FieldPath cannot be constructed with empty string');
  const segments = text.split('.');
  if (segments.some((segment) => segment === '')) throw new Error(`FieldPath field names may not be empty strings: ${text}`);
  if (segments.some((segment) => segment.startsWith('$'))) throw new Error(`FieldPath field names may not start with '$': ${text}`);
  // as mingo refuses it in every path it reads: the name would reach an object's prototype
  if (segments.includes('__proto__')) throw new Error(`Accessing __proto__ is not allowed in selector: '${text}'.`);
  return segments;
}

interface UnwindOptions {
  path: string[];
  index: string[] | null;
  preserve: boolean;
}

const UNWIND_OPTIONS = ['path', 'includeArrayIndex', 'preserveNullAndEmptyArrays'];

/** $unwind's specification, `'$path'` or `{path, includeArrayIndex?, preserveNullAndEmptyArrays?}`, with the server's refusals (DocumentSourceUnwind::createFromBson). */
function unwindOptions(spec: unknown): UnwindOptions {
  const options = typeof spec === 'string' ? { path: spec } : spec;
  if (!isPlainObject(options)) throw new Error(`expected either a string or an object as specification for $unwind stage, got ${typeName(spec)}`);
  const unknown = Object.keys(options).find((key) => !UNWIND_OPTIONS.includes(key));
  if (unknown !== undefined) throw new Error(`unrecognized option to $unwind stage: ${unknown}`);
  const { path, includeArrayIndex, preserveNullAndEmptyArrays = false } = options;
  if (typeof preserveNullAndEmptyArrays !== 'boolean') throw new Error(`expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got ${typeName(preserveNullAndEmptyArrays)}`);
  if (includeArrayIndex !== undefined && (typeof includeArrayIndex !== 'string' || includeArrayIndex === '')) {
    throw new Error(`expected a non-empty string for the includeArrayIndex option to $unwind stage, got ${typeName(includeArrayIndex)}`);
  }
  if (typeof includeArrayIndex === 'string' && includeArrayIndex.startsWith('$')) throw new Error(`includeArrayIndex option to $unwind stage should not be prefixed with a '$': ${includeArrayIndex}`);
  if (path === undefined || path === '') throw new Error('no path specified to $unwind stage');
  if (typeof path !== 'string') throw new Error(`expected a string as the path for $unwind stage, got ${typeName(path)}`);
  if (!path.startsWith('$')) throw new Error(`path option to $unwind stage should be prefixed with a '$': ${path}`);
  return { path: fieldPathOf(path.slice(1)), index: typeof includeArrayIndex === 'string' ? fieldPathOf(includeArrayIndex) : null, preserve: preserveNullAndEmptyArrays };
}

/** The value at a path as the server's Document::getNestedField reads it: through embedded documents only, anything else on the way (an array too) making it missing. */
function nestedField(doc: Doc, path: readonly string[]): unknown {
  let value: unknown = doc;
  for (const segment of path) {
    if (!isPlainObject(value) || !Object.hasOwn(value, segment)) return undefined;
    value = value[segment];
  }
  return value;
}

/**
 * $unwind as the server's UnwindProcessor: a document per element of a non-empty array, the
 * element in place of the array (null for a missing element); for a missing value, null or an
 * empty array, the document as it is (the empty array's field removed) only with
 * preserveNullAndEmptyArrays; any other value as one element. includeArrayIndex holds the index,
 * null where the value did not come from an array; when it names the path or a parent of it, the
 * index takes the place of the element. mingo dropped "" and {} like an empty array, read a path
 * through an array, and wrote into the documents it was given (stored ones, first in a pipeline).
 */
function unwind(doc: Doc, { path, index, preserve }: UnwindOptions): Doc[] {
  const value = nestedField(doc, path);
  const indexed = (out: Doc, i: number | null): Doc => (index ? withField(out, index, i) : out);
  if (Array.isArray(value) && value.length > 0) return Array.from(value, (item, i) => indexed(withField(doc, path, item === undefined ? null : item), i));
  if (!preserve && (value === undefined || value === null || Array.isArray(value))) return [];
  return [indexed(Array.isArray(value) ? withField(doc, path, undefined) : doc, null)];
}

const mingoProject = pipelines.$project as unknown as PipelineOperator;

/** $sort in MongoDB's order and within its memory, holding the first `keep` documents (semantics.sortKeep). */
function sorted(collection: Iterator, spec: unknown, keep: number): Iterator {
  const keys = sortKeys(spec);
  return collection.transform((docs: Doc[]) => {
    const held = sortDocuments(docs, keys, keep);
    checkSortMemory(held);
    return Lazy(held);
  });
}

/**
 * A pipeline's own $sort, told what the stages after it read: a mingo stage sees no further than
 * itself, and a sort that a $limit follows holds only what it keeps (mingoPipeline).
 */
const SORT_KEEPING = '$_rukouSort';

/**
 * A count of $limit or $skip as MongoDB 4.0 reads it: a number, its fraction dropped
 * (BSONElement::numberLong), or the server's refusal: mingo took fractions and a $limit of 0.
 */
function stageCount(name: '$limit' | '$skip', spec: unknown): number {
  if (typeof spec !== 'number') throw new Error(name === '$limit' ? 'the limit must be specified as a number' : `Argument to $skip must be a number not a ${typeName(spec)}`);
  const count = Number.isNaN(spec) ? 0 : Math.trunc(spec);
  if (name === '$limit' && count <= 0) throw new Error('the limit must be positive');
  if (count < 0) throw new Error('Argument to $skip cannot be negative');
  return count;
}

const PIPELINES: Record<string, PipelineOperator> = {
  $limit: (collection, spec, options) => (pipelines.$limit as unknown as PipelineOperator)(collection, stageCount('$limit', spec), options),
  $skip: (collection, spec, options) => (pipelines.$skip as unknown as PipelineOperator)(collection, stageCount('$skip', spec), options),
  $count: (collection, spec) => collection.transform((docs: Doc[]) => Lazy(count(docs, spec))),
  // the operands of its query checked as a find's are (checkQuery)
  $match(collection, spec, options) {
    if (isPlainObject(spec)) checkQuery(spec);
    return (pipelines.$match as PipelineOperator)(collection, spec, options);
  },
  // MongoDB's checks of the sub-pipelines, which mingo ran unchecked: one that was no array failed with a TypeError's text
  $facet(collection, spec, options) {
    if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new Error('the $facet specification must be a non-empty object');
    for (const [field, stages] of Object.entries(spec)) {
      if (!Array.isArray(stages)) throw new Error(`arguments to $facet must be arrays, ${field} is type ${typeName(stages)}`);
      checkStages(stages);
    }
    return (pipelines.$facet as PipelineOperator)(collection, spec, options);
  },
  // mingo drew `size` documents with replacement until it had drawn `size`: forever when size was
  // no number, which took the process down when its memory ran out; MongoDB takes {size: n ≥ 0}
  // (its errors below) and gives at most every document, once
  $sample(collection, spec) {
    if (!isPlainObject(spec)) throw new Error('the $sample stage specification must be an object');
    const unknown = Object.keys(spec).find((key) => key !== 'size');
    if (unknown !== undefined) throw new Error(`unrecognized option to $sample: ${unknown}`);
    const { size } = spec;
    if (size === undefined) throw new Error('$sample stage must specify a size');
    if (typeof size !== 'number' || Number.isNaN(size)) throw new Error('size argument to $sample must be a number');
    if (size < 0) throw new Error('size argument to $sample must not be negative');
    return collection.transform((docs: Doc[]) => {
      const pool = [...docs];
      const taken = Math.min(Math.floor(size), pool.length);
      for (let i = 0; i < taken; i++) {
        const j = i + Math.floor(Math.random() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      return Lazy(pool.slice(0, taken));
    });
  },
  /** The equality form joined as MongoDB joins it (lookup.ts), where mingo's answered otherwise; `let` and `pipeline` are mingo's. */
  $lookup(collection, spec, options) {
    const lookup = equalityLookup(spec);
    const foreign = lookup && foreignOf((options as ComputeOptions).options);
    if (!lookup || !foreign) return (pipelines.$lookup as PipelineOperator)(collection, spec, options);
    return collection.map(joiner(lookup, foreign(lookup.from)));
  },
  $sort: (collection, spec) => sorted(collection, spec, Infinity),
  [SORT_KEEPING]: (collection, spec) => sorted(collection, (spec as { sort: unknown }).sort, (spec as { keep: number }).keep),
  $group(collection, spec, options) {
    if (!isPlainObject(spec) || !Object.hasOwn(spec, '_id')) throw new Error('a group specification must include an _id');
    const fields = Object.keys(spec).filter((field) => field !== '_id');
    return collection.transform((docs: Doc[]) => {
      const groups = new KeyedMap<Doc[]>();
      const order: [unknown, Doc[]][] = [];
      for (const doc of docs) {
        // a missing key is the null group, as in MongoDB
        const key = groupKey(evalExpr(doc, spec._id, options) ?? null);
        let members = groups.get(key);
        if (!members) {
          groups.set(key, (members = []));
          order.push([key, members]);
        }
        members.push(doc);
      }
      const inner = scoped(options);
      return Lazy(
        order.map(([key, members]) => {
          const out: Doc = { _id: key };
          for (const field of fields) setField(out, field, evalExpr(members, spec[field], inner.update({ root: null, groupId: key })));
          return out;
        }),
      );
    });
  },
  /**
   * $bucket: a document goes to the bucket whose lower boundary is at or below its value and whose
   * upper one is above it (MongoDB's order), else to the default; buckets without documents are
   * not output, the others come by their _id, _id first
   * (https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucket/). mingo put a value
   * equal to a boundary in the bucket below it and gave every bucket, empty ones too.
   */
  $bucket(collection, spec, options) {
    if (!isPlainObject(spec) || !Array.isArray(spec.boundaries) || spec.boundaries.length < 2 || !Object.hasOwn(spec, 'groupBy')) {
      throw new Error("$bucket requires 'groupBy' and 'boundaries', at least two of them");
    }
    const bounds = spec.boundaries as unknown[];
    if (bounds.some((bound, i) => i > 0 && compareValues(bounds[i - 1], bound) >= 0)) throw new Error("The 'boundaries' option to $bucket must be sorted in ascending order");
    const output = isPlainObject(spec.output) ? spec.output : { count: { $sum: 1 } };
    return collection.transform((docs: Doc[]) => {
      const buckets = new KeyedMap<Doc[]>();
      const keys: unknown[] = [];
      for (const doc of docs) {
        const value = evalExpr(doc, spec.groupBy, options);
        const upper = bounds.findIndex((bound) => compareValues(value, bound) < 0);
        let key: unknown;
        if (upper > 0) key = bounds[upper - 1];
        else if (Object.hasOwn(spec, 'default')) key = spec.default;
        else throw new Error('$bucket could not find a matching branch for an input, and no default was specified.');
        let members = buckets.get(key);
        if (!members) {
          buckets.set(key, (members = []));
          keys.push(key);
        }
        members.push(doc);
      }
      const inner = scoped(options);
      return Lazy(
        keys.sort(compareValues).map((key) => {
          const out: Doc = { _id: key };
          for (const [field, accumulator] of Object.entries(output)) setField(out, field, evalExpr(buckets.get(key), accumulator, inner.update({ root: null, groupId: key })));
          return out;
        }),
      );
    });
  },
  $unwind(collection, spec) {
    const options = unwindOptions(spec);
    return collection.transform((docs: Doc[]) => Lazy(docs.flatMap((doc) => unwind(doc, options))));
  },
  $project(collection, spec, options) {
    if (!isPlainObject(spec) || Object.keys(spec).length === 0) return mingoProject(collection, spec, options);
    // mingo's projection reads one document at a time: the one it projects is the last one read
    let input: Doc = {};
    const read = collection.map((doc: Doc) => {
      input = doc;
      return doc;
    });
    return mingoProject(read, spec, options).map((projected: Doc) => inProjectionOrder(input, projected, spec));
  },
};

/** A query operator testing each value a path reaches as MongoDB reaches them (paths.queryValues): one matching is enough, and a negated operator matches when none does. */
const queryOperator =
  (matches: (value: unknown, operand: unknown) => boolean, negated = false): QueryOperator =>
  (selector, operand) => {
    const path = selector.split('.');
    return (doc: Doc) => {
      const found = queryValues(doc, path).some((value) => matches(value, operand));
      return negated ? !found : found;
    };
  };

/** $mod's [divisor, remainder], checked as MongoDB checks them (mingo read null's length and took any value), both truncated to integers as MongoDB takes them. */
function modOperands(operand: unknown): [number, number] {
  if (!Array.isArray(operand)) throw new Error('malformed mod, needs to be an array');
  if (operand.length < 2) throw new Error('malformed mod, not enough elements');
  if (operand.length > 2) throw new Error('malformed mod, too many elements');
  const [divisor, remainder] = operand as unknown[];
  if (typeof divisor !== 'number' || !Number.isFinite(divisor)) throw new Error('malformed mod, divisor not a number');
  if (typeof remainder !== 'number' || !Number.isFinite(remainder)) throw new Error('malformed mod, remainder not a number');
  if (Math.trunc(divisor) === 0) throw new Error('divisor cannot be 0');
  return [Math.trunc(divisor), Math.trunc(remainder)];
}

function inList(value: unknown, list: unknown): boolean {
  if (!Array.isArray(list)) throw new Error('$in needs an array');
  return list.some((item) => (item instanceof RegExp ? typeof value === 'string' && item.test(value) : queryEquals(value, item)));
}

/** $and, $or and $nor refused as MongoDB refuses them (mingo took `[]` as all or nothing), then mingo's. */
const logical = (name: string): QueryOperator => {
  const operator = (queries as unknown as Record<string, QueryOperator>)[name];
  return (selector, operand, options) => {
    if (!Array.isArray(operand)) throw new Error(`${name} must be an array`);
    if (operand.length === 0) throw new Error('$and/$or/$nor must be a nonempty array');
    if (!operand.every(isPlainObject)) throw new Error('$or/$and/$nor entries need to be full objects');
    return operator(selector, operand, options);
  };
};

const QUERIES: Record<string, QueryOperator> = {
  $and: logical('$and'),
  $or: logical('$or'),
  $nor: logical('$nor'),
  $eq: queryOperator(queryEquals),
  $ne: queryOperator(queryEquals, true),
  $gt: queryOperator((value, operand) => queryRange(value, operand, (order) => order > 0, false)),
  $gte: queryOperator((value, operand) => queryRange(value, operand, (order) => order >= 0, true)),
  $lt: queryOperator((value, operand) => queryRange(value, operand, (order) => order < 0, false)),
  $lte: queryOperator((value, operand) => queryRange(value, operand, (order) => order <= 0, true)),
  $in: queryOperator(inList),
  $nin: queryOperator(inList, true),
  // a path reaching nothing but "missing" does not exist; {$exists: false} is the negation
  $exists: (selector, operand, options) => queryOperator((value) => value !== undefined, !operand)(selector, operand, options),
  // a number's integer part only: mingo also matched the string "10" (as 10 % 3)
  $mod: (selector, operand, options) => {
    const [divisor, remainder] = modOperands(operand);
    return queryOperator((value) => typeof value === 'number' && Number.isFinite(value) && Math.trunc(value) % divisor === remainder)(selector, operand, options);
  },
  // MongoDB refuses any operand but a document; mingo threw a TypeError's text on null and matched 5 as a condition
  $elemMatch: (selector, operand, options) => {
    if (!isPlainObject(operand)) throw new Error('$elemMatch needs an Object');
    return (queries.$elemMatch as QueryOperator)(selector, operand, options);
  },
};

const CONTEXT = Context.init({
  accumulator: { ...accumulators, ...ACCUMULATORS },
  expression: { ...expressions, ...EXPRESSIONS },
  pipeline: { ...pipelines, ...PIPELINES },
  projection: { ...projections },
  query: { ...queries, ...QUERIES },
  window: { ...windows },
} as unknown as Parameters<typeof Context.init>[0]);

/**
 * Runs `work` with Date.now() answering `now`, the time of a database request. mingo reads the time
 * for $$NOW and $currentDate with Date.now() and takes no clock of its own, so they showed the
 * machine's time, not the emulator's. A request runs synchronously, so nothing else sees the stand-in,
 * and MongoDB's one time for a whole statement comes with it.
 */
export function atTime<T>(now: number, work: () => T): T {
  const machineNow = Date.now;
  Date.now = () => now;
  try {
    return work();
  } finally {
    Date.now = machineNow;
  }
}

/**
 * mingo's options for the emulator (a resolver of other collections, read whole, for $lookup's
 * `pipeline` and $graphLookup), without its operators, and the foreign collections an equality
 * $lookup reads through their indexes (lookup.ts).
 */
export type FallbackOptions = Omit<Partial<Options>, 'context'> & { foreign?: ForeignResolver };

/** Where an equality $lookup finds its collection: `foreign`, or else the resolver's arrays; null with neither (mingo then refuses the stage). */
export function foreignOf(options: FallbackOptions): ForeignResolver | null {
  const { foreign, collectionResolver: resolve } = options;
  return foreign ?? (resolve ? (name) => arrayForeign(() => resolve(name) as Doc[]) : null);
}

/** The stages mingo runs, as it is corrected here. */
const STAGE_NAMES = new Set(Object.keys({ ...pipelines, ...PIPELINES }));

/**
 * Refuses a stage that is not one of them as mingo refuses an unknown `$…`: mingo looked the name
 * up in its table with the prototype chain, so a stage named toString or hasOwnProperty ran
 * Object's method and failed with a TypeError's text.
 */
function checkStages(stages: unknown[]): void {
  for (const stage of stages) {
    if (!isPlainObject(stage)) throw new Error(`Each element of the 'pipeline' array must be an object, not ${typeName(stage)}`);
    const unknown = Object.keys(stage).find((name) => !STAGE_NAMES.has(name));
    if (unknown !== undefined) throw new Error(`unregistered pipeline operator ${unknown}.`);
  }
  checkStageSpecs(stages.filter(isPlainObject));
}

/** Refuses a stage whose specification MongoDB refuses (SPEC_CHECKS), in its words, whichever runs it: compiled or mingo. */
export function checkStageSpecs(stages: readonly Doc[]): void {
  for (const stage of stages) {
    for (const [name, spec] of Object.entries(stage)) {
      const check = Object.hasOwn(SPEC_CHECKS, name) ? SPEC_CHECKS[name] : undefined;
      const problem = check?.(spec);
      if (problem) throw new Error(problem);
    }
  }
}

/**
 * $group (DocumentSourceGroup::createFromBson, parseAccumulator in 4.0): each field but `_id` one
 * accumulator object (`{$sum: 1}`), its name neither dotted nor an operator's; an `_id` there.
 */
function groupRefusal(spec: unknown): string | undefined {
  if (!isPlainObject(spec)) return "a group's fields must be specified in an object";
  for (const [name, accumulator] of Object.entries(spec)) {
    if (name === '_id') continue;
    if (name.includes('.')) return `the group aggregate field name '${name}' cannot be used because $group's field names cannot contain '.'`;
    if (name.startsWith('$')) return `the group aggregate field name '${name}' cannot be an operator name`;
    const operators = isPlainObject(accumulator) ? Object.keys(accumulator) : [];
    if (operators.length === 0 || !operators[0].startsWith('$')) return `The field '${name}' must be an accumulator object`;
    if (operators.length > 1) return `The field '${name}' must specify one accumulator`;
  }
  return Object.hasOwn(spec, '_id') ? undefined : 'a group specification must include an _id';
}

/** $project and $addFields (ProjectionSpecValidator, 4.0): at least one field, each a field path the server's FieldPath takes. */
function fieldsRefusal(stage: string, spec: unknown): string | undefined {
  if (!isPlainObject(spec)) return undefined;
  if (Object.keys(spec).length === 0) return `Invalid ${stage} :: caused by :: specification must have at least one field`;
  for (const name of Object.keys(spec)) {
    try {
      fieldPathOf(name);
    } catch (error) {
      return `Invalid ${stage} :: caused by :: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/**
 * What MongoDB checks of a stage's specification before it runs, in its words, where mingo read
 * fields of whatever came (a `$replaceRoot` of null failed reading `newRoot` of null) and the
 * compiled stages took what MongoDB refuses (a `$group` field of `1`, not an accumulator); `$redact`
 * takes any expression, but one that gives nothing to keep or prune is refused as MongoDB refuses it.
 */
const SPEC_CHECKS: Record<string, (spec: unknown) => string | undefined> = {
  $replaceRoot: (spec) =>
    !isPlainObject(spec) ? `expected an object as specification for $replaceRoot stage, got ${typeName(spec)}` : !Object.hasOwn(spec, 'newRoot') ? 'no newRoot specified for the $replaceRoot stage' : undefined,
  $addFields: (spec) => (isPlainObject(spec) ? fieldsRefusal('$addFields', spec) : `$addFields specification stage must be an object, got ${typeName(spec)}`),
  $project: (spec) => fieldsRefusal('$project', spec),
  $group: groupRefusal,
  $lookup: (spec) => (isPlainObject(spec) ? undefined : `the $lookup specification must be an Object, but found ${typeName(spec)}`),
  $graphLookup: (spec) => (isPlainObject(spec) ? undefined : `Argument to $graphLookup stage must be an object, but found type: ${typeName(spec)}`),
  $bucketAuto: (spec) =>
    !isPlainObject(spec)
      ? `The $bucketAuto stage specification must be an object, found type: ${typeName(spec)}`
      : !Object.hasOwn(spec, 'groupBy') || !Object.hasOwn(spec, 'buckets')
        ? "$bucketAuto requires 'groupBy' and 'buckets' to be specified"
        : undefined,
  $redact: (spec) =>
    spec === null || spec === undefined ? "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned null" : undefined,
};

/** Runs stages with corrected mingo, counting them. */
export function mingoPipeline(stages: Doc[], docs: Doc[], options: FallbackOptions): Doc[] {
  checkStages(stages);
  answeredBy.mingoStages += stages.length;
  const prepared = withFieldPaths(stages).map((stage, i) =>
    Object.keys(stage).length === 1 && Object.hasOwn(stage, '$sort') ? { [SORT_KEEPING]: { sort: stage.$sort, keep: sortKeep(stages.slice(i + 1)) } } : stage,
  );
  return new Aggregator(prepared, { ...options, context: CONTEXT }).run(docs) as Doc[];
}

const isTypeAlias = (value: unknown): boolean => typeof value === 'number' || typeof value === 'string';
const isBitmask = (value: unknown): boolean => (typeof value === 'number' && Number.isInteger(value) && value >= 0) || (Array.isArray(value) && value.every((bit) => Number.isInteger(bit) && bit >= 0));

/**
 * What MongoDB checks of a field's operand before it runs a query, in its words, where mingo took
 * any value: it made a RegExp of a $regex or $options that was an object ("Cannot convert object to
 * primitive value" when its toString was a field), and read $type, $size, $all and the bit tests of
 * whatever came. The operators not named here check their own operands, or take any.
 */
const needs =
  (takes: (operand: unknown) => boolean, refusal: string) =>
  (operand: unknown): string | undefined =>
    takes(operand) ? undefined : refusal;

/** $size (expression_parser.cpp parseSize): a number, whole and in a 32-bit int, not negative. */
function sizeRefusal(operand: unknown): string | undefined {
  if (typeof operand !== 'number') return '$size needs a number';
  if (!Number.isInteger(operand) || operand > 2 ** 31 - 1 || operand < -(2 ** 31)) return '$size must be a whole number';
  return operand < 0 ? '$size may not be negative' : undefined;
}

const OPERAND_CHECKS: Record<string, (operand: unknown) => string | undefined> = {
  $regex: needs((operand) => typeof operand === 'string' || operand instanceof RegExp, '$regex has to be a string'),
  $options: needs((operand) => typeof operand === 'string', '$options has to be a string'),
  $not: needs((operand) => operand instanceof RegExp || isPlainObject(operand), '$not needs a regex or a document'),
  $type: needs((operand) => isTypeAlias(operand) || (Array.isArray(operand) && operand.every(isTypeAlias)), 'type must be represented as a number or a string'),
  $size: sizeRefusal,
  $all: needs(Array.isArray, '$all needs an array'),
  $bitsAllClear: needs(isBitmask, '$bitsAllClear takes an Array, a number, or a BinData'),
  $bitsAllSet: needs(isBitmask, '$bitsAllSet takes an Array, a number, or a BinData'),
  $bitsAnyClear: needs(isBitmask, '$bitsAnyClear takes an Array, a number, or a BinData'),
  $bitsAnySet: needs(isBitmask, '$bitsAnySet takes an Array, a number, or a BinData'),
};

/** Checks the operands of a query (OPERAND_CHECKS), through $and, $or, $nor and $not. */
export function checkQuery(query: Doc): void {
  for (const [key, condition] of Object.entries(query)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (Array.isArray(condition)) for (const part of condition) if (isPlainObject(part)) checkQuery(part);
    } else if (!key.startsWith('$') && isPlainObject(condition)) checkCondition(condition);
  }
}

function checkCondition(condition: Doc): void {
  if ('$options' in condition && !('$regex' in condition)) throw new Error('$options needs a $regex');
  for (const [operator, operand] of Object.entries(condition)) {
    const refusal = Object.hasOwn(OPERAND_CHECKS, operator) ? OPERAND_CHECKS[operator](operand) : undefined;
    if (refusal) throw new Error(refusal);
    if (operator === '$not' && isPlainObject(operand)) checkCondition(operand);
  }
}

/**
 * A query as MongoDB 4.0 reads it, for mingo: a field's object whose FIRST key starts with `$` is
 * operators, and then every key must be one ("unknown operator: a"); any other object is a
 * document to equal, even with `$` keys after its first (MatchExpressionParser's
 * isExpressionDocument). mingo reads an object with any `$` key as operators, and looked up a
 * plain key such as `valueOf` among its operators, finding Object's method ("Cannot convert
 * undefined or null to object"); such documents go to it as `{$eq: …}`. Through $and, $or,
 * $nor, $not and $elemMatch; built with fromEntries, so a `__proto__` key stays a key.
 */
function mongoShape(query: Doc): Doc {
  return Object.fromEntries(
    Object.entries(query).map(([key, condition]) => {
      if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(condition)) return [key, condition.map((part) => (isPlainObject(part) ? mongoShape(part) : part))];
      if (key.startsWith('$') || !isPlainObject(condition)) return [key, condition];
      return [key, fieldShape(condition)];
    }),
  );
}

function fieldShape(condition: Doc): Doc {
  const keys = Object.keys(condition);
  if (keys.length === 0 || !keys[0].startsWith('$')) return keys.some((key) => key.startsWith('$')) ? { $eq: condition } : condition;
  const stranger = keys.find((key) => !key.startsWith('$'));
  if (stranger !== undefined) throw new Error(`unknown operator: ${stranger}`);
  return Object.fromEntries(
    Object.entries(condition).map(([operator, operand]) => {
      if (operator === '$not' && isPlainObject(operand)) return [operator, fieldShape(operand)];
      if (operator === '$elemMatch' && isPlainObject(operand)) {
        const first = Object.keys(operand)[0];
        return [operator, first !== undefined && first.startsWith('$') && first !== '$and' && first !== '$or' && first !== '$nor' ? fieldShape(operand) : mongoShape(operand)];
      }
      return [operator, operand];
    }),
  );
}

/** A corrected mingo query; its tests are counted. */
export function mingoQuery(query: Doc): (doc: Doc) => boolean {
  checkQuery(query);
  const compiled = new Query(inQuery(mongoShape(query)) as Doc, { context: CONTEXT });
  return (doc) => {
    answeredBy.mingoTests++;
    return compiled.test(doc);
  };
}

