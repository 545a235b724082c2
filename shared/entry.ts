/**
 * Entry parsing: from the raw enter options of the Mini Program (`wx.getEnterOptionsSync()`, or
 * the `App.onLaunch`/`App.onShow` options) to what Rukou records about where an entry came from.
 *
 * Rukou's public URL contract is four query keys (the README documents them):
 * - `rk_ch`: the channel key of one of our QR codes or links;
 * - `rk_sh`: the share id the tracker adds to every shared path;
 * - `rk_msg`: the id of a subscription message we sent;
 * - `rk_card`: the id of a service card we sent.
 *
 * They are read from the page query, from the packed `scene` string of a Mini Program code, and
 * from the URL of an ordinary QR code (`q`), but `rk_sh`, which only a card's path carries: it is
 * read from the page query of a card's open (the Share category: chat cards, forwarded chat
 * items …) and of a re-open (Quick entry, Moments snapshots), never from a code, a link or any
 * other entry, whose share id would credit a sharer with a user their card did not bring. The
 * channel key is the first found of:
 * 1. query `rk_ch`;
 * 2. on the code scenes 1047/1048/1049 only, the packed `scene` of a Mini Program code
 *    (wxacode.getUnlimited: at most 32 characters, URL-encoded): `k=v&k=v` containing `rk_ch`, or a
 *    bare key (the whole string is the channel key). Elsewhere a `scene` query value is an ordinary
 *    page parameter: a page reached by a code keeps it in its options, and a card shared from that
 *    page carries it on, so reading it on a card's open would credit the friend to the poster;
 * 3. the ordinary-QR `q` URL (scenes 1011/1012/1013 with `scancode_time`): `rk_ch` in that URL's
 *    query. A URL without `rk_ch` gives no channel: the URL prefix rules configured in the WeChat
 *    console are free-form, and guessing a channel from a path segment would invent channels that
 *    nobody registered. The URL itself stays in the recorded query for the operator to read.
 * Without a channel key, `utm_source`/`utm_medium`/`utm_campaign` (from the same three places)
 * are kept as campaign tags.
 *
 * The parser never throws: whatever the client sends, it answers an entry that validates against
 * `ENTRY_SCHEMA` (see `shared/schemas.ts`).
 *
 * @example
 * parseEntry({ scene: 1047, path: 'pages/index/index', query: { scene: 'rk_ch%3Dposter7' } }, true)
 * // → { scene: 1047, category: 'QR code', bucket: 'offline-qr', channel: 'poster7', reopen: false, … }
 */
import { ValidationError } from './errors';
import { clip, isRecord, textProblem } from './input';
import type { Bucket } from './model';
import { CARD_CATEGORY, classifyScene, DIRECT_CATEGORY, SCENE } from './scenes';

/** Rukou's query keys (the public URL contract). */
export const URL_KEYS = { channel: 'rk_ch', share: 'rk_sh', message: 'rk_msg', card: 'rk_card' } as const;

/** A page with one more query pair (`pages/a/a?id=7` + `rk_msg`, `X` → `pages/a/a?id=7&rk_msg=X`): how a message or card carries its id. */
export const withQueryParam = (page: string, key: string, value: string): string => `${page}${page.includes('?') ? '&' : '?'}${key}=${value}`;

/**
 * Whether a page's route (what comes before `?`) can be one of the Mini Program's pages, as a
 * message or a card opens it: path segments of letters, digits, `_ - .`, none of them `.` or `..`.
 */
export const isPageRoute = (route: string): boolean => /^[A-Za-z0-9_\-.]+(\/[A-Za-z0-9_\-.]+)*$/.test(route) && !route.split('/').some((part) => part === '.' || part === '..');

/** The ids of a return (a share's, a message's, a card's): only Rukou writes them into a page. */
const RETURN_KEYS = [URL_KEYS.share, URL_KEYS.message, URL_KEYS.card];

/**
 * A page a message or a card opens, with its query (`pages/item/item?id=7`; a leading "/" is
 * dropped): a route `isPageRoute` takes; no fragment, which a Mini Program's page does not have and
 * in which the id Rukou appends would be lost; none of `rk_sh`, `rk_msg`, `rk_card`, of which Rukou
 * appends the message's or the card's own (a page with another would credit two returns).
 *
 * @throws ValidationError on `field`: not text, past `maxLength`, a control character, or the above
 */
