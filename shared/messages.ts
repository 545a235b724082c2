/**
 * Subscription messages as Rukou sends them: what a send asks for, the page a message opens (with
 * its `rk_msg`), and what each of WeChat's answers makes of a recipient (its fate).
 *
 * @example
 * const send = readSendRequest({ templateId: 'T1', to: ['o-ann'], data: { thing1: '新品到货' }, page: 'pages/item/item?id=7', idempotencyKey: 'launch-7' });
 * messagePage(send.page, 'Xy…')          // 'pages/item/item?id=7&rk_msg=Xy…'
 * fateOf(43101)                            // { fate: 'refused' }: the user has no send left (§D.1)
 */
import { LIMITS, readOpenedPage, URL_KEYS, withQueryParam } from './entry';
import { LimitError, ValidationError } from './errors';
import { isRecord, refuseUnknown, textProblem } from './input';
import { CATEGORIES, UNKNOWN_CATEGORY } from './scenes';
import { daysBetween, isChinaDay } from './time';

/** Recipients one send names at most; a larger audience is several sends (each resumable). */
export const MAX_RECIPIENTS = 1000;
/** The categories a segment may name: the catalog's, and the one of scenes it does not know. */
const SEGMENT_CATEGORIES: readonly string[] = [...CATEGORIES, UNKNOWN_CATEGORY];
/** Days an `entered` segment spans at most. */
export const MAX_SEGMENT_DAYS = 92;
/** Attempts of one message before a retryable failure is final (`failed`). */
export const MAX_ATTEMPTS = 5;
/**
 * The wait before the second attempt; each later one waits twice as long (10, 20, 40, 80 minutes),
 * and the hourly timer tries what is due: WeChat's busy and quota answers last minutes to hours.
 */
export const FIRST_RETRY_MS = 10 * 60_000;

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A page of the Mini Program as subscribeMessage.send takes it: a route, a query (§D.1). */
const PAGE_LENGTH = 512;

/**
 * Who a send goes to, in the operator's words: users whose first touch came through a channel, a
 * scene or a category; users who entered through a category on days from–to; every user with a send
 * left. Only those with a send left for the template are ever sent to.
 */
export type Segment =
  | { firstTouch: { channel: string } | { scene: number } | { category: string } }
  | { entered: { category: string; from: string; to: string } }
  | { quota: true };

export interface SendRequest {
  templateId: string;
  /** Openids, each once, in the order given (empty for a segment). */
  to: string[];
  segment?: Segment;
  /** The keywords' values as the operator wrote them; checked against the template (keywords.ts). */
  data: unknown;
  /** The page the message opens, without a leading "/" (none: the message opens nothing). */
  page?: string;
  idempotencyKey: string;
}

/**
 * Reads a `send` action. Throws ValidationError naming the field: `templateId`, `to` (not a list
 * of 1–1,000 openids), `to.<i>`, `page` (not text, too long, a control character, or already
 * holding `rk_msg`), `idempotencyKey` (1–64 of letters, digits, `_ . : -`). `data` is checked
 * later, against the template's keywords.
 */
export function readSendRequest(event: Record<string, unknown>): SendRequest {
  refuseUnknown(event, ['action', 'templateId', 'to', 'data', 'page', 'idempotencyKey']);
  const { templateId, to, data, page, idempotencyKey } = event;
  if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId)) throw new ValidationError('templateId must be the id of one of the Mini Program\'s templates (see the "templates" action).', 'templateId');
  if (isRecord(to)) refuseUnknown(to, ['segment'], 'to');
  const segment = isRecord(to) ? readSegment(to.segment) : undefined;
  if (!segment) {
    if (!Array.isArray(to) || to.length === 0 || to.length > MAX_RECIPIENTS) throw new ValidationError(`to must be a list of 1 to ${MAX_RECIPIENTS} openids, or { "segment": … }.`, 'to');
    to.forEach((openid, i) => {
      if (typeof openid !== 'string' || !OPENID.test(openid)) throw new ValidationError('Each recipient must be an openid (1–64 letters, digits, _ or -).', `to.${i}`);
    });
  }
  if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('idempotencyKey must be 1–64 letters, digits or _ . : - : the same key sends once, however often it is called.', 'idempotencyKey');
  }
  // none, null or "": the message opens no page
  const opened = page === undefined || page === null || page === '' ? undefined : readOpenedPage(page, 'page', PAGE_LENGTH);
  return { templateId, to: segment ? [] : [...new Set(to as string[])], ...(segment ? { segment } : {}), data, ...(opened === undefined ? {} : { page: opened }), idempotencyKey };
}

/** `templates`: whether to ask WeChat again (`refresh: true`) rather than answer the day's cached list. Throws ValidationError naming the field. */
export function readTemplatesRequest(event: Record<string, unknown>): { refresh: boolean } {
  refuseUnknown(event, ['action', 'refresh']);
  const { refresh } = event;
  if (refresh !== undefined && refresh !== null && typeof refresh !== 'boolean') throw new ValidationError('refresh must be true (ask WeChat for the templates again) or false.', 'refresh');
  return { refresh: refresh === true };
}

