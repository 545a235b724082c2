import { Aggregator } from 'mingo';
import { HashMap } from 'mingo/util';
import type { Doc } from './ejson';
import { compileExpression, type Expression, type Scope } from './expressions';
import { GroupMemory } from './limits';
import { compileMatcher } from './match';
import { compareValues, fieldPath, isNil, isNumber, isObject, isOperator, isPlainObject, Undecided, UNDECIDED, valueAt } from './values';

/**
 * Aggregation pipelines, answered exactly as mingo answers them. mingo stays the reference; the
 * stages a rollup spends its time in ($match, $group, $project, $sort, $limit, $skip, $count) are
 * compiled here into loops over plain arrays, with the per-group state kept in place of mingo's
 * per-group arrays of documents. From the first stage that does not compile (an operator not
 * handled here, a value that would need MongoDB's array semantics) mingo runs the rest of the
 * pipeline on what the compiled stages produced, so an answer is always mingo's.
 */
export type AggregateOptions = ConstructorParameters<typeof Aggregator>[1];

type Stage = (docs: Doc[]) => Doc[];

export function runPipeline(pipeline: Doc[], source: Doc[], options: AggregateOptions): Doc[] {
  let docs = source;
  for (let i = 0; i < pipeline.length; i++) {
    const stage = compileStage(pipeline[i], pipeline.slice(i + 1));
    if (stage) {
      try {
        docs = stage(docs);
        continue;
      } catch (error) {
        if (!(error instanceof Undecided)) throw error;
      }
    }
    return new Aggregator(pipeline.slice(i), options).run(docs) as Doc[];
  }
  return docs;
}

function compileStage(stage: Doc, next: Doc[]): Stage | null {
  const names = Object.keys(stage);
  if (names.length !== 1) return null;
  if (names[0] === '$sort') return sortStage(stage.$sort, kept(next));
  const compile = STAGES[names[0]];
  return compile ? compile(stage[names[0]]) : null;
}

