import type { Doc } from './ejson';
import { compareValues, equalValues, inArray, sizeOf, theArgument, truthy } from './semantics';
import { expressionValue } from './paths';
import { fieldPath, isNil, isNumber, isObject, isOperator, isPlainObject, UNDECIDED } from './values';

/**
 * Aggregation expressions compiled into closures, with MongoDB's semantics (semantics.ts): mingo
 * interprets an expression tree for every document, which is what made a million-event rollup
 * slow. Only the operators below compile; a value outside what they handle simply (arguments
 * MongoDB refuses with an error of its own) throws UNDECIDED, and the stage is then left to the
 * corrected mingo of fallback.ts, which gives the same answers. Field paths are read as MongoDB
 * reads them, through arrays too (paths.expressionValue).
 */
export type Expression = (root: Doc, scope: Scope) => unknown;

/**
 * What `$$this` and `$$value` are (the document outside $reduce, the element and accumulator
 * inside), and the variables $filter binds with `as`.
 */
export interface Scope {
  current: unknown;
  value?: unknown;
  variables?: Record<string, unknown>;
}

/** What a compiled expression may refer to where it sits. */
interface Context {
  inReduce: boolean;
  variables: readonly string[];
}

const TOP: Context = { inReduce: false, variables: [] };

/** $add over evaluated arguments: numbers, and at most one Date to add them to; anything else is MongoDB's error, left to the fallback. */
function add(values: unknown[]): unknown {
  let sum = 0;
  let date = false;
  for (const n of values) {
    if (isNil(n)) return null;
    if (typeof n === 'number') sum += n;
    else if (n instanceof Date && !date) {
      date = true;
      sum += +n;
    } else throw UNDECIDED;
  }
  return date ? new Date(sum) : sum;
}

type OperatorCompiler = (args: unknown, context: Context) => Expression | null;

function compileArgs(args: unknown, length: number | null, context: Context): Expression[] | null {
  if (!Array.isArray(args) || (length !== null && args.length !== length)) return null;
  const compiled = args.map((arg) => compileExpression(arg, context));
  return compiled.every((c) => c !== null) ? (compiled as Expression[]) : null;
}

const comparison =
  (test: (a: unknown, b: unknown) => boolean): OperatorCompiler =>
  (args, context) => {
    const compiled = compileArgs(args, 2, context);
    if (!compiled) return null;
    const [left, right] = compiled;
    return (root, scope) => test(left(root, scope), right(root, scope));
  };

