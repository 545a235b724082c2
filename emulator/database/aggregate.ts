import type { Doc } from './ejson';
import { compileExpression, type Expression, type Scope } from './expressions';
import { answeredBy, count, foreignOf, mingoPipeline, type FallbackOptions } from './fallback';
import { checkSortMemory, GroupMemory } from './limits';
import { equalityLookup, joiner } from './lookup';
import { compileMatcher } from './match';
import { greater, groupKey, isKeyPart, isPlainObject, KeyedMap, lesser, sortDocuments, sortKeep, sortKeys, withField } from './semantics';
import { fieldPath, isNil, isNumber, isObject, isOperator, setField, Undecided, valueAt } from './values';

/**
 * Aggregation pipelines, answered with MongoDB's semantics (semantics.ts). The stages a rollup
 * spends its time in ($match, $project, $unwind, $lookup's equality join, $group, $sort, $limit,
 * $skip, $count) are compiled here into loops over plain arrays, with the per-group state kept in
 * place of mingo's per-group arrays of documents. From the first stage that does not compile (an
 * operator not handled here, a value that needs MongoDB's array semantics) the corrected mingo of
 * fallback.ts runs the rest of the pipeline on what the compiled stages produced; both paths give
 * the same answers.
 */
export type AggregateOptions = FallbackOptions;

/** A stage that reads its whole input before it answers ($group, $sort, $limit …). */
type Stage = (docs: Doc[]) => Doc[];

/**
 * A stage that passes each document on by itself ($match, $project, $unwind): none, one or
 * several for each, and nothing kept between them.
 */
type Step = (doc: Doc, pass: (doc: Doc) => void) => void;

/** Documents handed to `visit` one at a time. */
type Feed = (visit: (doc: Doc) => void) => void;

export function runPipeline(pipeline: Doc[], source: Doc[], options: AggregateOptions, onFallback?: () => void): Doc[] {
  let docs = source;
  // before this stage, stages run one at a time: a run of several met a value it cannot decide,
  // and runs again so that the stage that met it is known and what the ones before it gave goes on to mingo
  let apart = 0;
  for (let i = 0; i < pipeline.length; ) {
    const run = compileRun(pipeline, i, i < apart, options);
    if (run) {
      try {
        docs = run.stage(docs);
        answeredBy.compiledStages += run.length;
        i += run.length;
        continue;
      } catch (error) {
        if (!(error instanceof Undecided)) {
          // MongoDB's own refusal ($size of a string …), given by the compiled code: the first
          // one met document by document, as MongoDB's stages (and mingo's) pass documents on
          answeredBy.compiledStages += run.length;
          throw error;
        }
        if (run.length > 1) {
          apart = i + run.length;
          continue;
        }
      }
    }
    onFallback?.();
    return mingoPipeline(pipeline.slice(i), docs, options);
  }
  return docs;
}

/**
 * The stages compiled from `at` on, as one stage and how many they are: the steps there (only one
 * when `alone`) with the $group after them reading what they pass on as they pass it, or else the
 * one stage there. Each document goes through all the steps before the next is read, so what is
 * made between them (the millions of rows of an $unwind) dies young, where arrays of it filled
 * the heap and made every garbage collection mark it again.
 */
function compileRun(pipeline: Doc[], at: number, alone: boolean, options: AggregateOptions): { stage: Stage; length: number } | null {
  const steps: Step[] = [];
  for (let i = at; i < pipeline.length && !(alone && steps.length > 0); i++) {
    const step = compileStep(pipeline[i], options);
    if (!step) break;
    steps.push(step);
  }
  if (steps.length === 0) {
    const stage = compileStage(pipeline[at], pipeline.slice(at + 1));
    return stage && { stage, length: 1 };
  }
  const end = at + steps.length;
  const group = alone || end === pipeline.length ? null : compileGroup(pipeline[end]);
  if (group) return { stage: (docs) => group(through(docs, steps)), length: steps.length + 1 };
  return {
    stage: (docs) => {
      const out: Doc[] = [];
      through(docs, steps)((doc) => out.push(doc));
      return out;
    },
    length: steps.length,
  };
}

/** What `steps` pass on from `docs`. */
function through(docs: Doc[], steps: readonly Step[]): Feed {
  return (visit) => {
    const first = steps.reduceRight<(doc: Doc) => void>((pass, step) => (doc) => step(doc, pass), visit);
    for (const doc of docs) first(doc);
  };
}

