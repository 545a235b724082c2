import { EJSON } from 'bson';
import { parseJson } from '../http';

/** A stored document: plain objects, arrays, numbers, strings, booleans, null, Dates, RegExps. */
export type Doc = Record<string, unknown>;
/** The cloud database accepts string and number ids (`doc(id)` takes either). */
export type DocId = string | number;

// BSON regex options may carry x and l, which JavaScript has no flag for.
const JS_REGEX_FLAGS = new Set(['i', 'm', 's', 'u']);

function toRegExp(pattern: string, options: string): RegExp {
  return new RegExp(pattern, [...options].filter((flag) => JS_REGEX_FLAGS.has(flag)).join(''));
}

/** The BSON types the SDK can send but rarely does: those go through bson itself. */
const OTHER_BSON_TYPES = new Set(['$oid', '$binary', '$numberDecimal', '$timestamp', '$symbol', '$minKey', '$maxKey', '$uuid', '$code', '$dbPointer', '$undefined']);

function wireDate(inner: unknown): Date {
  if (typeof inner === 'string' || typeof inner === 'number') return new Date(inner);
  return new Date(Number((inner as { $numberLong: string }).$numberLong));
}

/**
 * Turns parsed EJSON (canonical from the SDK, relaxed from the log) into stored values, in place.
 * The wrappers the SDK sends on every document ($numberInt, $numberDouble, $numberLong, $date,
 * $regularExpression) are converted here directly: bson's generic walk cost more than the rest
 * of a 1000-document insert together. `{"$tcb_server_date":{"offset":n}}` (db.serverDate())
 * becomes the server's clock + n ms; RegExps become JavaScript RegExps, which mingo matches with.
 */
function revive(value: unknown, now: number | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], now);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0].startsWith('$')) {
    const inner = record[keys[0]];
    switch (keys[0]) {
      case '$numberInt':
      case '$numberDouble':
      case '$numberLong':
        return Number(inner);
      case '$date':
        return wireDate(inner);
      case '$regularExpression': {
        const { pattern, options } = inner as { pattern: string; options: string };
        return toRegExp(pattern, options);
      }
      case '$tcb_server_date':
        // only a request has a server time; the log stores the dates its requests were given
        if (now === undefined) throw new TypeError('db.serverDate() outside a request');
        return new Date(now + Number(revive((inner as { offset?: unknown }).offset ?? 0, now)));
      default:
        if (OTHER_BSON_TYPES.has(keys[0])) return EJSON.deserialize(record, { relaxed: true });
    }
  }
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
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${what} must be an object`);
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