const OPERATORS: Record<string, OperatorCompiler> = {
  $eq: comparison(equalValues),
  $ne: comparison((a, b) => !equalValues(a, b)),
  $gt: comparison((a, b) => compareValues(a, b) > 0),
  $gte: comparison((a, b) => compareValues(a, b) >= 0),
  $lt: comparison((a, b) => compareValues(a, b) < 0),
  $lte: comparison((a, b) => compareValues(a, b) <= 0),

  $and(args, context) {
    const compiled = compileArgs(args, null, context);
    return (
      compiled &&
      ((root, scope) => {
        for (const e of compiled) if (!truthy(e(root, scope))) return false;
        return true;
      })
    );
  },

  $or(args, context) {
    const compiled = compileArgs(args, null, context);
    return (
      compiled &&
      ((root, scope) => {
        for (const e of compiled) if (truthy(e(root, scope))) return true;
        return false;
      })
    );
  },

  $cond(args, context) {
    const parts = Array.isArray(args) ? args : isObject(args) ? [(args as Doc).if, (args as Doc).then, (args as Doc).else] : null;
    const compiled = parts && compileArgs(parts, 3, context);
    if (!compiled) return null;
    const [test, then, otherwise] = compiled;
    return (root, scope) => (truthy(test(root, scope)) ? then(root, scope) : otherwise(root, scope));
  },

  /** The value unless it is null or missing, else the replacement, evaluated only then; 4.0 takes these two arguments only. */
  $ifNull(args, context) {
    const compiled = compileArgs(args, 2, context);
    if (!compiled) return null;
    const [value, replacement] = compiled;
    return (root, scope) => {
      const found = value(root, scope);
      return isNil(found) ? replacement(root, scope) : found;
    };
  },

  $add(args, context) {
    const compiled = compileArgs(args, null, context);
    if (compiled?.length === 2) {
      // the usual form, without an array per call
      const [left, right] = compiled;
      return (root, scope) => {
        const a = left(root, scope);
        const b = right(root, scope);
        // from 0 like mingo's sum, so that -0 + -0 is 0 as there
        return typeof a === 'number' && typeof b === 'number' ? 0 + a + b : add([a, b]);
      };
    }
    return compiled && ((root, scope) => add(compiled.map((e) => e(root, scope))));
  },

  $subtract(args, context) {
    const compiled = compileArgs(args, null, context);
    if (!compiled) return null;
    // getTime, not mingo's unary +: the same number, without a conversion through valueOf per call
    const subtract = (a: unknown, b: unknown, values: readonly unknown[]): unknown => {
      if (a instanceof Date && isNumber(b)) return new Date(a.getTime() - Math.round(b));
      if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
      if (values.every((v) => typeof v === 'number')) return (a as number) - (b as number);
      throw UNDECIDED;
    };
    const pair: unknown[] = [];
    if (compiled.length === 2) {
      // the usual form, without an array per call
      const [left, right] = compiled;
      return (root, scope) => {
        const a = left(root, scope);
        const b = right(root, scope);
        if (isNil(a) || isNil(b)) return null;
        if (typeof a === 'number' && typeof b === 'number') return a - b;
        pair[0] = a;
        pair[1] = b;
        return subtract(a, b, pair);
      };
    }
    return (root, scope) => {
      const values = compiled.map((e) => e(root, scope));
      return values.some(isNil) ? null : subtract(values[0], values[1], values);
    };
  },

  $divide(args, context) {
    const compiled = compileArgs(args, null, context);
    return (
      compiled &&
      ((root, scope) => {
        const values = compiled.map((e) => e(root, scope));
        if (values.some(isNil)) return null;
        if (!values.every(isNumber) || values[1] === 0) throw UNDECIDED;
        return (values[0] as number) / (values[1] as number);
      })
    );
  },

  $floor(args, context) {
    const compiled = compileExpression(args, context);
    return (
      compiled &&
      ((root, scope) => {
        const n = compiled(root, scope);
        if (isNil(n)) return null;
        if (typeof n !== 'number') throw UNDECIDED;
        return Math.floor(n);
      })
    );
  },

  $size(args, context) {
    // a list of other than one argument is the server's error, the fallback's to give
    if (Array.isArray(args) && args.length !== 1) return null;
    const compiled = compileExpression(theArgument(args), context);
    return compiled && ((root, scope) => sizeOf(compiled(root, scope)));
  },

  /**
   * An embedded document's fields as `{k, v}` pairs in its order, null for null and missing (the
   * server's ExpressionObjectToArray). Its iterator skips a field whose value is missing, so an
   * undefined value (`{$objectToArray: {a: '$missing'}}`) gives no pair. Anything but an embedded
   * document (an array, a Date, a string …) is MongoDB's error 40390, left to the fallback.
   */
  $objectToArray(args, context) {
    if (Array.isArray(args) && args.length !== 1) return null;
    const compiled = compileExpression(theArgument(args), context);
    return (
      compiled &&
      ((root, scope) => {
        const object = compiled(root, scope);
        if (isNil(object)) return null;
        if (!isPlainObject(object)) throw UNDECIDED;
        const pairs: Doc[] = [];
        for (const k of Object.keys(object)) {
          const v = object[k];
          if (v !== undefined) pairs.push({ k, v });
        }
        return pairs;
      })
    );
  },

  $filter(args, context) {
    if (!isObject(args)) return null;
    const spec = args as Doc;
    const name = spec.as;
    // `this` and `value` would shadow what $reduce binds, which mingo resolves its own way
    if (!Object.hasOwn(spec, 'input') || !Object.hasOwn(spec, 'cond') || spec.limit !== undefined) return null;
    if (typeof name !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(name) || name === 'this' || name === 'value') return null;
    const input = compileExpression(spec.input, context);
    const test = compileExpression(spec.cond, { ...context, variables: [...context.variables, name] });
    if (!input || !test) return null;
    return (root, scope) => {
      const items = input(root, scope);
      if (isNil(items)) return null;
      if (!Array.isArray(items)) throw UNDECIDED;
      const inner: Scope = { ...scope, variables: { ...scope.variables } };
      const kept: unknown[] = [];
      for (const item of items) {
        (inner.variables as Record<string, unknown>)[name] = item;
        if (truthy(test(root, inner))) kept.push(item);
      }
      return kept;
    };
  },

  /** Each element of an array through `in`, bound to `as` (a name of its own, as $filter's); null for null and missing. */
  $map(args, context) {
    if (!isObject(args)) return null;
    const spec = args as Doc;
    const name = spec.as;
    if (!Object.keys(spec).every((key) => key === 'input' || key === 'as' || key === 'in') || !Object.hasOwn(spec, 'input') || !Object.hasOwn(spec, 'in')) return null;
    if (typeof name !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(name) || name === 'this' || name === 'value') return null;
    const input = compileExpression(spec.input, context);
    const each = compileExpression(spec.in, { ...context, variables: [...context.variables, name] });
    if (!input || !each) return null;
    return (root, scope) => {
      const items = input(root, scope);
      if (isNil(items)) return null;
      if (!Array.isArray(items)) throw UNDECIDED;
      const inner: Scope = { ...scope, variables: { ...scope.variables } };
      return items.map((item) => {
        (inner.variables as Record<string, unknown>)[name] = item;
        return each(root, inner);
      });
    };
  },

  /** The value as written, never read as an expression: a list of keys looked up in, say. */
  $literal: (args) => () => args,

  /** The first index of a value in an array (its two-argument form), -1 when it is not there, null for a null or missing array. */
  $indexOfArray(args, context) {
    const compiled = compileArgs(args, 2, context);
    if (!compiled) return null;
    const [array, search] = compiled;
    return (root, scope) => {
      const items = array(root, scope);
      const wanted = search(root, scope);
      if (isNil(items)) return null;
      if (!Array.isArray(items)) throw UNDECIDED;
      for (let i = 0; i < items.length; i++) if (equalValues(items[i] === undefined ? null : items[i], wanted)) return i;
      return -1;
    };
  },

  /** An array's element at an integer index (from the end when negative), missing past either end; null when either is null or missing. */
  $arrayElemAt(args, context) {
    const compiled = compileArgs(args, 2, context);
    if (!compiled) return null;
    const [array, position] = compiled;
    return (root, scope) => {
      const items = array(root, scope);
      const index = position(root, scope);
      if (isNil(items) || isNil(index)) return null;
      if (!Array.isArray(items) || typeof index !== 'number' || !Number.isInteger(index)) throw UNDECIDED;
      return index < 0 ? items[items.length + index] : items[index];
    };
  },

  /** Arrays one after the other; null at the first null or missing one, MongoDB's refusal at a first anything else (left to the fallback). */
  $concatArrays(args, context) {
    const compiled = compileArgs(args, null, context);
    return (
      compiled &&
      ((root, scope) => {
        // every argument is computed before any is looked at, as the server does
        const arrays = compiled.map((e) => e(root, scope));
        const joined: unknown[] = [];
        for (const array of arrays) {
          if (isNil(array)) return null;
          if (!Array.isArray(array)) throw UNDECIDED;
          joined.push(...array);
        }
        return joined;
      })
    );
  },

  /** Whether an array holds a value; anything but an array is MongoDB's refusal (semantics.inArray). */
  $in(args, context) {
    const compiled = compileArgs(args, 2, context);
    if (!compiled) return null;
    const [value, array] = compiled;
    return (root, scope) => inArray(value(root, scope), array(root, scope));
  },

  $reduce(args, context) {
    if (!isObject(args)) return null;
    const spec = args as Doc;
    if (!['input', 'initialValue', 'in'].every((key) => Object.hasOwn(spec, key))) return null;
    const input = compileExpression(spec.input, context);
    const initial = compileExpression(spec.initialValue, context);
    const step = compileExpression(spec.in, { ...context, inReduce: true });
    if (!input || !initial || !step) return null;
    return (root, scope) => {
      const items = input(root, scope);
      let result = initial(root, scope);
      if (isNil(items)) return null;
      if (!Array.isArray(items)) throw UNDECIDED;
      const inner: Scope = { current: undefined, value: null, variables: scope.variables };
      for (const item of items) {
        inner.current = item;
        inner.value = result;
        result = step(root, inner);
      }
      return result;
    };
  },
};