/** The one operator of a stage and its specification, or null for any other shape. */
function operatorOf(stage: Doc): [string, unknown] | null {
  const names = Object.keys(stage);
  return names.length === 1 ? [names[0], stage[names[0]]] : null;
}

function compileStep(stage: Doc, options: AggregateOptions): Step | null {
  const [name, spec] = operatorOf(stage) ?? [];
  return name !== undefined && Object.hasOwn(STEPS, name) ? STEPS[name](spec, options) : null;
}

function compileGroup(stage: Doc): ((feed: Feed) => Doc[]) | null {
  const [name, spec] = operatorOf(stage) ?? [];
  return name === '$group' ? groupStage(spec) : null;
}

function compileStage(stage: Doc, next: Doc[]): Stage | null {
  const [name, spec] = operatorOf(stage) ?? [];
  if (name === '$sort') return sortStage(spec, sortKeep(next));
  return name !== undefined && Object.hasOwn(STAGES, name) ? STAGES[name](spec) : null;
}

const STEPS: Record<string, (spec: unknown, options: AggregateOptions) => Step | null> = {
  $match(spec) {
    const matches = isPlainObject(spec) ? compileMatcher(spec) : null;
    return (
      matches &&
      ((doc, pass) => {
        if (matches(doc)) pass(doc);
      })
    );
  },
  $project: projectStep,
  $unwind: unwindStep,
  /** The equality form, joined through the foreign collection's index (lookup.ts); `let` and `pipeline` are the fallback's. */
  $lookup(spec, options) {
    const lookup = equalityLookup(spec);
    const foreign = lookup && foreignOf(options);
    if (!lookup || !foreign) return null;
    const join = joiner(lookup, foreign(lookup.from));
    return (doc, pass) => pass(join(doc));
  },
};

const STAGES: Record<string, (spec: unknown) => Stage | null> = {
  $group(spec) {
    const group = groupStage(spec);
    return group && ((docs) => group(through(docs, [])));
  },
  // 0 and fractions are MongoDB 4.0's to refuse or truncate, in the fallback
  $limit: (spec) => (Number.isInteger(spec) && (spec as number) > 0 ? (docs) => docs.slice(0, spec as number) : null),
  $skip: (spec) => (Number.isInteger(spec) && (spec as number) >= 0 ? (docs) => docs.slice(spec as number) : null),
  $count: (spec) => (docs) => count(docs, spec),
};

/** One accumulator of a $group, its state folded document by document, as MongoDB's are. */
interface Accumulator {
  start(): unknown;
  add(state: unknown, doc: Doc, scope: Scope): unknown;
  result(state: unknown, count: number): unknown;
}

/** $max and $min: the value kept so far, folded by semantics' greater or lesser; null when none was. */
function fold(spec: unknown, keep: (kept: unknown, value: unknown) => unknown): Accumulator | null {
  const e = compileExpression(spec);
  return e && { start: () => undefined, add: (state, doc, scope) => keep(state, e(doc, scope)), result: (state) => state ?? null };
}

const ACCUMULATORS: Record<string, (spec: unknown) => Accumulator | null> = {
  $sum(spec) {
    if (typeof spec === 'number') return { start: () => 0, add: (state) => state, result: (_, count) => count * spec };
    const e = compileExpression(spec);
    return (
      e && {
        start: () => 0,
        add: (state, doc, scope) => {
          const value = e(doc, scope);
          // NaN is a number to MongoDB: it makes the sum NaN (mingo's isNumber leaves it out)
          return typeof value === 'number' ? (state as number) + value : state;
        },
        result: (state) => state,
      }
    );
  },
  $avg(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => [0, 0],
        add: (state, doc, scope) => {
          const value = e(doc, scope);
          if (typeof value === 'number') {
            const sums = state as [number, number];
            sums[0] += value;
            sums[1] += 1;
          }
          return state;
        },
        result: (state) => {
          const [sum, n] = state as [number, number];
          return n === 0 ? null : sum / n;
        },
      }
    );
  },
  $max: (spec) => fold(spec, greater),
  $min: (spec) => fold(spec, lesser),
  $push(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => [],
        add: (state, doc, scope) => {
          const value = e(doc, scope);
          // MongoDB's $push skips a missing value (null is pushed)
          if (value !== undefined) (state as unknown[]).push(value);
          return state;
        },
        result: (state) => state,
      }
    );
  },
  $addToSet(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => ({ seen: new KeyedMap<boolean>(), values: [] as unknown[] }),
        add: (state, doc, scope) => {
          const set = state as { seen: KeyedMap<boolean>; values: unknown[] };
          const computed = e(doc, scope);
          // skipped when missing, like $push
          if (computed === undefined) return state;
          const value = groupKey(computed);
          if (!set.seen.get(value)) {
            set.seen.set(value, true);
            set.values.push(value);
          }
          return state;
        },
        result: (state) => (state as { values: unknown[] }).values,
      }
    );
  },
  $count: (spec) => (isObject(spec) && Object.keys(spec as Doc).length === 0 ? { start: () => 0, add: (state) => state, result: (_, count) => count } : null),
};

