import type cloud from 'wx-server-sdk';
import { TOP_KEYS, type Pipeline, type Stage } from '../shared/rollup';
import { RukouError } from '../shared/errors';

export type Database = ReturnType<typeof cloud.database>;
type Command = Database['command'];
type Aggregate = ReturnType<ReturnType<Database['collection']>['aggregate']>;

/** Counts the database requests a run makes: the cost figure the rollup reports. */
export class RequestCounter {
  count = 0;
}

const STAGES: Record<string, (aggregate: Aggregate, value: unknown, _: Command) => Aggregate> = {
  $match: (a, value, _) => a.match(toQuery(value as Record<string, unknown>, _)),
  $group: (a, value) => a.group(value),
  $project: (a, value) => a.project(value),
  $addFields: (a, value) => a.addFields(value),
  $sort: (a, value) => a.sort(value),
  $skip: (a, value) => a.skip(value),
  $limit: (a, value) => a.limit(value),
  $lookup: (a, value) => a.lookup(value),
  $count: (a, value) => a.count(value),
  $unwind: (a, value) => a.unwind(value),
};

const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !(value instanceof Date) && !Array.isArray(value) && Object.keys(value).every((k) => k.startsWith('$'));

const OPERATORS: Record<string, (_: Command, value: unknown) => unknown> = {
  $in: (_, v) => _.in(v as unknown[]),
  $gt: (_, v) => _.gt(v),
  $gte: (_, v) => _.gte(v),
  $lt: (_, v) => _.lt(v),
  $lte: (_, v) => _.lte(v),
  $ne: (_, v) => _.neq(v),
  $exists: (_, v) => _.exists(Boolean(v)),
};

/**
 * The SDK's `match()` flattens nested objects into dotted paths, so a Mongo operator written as
 * data (`{day: {$gte: …}}`) must become a `db.command` for it to reach the database intact.
 */
function toQuery(match: Record<string, unknown>, _: Command): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [field, condition] of Object.entries(match)) {
    if (!isOperatorObject(condition)) {
      query[field] = condition;
      continue;
    }
    const commands = Object.entries(condition).map(([op, value]) => {
      const make = OPERATORS[op];
      if (!make) throw new Error(`pipeline operator ${op} is not supported by the runner`);
      return make(_, value);
    });
    query[field] = commands.length === 1 ? commands[0] : _.and(...(commands as Parameters<Command['and']>));
  }
  return query;
}

/**
 * The rows one aggregation answers at most: "up to about 10,000" reported by developers, not
 * documented (Platform sources H.2), so a pipeline asking more is asked in pages of this many.
 */
export const AGGREGATE_MAX_ROWS = 10_000;

/** One request: the rows of `stages`, or UPSTREAM when the database answers none. */
async function aggregateOnce<T>(db: Database, collection: Pipeline['collection'], stages: readonly Stage[], counter: RequestCounter): Promise<T[]> {
  let aggregate = db.collection(collection).aggregate();
  for (const stage of stages) {
    const [name] = Object.keys(stage);
    const apply = STAGES[name];
    if (!apply) throw new Error(`pipeline stage ${name} is not supported by the runner`);
    aggregate = apply(aggregate, stage[name], db.command);
  }
  counter.count += 1;
  const answer = (await aggregate.end()) as { list?: T[]; errMsg?: string } | undefined;
  if (!answer || !Array.isArray(answer.list)) throw new RukouError('UPSTREAM', `the database refused an aggregation on ${collection}: ${answer?.errMsg ?? 'no answer'}`);
  return answer.list;
}

/**
 * Runs a pipeline (built as data by `shared/rollup.ts` or `shared/stats.ts`) in the database: one
 * request. CloudBase answers only 20 rows of an aggregate without a `$limit`, so one is added. A
 * last `$limit` past AGGREGATE_MAX_ROWS is asked in pages, one request each, every page the whole
 * pipeline with a `$skip` before its `$limit`; its `$sort` before must order every row (`_id` last,
 * which no two groups share), so that the pages neither repeat nor miss a row.
 * @throws RukouError UPSTREAM when the database answers no rows; Error for a pipeline the runner cannot run or page
 */
export async function runPipeline<T>(db: Database, pipeline: Pipeline, counter: RequestCounter): Promise<T[]> {
  const stages: Stage[] = pipeline.stages.some((s) => '$limit' in s) ? pipeline.stages : [...pipeline.stages, { $limit: TOP_KEYS }];
  const limit = stages.at(-1)?.$limit;
  if (typeof limit !== 'number' || limit <= AGGREGATE_MAX_ROWS) return aggregateOnce<T>(db, pipeline.collection, stages, counter);
  const sort = stages.at(-2)?.$sort as Record<string, unknown> | undefined;
  if (!sort || Object.keys(sort).at(-1) !== '_id') throw new Error(`a pipeline on ${pipeline.collection} asks ${limit} rows, more than a page, without a $sort by _id last before its $limit`);
  const before = stages.slice(0, -1);
  const rows: T[] = [];
  for (;;) {
    const page = Math.min(AGGREGATE_MAX_ROWS, limit - rows.length);
    const answered = await aggregateOnce<T>(db, pipeline.collection, [...before, { $skip: rows.length }, { $limit: page }], counter);
    rows.push(...answered);
    if (answered.length < page || rows.length >= limit) return rows;
  }
}

/** The documents of a `get()` answer, typed by the caller (the collections' shapes are in shared/model.ts). */
export function documentsOf<T>(answer: unknown, what: string): T[] {
  const data = (answer as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) throw new RukouError('UPSTREAM', `the database gave no documents for ${what}`);
  return data as T[];
}

/** Whether a database refusal says an `_id` is already taken. */
export function isDuplicateKey(error: unknown): boolean {
  const text = error instanceof Error ? `${(error as { code?: unknown }).code ?? ''} ${error.message}` : String(error);
  return /duplicate|E11000|already exists/i.test(text);
}

/** Adds documents in one request, telling a refusal for an `_id` already taken from any other (which it throws). */
export async function addUnlessTaken(db: Database, collection: string, docs: object[]): Promise<'added' | 'duplicate'> {
  if (docs.length === 0) return 'added';
  try {
    await db.collection(collection).add({ data: docs });
    return 'added';
  } catch (error) {
    if (isDuplicateKey(error)) return 'duplicate';
    throw error;
  }
}

/** How many documents an `update` answer says it changed. */
export const updatedCount = (answer: unknown): number => Number((answer as { stats?: { updated?: unknown } } | undefined)?.stats?.updated ?? 0);
