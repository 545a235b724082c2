/**
 * `track` fuzzed through the client gateway, as Mini Program users and as a caller without an
 * OPENID: batches that keep the contract, batches with one event field broken, and batches broken
 * as a whole. A correct result partitions exactly the events sent: each broken event (or one past
 * 8 KB, or nested past 16 levels) is in `rejected`, with its id and the field at fault, in order;
 * each other event is in `accepted` the first time its id reaches the caller's store and in
 * `duplicates` otherwise (ids stored before the call are read first); `sharePrefix` is the
 * caller's HMAC (README, "Share ids nobody else can take"); exactly the accepted events are stored,
 * as sent. A batch refused whole writes nothing.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { eventDocId } from '../../shared/ids';
import { isRecord } from '../../shared/input';
import { issueGroupCloudId, MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { countDocuments, expectClientRefusal, findDocuments, fuzz, once, refusalOf, resultOf, send, type Verdict } from './harness';
import { anyValue, cleanText, deep, Deep, delivered, eventOfBody, hugeText, jsonText, notOfType, objectOf, oddKey, oddNumber, uncleanText } from './values';

const SECRET = 'fuzz-share-secret-0123456789';
const USERS = ['o-fuzz-ann', 'o-fuzz-bob', 'oFuzzC4rl_0123456789abcdefgh', 'o-fuzz~dan.=+/ 1'];
const NOW = Date.parse(MIDDAY);
/** A few ids that come back, so that duplicates happen within batches and across them. */
const ID_POOL = ['fuzz-id-0', 'fuzz-id-1', 'fuzz-id-2', 'fuzz-id-3', 'FUZZ_ID_4', 'fuzz-id-5-longer-than-most'];

/** README: the first 12 characters of base64url(HMAC-SHA256(secret, "rk_sh:" + openid)). */
const prefixOf = (openid: string): string => createHmac('sha256', SECRET).update(`rk_sh:${openid}`).digest('base64url').slice(0, 12);

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_SHARE_SECRET: SECRET } });
});

afterAll(async () => {
  await emulator?.stop();
});

/** One event as sent, and whether (and where) the generator broke it: `field` is the refusal's, absent when none is named. */
interface EventCase {
  event: unknown;
  broken?: { field?: string };
}

const ID = /^[A-Za-z0-9_-]{8,64}$/;
const id = fc.oneof(fc.stringMatching(ID), fc.constantFrom(...ID_POOL));
const seq = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
/** A phone's clock: today, a phone reset to 1970, one set years ahead, the largest a Date holds. */
const at = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: NOW - 10 * 86_400_000, max: NOW + 86_400_000 }) }, fc.constantFrom(0, 8_640_000_000_000_000), fc.integer({ min: 0, max: 8_640_000_000_000_000 }));
const shareId = fc.oneof(
  fc.tuple(fc.constantFrom(...USERS.map(prefixOf)), fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/)).map(([prefix, rest]) => prefix + rest),
  fc.stringMatching(ID),
);
const queryKey = fc.oneof(cleanText(64), fc.constantFrom('rk_ch', 'rk_sh', 'rk_msg', 'rk_card', 'scene', 'q', 'scancode_time', 'utm_source', 'utm_medium', 'utm_campaign', '__proto__', '$x', 'a.b', 'constructor', ''));
const queryValue = fc.oneof(cleanText(1024), shareId, fc.constantFrom('rk_ch%3Dposter7', 'rk_ch=poster%00', 'https://example.com/p?rk_ch=qr-9', '%E4', '1700000000'));
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 30 }).map(objectOf);
const scene = fc.oneof(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(1007, 1008, 1010, 1011, 1044, 1047, 1089, 1154), fc.stringMatching(/^[0-9]{1,6}$/));
const extraData = fc.array(fc.tuple(cleanText(64), anyValue), { maxLength: 20 }).map(objectOf);
const options = fc.record(
  {
    scene,
    path: cleanText(512),
    query,
    shareTicket: cleanText(256),
    referrerInfo: fc.record({ appId: cleanText(64), extraData }, { requiredKeys: [] }),
    chatType: fc.integer({ min: 0, max: 99 }),
    apiCategory: fc.constantFrom('default', 'browseOnly', 'embedded', 'chatTool'),
  },
  { requiredKeys: ['scene', 'path', 'query'] },
);
const common = { id, seq, at };
const VALID: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  enter: fc.record({ ...common, type: fc.constant('enter'), cold: fc.boolean(), options, group: fc.oneof(cleanText(2048, 1), fc.constantFrom(...['live-cloudid'])) }, { requiredKeys: ['id', 'seq', 'at', 'type', 'cold', 'options'] }),
  share: fc.record({ ...common, type: fc.constant('share'), shareId, path: cleanText(512), to: fc.constantFrom('chat', 'timeline') }),
  page: fc.record({ ...common, type: fc.constant('page'), path: cleanText(512) }),
  hide: fc.record({ ...common, type: fc.constant('hide'), stayMs: fc.integer({ min: 0, max: 2 ** 31 - 1 }), pause: fc.stringMatching(/^[A-Za-z]{1,32}$/) }, { requiredKeys: ['id', 'seq', 'at', 'type', 'stayMs'] }),
  goal: fc.record(
    { ...common, type: fc.constant('goal'), name: fc.oneof(fc.constantFrom('order_paid', 'signup', '__proto__', 'constructor'), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)), goalId: fc.oneof(cleanText(128, 1), fc.constantFrom('A-1001', '订单-7', 'x'.repeat(128))), value: fc.integer({ min: 0, max: 2 ** 31 - 1 }) },
    { requiredKeys: ['id', 'seq', 'at', 'type', 'name', 'goalId'] },
  ),
};


