/**
 * `messages` fuzzed through the client gateway: users report pop-up answers (`consent`, any
 * answers), operators list templates and send (any templateId, to, data, page and idempotencyKey,
 * valid sends among them to users WeChat holds a send for and to users it does not, so that some
 * really go out), payloads that name no action, timer-shaped events from callers that are not the
 * timer, and the timer itself. Operators call from RUKOU_OPERATORS, from `admins` and over HTTP
 * access with a bearer token; users who are not operators, callers without an OPENID and HTTP
 * access without the token are refused.
 *
 * The oracle restates the contract (cloudfunctions/messages, server/messages.ts, shared/messages.ts,
 * shared/subscriptions.ts, shared/keywords.ts): each action refuses a field it does not take, naming
 * it; `templates` takes a boolean `refresh`; a consent's answers are an object of 1 to 5
 * template ids (errMsg aside) of the Mini Program, each answered one of the five answers, and it
 * answers each template's sends left: the ledger's before, one more for an accept (these users'
 * pop-ups are never pushed, so nothing pairs); a send is refused naming the field at fault
 * (templateId, to, to.<i>, idempotencyKey, page, data, data.<key>: each keyword's rule of §D.1 as
 * keywords.ts states it, restated here), and otherwise answers one fate per distinct recipient, in
 * order: the record's fate when the idempotency key already reached them, `no-quota` without a send
 * in the ledger, else what WeChat answers (a fault set for the call; 41030 for a page of no page;
 * sent while WeChat holds a send, which takes one from both; refused with 43101, which empties the
 * ledger). HTTP access answers the same body with the status of its code. Refusals write nothing.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { messageIdOf, subscriptionDocId } from '../../shared/ids';
import { isRecord } from '../../shared/input';
import { CATEGORIES } from '../../shared/scenes';
import { daysBetween, isChinaDay } from '../../shared/time';
import { MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';
import { findDocuments, fuzz, HTTP_STATUS, once, post, refusalOf, send as request, type Verdict } from './harness';
import { anyValue, cleanText, eventOfBody, hugeText, jsonText, notOfType, objectOf, oddKey, oddText, uncleanText } from './values';

const OPERATOR = 'o-fuzz-operator';
const LISTED = 'o-fuzz-listed';
const TOKEN = 'fuzz-messages-token';
const NOW = Date.parse(MIDDAY);

/** Users who only report pop-ups (`consent`): WeChat holds no send for them, so a send to them is refused with 43101. */
const REPORTERS = ['o-fuzz-rep-ann', 'o-fuzz-rep-bob', 'o-fuzz-rep-cai', 'oFuzzRep_0123456789abcdefghij'];
/** Users who accept in WeChat's own pop-up before a send (its push reaches callback), so that sends to them go out. */
const SUBSCRIBERS = ['o-fuzz-sub-0', 'o-fuzz-sub-1', 'o-fuzz-sub-2'];
/** Users nobody told Rukou anything of: no-quota. */
const STRANGERS = ['o-fuzz-nobody', 'x'.repeat(64), 'A', 'o_-9'];
const KEYS = ['launch-1', 'launch-2', 'k.3', 'k:4', 'K_5'];

let emulator: RunningEmulator;
/** The Mini Program's templates as the simulated WeChat has them: id and keyword keys, in order. */
let templates: { id: string; keys: string[] }[] = [];

beforeAll(async () => {
  const env = { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex'), RUKOU_SHARE_SECRET: 'fuzz-share-secret-0123456789' };
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env });
  await post(emulator, '/admin', JSON.stringify({ action: 'database.insertDocument', collectionName: 'admins', data: [JSON.stringify({ _id: LISTED })] }));
  const listed = JSON.parse((await request(emulator, { method: 'GET', path: '/__rukou/wechat/templates' })).text) as { templates: { priTmplId: string; content: string }[] };
  templates = listed.templates.map((template) => ({ id: template.priTmplId, keys: [...new Set([...template.content.matchAll(/\{\{([A-Za-z_]+\d+)\.DATA\}\}/g)].map((match) => match[1]))] }));
  await warmTemplates();
});

afterAll(async () => {
  await emulator?.stop();
});

const invoke = async (text: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> => post(emulator, '/functions/messages', text, headers);

/**
 * `messages` keeps WeChat's template list for 10 minutes: the first call after that asks WeChat
 * again and rewrites it, refusal or not. The suite asks for it afresh every few minutes, from an
 * input that may write, so that no refusal ever finds it stale.
 */
let warmedAt = 0;
async function warmTemplates(): Promise<void> {
  if (Date.now() - warmedAt < 4 * 60_000) return;
  warmedAt = Date.now();
  const answer = await invoke(JSON.stringify({ data: { action: 'templates', refresh: true } }), { 'x-wx-openid': OPERATOR });
  expect(answer).toEqual({ status: 200, body: { result: { templates: expect.any(Array) } } });
}

/** Pushes are delivered in the background; an input that made one answers once every push is settled (a sent event's delivery is written by callback). */
async function pushesSettled(): Promise<void> {
  await until(async () => (JSON.parse((await request(emulator, { method: 'GET', path: '/__rukou/wechat/pushes?status=pending' })).text) as { pushes: unknown[] }).pushes.length === 0);
}

// ————— the contract, restated —————

const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
const ANSWERS = ['accept', 'acceptWithAudio', 'reject', 'ban', 'filter'];
const PAGES = ['pages/index/index', 'pages/detail/detail'];

/** A control character (U+0000–U+001F, U+007F) or a lone surrogate. */
const unclean = (text: string): boolean => [...text].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f' || (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff));

const SYMBOLS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const isSymbol = (c: string): boolean => c.length === 1 && SYMBOLS.includes(c);
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);
const isDigit = (c: string): boolean => /^[0-9]$/.test(c);
const isHan = (c: string): boolean => /^\p{Script=Han}$/u.test(c);