/** How many leading documents the stages after a $sort read: a $limit, or a $skip and a $limit. */
function kept(next: Doc[]): number {
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

const STAGES: Record<string, (spec: unknown) => Stage | null> = {
  $match(spec) {
    const matches = isPlainObject(spec) ? compileMatcher(spec) : null;
    return matches && ((docs) => docs.filter(matches));
  },
  $group: groupStage,
  $project: projectStage,
  $limit: (spec) => (Number.isInteger(spec) && (spec as number) >= 0 ? (docs) => docs.slice(0, spec as number) : null),
  $skip: (spec) => (Number.isInteger(spec) && (spec as number) >= 0 ? (docs) => docs.slice(spec as number) : null),
  $count(spec) {
    if (typeof spec !== 'string' || spec.trim() === '' || spec.includes('.') || spec.startsWith('$')) return null;
    return (docs) => [{ [spec]: docs.length }];
  },
};

/** A key as mingo gives it back: it keeps primitive keys in a Map, which turns -0 into 0. */
const mapKey = (key: unknown): unknown => (key === 0 ? 0 : key);

/** A value isEqual compares field by field that a Map key can stand for: a primitive or a valid Date. */
const isKeyPart = (value: unknown): boolean =>
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

/** The field names of object keys as first seen and sorted (isEqual ignores their order), and the level they start at. */
interface Shape {
  fields: readonly string[];
  sorted: readonly string[];
  level: Level;
}

/**
 * Keys compared the way mingo's HashMap compares them (what $group and $addToSet use): primitives
 * as Map keys (SameValueZero, like isEqual on them), Dates by time, objects of such values by their
 * field names and then value by value; anything else through mingo's HashMap itself. A group's
 * value sits directly in the last Map: a million groups are a million lookups, and each extra
 * object between the Map and the value is one more cache miss per document.
 */
class KeyedMap<V> {
  private readonly top = new Level();
  private readonly shapes = new Map<string, Level>();
  private others: HashMap<unknown, V> | null = null;
  // $group keys mostly share one shape: the last one is found again without sorting
  private last: Shape | null = null;

  get(key: unknown): V | undefined {
    if (isKeyPart(key)) return this.top.get(key) as V | undefined;
    const parts = this.partsOf(key);
    return parts ? this.getParts(parts.shape, parts.values) : this.others?.get(key);
  }

  set(key: unknown, value: V): void {
    if (isKeyPart(key)) return this.top.set(key, value);
    const parts = this.partsOf(key);
    if (parts) this.setParts(parts.shape, parts.values, value);
    else (this.others ??= HashMap.init()).set(key, value);
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
    const sorted = [...fields].sort();
    const name = JSON.stringify(sorted);
    let level = this.shapes.get(name);
    if (!level) this.shapes.set(name, (level = new Level()));
    this.last = { fields: [...fields], sorted, level };
    return this.last;
  }

  private partsOf(key: unknown): { shape: Shape; values: unknown[] } | null {
    if (!isPlainObject(key)) return null;
    const fields = Object.keys(key);
    if (!fields.every((field) => isKeyPart(key[field]))) return null;
    const shape = this.shape(fields);
    return { shape, values: shape.sorted.map((field) => key[field]) };
  }
}

/** A value mingo's compare orders totally (so a running max equals its sort-then-take-last). */
function orderable(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw UNDECIDED;
}

/** One accumulator of a $group, its state folded document by document as mingo's would be over the whole group. */
interface Accumulator {
  start(): unknown;
  add(state: unknown, doc: Doc, scope: Scope): unknown;
  result(state: unknown, count: number): unknown;
}

const NONE = Symbol('no value yet');

const ACCUMULATORS: Record<string, (spec: unknown) => Accumulator | null> = {
  $sum(spec) {
    if (isNumber(spec)) return { start: () => 0, add: (state) => state, result: (_, count) => count * spec };
    const e = compileExpression(spec);
    return (
      e && {
        start: () => 0,
        add: (state, doc, scope) => {
          const value = e(doc, scope);
          return isNumber(value) ? (state as number) + value : state;
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
          if (isNumber(value)) {
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
  $max(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => NONE,
        add: (state, doc, scope) => {
          const value = orderable(e(doc, scope) ?? null);
          // the last of equals, as mingo's stable sort leaves it
          return state === NONE || compareValues(value, state) >= 0 ? value : state;
        },
        result: (state) => (state === NONE || isNil(state) ? null : state),
      }
    );
  },
  $min(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => NONE,
        add: (state, doc, scope) => {
          const value = e(doc, scope);
          if (isNil(value)) return state;
          orderable(value);
          return state === NONE || compareValues(value, state) < 0 ? value : state;
        },
        result: (state) => (state === NONE ? null : state),
      }
    );
  },
  $push(spec) {
    const e = compileExpression(spec);
    return (
      e && {
        start: () => [],
        add: (state, doc, scope) => {
          (state as unknown[]).push(e(doc, scope) ?? null);
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
          const value = mapKey(e(doc, scope) ?? null);
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
  // mingo accumulates the documents themselves when the operand is null
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

function groupStage(spec: unknown): Stage | null {
  if (!isObject(spec) || !Object.hasOwn(spec as Doc, '_id')) return null;
  const id = compileExpression((spec as Doc)._id);
  const fields = Object.keys(spec as Doc).filter((key) => key !== '_id');
  const accumulators = fields.map((field) => (field === '__proto__' ? null : compileAccumulator((spec as Doc)[field])));
  if (!id || accumulators.some((a) => a === null)) return null;
  const folds = accumulators as Accumulator[];
  const byObject = objectKey((spec as Doc)._id);
  return (docs) => {
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
      (byObject as ObjectKey).fields.forEach((field, i) => (key[field] = values[i]));
      return key;
    };
    for (const doc of docs) {
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
        const key = mapKey(id(doc, scope) ?? null);
        group = groups.get(key);
        if (!group) groups.set(key, (group = newGroup(key)));
      }
      group.count++;
      for (let i = 0; i < folds.length; i++) group.states[i] = folds[i].add(group.states[i], doc, scope);
    }
    return memory.groups(
      order.map((group) => {
        const out: Doc = { _id: group.key };
        for (let i = 0; i < fields.length; i++) memory.value((out[fields[i]] = folds[i].result(group.states[i], group.count)));
        return out;
      }),
    );
  };
}

/** Top-level names only: mingo orders integer-like keys first and treats dotted ones as paths. */
const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * mingo's $project for top-level fields: exclusions copy the document and drop fields; otherwise
 * the included and computed fields are set in sorted name order, then `_id` unless excluded.
 */
function projectStage(spec: unknown): Stage | null {
  if (!isObject(spec)) return null;
  const entries = Object.entries(spec as Doc);
  if (entries.length === 0) return (docs) => docs;
  let idExcluded = false;
  const exclusions: string[] = [];
  const inclusions: [string, Expression | null][] = [];
  for (const [field, value] of entries) {
    if (!PLAIN_FIELD.test(field) || field === '__proto__') return null;
    if (value === false || value === 0) {
      if (field === '_id') idExcluded = true;
      else exclusions.push(field);
    } else if (value === true || isNumber(value)) {
      inclusions.push([field, null]);
    } else {
      if (Array.isArray(value)) return null;
      if (isObject(value)) {
        const keys = Object.keys(value as Doc);
        if (keys.length !== 1 || !isOperator(keys[0]) || keys[0] === '$slice' || keys[0] === '$elemMatch') return null;
      }
      const computed = compileExpression(value);
      if (!computed) return null;
      inclusions.push([field, computed]);
    }
  }
  if (exclusions.length > 0 && inclusions.length > 0) return null;
  inclusions.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const dropped = idExcluded ? [...exclusions, '_id'] : exclusions;
  const copyAll = inclusions.length === 0;
  return (docs) => {
    const scope: Scope = { current: undefined };
    return docs.map((doc) => {
      const out: Doc = copyAll ? { ...doc } : {};
      for (const field of dropped) delete out[field];
      for (const [field, computed] of inclusions) {
        if (computed) {
          scope.current = doc;
          out[field] = computed(doc, scope);
        } else if (Object.hasOwn(doc, field) && doc[field] !== undefined) out[field] = doc[field];
      }
      if (!idExcluded && !Object.hasOwn(out, '_id') && Object.hasOwn(doc, '_id')) out._id = doc._id;
      return out;
    });
  };
}

/** A sort key as mingo groups it (missing is null); values it would order by their elements are left to mingo. */
function sortValue(value: unknown): unknown {
  return value === undefined ? null : orderable(value);
}

type Column = { values: unknown[]; order: (a: unknown, b: unknown) => number };

const byNumber = (a: unknown, b: unknown): number => (a as number) - (b as number);
const byString = (a: unknown, b: unknown): number => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0);

/** Dates become their times and a column of one type compares natively; by mingo's compare otherwise. */
function column(values: unknown[]): Column {
  if (values.every((v) => typeof v === 'number')) return { values, order: byNumber };
  if (values.every((v) => typeof v === 'string')) return { values, order: byString };
  if (values.every((v) => v instanceof Date)) return { values: values.map((v) => (v as Date).getTime()), order: byNumber };
  return { values, order: compareValues };
}

/**
 * mingo sorts key by key from the last, keeping the input order among equal keys: that is one
 * stable sort on all the keys, which is what this is (ties broken by position). When only the
 * first `keep` documents are read on (a $limit follows), only those are selected and ordered.
 */
function sortStage(spec: unknown, keep = Infinity): Stage | null {
  if (!isObject(spec)) return null;
  const keys = Object.entries(spec as Doc).map(([field, direction]) => ({ path: fieldPath(field), sign: direction === -1 ? -1 : 1 }));
  if (keys.length === 0 || keys.some((key) => key.path === null)) return null;
  return (docs) => {
    const columns = keys.map(({ path }) => column(docs.map((doc) => sortValue(valueAt(doc, path as string[])))));
    const before = (a: number, b: number): number => {
      for (let k = 0; k < columns.length; k++) {
        const { values, order } = columns[k];
        const c = order(values[a], values[b]);
        if (c !== 0) return c * keys[k].sign;
      }
      return a - b;
    };
    const positions = keep < docs.length ? smallest(keep, docs.length, before) : Array.from(docs.keys()).sort(before);
    return positions.map((i) => docs[i]);
  };
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
