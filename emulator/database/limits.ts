/**
 * The cloud database's limits, in one place: each value as CloudBase documents it or, where it
 * documents none, as MongoDB (the engine under CloudBase's database) does, and the refusal the
 * emulator answers when a request runs into it. Code that forgets one fails here as it would in
 * the cloud.
 *
 * A refusal by MongoDB itself reaches wx-server-sdk as DATABASE_REQUEST_FAILED, which the SDK maps
 * to errCode -502001 (as a duplicate key, E11000, does), with MongoDB's own text.
 */
import { calculateObjectSize } from 'bson';
import { BackendError } from '../errors';
import type { Doc } from './ejson';
import { isPlainObject } from './values';

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

/**
 * What a `$group` stage may hold: "该阶段有 100M 内存使用限制" (Aggregate.group reference), MongoDB's
 * 100 MiB (`_maxMemoryUsageBytes(100*1024*1024)`, document_source_group.cpp).
 */
export const GROUP_MEMORY_BYTES = 100 * 1024 * 1024;

const mongoRefusal = (message: string): BackendError => new BackendError('DATABASE_REQUEST_FAILED', message);

/** The page a `get()` answers: what it asks, at most GET_MAX, GET_DEFAULT when it asks nothing (or 0, as the SDK treats it). */
export function pageSize(requested: number): number {
  return Math.min(requested || GET_DEFAULT, GET_MAX);
}

/** The pipeline as the cloud runs it: cut to AGGREGATE_DEFAULT_ROWS at its end when no stage of its own is a `$limit`. */
export function withDefaultRows(pipeline: Doc[]): Doc[] {
  return pipeline.some((stage) => Object.hasOwn(stage, '$limit')) ? pipeline : [...pipeline, { $limit: AGGREGATE_DEFAULT_ROWS }];
}

/** A string's UTF-8 length without a native call for the short ASCII strings most fields hold. */
function utf8Bytes(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

/** An array element's name is its index in decimal. */
const indexBytes = (index: number): number => (index < 10 ? 1 : index < 100 ? 2 : index < 1000 ? 3 : String(index).length);

/**
 * The bytes of a value in a BSON element (its type byte and name excluded), counted as bson's
 * calculateObjectSize counts them, so that a figure here is a figure MongoDB would see: integers
 * within 32 bits take 4 bytes, other numbers 8, a string its UTF-8 bytes plus 5.
 */
function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 5 + utf8Bytes(value);
    case 'number':
      return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0) ? 4 : 8;
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    default:
      break;
  }
  if (value === null) return 0;
  if (value instanceof Date) return 8;
  if (Array.isArray(value)) {
    let bytes = 5;
    for (let i = 0; i < value.length; i++) bytes += 2 + indexBytes(i) + valueBytes(value[i]);
    return bytes;
  }
  if (value instanceof RegExp) return utf8Bytes(value.source) + 2 + Number(value.global) + Number(value.ignoreCase) + Number(value.multiline);
  if (isPlainObject(value)) return documentBytes(value);
  // the BSON types the SDK rarely sends (ObjectId, Decimal128, Binary …): bson counts them, in a one-field document
  return calculateObjectSize({ v: value }) - 8;
}

/** A document's BSON size, as bson's calculateObjectSize gives it; a field whose value is undefined is left out, as stored documents leave it out. */
export function documentBytes(doc: Record<string, unknown>): number {
  let bytes = 5;
  for (const name of Object.keys(doc)) {
    const value = doc[name];
    if (value !== undefined) bytes += 2 + utf8Bytes(name) + valueBytes(value);
  }
  return bytes;
}

/** At least the BSON bytes of a value, without reading a string's characters: 3 UTF-8 bytes per UTF-16 unit at most, every number 8. */
function boundBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 5 + 3 * value.length;
    case 'number':
      return 8;
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    default:
      break;
  }
  if (value === null) return 0;
  if (value instanceof Date) return 8;
  if (Array.isArray(value)) {
    let bytes = 5;
    for (let i = 0; i < value.length; i++) bytes += 2 + indexBytes(i) + boundBytes(value[i]);
    return bytes;
  }
  if (!isPlainObject(value)) return valueBytes(value);
  let bytes = 5;
  for (const name of Object.keys(value)) bytes += 2 + 3 * name.length + boundBytes(value[name]);
  return bytes;
}

/**
 * What a `$group` stage holds, counted as MongoDB's own accounting counts it (the groups' keys and
 * accumulated values) in BSON bytes: each group as the document it becomes. Past
 * GROUP_MEMORY_BYTES the stage fails with MongoDB's refusal (code 16945, 292 since 4.4);
 * CloudBase's `aggregate()` has no allowDiskUse to lift it.
 */
function checkGroups(groups: readonly Doc[]): void {
  let bytes = 0;
  for (const group of groups) bytes += documentBytes(group);
  if (bytes > GROUP_MEMORY_BYTES) throw mongoRefusal("Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.");
}

/** The group outputs whose memory their stage already checked (a compiled `$group`, below). */
const checked = new WeakSet<readonly Doc[]>();

/**
 * The memory of a compiled `$group` stage (aggregate.ts), counted while it works: a group's key
 * when the group is made, its accumulated values when it is output, each while at hand. The count
 * is an upper bound; only a stage it puts past the limit is counted exactly, over its groups as
 * they leave it — the same count, then, as mingo's groups get (withGroupMemory), at a few
 * operations per group rather than a walk over a million of them.
 */
export class GroupMemory {
  private bytes = 0;
  private readonly perGroup: number;

  /** `fields`: the stage's accumulated fields, beside `_id`. */
  constructor(fields: readonly string[]) {
    this.perGroup = 5 + (2 + 3) + fields.reduce((bytes, field) => bytes + 2 + utf8Bytes(field), 0);
  }

  key(key: unknown): void {
    this.bytes += this.perGroup + boundBytes(key);
  }

  value(value: unknown): void {
    this.bytes += boundBytes(value);
  }

  /** The stage's groups as they leave it, once their memory is within the limit. */
  groups(groups: Doc[]): Doc[] {
    if (this.bytes > GROUP_MEMORY_BYTES) checkGroups(groups);
    checked.add(groups);
    return groups;
  }
}

/**
 * Runs a pipeline through `run` in pieces that each end at a `$group` stage, and checks the
 * memory of each such stage that mingo answered (a compiled one checks its own): the same limit
 * whoever answers the stage (aggregate.ts).
 */
export function withGroupMemory(stages: readonly Doc[], source: Doc[], run: (stages: Doc[], docs: Doc[]) => Doc[]): Doc[] {
  let docs = source;
  let start = 0;
  for (let i = 0; i < stages.length; i++) {
    if (!Object.hasOwn(stages[i], '$group')) continue;
    docs = run(stages.slice(start, i + 1), docs);
    if (!checked.has(docs)) checkGroups(docs);
    start = i + 1;
  }
  return start < stages.length ? run(stages.slice(start), docs) : docs;
}