function compileAccumulator(spec: unknown): Accumulator | null {
  if (!isObject(spec)) return null;
  const keys = Object.keys(spec as Doc);
  if (keys.length !== 1 || !isOperator(keys[0])) return null;
  const compile = Object.hasOwn(ACCUMULATORS, keys[0]) ? ACCUMULATORS[keys[0]] : null;
  const operand = (spec as Doc)[keys[0]];
  // mingo accumulates the documents themselves when the operand is null: left to it (README)
  if (!compile || (keys[0] !== '$count' && isNil(operand))) return null;
  return compile(operand);
}

interface Group {
  key: unknown;
  count: number;
  states: unknown[];
}

/**
 * An `_id` written as an object of expressions (`{o: '$openid', k: '$scene'}`): its values are
 * looked up without building the key object for every document, only for each new group.
 */
interface ObjectKey {
  fields: string[];
  parts: Expression[];
}

function objectKey(spec: unknown): ObjectKey | null {
  if (!isObject(spec)) return null;
  const fields = Object.keys(spec as Doc);
  if (fields.length === 0 || fields.some((field) => field.startsWith('$') || field === '__proto__')) return null;
  const parts = fields.map((field) => compileExpression((spec as Doc)[field]));
  return parts.every((part) => part !== null) ? { fields, parts: parts as Expression[] } : null;
}

function groupStage(spec: unknown): ((feed: Feed) => Doc[]) | null {
  if (!isObject(spec) || !Object.hasOwn(spec as Doc, '_id')) return null;
  const id = compileExpression((spec as Doc)._id);
  const fields = Object.keys(spec as Doc).filter((key) => key !== '_id');
  const accumulators = fields.map((field) => (field === '__proto__' ? null : compileAccumulator((spec as Doc)[field])));
  if (!id || accumulators.some((a) => a === null)) return null;
  const folds = accumulators as Accumulator[];
  const byObject = objectKey((spec as Doc)._id);
  return (feed) => {
    const groups = new KeyedMap<Group>();
    const order: Group[] = [];
    const scope: Scope = { current: undefined };
    const shape = byObject && groups.shape(byObject.fields);
    const position = shape ? shape.sorted.map((field) => shape.fields.indexOf(field)) : [];
    const memory = new GroupMemory(fields);
    const newGroup = (key: unknown): Group => {
      memory.key(key);
      const group = { key, count: 0, states: folds.map((fold) => fold.start()) };
      order.push(group);
      return group;
    };
    const values: unknown[] = [];
    const sortedValues: unknown[] = [];
    const keyOf = (): Doc => {
      const key: Doc = {};
      (byObject as ObjectKey).fields.forEach((field, i) => setField(key, field, values[i]));
      return key;
    };
    feed((doc) => {
      scope.current = doc;
      let group: Group | undefined;
      if (byObject && shape) {
        for (let i = 0; i < byObject.parts.length; i++) values[i] = byObject.parts[i](doc, scope);
        for (let i = 0; i < position.length; i++) sortedValues[i] = values[position[i]];
        if (sortedValues.every(isKeyPart)) {
          group = groups.getParts(shape, sortedValues);
          if (!group) groups.setParts(shape, sortedValues, (group = newGroup(keyOf())));
        } else {
          const key = keyOf();
          group = groups.get(key);
          if (!group) groups.set(key, (group = newGroup(key)));
        }
      } else {
        const key = groupKey(id(doc, scope) ?? null);
        group = groups.get(key);
        if (!group) groups.set(key, (group = newGroup(key)));
      }
      group.count++;
      for (let i = 0; i < folds.length; i++) group.states[i] = folds[i].add(group.states[i], doc, scope);
    });
    return memory.groups(
      order.map((group) => {
        const out: Doc = { _id: group.key };
        for (let i = 0; i < fields.length; i++) {
          const value = folds[i].result(group.states[i], group.count);
          setField(out, fields[i], value);
          memory.value(value);
        }
        return out;
      }),
    );
  };
}

