/**
 * Map keys as field names. A rollup's maps and a user-day's counters are keyed by what clients
 * send (channel keys, page paths) and what WeChat gives (scene ids, openGIds); a stored field name
 * cannot hold every string, so keys are escaped on the way in and unescaped on the way out.
 */

/** How the empty key is stored: a field needs a name, and `%` alone is no other key's escape. */
const EMPTY_KEY = '%';
/** JavaScript takes `o["__proto__"] = …` for setting the prototype: the key would vanish on the way. */
const PROTO_KEY = '__proto__';
/** `%` (the escape itself), `.` and `$` (a field path, an operator), control characters and lone surrogates. */
const ESCAPED = /[%.$\p{Cc}\p{Cs}]/gu;
const ESCAPE = /%(?:u([0-9A-F]{4})|([0-9A-F]{2}))/g;

/**
 * Map keys (channel keys, page paths, scene ids…) are field names of the stored document, read by
 * the database and by operators in the cloud console, and any string must come back from one
 * exactly. A key is stored percent-escaped where it must be, and only there (see README): `%` is
 * `%25`, `.` `%2E`, `$` `%24`, a control character `%00`…`%1F`, `%7F`…`%9F` (no field name holds a
 * NUL; `track` refuses them, events stored before may have them), a lone surrogate `%uD800` (UTF-8
 * cannot hold it), the first `_` of `__proto__` `%5F`, and the empty key is `%` alone.
 *
 * @example
 * escapeKey('poster.spring') // → 'poster%2Espring'
 * escapeKey('__proto__') // → '%5F_proto__'
 * unescapeKey(escapeKey(key)) === key // for every string
 */
export function escapeKey(key: string): string {
  if (key === '') return EMPTY_KEY;
  const escaped = key.replace(ESCAPED, (char) => {
    const code = char.charCodeAt(0);
    return code > 0xff ? `%u${code.toString(16).toUpperCase()}` : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return escaped === PROTO_KEY ? `%5F${escaped.slice(1)}` : escaped;
}

export function unescapeKey(key: string): string {
  if (key === EMPTY_KEY) return '';
  return key.replace(ESCAPE, (_, wide: string | undefined, narrow: string | undefined) => String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)));
}

