/**
 * The cloud database's limits, in one place: each value as CloudBase documents it or, where it
 * documents none, as MongoDB (the engine under CloudBase's database) does, and the refusal the
 * emulator answers when a request runs into it. The README's table (in "The emulator") lists them
 * with their sources; code that forgets one fails here as it would in the cloud.
 *
 * A refusal by MongoDB itself reaches wx-server-sdk as DATABASE_REQUEST_FAILED, which the SDK maps
 * to errCode -502001 (as a duplicate key, E11000, does), with MongoDB's own text.
 */
import { calculateObjectSize } from 'bson';
import { BackendError, mongoRefusal } from '../errors';
import { elementText } from './bsontext';
import type { Doc } from './ejson';
import { COLLECTION_NAME_RULE, isCollectionName } from './names';
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
 * `aggregate()…end()` with a `$limit` answers "up to about 10,000" rows, in the same community
 * article: neither the bound nor what happens past it is documented, so the rows past it are cut,
 * as the article reports, and code that asks more (Rukou's pipeline runner) asks in pages.
 */
export const AGGREGATE_MAX_ROWS = 10_000;

/**
 * What a `$group` stage may hold: "该阶段有 100M 内存使用限制" (Aggregate.group reference), MongoDB's
 * 100 MiB (`_maxMemoryUsageBytes(100*1024*1024)`, document_source_group.cpp).
 */
export const GROUP_MEMORY_BYTES = 100 * 1024 * 1024;

/**
 * A stored document's BSON size. CloudBase documents none; MongoDB's is 16 MiB ("The maximum BSON
 * document size is 16 mebibytes", https://www.mongodb.com/docs/manual/reference/limits/).
 */
export const DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * The largest BSON object MongoDB reads or builds, 16 MiB plus 16 KiB (`BSONObjMaxInternalSize`):
 * a command's own documents (a query with its order and projection, an update, a pipeline), so
 * that is how long an `in` list may be, CloudBase and MongoDB setting no count of its own; and
 * each document of a pipeline's result (a `$lookup` or a `$group` can build a larger one).
 */
export const OBJECT_BYTES = DOCUMENT_BYTES + 16 * 1024;

/**
 * Levels of nesting in a stored document, the document itself the first: "MongoDB supports no
 * more than 100 levels of nesting for BSON documents. Each object or array adds a level"
 * (MongoDB limits; CloudBase documents none).
 */
export const NESTING_LEVELS = 100;

/**
 * Documents in one insert. CloudBase documents none; MongoDB's is 100,000 ("Write Command Batch
 * Limit Size", MongoDB limits).
 */
export const BATCH_WRITES = 100_000;

/**
 * A `$sort` stage's memory, and `$bucketAuto`'s, which sorts its input: 100 MiB (MongoDB's
 * aggregation pipeline limits: "Each individual pipeline stage has a limit of 100 megabytes of
 * RAM"; its sorter's maxMemoryUsageBytes). A `$sort` that a `$limit` follows holds only the
 * documents it keeps.
 */
export const SORT_MEMORY_BYTES = 100 * 1024 * 1024;

/**
 * A `get()` whose `orderBy()` no index serves sorts in memory, within 32 MiB (MongoDB 4.0 limits,
 * Sort Operations: "the combined size of all documents in the sort operation, plus a small
 * overhead, must be less than 32 megabytes", https://www.mongodb.com/docs/v4.0/reference/limits/).
 * The cloud answers past it with 4.0's text (a developer's record of the answer:
 * https://github.com/hanakakiko/Travel-journal/blob/3e0c5cef/BATCH_QUERY_IMPLEMENTATION_SUMMARY.md).
 */
export const FIND_SORT_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * The documents one `$lookup` joins into one document: 100 MiB (MongoDB 4.0's
 * internalLookupStageIntermediateDocumentMaxSizeBytes); the document must still fit OBJECT_BYTES
 * when the answer is built.
 */
export const LOOKUP_BYTES = 100 * 1024 * 1024;

/**
 * One database answer: "Database traffic: 16 MB in each packet output" (resource quota page,
 * https://developers.weixin.qq.com/minigame/en/dev/wxcloud/basis/concepts/quota.html), measured
 * on the documents' BSON, as every other size of the database is: a document `add` stores can be
 * read back alone, whatever its EJSON takes (a string of quotes doubles in JSON).
 */
export const ANSWER_BYTES = 16 * 1024 * 1024;

/** Collections per environment: "Each environment can create up to 100 collections" (docs.cloudbase.net/en/faq/database). */
export const COLLECTIONS = 100;

/** The page a `get()` answers: what it asks, at most GET_MAX, GET_DEFAULT when it asks nothing (or 0, as the SDK treats it). */
export function pageSize(requested: number): number {
  return Math.min(requested || GET_DEFAULT, GET_MAX);
}

/**
 * A pipeline's answer as the cloud gives it: cut to AGGREGATE_DEFAULT_ROWS when no stage of its
 * own is a `$limit`, and to AGGREGATE_MAX_ROWS when one is. Cut here, after the pipeline ran,
 * rather than as one more stage, so that the stats of which path answered the stages count only
 * the caller's.
 */
export function cutToAnswerRows(pipeline: Doc[], rows: Doc[]): Doc[] {
  return rows.slice(0, pipeline.some((stage) => Object.hasOwn(stage, '$limit')) ? AGGREGATE_MAX_ROWS : AGGREGATE_DEFAULT_ROWS);
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

export type Write = 'insert' | 'update';

/** The dotted path of a field for a refusal: `trail` is the path to the field's parent. */
const pathOf = (trail: readonly string[], name: string): string => [...trail, name].join('.');

/**
 * MongoDB's storage rules for a field name, as MongoDB before 5.0 applied them to what is stored
 * (its update validation; its drivers checked inserts the same way): no `$` prefix, no `.`,
 * and no NUL, which BSON cannot carry (CloudBase documents no rules of its own).
 */
function checkName(name: string, trail: readonly string[]): void {
  if (name.charCodeAt(0) === 0x24) throw mongoRefusal(`The dollar ($) prefixed field '${name}' in '${pathOf(trail, name)}' is not valid for storage.`);
  if (name.includes('.')) throw mongoRefusal(`The dotted field '${name}' in '${pathOf(trail, name)}' is not valid for storage.`);
  if (name.includes('\u0000')) throw mongoRefusal(`BSON Document field names cannot contain null bytes, found: ${JSON.stringify(name)}`);
}

const tooDeep = (write: Write): BackendError =>
  mongoRefusal(write === 'insert' ? `cannot insert document because it exceeds ${NESTING_LEVELS} levels of nesting` : `Document exceeds maximum nesting depth of ${NESTING_LEVELS}`);

/**
 * At least the bytes of a stored value at nesting `level` (its container's; see boundBytes),
 * refusing a field name or a level MongoDB refuses.
 */
function storedBytes(value: unknown, level: number, trail: string[], write: Write): number {
  const array = Array.isArray(value);
  if (!array && !isPlainObject(value)) return boundBytes(value);
  if (level >= NESTING_LEVELS) throw tooDeep(write);
  let bytes = 5;
  if (array) {
    for (let i = 0; i < value.length; i++) {
      trail.push(String(i));
      bytes += 2 + indexBytes(i) + storedBytes(value[i], level + 1, trail, write);
      trail.pop();
    }
    return bytes;
  }
  for (const name of Object.keys(value)) {
    const field = value[name];
    if (field === undefined) continue;
    checkName(name, trail);
    trail.push(name);
    bytes += 2 + 3 * name.length + storedBytes(field, level + 1, trail, write);
    trail.pop();
  }
  return bytes;
}

/**
 * Refuses a document that MongoDB would not store, as it refuses it: a field name it does not
 * take, more than 100 levels, more than 16 MiB. One walk checks the names and the levels and
 * bounds the size; only a document the bound puts near the limit is counted exactly.
 */
export function checkStored(doc: Doc, write: Write): void {
  if (storedBytes(doc, 0, [], write) <= DOCUMENT_BYTES) return;
  const bytes = documentBytes(doc);
  if (bytes <= DOCUMENT_BYTES) return;
  throw mongoRefusal(
    write === 'insert' ? `object to insert too large. size in bytes: ${bytes}, max size: ${DOCUMENT_BYTES}` : `Resulting document after update is larger than ${DOCUMENT_BYTES}`,
  );
}

/** Refuses a command whose documents (query, order, projection, update, pipeline stages) MongoDB could not read: more than 16 MiB + 16 KiB. */
export function checkCommand(...parts: (Doc | Doc[] | undefined)[]): void {
  let bytes = 0;
  for (const part of parts) if (part !== undefined) bytes += Array.isArray(part) ? valueBytes(part) : documentBytes(part);
  if (bytes > OBJECT_BYTES) throw tooLarge(bytes, '');
}

/** MongoDB's refusal of a BSON object past OBJECT_BYTES (BSONObj::_assertInvalid, code 10334). */
const tooLarge = (bytes: number, tail: string): Error =>
  mongoRefusal(`BSONObj size: ${bytes} (0x${bytes.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${OBJECT_BYTES}(16MB)${tail}`);

/** Refuses an insert of more documents than one MongoDB write command takes. */
export function checkBatch(count: number): void {
  if (count > BATCH_WRITES) throw mongoRefusal(`Write batch sizes must be between 1 and ${BATCH_WRITES}. Got ${count} operations.`);
}

/**
 * Whether documents take at most `limit` bytes of BSON, counted exactly at once (a bound, twice
 * the bytes of small numbers and strings, would put many small documents past the limit and make
 * them counted twice), stopping past the limit.
 */
function within(docs: readonly Doc[], limit: number): boolean {
  let bytes = 0;
  for (const doc of docs) if ((bytes += documentBytes(doc)) > limit) return false;
  return true;
}

/**
 * Refuses an answer whose documents MongoDB could not send (one past OBJECT_BYTES, which a
 * pipeline can build) or that is larger than one database answer may be, with the cloud's text
 * (the developer's record cited at FIND_SORT_MEMORY_BYTES).
 */
export function checkAnswer(docs: readonly Doc[]): void {
  let total = 0;
  for (const doc of docs) {
    const bytes = documentBytes(doc);
    if (bytes > OBJECT_BYTES) throw tooLarge(bytes, ` First element: ${firstElement(doc)}`);
    total += bytes;
  }
  if (total > ANSWER_BYTES) throw mongoRefusal('查询结果超过单次回包大小限制，请缩小查询范围或添加查询条件');
}

const firstElement = (doc: Doc): string => {
  const name = Object.keys(doc).find((key) => doc[key] !== undefined);
  return name === undefined ? 'EOO' : elementText(name, doc[name]);
};

/** Refuses a `$sort` holding more than SORT_MEMORY_BYTES (`held`: the documents it keeps), or `$bucketAuto` sorting that much input. */
export function checkSortMemory(held: readonly Doc[]): void {
  if (!within(held, SORT_MEMORY_BYTES)) {
    throw mongoRefusal(`Sort exceeded memory limit of ${SORT_MEMORY_BYTES} bytes, but did not opt in to external sorting. Aborting operation. Pass allowDiskUse:true to opt in.`);
  }
}

/** Refuses a `get()` sort no index serves holding more than FIND_SORT_MEMORY_BYTES (`held`: the documents it keeps, offset and page), with the text the cloud answers. */
export function checkFindSortMemory(held: readonly Doc[]): void {
  if (!within(held, FIND_SORT_MEMORY_BYTES)) {
    throw mongoRefusal(`(OperationFailed) Executor error during find command :: caused by :: Sort operation used more than the maximum ${FIND_SORT_MEMORY_BYTES} bytes of RAM. Add an index, or specify a smaller limit.`);
  }
}

/** Refuses a name the cloud does not take for a collection (names.ts). */
export function checkCollectionName(name: string): void {
  if (!isCollectionName(name)) throw mongoRefusal(`Invalid collection name: ${JSON.stringify(name)} (${COLLECTION_NAME_RULE})`);
}

/** Refuses a new collection past the environment's count. */
export function checkCollections(existing: number): void {
  if (existing >= COLLECTIONS) {
    throw new BackendError('DATABASE_COLLECTION_EXCEED_LIMIT', `an environment holds at most ${COLLECTIONS} collections and this one has ${existing}: drop one before creating another`);
  }
}

/**
 * What a `$group` stage holds, counted as MongoDB's own accounting counts it (the groups' keys and
 * accumulated values) in BSON bytes: each group as the document it becomes. Past
 * GROUP_MEMORY_BYTES the stage fails with MongoDB's refusal (code 16945, 292 since 4.4);
 * CloudBase's `aggregate()` has no allowDiskUse to lift it. `$bucket` and `$sortByCount` are a
 * `$group` to MongoDB, with its limit and its text.
 */
function checkGroups(groups: readonly Doc[]): void {
  let bytes = 0;
  for (const group of groups) bytes += documentBytes(group);
  if (bytes > GROUP_MEMORY_BYTES) throw mongoRefusal("Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.");
}

/** The stages MongoDB runs as a `$group`. */
const GROUPING = new Set(['$group', '$bucket', '$sortByCount']);

/** Refuses a `$lookup` that joined more than LOOKUP_BYTES into one of its documents (MongoDB's code 4568). */
function checkLookup(spec: unknown, docs: readonly Doc[]): void {
  if (!isPlainObject(spec) || typeof spec.as !== 'string') return;
  const path = spec.as.split('.');
  for (const doc of docs) {
    let joined: unknown = doc;
    for (const name of path) joined = isPlainObject(joined) ? joined[name] : undefined;
    if (Array.isArray(joined) && !within(joined.filter(isPlainObject), LOOKUP_BYTES)) {
      throw mongoRefusal(`Total size of documents in ${String(spec.from)} matching pipeline's $lookup stage exceeds ${LOOKUP_BYTES} bytes`);
    }
  }
}

/** The group outputs whose memory their stage already checked (a compiled `$group`, below). */
const checked = new WeakSet<readonly Doc[]>();

/**
 * The memory of a compiled `$group` stage (aggregate.ts), counted while it works: a group's key
 * when the group is made, its accumulated values when it is output, each while at hand. The count
 * is an upper bound; only a stage it puts past the limit is counted exactly, over its groups as
 * they leave it — the same count, then, as mingo's groups get (withStageMemory), at a few
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
 * Runs a pipeline through `run` in pieces, so as to check the memory of the stages whose limit
 * is seen between two pieces, the same whoever answers them (aggregate.ts): the groups of each
 * `$group`, `$bucket` and `$sortByCount` (a compiled `$group` checks its own), the input
 * `$bucketAuto` sorts, what each `$lookup` joins. (`$sort` checks its own, knowing what it keeps.)
 */
export function withStageMemory(stages: readonly Doc[], source: Doc[], run: (stages: Doc[], docs: Doc[]) => Doc[]): Doc[] {
  let docs = source;
  let start = 0;
  const through = (end: number): void => {
    if (end > start) docs = run(stages.slice(start, end), docs);
    start = end;
  };
  for (let i = 0; i < stages.length; i++) {
    const name = Object.keys(stages[i])[0];
    if (name === '$bucketAuto') {
      through(i);
      checkSortMemory(docs);
    } else if (GROUPING.has(name)) {
      through(i + 1);
      if (!checked.has(docs)) checkGroups(docs);
    } else if (name === '$lookup') {
      through(i + 1);
      checkLookup(stages[i].$lookup, docs);
    }
  }
  through(stages.length);
  return docs;
}