/** A string longer than `max` code points. */
const tooLong = (max: number): fc.Arbitrary<string> => fc.integer({ min: max + 1, max: max + 40 }).map((length) => 'x'.repeat(length));
const badId = fc.oneof(notOfType('string'), fc.stringMatching(/^[A-Za-z0-9_-]{0,7}$/), tooLong(64), fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), fc.constantFrom('.', '$', ' ', '/', '首', '\u0000', '\ud800')).map(([text, bad]) => text + bad));
const badText = (max: number): fc.Arbitrary<unknown> => fc.oneof(notOfType('string'), tooLong(max), uncleanText(max));
const badInteger = (min: number, max: number): fc.Arbitrary<unknown> => fc.oneof(notOfType('integer'), fc.constantFrom(min - 1, max + 1, min + 0.5));
const badScene = fc.oneof(notOfType('string').filter((value) => !Number.isInteger(delivered(value))), fc.constantFrom(-1, 1_000_000, 1.5, '', '1234567', '12a', ' 12', '-1', '1e3', '１２'));

/** A path into an event, where a breaker puts a value or removes one. */
type Path = string[];

function setAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const record = isRecord(value) ? value : {};
  return objectOf([...Object.entries(record).filter(([key]) => key !== head), [head, setAt(record[head], rest, replacement)]]);
}

function removeAt(value: unknown, path: Path): unknown {
  const [head, ...rest] = path;
  if (!isRecord(value)) return value;
  const entries = Object.entries(value).filter(([key]) => key !== head);
  return objectOf(rest.length === 0 ? entries : [...entries, [head, removeAt(value[head], rest)]]);
}

/** One way to break an event of a type: the value at a path, and the field the refusal names. */
interface Breaker {
  path: Path;
  value: fc.Arbitrary<unknown>;
  /** Defaults to the path, dotted. */
  field?: (value: unknown) => string | undefined;
}

const textField = (path: Path, max: number): Breaker => ({ path, value: badText(max) });
/** A query or extraData object broken by its keys: too many, too long, unclean; each is refused naming the object. */
const badKeys = (maxKeys: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.constant('v')), { minLength: maxKeys + 1, maxLength: maxKeys + 10 }).map(objectOf).filter((object) => Object.keys(object).length > maxKeys),
    tooLong(64).map((key) => objectOf([[key, 'v']])),
    uncleanText(20).map((key) => objectOf([[key, 'v']])),
  );