export function readOpenedPage(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length > maxLength || textProblem(value)) {
    throw new ValidationError(`${field} must be a page of the Mini Program with its query, at most ${maxLength} characters, such as "pages/item/item?id=7".`, field);
  }
  const page = value.trim().replace(/^\//, '');
  const [route, query = ''] = page.split('?');
  if (page.includes('#')) throw new ValidationError(`${field} must not carry a fragment (#…): a Mini Program's page has none, and the id Rukou adds would be lost in it.`, field);
  if (!isPageRoute(route)) throw new ValidationError(`${field} must start with a page's path, such as "pages/item/item".`, field);
  const carried = RETURN_KEYS.find((key) => new URLSearchParams(query).has(key));
  if (carried) throw new ValidationError(`${field} must not carry ${carried}: Rukou adds the message's or the card's own.`, field);
  return page;
}

export const LIMITS = {
  /** Query keys kept per entry (the rest are dropped: a query is context, not a data store). */
  queryKeys: 30,
  queryKeyLength: 64,
  queryValueLength: 1024,
  pathLength: 512,
  /** WeChat's own limit on the `scene` of a Mini Program code. */
  packedSceneLength: 32,
  /** Channel keys, share, message and card ids. */
  idLength: 64,
  campaignLength: 128,
  extraDataKeys: 20,
  apiCategoryLength: 32,
  appIdLength: 64,
  /** The largest scene taken: WeChat's are four digits; six leave room, and refuse nonsense. */
  sceneMax: 999_999,
  /** The largest chatType taken (WeChat's are 1–4). */
  chatTypeMax: 99,
} as const;

const MINI_PROGRAM_CODE_SCENES: ReadonlySet<number> = new Set([1047, 1048, 1049]);
const ORDINARY_QR_SCENES: ReadonlySet<number> = new Set([SCENE.QR_SCAN, SCENE.QR_LONG_PRESS, SCENE.QR_ALBUM]);
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface Campaign {
  source?: string;
  medium?: string;
  campaign?: string;
}

/** Where the channel key was found. */
export type ChannelSource = 'query' | 'scene' | 'qr';

export interface Entry {
  scene: number;
  category: string;
  bucket: Bucket;
  path: string;
  query: Record<string, string>;
  cold: boolean;
  referrerAppId?: string;
  extraDataKeys?: string[];
  chatType?: number;
  apiCategory?: string;
  channel?: string;
  channelSource?: ChannelSource;
  campaign?: Campaign;
  shareId?: string;
  messageId?: string;
  cardId?: string;
  /** A Quick entry (favourites 1010, recent lists, the floating window …) or a Moments snapshot (1154 / `browseOnly`): never a share return. */
  reopen: boolean;
}

/** decodeURIComponent that keeps the raw text when it is not valid percent-encoding. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Keys that could not be stored as a document field (dots and `$` mean paths and operators). */
const storableKey = (key: string): boolean =>
  key.length > 0 && key.length <= LIMITS.queryKeyLength && !key.includes('.') && !key.startsWith('$') && key !== '__proto__';

/**
 * The query decoded, for reading Rukou's keys from, and as stored: decoded too, but for a value
 * that decodes to what the door refuses in raw text (`%00`: a control character), which is stored
 * as it was sent.
 */
function readQuery(value: unknown): { decoded: Record<string, string>; stored: Record<string, string> } {
  const decoded: Record<string, string> = {};
  const stored: Record<string, string> = {};
  if (!isRecord(value)) return { decoded, stored };
  let kept = 0;
  for (const [key, raw] of Object.entries(value)) {
    if (kept >= LIMITS.queryKeys) break;
    if (!storableKey(key) || (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')) continue;
    decoded[key] = clip(decode(String(raw)), LIMITS.queryValueLength);
    stored[key] = textProblem(decoded[key]) === undefined ? decoded[key] : clip(String(raw), LIMITS.queryValueLength);
    kept += 1;
  }
  return { decoded, stored };
}

/** `k=v&k=v` (with an optional leading `?`) into pairs, each part decoded once more. */
function parsePairs(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.replace(/^\?/, '').split('&')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const key = decode(part.slice(0, at));
    if (!pairs.has(key)) pairs.set(key, decode(part.slice(at + 1)));
  }
  return pairs;
}

interface Source {
  pairs: Map<string, string>;
  bareChannel?: string;
}

/** The packed `scene` string of a Mini Program code, when the query carries one. */
function packedScene(query: Record<string, string>, scene: number): Source | undefined {
  const packed = query.scene;
  if (!MINI_PROGRAM_CODE_SCENES.has(scene) || packed === undefined || packed.length === 0 || packed.length > LIMITS.packedSceneLength) return undefined;
  return packed.includes('=') ? { pairs: parsePairs(packed) } : { pairs: new Map(), bareChannel: packed };
}

/** The query of an ordinary QR code's URL (`q`), on the scan scenes that carry `scancode_time`. */
function ordinaryQr(query: Record<string, string>, scene: number): Source | undefined {
  if (!ORDINARY_QR_SCENES.has(scene) || query.q === undefined || query.scancode_time === undefined) return undefined;
  const url = query.q;
  const at = url.indexOf('?');
  if (at < 0) return { pairs: new Map() };
  return { pairs: parsePairs(url.slice(at + 1).split('#')[0]) };
}

const asId = (value: string | undefined): string | undefined =>
  value !== undefined && value.length <= LIMITS.idLength && ID_PATTERN.test(value) ? value : undefined;

const asChannel = (value: string | undefined): string | undefined => {
  const key = value?.trim();
  return key && key.length <= LIMITS.idLength && textProblem(key) === undefined ? key : undefined;
};

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 ? clip(value, max) : undefined;
}