/** Top-level names only: JavaScript orders integer-like keys first, and dotted ones are paths. */
const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * $project of top-level fields, in MongoDB's field order (semantics.inProjectionOrder):
 * exclusions copy the document and drop fields; otherwise the kept fields come in the document's
 * order (`_id` unless excluded), then the computed ones in the projection's order, a missing
 * value left out.
 */
function projectStep(spec: unknown): Step | null {
  if (!isObject(spec)) return null;
  const entries = Object.entries(spec as Doc);
  if (entries.length === 0) return (doc, pass) => pass(doc);
  let idExcluded = false;
  const exclusions: string[] = [];
  const kept = new Set<string>();
  const computed: [string, Expression][] = [];
  for (const [field, value] of entries) {
    if (!PLAIN_FIELD.test(field) || field === '__proto__') return null;
    if (value === false || value === 0) {
      if (field === '_id') idExcluded = true;
      else exclusions.push(field);
    } else if (value === true || isNumber(value)) {
      kept.add(field);
    } else {
      if (Array.isArray(value)) return null;
      if (isObject(value)) {
        const keys = Object.keys(value as Doc);
        if (keys.length !== 1 || !isOperator(keys[0]) || keys[0] === '$slice' || keys[0] === '$elemMatch') return null;
      }
      const expression = compileExpression(value);
      if (!expression) return null;
      computed.push([field, expression]);
    }
  }
  if (exclusions.length > 0 && (kept.size > 0 || computed.length > 0)) return null;
  if (kept.size === 0 && computed.length === 0) {
    const dropped = idExcluded ? [...exclusions, '_id'] : exclusions;
    return (doc, pass) => {
      const out: Doc = { ...doc };
      for (const field of dropped) delete out[field];
      pass(out);
    };
  }
  if (!idExcluded) kept.add('_id');
  const scope: Scope = { current: undefined };
  return (doc, pass) => {
    const out: Doc = {};
    for (const field of Object.keys(doc)) if (kept.has(field) && doc[field] !== undefined) out[field] = doc[field];
    scope.current = doc;
    for (const [field, expression] of computed) {
      const value = expression(doc, scope);
      if (value !== undefined) out[field] = value;
    }
    pass(out);
  };
}

/** $sort in MongoDB's order (semantics.sortDocuments) and within its memory (limits.ts); `keep`: how many leading documents are read on. */
function sortStage(spec: unknown, keep: number): Stage {
  const keys = sortKeys(spec);
  return (docs) => {
    const sorted = sortDocuments(docs, keys, keep);
    checkSortMemory(sorted);
    return sorted;
  };
}

const UNWIND_OPTIONS = new Set(['path', 'includeArrayIndex', 'preserveNullAndEmptyArrays']);

/**
 * $unwind with MongoDB's semantics (the fallback's $unwind says which): a row per element of a
 * non-empty array, each a shallow copy of its document with that one value replaced (copied along
 * the path only, semantics.withField), so that millions of rows share everything else with their
 * documents; a document kept whole is not copied. Compiled: a path of field names, an index field
 * of a plain top-level name off the path. A path through an array or another kind of object
 * (valueAt's Undecided), and every other form, are left to the fallback.
 */
function unwindStep(spec: unknown): Step | null {
  const options = typeof spec === 'string' ? { path: spec } : spec;
  if (!isPlainObject(options) || Object.keys(options).some((key) => !UNWIND_OPTIONS.has(key))) return null;
  const { path: text, includeArrayIndex: index = null, preserveNullAndEmptyArrays: preserve = false } = options;
  const path = typeof text === 'string' && text.startsWith('$') ? fieldPath(text.slice(1)) : null;
  if (!path || path.some((segment) => segment.startsWith('$')) || typeof preserve !== 'boolean') return null;
  if (index !== null && (typeof index !== 'string' || !PLAIN_FIELD.test(index) || index === '__proto__' || index === path[0])) return null;
  const indexed = (row: Doc, i: number | null): Doc => {
    if (index !== null) row[index] = i;
    return row;
  };
  return (doc, pass) => {
    const value = valueAt(doc, path);
    if (Array.isArray(value) && value.length > 0) {
      // an array holds no missing element: an undefined one is null
      for (let i = 0; i < value.length; i++) pass(indexed(withField(doc, path, value[i] ?? null), i));
    } else if (value === undefined || value === null || Array.isArray(value)) {
      if (preserve) pass(Array.isArray(value) ? indexed(withField(doc, path, undefined), null) : index === null ? doc : indexed({ ...doc }, null));
    } else {
      pass(index === null ? doc : indexed({ ...doc }, null));
    }
  };
}