/** A calendar day, month and day written with one or two digits (proleptic Gregorian, as a Date counts). */
function realDay(year: string, month: string, day: string): boolean {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  if (m < 1 || m > 12 || d < 1) return false;
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const DATE_TEXT = String.raw`(\d{4})(?:年(\d{1,2})月(\d{1,2})日|-(\d{1,2})-(\d{1,2}))`;
const TIME_TEXT = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
/** keywords.ts: a date point (a time after it optional), a time point (a date before it optional); after 日 the space is optional, else one space. */
const POINTS = {
  date: new RegExp(`^${DATE_TEXT}(?:(?:(?<=日) ?| )${TIME_TEXT})?$`),
  time: new RegExp(`^(?:${DATE_TEXT}(?:(?<=日) ?| ))?${TIME_TEXT}$`),
};
const pointsOrRange = (value: string, point: RegExp): boolean => {
  const points = value.split(/ *~ */);
  return points.length <= 2 && points.every((text) => {
    const match = point.exec(text);
    return match !== null && (match[1] === undefined || realDay(match[1], match[2] ?? match[4], match[3] ?? match[5]));
  });
};

/** Whether a keyword's value keeps its rule, as shared/keywords.ts's docstring states §D.1's table. */
function valueKeeps(key: string, value: string): boolean {
  const rule = /^([a-z]+(?:_[a-z]+)*)\d+$/.exec(key)?.[1];
  if (value.trim() === '' || unclean(value)) return false;
  const chars = [...value];
  const every = (test: (c: string) => boolean, max: number): boolean => chars.length <= max && chars.every(test);
  switch (rule) {
    case 'thing':
      return chars.length <= 20;
    case 'number':
      return chars.length <= 32 && /^[0-9]+(?:\.[0-9]+)?$/.test(value);
    case 'letter':
      return every(isLetter, 32);
    case 'symbol':
      return every(isSymbol, 5);
    case 'character_string':
      return every((c) => isDigit(c) || isLetter(c) || isSymbol(c), 32);
    case 'phone_number':
      return every((c) => isDigit(c) || isSymbol(c), 17);
    case 'car_number':
      return chars.length <= 8 && chars.every((c, i) => isDigit(c) || isLetter(c) || (isHan(c) && (i === 0 || i === chars.length - 1)));
    case 'name':
      return chars.every((c) => isHan(c) || isLetter(c) || isSymbol(c) || c === ' ' || c === '·') && chars.length <= (chars.some(isHan) ? 10 : 20);
    case 'phrase':
      return every(isHan, 5);
    case 'amount': {
      const match = /^[¥￥$€£]?([0-9]+)(?:\.([0-9]+))?元?$/.exec(value);
      return match !== null && match[1].length + (match[2]?.length ?? 0) <= 10;
    }
    case 'date':
    case 'time':
      return pointsOrRange(value, POINTS[rule]);
    default:
      return false;
  }
}

type Refused = { code: string; field?: string };
type Expected =
  | { refusal: Refused }
  | { consent: { openid: string; answers: [string, string][] } }
  | { templates: { refresh: boolean } }
  | { send: { templateId: string; to: string[]; data: Record<string, string>; page?: string; idempotencyKey: string } }
  | { timer: true }
  /** A send to a segment that is one: its results are checked for shape (test/functions/messages.test.ts checks whom it reaches). */
  | { segment: { templateId: string; idempotencyKey: string; segment: Record<string, unknown> } };

const refuse = (code: string, field?: string): Expected => ({ refusal: field === undefined ? { code } : { code, field } });

/**
 * The first field of a payload that an action does not take, which it is refused on: named by at
 * most its first 64 UTF-16 units, one fewer where the 64th would split a surrogate pair.
 */
const unknownField = (payload: Record<string, unknown>, known: readonly string[]): string | undefined => {
  const key = Object.keys(payload).find((name) => !known.includes(name));
  if (key === undefined || key.length <= 64) return key;
  return key.slice(0, /[\uD800-\uDBFF]/.test(key[63]) ? 63 : 64);
};

function consentVerdict(openid: string | undefined, event: Record<string, unknown>): Expected {
  if (!openid) return refuse('NO_IDENTITY');
  const unknown = unknownField(event, ['action', 'answers']);
  if (unknown !== undefined) return refuse('INVALID_INPUT', unknown);
  const answers = event.answers;
  if (!isRecord(answers)) return refuse('INVALID_INPUT', 'answers');
  const entries = Object.entries(answers).filter(([key]) => key !== 'errMsg');
  if (entries.length === 0 || entries.length > 5) return refuse('INVALID_INPUT', 'answers');
  for (const [id, answer] of entries) {
    if (!TEMPLATE_ID.test(id)) return refuse('INVALID_INPUT', 'answers');
    if (typeof answer !== 'string' || !ANSWERS.includes(answer)) return refuse('INVALID_INPUT', `answers.${id}`);
  }
  const notOurs = entries.find(([id]) => !templates.some((template) => template.id === id));
  if (notOurs) return refuse('INVALID_INPUT', `answers.${notOurs[0]}`);
  return { consent: { openid, answers: entries as [string, string][] } };
}

/** The categories a segment may name (README, Segments): the scene catalog's, or Unknown. */
const SEGMENT_CATEGORIES: readonly string[] = [...CATEGORIES, 'Unknown'];

/**
 * How a segment is refused, or undefined for one that is one (README, Segments): exactly one kind;
 * `quota: true`; `firstTouch` with a channel (text of 1–64 clean characters), a category of the
 * catalog or a scene (a whole number 0–999,999, as track takes them); `entered` with only a category of the catalog and days
 * from ≤ to, more than 92 a limit.
 */
function segmentProblem(segment: unknown): Expected | undefined {
  const field = 'to.segment';
  const invalid = (at: string): Expected => refuse('INVALID_INPUT', at);
  if (!isRecord(segment)) return invalid(field);
  const stray = unknownField(segment, ['quota', 'firstTouch', 'entered']);
  if (stray !== undefined) return invalid(`${field}.${stray}`);
  if (Object.keys(segment).length !== 1) return invalid(field);
  const text = (value: unknown): boolean => typeof value === 'string' && value.length > 0 && value.length <= 64 && !unclean(value);
  const category = (value: unknown): boolean => typeof value === 'string' && SEGMENT_CATEGORIES.includes(value);
  if (segment.quota === true) return undefined;
  if (isRecord(segment.firstTouch)) {
    const touch = segment.firstTouch;
    const unknown = unknownField(touch, ['channel', 'scene', 'category']);
    if (unknown !== undefined) return invalid(`${field}.firstTouch.${unknown}`);
    const keys = Object.keys(touch);
    const by = keys.length === 1 ? keys[0] : undefined;
    if (by === 'channel') return text(touch.channel) ? undefined : invalid(`${field}.firstTouch.channel`);
    if (by === 'category') return category(touch.category) ? undefined : invalid(`${field}.firstTouch.category`);
    if (by === 'scene') return Number.isSafeInteger(touch.scene) && (touch.scene as number) >= 0 && (touch.scene as number) <= 999_999 ? undefined : invalid(`${field}.firstTouch.scene`);
    return invalid(`${field}.firstTouch`);
  }
  if (isRecord(segment.entered)) {
    const unknown = unknownField(segment.entered, ['category', 'from', 'to']);
    if (unknown !== undefined) return invalid(`${field}.entered.${unknown}`);
    const { category: named, from, to } = segment.entered;
    if (!category(named)) return invalid(`${field}.entered.category`);
    if (!isChinaDay(from)) return invalid(`${field}.entered.from`);
    if (!isChinaDay(to)) return invalid(`${field}.entered.to`);
    if (from > to) return invalid(`${field}.entered.to`);
    return daysBetween(from, to) >= 92 ? refuse('LIMIT_EXCEEDED', `${field}.entered.to`) : undefined;
  }
  return invalid(field);
}

/** A segment that is one as the send keeps it under its key: its one condition, in the order the README writes it. */
function canonicalSegment(segment: Record<string, unknown>): Record<string, unknown> {
  if (segment.quota === true) return { quota: true };
  if (isRecord(segment.firstTouch)) return { firstTouch: { ...segment.firstTouch } };
  const { category, from, to } = segment.entered as Record<string, unknown>;
  return { entered: { category, from, to } };
}

/**
 * Whether a send's idempotency key names another send (README: a key names one send: another
 * template, or a list where this is a segment, or another segment, is refused on `idempotencyKey`).
 */
async function keyTaken(idempotencyKey: string, templateId: string, segment: Record<string, unknown> | null): Promise<boolean> {
  const [claimed] = await findDocuments(emulator, 'sends', { _id: idempotencyKey });
  return claimed !== undefined && (claimed.templateId !== templateId || JSON.stringify(claimed.segment ?? null) !== JSON.stringify(segment));
}

function sendVerdict(payload: Record<string, unknown>): Expected {
  const unknown = unknownField(payload, ['action', 'templateId', 'to', 'data', 'page', 'idempotencyKey']);
  if (unknown !== undefined) return refuse('INVALID_INPUT', unknown);
  const { templateId, to, data, page, idempotencyKey } = payload;
  if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId)) return refuse('INVALID_INPUT', 'templateId');
  const stray = isRecord(to) ? unknownField(to, ['segment']) : undefined;
  if (stray !== undefined) return refuse('INVALID_INPUT', `to.${stray}`);
  const segment = isRecord(to) ? segmentProblem(to.segment) : undefined;
  if (segment) return segment;
  if (!isRecord(to)) {
    if (!Array.isArray(to) || to.length === 0 || to.length > 1000) return refuse('INVALID_INPUT', 'to');
    const bad = to.findIndex((openid) => typeof openid !== 'string' || !OPENID.test(openid));
    if (bad >= 0) return refuse('INVALID_INPUT', `to.${bad}`);
  }
  if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) return refuse('INVALID_INPUT', 'idempotencyKey');
  if (page !== undefined && page !== null) {
    if (typeof page !== 'string' || page.length > 512 || unclean(page)) return refuse('INVALID_INPUT', 'page');
    const route = page.replace(/^\//, '').split('?')[0];
    // a page's path: segments of letters, digits, _ - and dots, none of them . or ..
    if (page !== '' && (!/^[\w.-]+(\/[\w.-]+)*$/.test(route) || route.split('/').some((part) => part === '.' || part === '..'))) return refuse('INVALID_INPUT', 'page');
    if (new URLSearchParams(page.split('?')[1] ?? '').has('rk_msg')) return refuse('INVALID_INPUT', 'page');
  }
  const template = templates.find((candidate) => candidate.id === templateId);
  if (!template) return refuse('INVALID_INPUT', 'templateId');
  if (!isRecord(data)) return refuse('INVALID_INPUT', 'data');
  const extra = Object.keys(data).find((key) => !template.keys.includes(key));
  if (extra !== undefined) return refuse('INVALID_INPUT', `data.${extra}`);
  for (const key of template.keys) {
    const value = Object.hasOwn(data, key) ? data[key] : undefined;
    if (typeof value !== 'string' || !valueKeeps(key, value)) return refuse('INVALID_INPUT', `data.${key}`);
  }
  if (isRecord(to)) return { segment: { templateId, idempotencyKey, segment: canonicalSegment(to.segment as Record<string, unknown>) } };
  const cleanPage = typeof page === 'string' && page !== '' ? page.replace(/^\//, '') : undefined;
  return { send: { templateId, to: [...new Set(to as string[])], data: data as Record<string, string>, ...(cleanPage === undefined ? {} : { page: cleanPage }), idempotencyKey } };
}

/** What an operator's payload asks (route: templates and send; anything else names `action`). */
function operatorVerdict(payload: Record<string, unknown>): Expected {
  if (payload.action === 'templates') {
    const unknown = unknownField(payload, ['action', 'refresh']);
    if (unknown !== undefined) return refuse('INVALID_INPUT', unknown);
    const { refresh } = payload;
    if (refresh !== undefined && refresh !== null && typeof refresh !== 'boolean') return refuse('INVALID_INPUT', 'refresh');
    return { templates: { refresh: refresh === true } };
  }
  if (payload.action === 'send') return sendVerdict(payload);
  return refuse('INVALID_INPUT', 'action');
}

function tokenOf(headers: Record<string, unknown>): string | undefined {
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return typeof value === 'string' ? /^Bearer\s+(\S+)$/i.exec(value)?.[1] : undefined;
}

/** An HTTP access event's payload, or the refusal it gets before the payload is read (server/operators.ts). */
function httpVerdict(event: Record<string, unknown>): Expected {
  if (tokenOf(event.headers as Record<string, unknown>) !== TOKEN) return refuse('NOT_OPERATOR');
  const text = event.body ?? '';
  if (typeof text !== 'string') return refuse('INVALID_INPUT', 'body');
  const raw = event.isBase64Encoded === true || event.isBase64Encoded === 'true' ? Buffer.from(text, 'base64').toString('utf8') : text;
  if (raw.trim() === '') return operatorVerdict(isRecord(event.queryStringParameters) ? event.queryStringParameters : {});
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) return operatorVerdict(parsed);
  } catch {
    // below
  }
  return refuse('INVALID_INPUT', 'body');
}

