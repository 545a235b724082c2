/**
 * Shared paths. A card must carry a fresh `rk_sh` (our share id) and nothing that described how
 * the sharer arrived: `utm_*` campaign tags and Rukou's other URL keys (`rk_ch`, `rk_msg`,
 * `rk_card`) belong to the sharer's entry, and left in the card they would credit the recipient's
 * open to the sharer's channel or message instead of to the share.
 */

import { clip } from './events';

const OWN_KEYS = /^(utm_|rk_(sh|ch|msg|card)$)/;

/** A segment's key with `%XX` escapes read (`rk%5Fsh` is `rk_sh`); unescape never throws, where decodeURIComponent would on bad escapes. */
const keyOf = (segment: string): string => unescape(segment.split('=', 1)[0]);

/** Drops campaign tags and Rukou's keys from a query string, keeping every other segment as written. */
export function cleanQuery(query: string): string {
  return query
    .split('&')
    .filter((segment) => segment !== '' && !OWN_KEYS.test(keyOf(segment)))
    .join('&');
}

/** A query string with our share id appended, as `rk_sh`. */
export function withShareId(query: string, shareId: string): string {
  const clean = cleanQuery(query);
  return `${clean}${clean ? '&' : ''}rk_sh=${shareId}`;
}

/** `/route?query` → the same path with its query cleaned (and the share id added when given). */
export function sharePath(path: string, shareId?: string): string {
  // split at the first `?` only: a query value may hold another (`[^]` is any character, line breaks too)
  const [base, query = ''] = path.split(/\?([^]*)/);
  const next = shareId ? withShareId(query, shareId) : cleanQuery(query);
  return next ? `${base}?${next}` : base;
}

/**
 * Text the server takes (it refuses control characters and lone surrogates in any text, and would
 * refuse the whole event): control characters percent-encoded, as a path carries them anyway, and a
 * lone surrogate as U+FFFD, as any UTF-8 encoder writes it. No lookbehind: older iOS engines cannot parse it.
 */
export const cleanText = (text: string): string =>
  // eslint-disable-next-line no-control-regex -- control characters are what it encodes
  text.replace(/[\0-\x1f\x7f]|[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]/g, (found) => (found[1] ? found : found < '\ud800' ? encodeURIComponent(found) : '\ufffd'));

/** A text field as the server takes it (clean, clipped to `length`), or undefined for one that is no text. */
export const textOf = (value: unknown, length: number): string | undefined => (typeof value === 'string' ? clip(cleanText(value), length) : undefined);

/** The query string of a page's own options, as WeChat would share it by default. */
export function queryOf(options: Record<string, string | undefined> | undefined): string {
  return Object.entries(options || {})
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([key, value]) => `${cleanText(key)}=${cleanText(value).replace(/[&#]/g, encodeURIComponent)}`)
    .join('&');
}
