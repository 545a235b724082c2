import { EJSON } from 'bson';
import { invalidParam } from '../errors';
import { parseJson } from '../http';

/** A stored document: plain objects, arrays, numbers, strings, booleans, null, Dates, RegExps. */
export type Doc = Record<string, unknown>;
/** The cloud database accepts string and number ids (`doc(id)` takes either). */
export type DocId = string | number;

/** The options a BSON regular expression may carry; x and l have no JavaScript flag and are dropped. */
const BSON_REGEX_OPTIONS = /^[ilmsux]*$/;
const JS_REGEX_FLAGS = new Set(['i', 'm', 's', 'u']);

/** The BSON types the SDK can send but rarely does: those go through bson itself. */
const OTHER_BSON_TYPES = new Set(['$oid', '$binary', '$numberDecimal', '$timestamp', '$symbol', '$minKey', '$maxKey', '$uuid', '$code', '$dbPointer', '$undefined']);

const INTEGER = /^-?\d+$/;
const DOUBLE = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|-?Infinity|NaN)$/;
const INT64 = 2n ** 63n;

/** Whether a Date holds `ms` (ECMAScript's TimeClip: ±8.64e15 ms, NaN and the infinities beyond), without making one to see. */
const isTime = (ms: number): boolean => Math.abs(ms) <= 8.64e15;

/**
 * What a request's wrapper holds, refused when it holds no such value (canonical EJSON, as the
 * SDK writes it): a `$numberInt` past 32 bits or a `$numberLong` past 64, a number that is not
 * one, a `$date` a Date cannot hold, a regular expression that does not compile. Taken as
 * Number(…) and new Date(…) read them, `{"$date": "garbage"}` was stored as an invalid Date,
 * which the SDK cannot read back: every later read of that document failed.
 */
function wrapped(kind: string, inner: unknown, now: number): unknown {
  const refuse = (what: string): never => {
    throw invalidParam(`${JSON.stringify({ [kind]: inner }).slice(0, 100)} is not ${what}`);
  };
  switch (kind) {
    case '$numberInt':
      if (typeof inner !== 'string' || !INTEGER.test(inner) || Number(inner) !== (Number(inner) | 0)) refuse('a 32-bit integer');
      return Number(inner);
    case '$numberLong':
      if (typeof inner !== 'string' || !INTEGER.test(inner) || BigInt(inner) >= INT64 || BigInt(inner) < -INT64) refuse('a 64-bit integer');
      return Number(inner);
    case '$numberDouble':
      if (typeof inner !== 'string' || !DOUBLE.test(inner)) refuse('a number');
      return Number(inner);
    case '$date': {
      const long = typeof inner === 'object' && inner !== null ? (inner as { $numberLong?: unknown }).$numberLong : undefined;
      const ms = typeof inner === 'string' ? Date.parse(inner) : typeof long === 'string' && INTEGER.test(long) ? Number(long) : NaN;
      if (!isTime(ms)) refuse('a date ({"$numberLong": epoch milliseconds} within ±8.64e15, or ISO 8601)');
      return pooledDate(ms);
    }
    case '$regularExpression': {
      const { pattern, options } = (typeof inner === 'object' && inner !== null ? inner : {}) as { pattern?: unknown; options?: unknown };
      if (typeof pattern !== 'string' || typeof options !== 'string' || !BSON_REGEX_OPTIONS.test(options)) refuse('a regular expression {pattern, options}');
      try {
        return new RegExp(pattern as string, [...(options as string)].filter((flag) => JS_REGEX_FLAGS.has(flag)).join(''));
      } catch (error) {
        return refuse(`a regular expression that compiles (${(error as Error).message})`);
      }
    }
    case '$tcb_server_date': {
      const offset = typeof inner === 'object' && inner !== null ? revive((inner as { offset?: unknown }).offset ?? 0, now) : undefined;
      if (typeof offset !== 'number' || !isTime(now + offset)) refuse('db.serverDate() with an offset in milliseconds');
      return pooledDate(now + (offset as number));
    }
    default:
      try {
        return EJSON.deserialize({ [kind]: inner }, { relaxed: true });
      } catch (error) {
        return refuse(`a BSON value (${(error as Error).message})`);
      }
  }
}

/** The wrappers of the log's relaxed EJSON: what `encode` wrote, read back as it was. */
function stored(kind: string, inner: unknown): unknown {
  switch (kind) {
    case '$numberDouble':
      return Number(inner);
    case '$date':
      return pooledDate(typeof inner === 'string' ? Date.parse(inner) : Number((inner as { $numberLong: string }).$numberLong));
    case '$regularExpression': {
      const { pattern, options } = inner as { pattern: string; options: string };
      return new RegExp(pattern, [...options].filter((flag) => JS_REGEX_FLAGS.has(flag)).join(''));
    }
    default:
      return EJSON.deserialize({ [kind]: inner }, { relaxed: true });
  }
}