type Via = 'user' | 'operator' | 'listed' | 'stranger' | 'anonymous' | 'http' | 'trigger';
const OPENIDS: Record<Via, string | undefined> = { user: undefined, operator: OPERATOR, listed: LISTED, stranger: 'o-fuzz-stranger', anonymous: undefined, http: undefined, trigger: undefined };

interface MessagesCase {
  via: Via;
  /** The reporting user, for `user`. */
  openid?: string;
  data: unknown;
  /** For a send: subscribers who accept the template in WeChat's pop-up first; a fault WeChat answers the first call with. */
  grant?: string[];
  fault?: number;
}

/** The timer, or a call as a timer's: the function's own check is SOURCE wx_trigger with Type timer and a Time a run can use. */
function isTimer(event: Record<string, unknown>, source: string): boolean {
  if (source !== 'wx_trigger' || typeof event.Type !== 'string' || event.Type.toLowerCase() !== 'timer' || typeof event.Time !== 'string') return false;
  return Math.abs(new Date(event.Time).getTime() - NOW) < 365 * 86_400_000;
}

const planOf = once((input: MessagesCase): { text: string; headers: Record<string, string>; path: string; expected: Expected; http: boolean } => {
  if (input.via === 'trigger') return { text: jsonText(input.data), headers: {}, path: '/triggers/messages', expected: { timer: true }, http: false };
  const openid = input.via === 'user' ? input.openid : OPENIDS[input.via];
  const source = input.via === 'http' ? 'wx_http' : 'wx_client';
  const headers: Record<string, string> = { 'x-wx-source': source, ...(openid ? { 'x-wx-openid': openid } : {}) };
  const text = jsonText(input.data === undefined ? {} : { data: input.data });
  const path = '/functions/messages';
  const raw = eventOfBody(JSON.parse(text));
  if (!isRecord(raw)) return { text, headers, path, expected: refuse('INVALID_INPUT'), http: false };
  const event = objectOf(Object.entries(raw).filter(([key]) => key !== 'userInfo'));
  if (isTimer(event, source)) return { text, headers, path, expected: { timer: true }, http: false };
  if (event.action === 'consent') return { text, headers, path, expected: consentVerdict(openid, event), http: false };
  const http = typeof event.httpMethod === 'string' && isRecord(event.headers);
  if (http) return { text, headers, path, expected: httpVerdict(event), http };
  if (input.via !== 'operator' && input.via !== 'listed') return { text, headers, path, expected: refuse('NOT_OPERATOR'), http };
  return { text, headers, path, expected: operatorVerdict(event), http };
});