function sceneOf(value: unknown): number {
  const scene = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof scene === 'number' && Number.isSafeInteger(scene) && scene >= 0 ? scene : 0;
}

/** Parses raw enter options. `cold` says whether this entry launched the Mini Program. */
export function parseEntry(options: unknown, cold: boolean): Entry {
  const raw = isRecord(options) ? options : {};
  const scene = sceneOf(raw.scene);
  const { category, bucket } = classifyScene(scene);
  const { decoded: query, stored } = readQuery(raw.query);
  const apiCategory = text(raw.apiCategory, LIMITS.apiCategoryLength);
  const entry: Entry = {
    scene,
    category,
    bucket,
    path: (text(raw.path, LIMITS.pathLength) ?? '').replace(/^\//, ''),
    query: stored,
    cold: cold === true,
    reopen: category === DIRECT_CATEGORY || scene === SCENE.MOMENTS_SINGLE_PAGE || apiCategory === 'browseOnly',
  };

  const packed = packedScene(query, scene);
  const qr = ordinaryQr(query, scene);
  const sources: Map<string, string>[] = [new Map(Object.entries(query)), packed?.pairs ?? new Map(), qr?.pairs ?? new Map()];
  const first = (key: string): string | undefined => sources.map((pairs) => pairs.get(key)).find((value) => value !== undefined);

  const channels: [ChannelSource, string | undefined][] = [
    ['query', asChannel(query[URL_KEYS.channel])],
    ['scene', asChannel(packed?.pairs.get(URL_KEYS.channel) ?? packed?.bareChannel)],
    ['qr', asChannel(qr?.pairs.get(URL_KEYS.channel))],
  ];
  const [channelSource, channel] = channels.find(([, key]) => key !== undefined) ?? [];
  if (channelSource && channel) {
    entry.channel = channel;
    entry.channelSource = channelSource;
  } else {
    const campaign: Campaign = {};
    for (const [field, key] of [['source', 'utm_source'], ['medium', 'utm_medium'], ['campaign', 'utm_campaign']] as const) {
      const value = text(first(key), LIMITS.campaignLength);
      if (value && textProblem(value) === undefined) campaign[field] = value;
    }
    if (Object.keys(campaign).length > 0) entry.campaign = campaign;
  }

  // a card's path is a page query: a share id in a code, a link or any other entry is nobody's card
  const shareId = category === CARD_CATEGORY || entry.reopen ? asId(query[URL_KEYS.share]) : undefined;
  const messageId = asId(first(URL_KEYS.message));
  const cardId = asId(first(URL_KEYS.card));
  if (shareId) entry.shareId = shareId;
  if (messageId) entry.messageId = messageId;
  if (cardId) entry.cardId = cardId;

  if (isRecord(raw.referrerInfo)) {
    const appId = text(raw.referrerInfo.appId, LIMITS.appIdLength);
    if (appId) entry.referrerAppId = appId;
    if (isRecord(raw.referrerInfo.extraData)) {
      const keys = Object.keys(raw.referrerInfo.extraData).filter(storableKey).slice(0, LIMITS.extraDataKeys);
      if (keys.length > 0) entry.extraDataKeys = keys;
    }
  }
  if (typeof raw.chatType === 'number' && Number.isSafeInteger(raw.chatType) && raw.chatType >= 0) entry.chatType = raw.chatType;
  if (apiCategory) entry.apiCategory = apiCategory;
  return entry;
}