function compilePath(text: string, context: Context): Expression | null {
  if (!text.startsWith('$$')) {
    const path = fieldPath(text.slice(1));
    return path && ((root) => expressionValue(root, path));
  }
  // the request's time: the database runs each request atTime (fallback.ts), as mingo reads it
  if (text === '$$NOW') return () => new Date(Date.now());
  const [name, ...rest] = text.slice(2).split('.');
  const path = rest.length === 0 ? [] : fieldPath(rest.join('.'));
  if (!path) return null;
  if (name === 'this') return (_, scope) => expressionValue(scope.current, path);
  if (name === 'value' && context.inReduce) return (_, scope) => expressionValue(scope.value, path);
  if (context.variables.includes(name)) return (_, scope) => expressionValue(scope.variables?.[name], path);
  return null;
}

/** A compiled expression, or null when some part of it is not one of the operators above. */
export function compileExpression(expression: unknown, context: Context = TOP): Expression | null {
  if (typeof expression === 'string' && expression.startsWith('$')) return compilePath(expression, context);
  if (Array.isArray(expression)) {
    const items = compileArgs(expression, null, context);
    return items && ((root, scope) => items.map((item) => item(root, scope)));
  }
  if (isObject(expression)) {
    const keys = Object.keys(expression as Doc);
    if (keys.length > 0 && isOperator(keys[0])) {
      const compileOperator = OPERATORS[keys[0]];
      return keys.length === 1 && compileOperator ? compileOperator((expression as Doc)[keys[0]], context) : null;
    }
    if (keys.some((key) => key.startsWith('$') || key === '__proto__')) return null;
    const fields = keys.map((key) => [key, compileExpression((expression as Doc)[key], context)] as const);
    if (fields.some(([, e]) => e === null)) return null;
    return (root, scope) => {
      const object: Doc = {};
      for (const [key, e] of fields) object[key] = (e as Expression)(root, scope);
      return object;
    };
  }
  return () => expression;
}