const SEGMENT_EXAMPLE = '{ "firstTouch": { "channel": "poster-7" } }, { "entered": { "category": "…", "from": "2024-05-01", "to": "2024-05-07" } } or { "quota": true }';
const onlyKey = (value: Record<string, unknown>): string | undefined => (Object.keys(value).length === 1 ? Object.keys(value)[0] : undefined);

/**
 * A send's segment (`to.segment`). Throws ValidationError naming the field (`to.segment`,
 * `to.segment.firstTouch`, `to.segment.entered.from` …): one kind of segment with one condition,
 * text of 1–64 characters, a scene a whole number, days YYYY-MM-DD from ≤ to, at most 92 of them.
 */
function readSegment(segment: unknown): Segment {
  const field = 'to.segment';
  if (!isRecord(segment)) throw new ValidationError(`to.segment must be one of ${SEGMENT_EXAMPLE}.`, field);
  refuseUnknown(segment, ['quota', 'firstTouch', 'entered'], field);
  const kind = onlyKey(segment);
  const text = (value: unknown, at: string): string => {
    if (typeof value !== 'string' || value.length === 0 || value.length > 64 || textProblem(value)) throw new ValidationError(`${at} must be text of 1 to 64 characters.`, at);
    return value;
  };
  // a category no entry carries would match nobody, without a word: a misspelt one is refused
  const category = (value: unknown, at: string): string => {
    if (typeof value !== 'string' || !SEGMENT_CATEGORIES.includes(value)) throw new ValidationError(`${at} must be one of the categories: ${SEGMENT_CATEGORIES.join(', ')}.`, at);
    return value;
  };
  if (kind === 'quota' && segment.quota === true) return { quota: true };
  if (kind === 'firstTouch' && isRecord(segment.firstTouch)) {
    const touch = segment.firstTouch;
    refuseUnknown(touch, ['channel', 'scene', 'category'], `${field}.firstTouch`);
    const by = onlyKey(touch);
    const at = `${field}.firstTouch.${by}`;
    if (by === 'channel') return { firstTouch: { channel: text(touch.channel, at) } };
    if (by === 'category') return { firstTouch: { category: category(touch.category, at) } };
    if (by === 'scene') {
      if (!Number.isSafeInteger(touch.scene) || (touch.scene as number) < 0 || (touch.scene as number) > LIMITS.sceneMax) throw new ValidationError(`${at} must be a scene value, a whole number from 0 to ${LIMITS.sceneMax}, as track takes them.`, at);
      return { firstTouch: { scene: touch.scene as number } };
    }
    throw new ValidationError('to.segment.firstTouch names one of channel, scene or category.', `${field}.firstTouch`);
  }
  if (kind === 'entered' && isRecord(segment.entered)) {
    refuseUnknown(segment.entered, ['category', 'from', 'to'], `${field}.entered`);
    const { category: named, from, to } = segment.entered;
    const day = (value: unknown, name: string): string => {
      if (!isChinaDay(value)) throw new ValidationError(`${field}.entered.${name} must be a day written YYYY-MM-DD.`, `${field}.entered.${name}`);
      return value;
    };
    const entered = { category: category(named, `${field}.entered.category`), from: day(from, 'from'), to: day(to, 'to') };
    if (entered.from > entered.to) throw new ValidationError(`${field}.entered ends (${entered.to}) before it starts (${entered.from}).`, `${field}.entered.to`);
    const days = daysBetween(entered.from, entered.to) + 1;
    // a limit, as a range of stats past its days is
    if (days > MAX_SEGMENT_DAYS) throw new LimitError(`${field}.entered spans ${days} days; at most ${MAX_SEGMENT_DAYS}.`, `${field}.entered.to`);
    return { entered };
  }
  throw new ValidationError(`to.segment must be one of ${SEGMENT_EXAMPLE}.`, field);
}

/** The page a message opens: the send's page with the message's id as `rk_msg`, which credits the entry it brings. */
export function messagePage(page: string, messageId: string): string {
  return withQueryParam(page, URL_KEYS.message, messageId);
}

/** What became of one recipient of a send. */
export type Fate = 'sent' | 'no-quota' | 'refused' | 'invalid' | 'retrying' | 'failed' | 'sending';

/**
 * The fate an errcode of subscribeMessage.send gives a message (§D.1): 0 sent; 43101 refused (the
 * user has no send left: never retried); 40003, 47003, 41030 and 40037 invalid (the request can
 * never succeed as it is); anything else — 45009 quota, -1 system busy, a timeout — retrying,
 * until `MAX_ATTEMPTS`.
 */
export function fateOf(errcode: number): { fate: Fate } {
  if (errcode === 0) return { fate: 'sent' };
  if (errcode === 43101) return { fate: 'refused' };
  if ([40003, 40037, 41030, 47003].includes(errcode)) return { fate: 'invalid' };
  return { fate: 'retrying' };
}

/** When attempt `attempts + 1` is due after attempt `attempts` failed at `at`; undefined once no attempt is left. */
export function nextAttemptAt(attempts: number, at: Date): Date | undefined {
  return attempts >= MAX_ATTEMPTS ? undefined : new Date(at.getTime() + FIRST_RETRY_MS * 2 ** (attempts - 1));
}