// ————— the inputs —————

const templateIdOf = fc.nat().map((pick) => templates[pick % templates.length].id);

/** Values of each rule that keep it, or nearly do: the oracle says which. */
const HAN = '首入口帆布包新品到货张三李四粤京沪𠀀';
const han = (min: number, max: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...HAN), { minLength: min, maxLength: max }).map((chars) => chars.join(''));
const digits = (min: number, max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const dateText = fc.tuple(fc.integer({ min: 1999, max: 2030 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.boolean()).map(([y, m, d, cn]) => (cn ? `${y}年${m}月${d}日` : `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`));
const timeText = fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.boolean()).map(([h, m, s]) => `${h}:${String(m).padStart(2, '0')}${s ? ':00' : ''}`);
const RULE_VALUES: Record<string, fc.Arbitrary<string>> = {
  thing: fc.oneof(cleanText(20, 1), cleanText(30, 18), han(1, 22)),
  number: fc.oneof(digits(1, 34), fc.tuple(digits(1, 10), digits(1, 10)).map(([a, b]) => `${a}.${b}`), fc.constantFrom('-1', '1.', '.5', '1e3')),
  letter: fc.oneof(fc.stringMatching(/^[A-Za-z]{1,34}$/), fc.constantFrom('abc1', 'ab c')),
  symbol: fc.oneof(fc.stringMatching(/^[!-/:-@[-`{-~]{1,6}$/), fc.constantFrom('！', '—', 'a')),
  character_string: fc.oneof(fc.stringMatching(/^[!-~]{1,34}$/), fc.constantFrom('SF 123', '单号1')),
  phone_number: fc.oneof(fc.stringMatching(/^[0-9+()-]{1,18}$/), fc.constantFrom('+86-0766-66888866', '139 0000 0000')),
  car_number: fc.oneof(fc.tuple(han(0, 1), fc.stringMatching(/^[A-Z0-9]{1,8}$/), han(0, 1)).map((parts) => parts.join('')), fc.constantFrom('粤A8Z888', 'A粤8', '粤A12345学')),
  name: fc.oneof(han(1, 11), fc.stringMatching(/^[A-Za-z ·.'-]{1,21}$/), fc.constantFrom('Ann Lee', '张 三', 'R2D2')),
  phrase: fc.oneof(han(1, 6), fc.constantFrom('已发货', 'shipped', '已 发')),
  amount: fc.oneof(fc.tuple(fc.constantFrom('', '¥', '￥', '$', '€', '£', '₩'), digits(1, 11), fc.option(digits(1, 4), { nil: undefined }), fc.constantFrom('', '元')).map(([c, i, d, y]) => `${c}${i}${d === undefined ? '' : `.${d}`}${y}`)),
  date: fc.oneof(dateText, fc.tuple(dateText, timeText, fc.constantFrom(' ', '', '  ')).map(([d, t, s]) => `${d}${s}${t}`), fc.tuple(dateText, dateText, fc.constantFrom('~', ' ~ ', '～')).map(([a, b, s]) => `${a}${s}${b}`)),
  time: fc.oneof(timeText, fc.tuple(dateText, timeText).map(([d, t]) => `${d} ${t}`), fc.tuple(timeText, timeText).map(([a, b]) => `${a} ~ ${b}`), fc.constantFrom('2019年10月1日15:01', '2019/10/01 15:01')),
};
/** Values that keep each rule, as the examples of §D.1 write them. */
const KEEPS: Record<string, string[]> = {
  thing: ['入口帆布包', 'New arrivals', '首 $.x'], number: ['12', '88.88'], letter: ['abc'], symbol: ['!?', '~'], character_string: ['SF1234567890', 'a-b_c'], phone_number: ['+86-0766-66888866'],
  car_number: ['粤A8Z888', 'A1'], name: ['张三', 'Ann Lee'], phrase: ['已发货'], amount: ['¥100.50', '100元', '3'], date: ['2024年5月20日', '2024-05-20 15:01', '2019-10-01 ~ 2019-10-02'], time: ['15:01', '2019年10月1日 15:01', '08:00 ~ 09:30'],
};
const valueFor = (key: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 36, arbitrary: fc.constantFrom(...(KEEPS[/^([a-z_]+?)\d+$/.exec(key)?.[1] ?? 'thing'] ?? KEEPS.thing)) },
    { weight: 12, arbitrary: RULE_VALUES[/^([a-z_]+?)\d+$/.exec(key)?.[1] ?? 'thing'] ?? cleanText(20, 1) },
    { weight: 1, arbitrary: fc.oneof(notOfType('string'), uncleanText(20), fc.constantFrom('', '   ', '\u3000'), oddText(24), hugeText(1, 3000)) },
  );

/** A template's data: mostly each keyword with a value near its rule; sometimes one missing or one more. */
const dataFor = (templateId: string): fc.Arbitrary<unknown> => {
  const keys = templates.find((template) => template.id === templateId)?.keys ?? ['thing1'];
  const full = fc.tuple(...keys.map(valueFor)).map((values) => objectOf(keys.map((key, i) => [key, values[i]])));
  return fc.oneof(
    { weight: 10, arbitrary: full },
    { weight: 1, arbitrary: fc.tuple(full, fc.nat()).map(([data, pick]) => objectOf(Object.entries(data).filter((_, i) => i !== pick % keys.length))) },
    { weight: 1, arbitrary: fc.tuple(full, fc.oneof(oddKey, fc.constantFrom('thing9', 'Thing1', '5')), anyValue).map(([data, key, value]) => objectOf([...Object.entries(data), [key, value]])) },
    { weight: 1, arbitrary: notOfType('object') },
  );
};

const recipient = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SUBSCRIBERS) }, { weight: 2, arbitrary: fc.constantFrom(...REPORTERS) }, { weight: 2, arbitrary: fc.constantFrom(...STRANGERS) }, { weight: 1, arbitrary: fc.stringMatching(OPENID) });
const page = fc.option(
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('', '/'), fc.constantFrom(...PAGES), fc.option(fc.stringMatching(/^[a-z0-9=&%]{0,20}$/), { nil: undefined })).map(([slash, path, query]) => `${slash}${path}${query === undefined ? '' : `?${query}`}`) },
    { weight: 1, arbitrary: fc.constantFrom('pages/nope/nope', 'pages/index/index?rk_msg=1', 'pages/index/index?a=1&rk_msg=', '?x=1', 'pages/index/index?a=1?rk_msg=2', 'x'.repeat(513)) },
    { weight: 1, arbitrary: fc.oneof(cleanText(40), uncleanText(40), notOfType('string')) },
  ),
  { nil: undefined, freq: 3 },
);
const idempotencyKey = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 2, arbitrary: fc.stringMatching(IDEMPOTENCY_KEY) }, { weight: 1, arbitrary: fc.oneof(notOfType('string'), fc.constantFrom('', 'a b', 'x'.repeat(65), 'k/1', '首')) });

/** A send keeping the contract, mostly, with its recipients granted in WeChat or not. */
const validSend = templateIdOf.chain((templateId) =>
  fc.record({
    action: fc.constant('send'),
    templateId: fc.constant(templateId),
    to: fc.oneof({ weight: 20, arbitrary: fc.array(recipient, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(fc.stringMatching(OPENID), { minLength: 40, maxLength: 60 }) }),
    data: dataFor(templateId),
    page,
    idempotencyKey,
  }, { requiredKeys: ['action', 'templateId', 'to', 'data', 'idempotencyKey'] }),
);
/** A send with one field made wrong: any value, missing, too many recipients, a template of no one. */
const brokenSend = fc.oneof(
  fc.tuple(validSend, fc.constantFrom('templateId', 'to', 'data', 'page', 'idempotencyKey'), fc.oneof(anyValue, hugeText(1, 2000))).map(([payload, key, value]) => ({ ...payload, [key]: value })),
  fc.tuple(validSend, fc.constantFrom('templateId', 'to', 'data', 'idempotencyKey')).map(([payload, key]) => objectOf(Object.entries(payload).filter(([name]) => name !== key))),
  fc.tuple(validSend, fc.oneof(fc.stringMatching(TEMPLATE_ID), fc.constantFrom('', 'no-such-template', '__proto__', 'constructor', 'x'.repeat(65)))).map(([payload, templateId]) => ({ ...payload, templateId })),
  fc.tuple(validSend, fc.oneof(fc.constant([]), fc.array(fc.constant('o-fuzz-many'), { minLength: 1001, maxLength: 1003 }), fc.array(fc.oneof(recipient, anyValue, fc.constantFrom('', 'o x', 'x'.repeat(65))), { minLength: 1, maxLength: 4 }))).map(([payload, to]) => ({ ...payload, to })),
  fc.tuple(validSend, oddKey, anyValue).map(([payload, key, value]) => objectOf([...Object.entries(payload), [key, value]])),
);

const consentAnswers = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.uniqueArray(templateIdOf, { minLength: 1, maxLength: 5 }), fc.array(fc.constantFrom(...ANSWERS), { minLength: 5, maxLength: 5 }), fc.boolean()).map(([ids, answers, errMsg]) => objectOf([...(errMsg ? [['errMsg', 'requestSubscribeMessage:ok'] as [string, unknown]] : []), ...ids.map((id, i): [string, unknown] => [id, answers[i]])])) },
  { weight: 3, arbitrary: fc.array(fc.tuple(fc.oneof(templateIdOf, fc.stringMatching(TEMPLATE_ID), oddKey, fc.constant('errMsg')), fc.oneof(fc.constantFrom(...ANSWERS), anyValue, fc.constantFrom('Accept', 'accept ', 'acceptwithaudio'))), { maxLength: 7 }).map(objectOf) },
  { weight: 1, arbitrary: notOfType('object') },
);
const consent = fc.oneof(
  { weight: 10, arbitrary: consentAnswers.map((answers) => ({ action: 'consent', answers })) },
  { weight: 1, arbitrary: fc.tuple(consentAnswers, oddKey, anyValue).map(([answers, key, value]) => objectOf([['action', 'consent'], ['answers', answers], [key, value]])) },
  { weight: 1, arbitrary: fc.constant({ action: 'consent' }) },
);

/** Authorization headers of every shape, and HTTP access events carrying a payload. */
const authorization = fc.oneof(fc.constantFrom(`Bearer ${TOKEN}`, `bearer  ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer wrong', `Basic ${TOKEN}`, ''), anyValue);
const httpEvent = (payload: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.constantFrom('POST', 'GET'),
      fc.tuple(fc.constantFrom('authorization', 'Authorization', 'x-authorization'), authorization).map(([name, value]) => objectOf([[name, value]])),
      fc.oneof(
        { weight: 6, arbitrary: payload.map((p) => ({ body: jsonText(p) })) },
        { weight: 2, arbitrary: payload.map((p) => ({ body: Buffer.from(jsonText(p)).toString('base64'), isBase64Encoded: true })) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', undefined), fc.oneof(payload, anyValue)).map(([body, query]) => ({ body, queryStringParameters: query })) },
        { weight: 1, arbitrary: fc.oneof(oddText(30), notOfType('string'), fc.constantFrom('[]', '{"action":"send"')).map((body) => ({ body })) },
      ),
    )
    .map(([httpMethod, headers, carried]) => ({ path: '/messages', httpMethod, headers, ...carried }));

/** Who sends an operator's payload: operators most, others and HTTP access too. */
const asOperators = (payload: fc.Arbitrary<unknown>): fc.Arbitrary<MessagesCase> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ via: fc.constantFrom<Via>('operator', 'operator', 'listed'), data: payload }) },
    { weight: 1, arbitrary: fc.record({ via: fc.constantFrom<Via>('stranger', 'anonymous'), data: payload }) },
    { weight: 2, arbitrary: fc.record({ via: fc.constant<Via>('http'), data: httpEvent(payload) }) },
  );

const instant = fc.integer({ min: NOW - 3 * 86_400_000, max: NOW + 86_400_000 }).map((ms) => new Date(ms).toISOString());
const timerShape = fc
  .record({ Type: fc.oneof(fc.constantFrom('Timer', 'timer', 'TIMER'), anyValue), TriggerName: fc.oneof(fc.constant('retryMessages'), anyValue), Time: fc.oneof(instant, anyValue), Message: anyValue }, { requiredKeys: ['Type'] })
  .chain((event) => fc.option(fc.tuple(fc.oneof(oddKey, fc.constantFrom('action', 'answers')), fc.oneof(anyValue, fc.constantFrom('consent', 'send', 'templates'))), { nil: undefined }).map((extra) => (extra ? objectOf([...Object.entries(event), extra]) : event)));

// ————— what each answer must be —————

interface Ledger {
  quota: number;
}
const ledgersOf = async (openids: string[], templateId: string): Promise<Map<string, Ledger>> =>
  new Map((await findDocuments(emulator, 'subscriptions', { _id: { $in: openids.map((openid) => subscriptionDocId(openid, templateId)) } })).map((doc) => [doc.openid as string, doc as unknown as Ledger]));

/** One user's ledgers of these templates, by template, in one read. */
const ledgersByTemplate = async (openid: string, templateIds: string[]): Promise<Map<string, Ledger>> =>
  new Map((await findDocuments(emulator, 'subscriptions', { _id: { $in: templateIds.map((id) => subscriptionDocId(openid, id)) } })).map((doc) => [doc.templateId as string, doc as unknown as Ledger]));

const wechatQuota = async (openid: string, templateId: string): Promise<number> =>
  (JSON.parse((await request(emulator, { method: 'GET', path: `/__rukou/wechat/grants?openid=${openid}` })).text) as { grants: { templateId: string; quota: number }[] }).grants.find((grant) => grant.templateId === templateId)?.quota ?? 0;

/** What subscribeMessage.send's errcode makes of a recipient (shared/messages.ts, fateOf). */
const fateOfErrcode = (errcode: number): string => (errcode === 43101 ? 'refused' : [40003, 40037, 41030, 47003].includes(errcode) ? 'invalid' : 'retrying');

type SendRequest = Extract<Expected, { send: unknown }>['send'];
interface SendOracle {
  /** Each distinct recipient's fate, in order. */
  fates: Record<string, unknown>[];
  /** What each recipient tried must hold after the call: the ledger's sends left, WeChat's. */
  after: Map<string, { ledger: number; wechat: number }>;
  /** The messages this call makes (the others were made before, under this key). */
  made: Set<string>;
}

/**
 * Each recipient's fate, from what was stored before the call: the record of this key, or
 * no-quota, or what WeChat answers (the fault set for the first call, 41030 for a page of no page,
 * sent while it holds a send, else 43101). Sets the fault when a recipient will be tried.
 */
async function predictSend(input: MessagesCase, sent: SendRequest): Promise<SendOracle> {
  const { templateId, to, idempotencyKey } = sent;
  const ids = to.map((openid) => messageIdOf(idempotencyKey, openid));
  const records = new Map((await findDocuments(emulator, 'messages', { _id: { $in: ids } })).map((doc) => [doc._id as string, doc]));
  const ledgers = await ledgersOf(to, templateId);
  const pageOk = sent.page === undefined || PAGES.includes(sent.page.split('?')[0]);
  let fault = input.fault;
  const fates: Record<string, unknown>[] = [];
  const after = new Map<string, { ledger: number; wechat: number }>();
  const made = new Set<string>();
  for (const [k, openid] of to.entries()) {
    const known = records.get(ids[k]);
    if (known) {
      fates.push({ openid, fate: known.fate, messageId: ids[k], ...(known.reason ? { reason: known.reason } : {}) });
      continue;
    }
    made.add(ids[k]);
    const quota = ledgers.get(openid)?.quota ?? 0;
    if (quota <= 0) {
      fates.push({ openid, fate: 'no-quota', messageId: ids[k] });
      continue;
    }
    const wechat = await wechatQuota(openid, templateId);
    let fate: string;
    if (fault !== undefined) {
      fate = fateOfErrcode(fault);
      await setFault(fault);
      fault = undefined;
    } else if (!pageOk) fate = 'invalid';
    else fate = wechat > 0 ? 'sent' : 'refused';
    fates.push({ openid, fate, messageId: ids[k], ...(fate === 'sent' ? {} : { reason: expect.any(String) }) });
    after.set(openid, { ledger: fate === 'sent' ? quota - 1 : fate === 'refused' ? 0 : quota, wechat: fate === 'sent' ? wechat - 1 : wechat });
  }
  return { fates, after, made };
}

async function setFault(errcode: number): Promise<void> {
  const answer = await post(emulator, '/__rukou/wechat/faults', JSON.stringify({ api: 'subscribeMessage.send', errcode }));
  expect(answer.status).toBe(200);
}

/** A send's answer and what it stored: the fates, the ledgers and WeChat's sends, a record per recipient. */
async function expectSent(sent: SendRequest, oracle: SendOracle, result: unknown): Promise<void> {
  expect(result).toEqual({ results: oracle.fates, remaining: [] });
  await pushesSettled();
  const ledgers = await ledgersOf([...oracle.after.keys()], sent.templateId);
  for (const [openid, { ledger, wechat }] of oracle.after) {
    expect({ openid, ledger: ledgers.get(openid)?.quota, wechat: await wechatQuota(openid, sent.templateId) }).toEqual({ openid, ledger, wechat });
  }
  const ids = sent.to.map((openid) => messageIdOf(sent.idempotencyKey, openid));
  const stored = new Map((await findDocuments(emulator, 'messages', { _id: { $in: ids } })).map((doc) => [doc._id as string, doc]));
  // a record made before, under this key, is answered as it is (even of another template: the key names one send); a new one is this send's
  for (const fate of oracle.fates) {
    const made = oracle.made.has(fate.messageId as string);
    expect(stored.get(fate.messageId as string)).toMatchObject({ openid: fate.openid, idempotencyKey: sent.idempotencyKey, fate: fate.fate, ...(made ? { templateId: sent.templateId } : {}) });
  }
}

async function check(input: MessagesCase): Promise<Verdict> {
  const planned = planOf(input);
  const { text, headers, path, http } = planned;
  let { expected } = planned;
  if ('send' in expected && (await keyTaken(expected.send.idempotencyKey, expected.send.templateId, null))) expected = refuse('INVALID_INPUT', 'idempotencyKey');
  if ('segment' in expected && (await keyTaken(expected.segment.idempotencyKey, expected.segment.templateId, expected.segment.segment))) expected = refuse('INVALID_INPUT', 'idempotencyKey');
  if ('send' in expected || 'consent' in expected || 'timer' in expected || ('templates' in expected && expected.templates.refresh)) await warmTemplates();
  let sendOracle: SendOracle | undefined;
  if ('send' in expected) {
    for (const openid of input.grant ?? []) {
      const answered = await post(emulator, '/__rukou/wechat/subscribe', JSON.stringify({ openid, answers: { [expected.send.templateId]: 'accept' } }));
      expect(answered.status).toBe(200);
    }
    await pushesSettled();
    sendOracle = await predictSend(input, expected.send);
  }
  let consentBefore: Map<string, Ledger> | undefined;
  if ('consent' in expected) consentBefore = await ledgersByTemplate(expected.consent.openid, expected.consent.answers.map(([id]) => id));
  const timerDue = 'timer' in expected ? (await findDocuments(emulator, 'messages', { fate: 'retrying' })).length : 0;

  const answer = await post(emulator, path, text, headers);
  expect(answer).toEqual({ status: 200, body: { result: expect.anything() } });
  let result = (answer.body as { result: unknown }).result;
  if (http) {
    const response = result as { statusCode: number; body: string };
    expect(response).toEqual({ statusCode: expect.any(Number), headers: { 'content-type': 'application/json; charset=utf-8' }, body: expect.any(String), isBase64Encoded: false });
    result = JSON.parse(response.body);
    expect(response.statusCode).toBe('refusal' in expected ? HTTP_STATUS[expected.refusal.code] : 200);
  }
  if ('refusal' in expected) {
    const refusal = refusalOf(result);
    expect({ code: refusal.code, field: refusal.field }).toEqual({ code: expected.refusal.code, field: expected.refusal.field });
    return 'refused';
  }
  if ('templates' in expected) {
    const listed = (result as { templates: { templateId: string; type: number; keywords: { key: string; rule?: string; label: string }[] }[] }).templates;
    expect(listed.map((template) => [template.templateId, template.keywords.map((keyword) => keyword.key)])).toEqual(templates.map((template) => [template.id, template.keys]));
    for (const template of listed) for (const keyword of template.keywords) expect(keyword.rule).toBe(/^([a-z_]+?)\d+$/.exec(keyword.key)?.[1]);
    return 'answered';
  }
  if ('consent' in expected) {
    const { openid, answers } = expected.consent;
    const quota = Object.fromEntries(answers.map(([id, answer]) => [id, (consentBefore?.get(id)?.quota ?? 0) + (answer === 'accept' || answer === 'acceptWithAudio' ? 1 : 0)]));
    expect(result).toEqual({ quota });
    const stored = await ledgersByTemplate(openid, answers.map(([id]) => id));
    expect(Object.fromEntries(answers.map(([id]) => [id, stored.get(id)?.quota]))).toEqual(quota);
    return 'answered';
  }
  if ('timer' in expected) {
    const { retried, fates } = result as { retried: number; fates: Record<string, number> };
    expect(result).toEqual({ retried: expect.any(Number), fates: expect.any(Object) });
    expect(retried).toBeLessThanOrEqual(Math.min(100, timerDue));
    expect(Object.values(fates).reduce((sum, n) => sum + n, 0)).toBe(retried);
    await pushesSettled();
    return 'answered';
  }
  if ('segment' in expected) {
    expect(result).toEqual({ results: expect.any(Array), done: expect.any(Boolean) });
    await pushesSettled();
    return 'answered';
  }
  if ('send' in expected && sendOracle) await expectSent(expected.send, sendOracle, result);
  return 'answered';
}

/** Only a refresh of the templates, a consent, a send and the timer's run write; everything else is a read or a refusal. */
const mayWrite = (input: MessagesCase): boolean => {
  const { expected } = planOf(input);
  return !('refusal' in expected) && !('templates' in expected && !expected.templates.refresh);
};

// ————— the targets —————

fuzz(__filename, () => emulator, {
  name: 'messages consent',
  inputs: fc.oneof(
    { weight: 8, arbitrary: fc.record({ via: fc.constant<Via>('user'), openid: fc.constantFrom(...REPORTERS), data: consent }) },
    { weight: 1, arbitrary: fc.record({ via: fc.constantFrom<Via>('anonymous', 'operator'), data: consent }) },
  ) as fc.Arbitrary<MessagesCase>,
  send: check,
  mayWrite,
  // a user's reports change only their own ledgers
  lane: (input) => (input.via === 'user' ? input.openid : undefined),
  functions: ['messages'],
  atOnce: 4,
});

fuzz(__filename, () => emulator, {
  name: 'messages templates',
  inputs: asOperators(fc.oneof({ weight: 6, arbitrary: fc.record({ action: fc.constant('templates'), refresh: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: anyValue }) }, { requiredKeys: ['action'] }) }, { weight: 1, arbitrary: fc.tuple(oddKey, anyValue).map(([key, value]) => objectOf([['action', 'templates'], [key, value]])) })),
  send: check,
  mayWrite,
  functions: ['messages'],
  atOnce: 4,
});

/** A send, and what the suite does before it: subscribers accept in WeChat (so that it goes out), WeChat answers a fault. */
const sendCase: fc.Arbitrary<MessagesCase> = fc
  .tuple(asOperators(fc.oneof({ weight: 2, arbitrary: validSend }, { weight: 3, arbitrary: brokenSend })), fc.subarray(SUBSCRIBERS), fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(-1, 45009, 43101, 40003, 47003, 9999) }))
  .map(([input, grant, fault]) => ({ ...input, grant, fault }));

fuzz(__filename, () => emulator, {
  name: 'messages send',
  inputs: sendCase,
  send: check,
  mayWrite,
  functions: ['messages', 'callback'],
  atOnce: 4,
  shown: (input) => ({ ...input, data: input.data }),
});

fuzz(__filename, () => emulator, {
  name: 'messages (any payload, timer-shaped, the timer)',
  inputs: fc.oneof(
    { weight: 4, arbitrary: asOperators(fc.oneof(notOfType('object'), fc.array(fc.tuple(oddKey, anyValue), { maxLength: 4 }).map(objectOf), fc.tuple(oddText(12), anyValue).map(([action, value]) => ({ action, value })), fc.constantFrom({ action: 'Send' }, { action: '__proto__' }, { action: 'retryDue' }, { action: 'constructor' }))) },
    { weight: 3, arbitrary: fc.record({ via: fc.constantFrom<Via>('operator', 'stranger', 'anonymous', 'http'), data: timerShape }) },
    { weight: 1, arbitrary: fc.record({ via: fc.constant<Via>('trigger'), data: fc.oneof(instant.map((time) => ({ time })), fc.constant({})) }) },
  ),
  send: check,
  mayWrite,
  functions: ['messages'],
  atOnce: 4,
});