/** A query whose one value is broken: refused naming that value's field. */
const badQueryValue = fc.tuple(cleanText(64, 1), fc.oneof(notOfType('string'), tooLong(1024), uncleanText(1024))).map(([key, value]) => ({ key, query: objectOf([[key, value]]) }));

const COMMON_BREAKERS: Breaker[] = [
  { path: ['id'], value: badId },
  { path: ['seq'], value: badInteger(0, Number.MAX_SAFE_INTEGER) },
  { path: ['at'], value: badInteger(0, 8_640_000_000_000_000) },
  { path: ['type'], value: fc.oneof(notOfType('string'), fc.constantFrom('Enter', 'show', '', 'enter ', '__proto__', 'constructor')) },
];

const BREAKERS: Record<string, Breaker[]> = {
  enter: [
    { path: ['cold'], value: notOfType('boolean') },
    { path: ['options'], value: notOfType('object') },
    { path: ['options', 'scene'], value: badScene },
    textField(['options', 'path'], 512),
    { path: ['options', 'query'], value: fc.oneof(notOfType('object'), badKeys(30)), field: () => 'options.query' },
    textField(['options', 'shareTicket'], 256),
    { path: ['options', 'referrerInfo'], value: notOfType('object') },
    textField(['options', 'referrerInfo', 'appId'], 64),
    { path: ['options', 'referrerInfo', 'extraData'], value: fc.oneof(notOfType('object'), badKeys(20)), field: () => 'options.referrerInfo.extraData' },
    { path: ['options', 'chatType'], value: badInteger(0, 99) },
    textField(['options', 'apiCategory'], 32),
    { path: ['group'], value: fc.oneof(badText(2048), fc.constant('')) },
  ],
  share: [{ path: ['shareId'], value: badId }, textField(['path'], 512), { path: ['to'], value: fc.oneof(notOfType('string'), fc.constantFrom('Chat', 'moments', '', 'timeline ')) }],
  page: [textField(['path'], 512)],
  hide: [{ path: ['stayMs'], value: badInteger(0, 2 ** 31 - 1) }, { path: ['pause'], value: fc.oneof(notOfType('string'), fc.constantFrom('', 'x'.repeat(33), 'preview1', 'préview', 'make-call')) }],
  goal: [
    { path: ['name'], value: fc.oneof(notOfType('string'), fc.constantFrom('', 'order paid', 'x'.repeat(65), 'goals.x', '$paid', '订单')) },
    { path: ['goalId'], value: fc.oneof(badText(128), fc.constant('')) },
    { path: ['value'], value: badInteger(0, 2 ** 31 - 1) },
  ],
};

const REQUIRED: Record<string, Path[]> = {
  enter: [['cold'], ['options'], ['options', 'scene'], ['options', 'path'], ['options', 'query']],
  share: [['shareId'], ['path'], ['to']],
  page: [['path']],
  hide: [['stayMs']],
  goal: [['name'], ['goalId']],
};
/** Objects of each type that are closed (an unknown field there is refused, naming it). */
const CLOSED: Record<string, Path[]> = { enter: [[], ['options'], ['options', 'referrerInfo']], share: [[]], page: [[]], hide: [[]], goal: [[]] };

