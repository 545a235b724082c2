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
 * Runs a pipeline (built as data by `shared/rollup.ts` or `shared/stats.ts`) in the database: one
 * request. CloudBase answers only 20 rows of an aggregate without a `$limit`, so one is added.
 */
export async function runPipeline<T>(db: Database, pipeline: Pipeline, counter: RequestCounter): Promise<T[]> {
  let aggregate = db.collection(pipeline.collection).aggregate();
  const stages: Stage[] = pipeline.stages.some((s) => '$limit' in s) ? pipeline.stages : [...pipeline.stages, { $limit: TOP_KEYS }];
  for (const stage of stages) {
    const [name] = Object.keys(stage);
    const apply = STAGES[name];
    if (!apply) throw new Error(`pipeline stage ${name} is not supported by the runner`);
    aggregate = apply(aggregate, stage[name], db.command);
  }
  counter.count += 1;
  const answer = (await aggregate.end()) as { list?: T[]; errMsg?: string } | undefined;
  if (!answer || !Array.isArray(answer.list)) throw new RukouError('UPSTREAM', `the database refused an aggregation on ${pipeline.collection}: ${answer?.errMsg ?? 'no answer'}`);
  return answer.list;
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