/**
 * Equal strings and Dates decoded one after the other share one object: a day's events repeat
 * their user's openid, their day, type and page, and a batch's events one serverAt, so that held
 * one object per value, ten million events took about 6 of the emulator's 14 GB in strings and
 * Dates (112 bytes a Date), all of which its collector walks. Sharing is safe because stored
 * documents are never changed in place (operations.ts, cloneDoc). Bounded: past POOL_SIZE values
 * it forgets them all, so ids that never repeat cost nothing lasting.
 */
const POOL_SIZE = 65_536;
/** Longer strings rarely repeat, and hashing one costs its length. */
const POOLED_LENGTH = 64;
const strings = new Map<string, string>();
const dates = new Map<number, Date>();

/** The value `pool` keeps for `key`, made and kept when it has none. */
function pooled<K, V>(pool: Map<K, V>, key: K, make: (key: K) => V): V {
  const known = pool.get(key);
  if (known !== undefined) return known;
  if (pool.size === POOL_SIZE) pool.clear();
  const value = make(key);
  pool.set(key, value);
  return value;
}

function pooledString(value: string): string {
  return value.length > POOLED_LENGTH ? value : pooled(strings, value, (text) => text);
}

function pooledDate(ms: number): Date {
  return pooled(dates, ms, (time) => new Date(time));
}

const WRAPPERS = new Set(['$numberInt', '$numberDouble', '$numberLong', '$date', '$regularExpression', '$tcb_server_date', ...OTHER_BSON_TYPES]);

/**
 * Turns parsed EJSON (canonical from the SDK, relaxed from the log) into stored values, in place.
 * The wrappers the SDK sends on every document ($numberInt, $numberDouble, $numberLong, $date,
 * $regularExpression) are converted here directly: bson's generic walk cost more than the rest
 * of a 1000-document insert together. `{"$tcb_server_date":{"offset":n}}` (db.serverDate())
 * becomes the server's clock + n ms; RegExps become JavaScript RegExps, which mingo matches with.
 * `now`, the server's clock, is given for a request, whose wrappers are checked; the log is read
 * without it, as it was written.
 */
function revive(value: unknown, now: number | undefined): unknown {
  if (typeof value === 'string') return pooledString(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], now);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && WRAPPERS.has(keys[0])) return now === undefined ? stored(keys[0], record[keys[0]]) : wrapped(keys[0], record[keys[0]], now);
  for (const key of keys) record[key] = revive(record[key], now);
  return value;
}

/**
 * Decodes one EJSON text as the SDK sends it (canonical), held to the door's depth limit
 * (parseJson); `now`, the emulator's clock for a request, is what db.serverDate() stands for.
 */
export function decode(text: string, now?: number, what = 'the EJSON'): unknown {
  return revive(parseJson(text, what), now);
}

/**
 * Decodes what the log stores (relaxed EJSON). No depth limit here: every document in it came
 * through `decode` when it was written, and a log line wraps documents in two more levels.
 */
export function decodeStored(text: string): unknown {
  return revive(JSON.parse(text), undefined);
}

/** Decodes a text that must hold a JSON object (a query, an update, a document). */
export function decodeObject(text: string, what: string, now?: number): Doc {
  const value = decode(text, now, what);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParam(`${what} must be an object`);
  return value as Doc;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function encodeValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : `{"$numberDouble":"${String(value)}"}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  // Appending to one string, not joining arrays of parts: every read answer and every log line
  // passes through here, and the arrays were a third of its time.
  if (Array.isArray(value)) {
    let text = '';
    for (let i = 0; i < value.length; i++) text += `${i === 0 ? '' : ','}${encodeValue(value[i]) ?? 'null'}`;
    return `[${text}]`;
  }
  // An ISO date has nothing to escape.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '{"$date":{"$numberLong":"NaN"}}' : `{"$date":"${value.toISOString()}"}`;
  if (value instanceof RegExp) return JSON.stringify({ $regularExpression: { pattern: value.source, options: [...value.flags].sort().join('') } });
  if (!isPlainObject(value)) return EJSON.stringify(value, { relaxed: true });
  const record = value as Record<string, unknown>;
  let text = '';
  for (const key of Object.keys(record)) {
    const inner = encodeValue(record[key]);
    if (inner !== undefined) text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${inner}`;
  }
  return `{${text}}`;
}

/**
 * Relaxed EJSON, as bson writes it: plain JSON numbers (the SDK's EJSON.parse reads them back as
 * numbers), Dates as `$date`, RegExps as `$regularExpression`; other BSON values through bson.
 */
export function encode(value: unknown): string {
  return encodeValue(value) ?? 'null';
}