function brokenEvents(type: string): fc.Arbitrary<EventCase>[] {
  const valid = VALID[type];
  const replaced = [...COMMON_BREAKERS, ...BREAKERS[type]].map((breaker) =>
    fc.tuple(valid, breaker.value).map(([event, value]): EventCase => {
      const field = breaker.field ? breaker.field(value) : breaker.path.join('.');
      return { event: setAt(event, breaker.path, value), broken: field === undefined ? {} : { field } };
    }),
  );
  const queryValue = type === 'enter' ? [fc.tuple(valid, badQueryValue).map(([event, { key, query }]): EventCase => ({ event: setAt(event, ['options', 'query'], query), broken: { field: `options.query.${key}` } }))] : [];
  const missing = [['id'], ['seq'], ['at'], ['type'], ...REQUIRED[type]].map((path) => valid.map((event): EventCase => ({ event: removeAt(event, path), broken: { field: path.join('.') } })));
  const known = new Set(['id', 'seq', 'at', 'type', 'cold', 'options', 'group', 'shareId', 'path', 'to', 'stayMs', 'pause', 'scene', 'query', 'shareTicket', 'referrerInfo', 'chatType', 'apiCategory', 'appId', 'extraData', 'name', 'goalId', 'value']);
  const unknown = CLOSED[type].map((path) =>
    fc.tuple(valid, fc.oneof(oddKey, fc.constantFrom('openid', 'unionid', 'userInfo')).filter((key) => !known.has(key)), anyValue).map(([event, key, value]): EventCase => ({
      event: setAt(event, [...path, key], value),
      broken: { field: [...path, key].join('.') },
    })),
  );
  // deeper than an event may nest (16 levels), under the one place that takes any value: refused without a field
  const tooDeep = type === 'enter' ? [fc.tuple(valid, deep(14, 985)).map(([event, value]): EventCase => ({ event: setAt(event, ['options', 'referrerInfo', 'extraData', 'k'], value), broken: {} }))] : [];
  return [...replaced, ...queryValue, ...missing, ...unknown, ...tooDeep];
}

const eventCase: fc.Arbitrary<EventCase> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(...Object.values(VALID)).map((event): EventCase => ({ event })) },
  { weight: 3, arbitrary: fc.oneof(...Object.keys(VALID).flatMap(brokenEvents)) },
  // events that are no object at all, and one whose extraData is huge (past 8 KB: refused without a field)
  { weight: 1, arbitrary: fc.oneof(notOfType('object').map((event): EventCase => ({ event, broken: {} })), fc.tuple(VALID.enter, hugeText(8200, 200_000)).map(([event, value]): EventCase => ({ event: setAt(event, ['options', 'referrerInfo', 'extraData', 'big'], value), broken: {} }))) },
);

interface BatchCase {
  openid: string;
  /** `data` as sent to the gateway; undefined sends `{}` without it. */
  data: unknown;
  events: EventCase[];
  /** Which kind of cloudID the simulated WeChat issues for an entry that asks for a live one. */
  pick: number;
}

const validBatch = fc.record({
  v: fc.constant(1),
  sentAt: fc.option(at, { nil: undefined }),
  events: fc.oneof({ weight: 9, arbitrary: fc.array(eventCase, { minLength: 1, maxLength: 6 }) }, { weight: 1, arbitrary: fc.array(eventCase, { minLength: 40, maxLength: 50 }) }),
});

/** A batch broken as a whole: not an object, an unknown field, a wrong version or sentAt, no events or too many. */
const brokenBatch = fc.oneof(
  notOfType('object'),
  fc.constant(undefined),
  fc.tuple(validBatch, fc.array(fc.tuple(oddKey.filter((key) => !['v', 'sentAt', 'events', 'userInfo'].includes(key)), anyValue), { minLength: 1, maxLength: 2 })).map(([batch, extra]) => objectOf([...Object.entries(batch), ...extra])),
  fc.tuple(validBatch, fc.oneof(anyValue, fc.constantFrom(2, '1', 1.5, 0, true, [1]))).map(([batch, v]) => ({ ...batch, v })),
  fc.tuple(validBatch, fc.oneof(notOfType('integer'), fc.constantFrom(-1, 8_640_000_000_000_001, 0.5), oddNumber.filter((n) => !(Number.isInteger(n) && n >= 0 && n <= 8.64e15)))).map(([batch, sentAt]) => ({ ...batch, sentAt })),
  fc.tuple(validBatch, fc.oneof(notOfType('array'), fc.constant([]))).map(([batch, events]) => ({ ...batch, events })),
  fc.tuple(validBatch, fc.array(VALID.page, { minLength: 51, maxLength: 60 })).map(([batch, events]) => ({ ...batch, events })),
  // a body nested past what the emulator reads (1,000 levels): the door refuses it
  fc.tuple(validBatch, fc.constant(new Deep(1000, 'array'))).map(([batch, events]) => ({ ...batch, events })),
);

