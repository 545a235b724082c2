/**
 * The cloud database's limits, in one place: each value as CloudBase documents it or, where it
 * documents none, as MongoDB (the engine under CloudBase's database) does, and the refusal the
 * emulator answers when a request runs into it. Code that forgets one fails here as it would in
 * the cloud.
 */
import type { Doc } from './ejson';

/**
 * A `get()` in a cloud function without `limit()` answers 100 documents (Collection.get
 * reference: "云函数端：如果没有指定 limit，则默认且最多取 100 条记录"; community thread
 * 0000a24f718e889a6b7b8fb2d5ac00: "如果不带limit,云函数默认返回100").
 */
export const GET_DEFAULT = 100;

/**
 * A `get()` in a cloud function answers at most 1,000 documents whatever `limit()` asks
 * (Collection.limit reference: "在云函数端默认及最大上限为 1000").
 */
export const GET_MAX = 1000;

/**
 * `aggregate()…end()` with no `$limit` stage answers 20 rows, in cloud functions too. Not in the
 * reference; measured by developers (community article 000624c67c8b48611dba2b12058c13, threads
 * 0006ee7caecd8020df7b559b451800 and 00008ce0504388afcd590911b5b400).
 */
export const AGGREGATE_DEFAULT_ROWS = 20;

/** The page a `get()` answers: what it asks, at most GET_MAX, GET_DEFAULT when it asks nothing (or 0, as the SDK treats it). */
export function pageSize(requested: number): number {
  return Math.min(requested || GET_DEFAULT, GET_MAX);
}

/** The pipeline as the cloud runs it: cut to AGGREGATE_DEFAULT_ROWS at its end when no stage of its own is a `$limit`. */
export function withDefaultRows(pipeline: Doc[]): Doc[] {
  return pipeline.some((stage) => Object.hasOwn(stage, '$limit')) ? pipeline : [...pipeline, { $limit: AGGREGATE_DEFAULT_ROWS }];
}
