import { BSONRegExp, EJSON } from 'bson';

/** A stored document: plain objects, arrays, numbers, strings, booleans, null, Dates, RegExps. */
export type Doc = Record<string, unknown>;
/** The cloud database accepts string and number ids (`doc(id)` takes either). */
export type DocId = string | number;

// BSON regex options may carry x and l, which JavaScript has no flag for.
const JS_REGEX_FLAGS = new Set(['i', 'm', 's', 'u']);

function toRegExp(value: BSONRegExp): RegExp {
  const flags = [...value.options].filter((flag) => JS_REGEX_FLAGS.has(flag)).join('');
  return new RegExp(value.pattern, flags);
}

function isServerDate(value: Record<string, unknown>): value is { $tcb_server_date: { offset?: number } } {
  return '$tcb_server_date' in value;
}

/**
 * Rewrites, in place, what bson leaves in a CloudBase payload that mingo cannot use:
 * BSONRegExp (db.RegExp and JS RegExp both travel as `$regularExpression`) becomes RegExp,
 * and `{"$tcb_server_date":{"offset":n}}` (db.serverDate()) becomes the server's clock + n ms.
 */
function revive(value: unknown, now: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (value instanceof BSONRegExp) return toRegExp(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], now);
    return value;
  }
  const record = value as Record<string, unknown>;
  if (isServerDate(record)) return new Date(now + Number(record.$tcb_server_date.offset ?? 0));
  for (const key of Object.keys(record)) record[key] = revive(record[key], now);
  return value;
}

/** Decodes one EJSON text as the SDK sends it (canonical) or as the log stores it (relaxed). */
export function decode(text: string, now = Date.now()): unknown {
  return revive(EJSON.parse(text, { relaxed: true }), now);
}

/** Decodes a text that must hold a JSON object (a query, an update, a document). */
export function decodeObject(text: string, what: string, now = Date.now()): Doc {
  const value = decode(text, now);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
  return value as Doc;
}

/**
 * Relaxed EJSON: plain JSON numbers (the SDK's EJSON.parse reads them back as numbers), Dates as
 * `$date`, RegExps as `$regularExpression`. Smaller and faster than canonical, and read back the same.
 */
export function encode(value: unknown): string {
  return EJSON.stringify(value, { relaxed: true });
}