const batchCase: fc.Arbitrary<BatchCase> = fc
  .tuple(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...USERS) }, { weight: 1, arbitrary: fc.constant('') }), fc.oneof({ weight: 1, arbitrary: validBatch }, { weight: 1, arbitrary: brokenBatch }), fc.nat())
  .map(([openid, batch, pick]) => {
    const cases = isRecord(batch) && Array.isArray(batch.events) && batch.events.every((item) => isRecord(item) && 'event' in item) ? (batch.events as EventCase[]) : undefined;
    const data = cases ? { ...(batch as Record<string, unknown>), events: cases.map((item) => item.event) } : batch;
    return { openid, data, events: cases ?? [], pick };
  });
/** The refusal of a whole batch the contract calls for (README, "track: the event contract"), or undefined when its events are looked at one by one. */
function wholeRefusal(batch: unknown): { field?: string } | undefined {
  if (!isRecord(batch)) return {};
  const unknown = Object.keys(batch).filter((key) => !['v', 'sentAt', 'events', 'userInfo'].includes(key));
  if (unknown.length > 0) return unknown.length === 1 ? { field: unknown[0] } : {};
  if (batch.v !== 1) return { field: 'v' };
  const { sentAt, events } = batch;
  if (sentAt !== undefined && !(Number.isInteger(sentAt) && (sentAt as number) >= 0 && (sentAt as number) <= 8.64e15)) return { field: 'sentAt' };
  if (!Array.isArray(events) || events.length === 0 || events.length > 50) return { field: 'events' };
  return undefined;
}

/** How deep a parsed JSON value nests. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, level] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, level + 1);
    for (const inner of Object.values(current)) stack.push([inner, level + 1]);
  }
  return deepest;
}

const idOf = (event: unknown): string | null => (isRecord(event) && typeof event.id === 'string' ? event.id.slice(0, 64) : null);

/** The events each user has stored, by document id: what the answers said was accepted (the oracle checks each against the database). */
/** Each user's stored events by document id, as the answers said (the database is checked against it after each batch). */
const storedBy = new Map<string, Set<string>>();
const storedOf = (openid: string): Set<string> => {
  if (!storedBy.has(openid)) storedBy.set(openid, new Set());
  return storedBy.get(openid) as Set<string>;
};

interface Partition {
  accepted: string[];
  duplicates: string[];
  rejected: unknown[];
  /** The first event sent under each accepted id: what is stored. */
  stored: Map<string, Record<string, unknown>>;
}

/** What track must answer for these events of a batch it takes, from the contract and the caller's stored ids. */
function partition(openid: string, events: unknown[], cases: EventCase[]): Partition {
  const result: Partition = { accepted: [], duplicates: [], rejected: [], stored: new Map() };
  const valid: Record<string, unknown>[] = [];
  events.forEach((event, index) => {
    // an event nested past 16 levels, or past 8 KB, is refused as a whole, naming no field
    const whole = depthOf(event) > 16 || (!cases[index].broken && Buffer.byteLength(JSON.stringify(event)) > 8192);
    const broken = whole ? {} : cases[index].broken;
    if (broken) result.rejected.push({ id: idOf(event), code: 'INVALID_INPUT', message: expect.stringMatching(/\w{3}/), ...broken });
    else valid.push(event as Record<string, unknown>);
  });
  const seen = new Set(storedOf(openid));
  for (const event of valid) {
    const docId = eventDocId(openid, String(event.id));
    if (seen.has(docId)) result.duplicates.push(String(event.id));
    else {
      result.accepted.push(String(event.id));
      result.stored.set(docId, event);
    }
    seen.add(docId);
  }
  return result;
}

/** Exactly the accepted events were stored, each as the caller's, with its client id, type and sequence number. */
async function expectStored(openid: string, expected: Partition): Promise<void> {
  const stored = storedOf(openid);
  for (const docId of expected.stored.keys()) stored.add(docId);
  expect(await countDocuments(emulator, 'events', { openid })).toBe(stored.size);
  const docs = new Map((await findDocuments(emulator, 'events', { _id: { $in: [...expected.stored.keys()] } })).map((doc) => [doc._id, doc]));
  for (const [docId, event] of expected.stored) {
    expect(docs.get(docId)).toMatchObject({ eventId: event.id, openid, type: event.type, seq: event.seq, ...(event.type === 'page' ? { path: event.path } : {}) });
  }
}

/** cloudIDs the simulated WeChat issued, by caller, kind and group, with when: each is used for a minute. */
const issued = new Map<string, { cloudID: string; at: number }>();

/**
 * The body as sent: an entry that asks for a live cloudID gets one the simulated WeChat issued to
 * the caller in the last minute (one issued at the start would expire in a long run, and one issued
 * for each batch would grow the simulated WeChat's state, which it rewrites whole at each issue).
 */
async function withLiveCloudIDs(openid: string, text: string, pick: number): Promise<string> {
  if (!text.includes('"live-cloudid"')) return text;
  const request = { openid: openid || 'o-fuzz-nobody', appid: 'wx-fuzz', kind: pick % 2 ? ('shareInfo' as const) : ('groupEnterInfo' as const), groupId: `G-${pick % 3}` };
  const key = JSON.stringify(request);
  let live = issued.get(key);
  if (!live || Date.now() - live.at > 60_000) {
    live = { cloudID: (await issueGroupCloudId(emulator.url, request)).cloudID, at: Date.now() };
    issued.set(key, live);
  }
  return text.replaceAll('"live-cloudid"', JSON.stringify(live.cloudID));
}

interface Prepared {
  /** The body as sent, but for live cloudIDs. */
  text: string;
  /** Whether the door refuses it: nested past 1,000 levels. */
  tooDeep: boolean;
  /** The refusal of the whole batch the contract calls for. */
  whole?: { field?: string };
}

const prepare = once((input: BatchCase): Prepared => {
  const text = jsonText(input.data === undefined ? {} : { data: input.data });
  const body = JSON.parse(text) as unknown;
  const tooDeep = depthOf(body) > 1000;
  return { text, tooDeep, whole: tooDeep ? undefined : wholeRefusal(eventOfBody(body)) };
});

fuzz(__filename, () => emulator, {
  name: 'track',
  inputs: batchCase,
  functions: ['track'],
  atOnce: 4,
  // a batch with an identity, taken whole, with an event that keeps the contract, may store it; users' batches do not meet
  lane: (input) => input.openid,
  mayWrite: (input) => {
    const { tooDeep, whole } = prepare(input);
    return input.openid !== '' && !tooDeep && !whole && input.events.some((item) => !item.broken);
  },
  async send(input): Promise<Verdict> {
    const { openid, pick } = input;
    const { text, tooDeep, whole } = prepare(input);
    const body = await withLiveCloudIDs(openid, text, pick);
    const headers = { 'content-type': 'application/json', ...(openid ? { 'x-wx-openid': openid } : {}) };
    const post = async (): Promise<{ status: number; body: unknown }> => {
      const answer = await send(emulator, { method: 'POST', path: '/functions/track', headers, body });
      if (tooDeep) expectClientRefusal(answer, -501007);
      return { status: answer.status, body: JSON.parse(answer.text) as unknown };
    };
    if (tooDeep) {
      await post();
      return 'refused';
    }
    if (whole) {
      expect(refusalOf(resultOf(await post()))).toEqual({ code: 'INVALID_INPUT', message: expect.any(String), ...whole });
      return 'refused';
    }
    if (!openid) {
      expect(refusalOf(resultOf(await post())).code).toBe('NO_IDENTITY');
      return 'refused';
    }
    const expected = partition(openid, (eventOfBody(JSON.parse(body)) as { events: unknown[] }).events, input.events);
    // the answer's lists are sets of ids: their order is not the contract's
    const answer = resultOf(await post()) as { accepted?: string[]; duplicates?: string[] };
    const sorted = (ids: unknown): unknown => (Array.isArray(ids) ? [...ids].sort() : ids);
    expect({ ...answer, accepted: sorted(answer.accepted), duplicates: sorted(answer.duplicates) }).toEqual({
      accepted: [...expected.accepted].sort(),
      duplicates: [...expected.duplicates].sort(),
      rejected: expected.rejected,
      sharePrefix: prefixOf(openid),
    });
    if (expected.accepted.length > 0) await expectStored(openid, expected);
    return 'answered';
  },
});
