/**
 * The `track` function through the emulator's client gateway with the real wx-server-sdk: every
 * answer is checked, and every attribution is read back from the collections with the SDK.
 */
import cloud from 'wx-server-sdk';
import type { EnterEvent, ShareEvent, ShareRecord, UserDayDoc, UserDoc } from '../../shared/model';
import { chinaDay, chinaDayStart } from '../../shared/time';
import { userDayId } from '../../shared/user-days';
import { userDaysOf } from '../helpers/rollup-trace';
import { emulatorNow, invokeAs, logOf, MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let counter = 0;
const nextId = (): string => `evt-${Date.now().toString(36)}-${(counter++).toString().padStart(4, '0')}`;
const APP = 'wx0000000000000000';
const MIDDAY_MS = Date.parse(MIDDAY);
const user = (openid: string): { openid: string; appid: string } => ({ openid, appid: APP });

type Sent = Record<string, unknown> & { id: string };
const enter = (query: Record<string, string>, scene = 1007, extra: Record<string, unknown> = {}): Sent => ({
  id: nextId(),
  seq: counter,
  at: Date.now(),
  type: 'enter',
  cold: true,
  options: { scene, path: 'pages/index/index', query },
  ...extra,
});
const share = (shareId: string): Sent => ({ id: nextId(), seq: counter, at: Date.now(), type: 'share', shareId, path: `pages/item/item?rk_sh=${shareId}`, to: 'chat' });

interface Answer {
  accepted: string[];
  duplicates: string[];
  rejected: { id: string | null; code: string; message: string }[];
  sharePrefix?: string;
}

async function track(openid: string, events: Record<string, unknown>[], batch: Record<string, unknown> = {}): Promise<Answer> {
  const answer = await invokeAs(emulator.url, 'track', { v: 1, ...batch, events }, user(openid));
  if (!answer.result) throw new Error(`track failed: ${JSON.stringify(answer)}`);
  return answer.result as Answer;
}

async function one<T>(collection: string, id: string): Promise<T> {
  const answer = (await db.collection(collection).where({ _id: id }).get()) as unknown as { data: T[] };
  expect(answer.data).toHaveLength(1);
  return answer.data[0];
}

/** A user's stored event by the id the client gave it. */
async function eventOf<T>(openid: string, id: string): Promise<T> {
  const answer = (await db.collection('events').where({ openid, eventId: id }).get()) as unknown as { data: T[] };
  expect(answer.data).toHaveLength(1);
  return answer.data[0];
}

/** The user's share prefix, as track answers it to every batch. */
async function prefixOf(openid: string): Promise<string> {
  const { sharePrefix } = await track(openid, [{ id: nextId(), seq: counter, at: Date.now(), type: 'page', path: 'pages/index/index' }]);
  expect(sharePrefix).toMatch(/^[A-Za-z0-9_-]{12}$/);
  return String(sharePrefix);
}

/** The record of a share: carried by the share event that first used its id. */
async function recordOf(shareId: string): Promise<ShareRecord | undefined> {
  const answer = (await db.collection('events').where({ type: 'share', 'share.shareId': shareId }).get()) as unknown as { data: ShareEvent[] };
  expect(answer.data.length).toBeLessThanOrEqual(1);
  return answer.data[0]?.share;
}

async function count(collection: string, where: Record<string, unknown>): Promise<number> {
  return ((await db.collection(collection).where(where).count()) as { total: number }).total;
}

beforeAll(async () => {
  // a day that cannot change while the suite runs: the user-days it reads are those of one day
  emulator = await startEmulator({ timers: false, verbose: true, clock: MIDDAY, env: { RUKOU_OPERATORS: 'o-operator' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['events', 'users']) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

describe('answers and dedupe', () => {
  it('answers duplicates in the same batch and across batches, and writes each event once', async () => {
    const a = enter({});
    const b = { id: nextId(), seq: 1, at: Date.now(), type: 'page', path: 'pages/a/a' };
    expect(await track('o-dup', [a, b, a])).toEqual({ accepted: [a.id, b.id], duplicates: [a.id], rejected: [], sharePrefix: expect.any(String) });
    const c = { id: nextId(), seq: 2, at: Date.now(), type: 'hide', stayMs: 900 };
    expect(await track('o-dup', [b, c])).toEqual({ accepted: [c.id], duplicates: [b.id], rejected: [], sharePrefix: expect.any(String) });
    expect(await count('events', { openid: 'o-dup' })).toBe(3);
  });

  it('a bad event does not spoil the good ones; identity in the payload is an unknown field', async () => {
    const good = enter({});
    const bad: Sent = { ...enter({}), openid: 'o-someone-else' };
    const answer = await track('o-mixed', [good, bad]);
    expect(answer.accepted).toEqual([good.id]);
    expect(answer.rejected).toEqual([{ id: bad.id, code: 'INVALID_INPUT', message: expect.stringContaining('unknown field "openid"'), field: 'openid' }]);
    const stored = await eventOf<EnterEvent>('o-mixed', String(good.id));
    expect(stored.openid).toBe('o-mixed');
    expect(await count('events', { eventId: String(bad.id) })).toBe(0);
  });

  it('without sentAt, the event time is the server time; client time and server time are stored beside it', async () => {
    const early: Sent = { ...enter({}), at: Date.parse('2020-01-01T00:00:00Z') };
    const before = await emulatorNow(emulator.url);
    await track('o-time', [early]);
    const stored = await eventOf<EnterEvent>('o-time', String(early.id));
    expect(new Date(stored.clientAt).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(new Date(stored.serverAt).getTime()).toBeGreaterThanOrEqual(before);
    expect(stored.at).toEqual(stored.serverAt);
    expect(stored.day).toBe(new Date(new Date(stored.at).getTime() + 8 * 3600_000).toISOString().slice(0, 10));
  });

  it('with sentAt, the phone clock is corrected: a phone 3 hours fast sends an entry made 10 minutes ago', async () => {
    const fast = 3 * 3600_000;
    // the server's clock is the emulator's; the phone's runs 3 hours ahead of it
    const before = await emulatorNow(emulator.url);
    const made: Sent = { ...enter({}), at: before + fast - 10 * 60_000 };
    await track('o-fast', [made], { sentAt: before + fast });
    const after = await emulatorNow(emulator.url);
    const stored = await eventOf<EnterEvent>('o-fast', String(made.id));
    expect(new Date(stored.at).getTime()).toBeGreaterThanOrEqual(before - 10 * 60_000);
    expect(new Date(stored.at).getTime()).toBeLessThanOrEqual(after - 10 * 60_000);
    expect((await one<UserDoc>('users', 'o-fast')).first.at).toEqual(stored.at);
  });

  it('refuses a sentAt that is not epoch milliseconds, whole, and writes nothing', async () => {
    for (const sentAt of ['yesterday', -1, 17e11 + 0.5, 2 ** 53]) {
      const answer = await invokeAs(emulator.url, 'track', { v: 1, sentAt, events: [enter({})] }, user('o-badsent'));
      expect(answer.result).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('sentAt'), field: 'sentAt' } });
    }
    expect(await count('events', { openid: 'o-badsent' })).toBe(0);
  });

  it('refuses a batch with more than 50 events whole', async () => {
    const answer = await invokeAs(emulator.url, 'track', { v: 1, events: Array.from({ length: 51 }, () => enter({})) }, user('o-big'));
    expect(answer.result).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('at most 50'), field: 'events' } });
  });
});

describe('shares', () => {
  it('follows a chain across users: shares at depth 1, 2, 3 and entries credited to each sharer', async () => {
    const [annShare, benShare, catShare] = [`${await prefixOf('o-ann')}chain`, `${await prefixOf('o-ben')}chain`, `${await prefixOf('o-cat')}chain`];
    await track('o-ann', [enter({}, 1089), share(annShare)]);
    await track('o-ben', [enter({ rk_sh: annShare }), share(benShare)]);
    await track('o-cat', [enter({ rk_sh: benShare })]);
    await track('o-cat', [share(catShare)]); // a later batch: the arrival comes from the stored latest touch
    const opened = enter({ rk_sh: catShare }, 1008);
    await track('o-dan', [opened]);

    expect(await recordOf(annShare)).toEqual({ shareId: annShare, sharer: 'o-ann', depth: 1, rootShareId: annShare });
    expect(await recordOf(benShare)).toEqual({ shareId: benShare, sharer: 'o-ben', depth: 2, rootShareId: annShare, parentShareId: annShare });
    expect(await recordOf(catShare)).toEqual({ shareId: catShare, sharer: 'o-cat', depth: 3, rootShareId: annShare, parentShareId: benShare });
    expect((await eventOf<EnterEvent>('o-dan', String(opened.id))).share).toEqual({
      shareId: catShare,
      verified: true,
      sharer: 'o-cat',
      depth: 3,
      rootShareId: annShare,
      self: false,
      isReturn: true,
    });
    expect(await count('events', { 'share.isReturn': true, 'share.rootShareId': annShare })).toBe(3);
  });

  it('an unrecorded share id is kept unverified and credited to no one', async () => {
    const forged = enter({ rk_sh: 'never-shared-1' });
    await track('o-eve', [forged]);
    expect((await eventOf<EnterEvent>('o-eve', String(forged.id))).share).toEqual({ shareId: 'never-shared-1', verified: false, self: false, isReturn: false });
    expect(await recordOf('never-shared-1')).toBeUndefined();
  });

  it('opening your own card is not a return', async () => {
    const own = `${await prefixOf('o-fay')}self`;
    await track('o-fay', [enter({}, 1089), share(own)]);
    const reopened = enter({ rk_sh: own });
    await track('o-fay', [reopened]);
    expect((await eventOf<EnterEvent>('o-fay', String(reopened.id))).share).toMatchObject({ verified: true, self: true, isReturn: false });
  });

  it('two devices open the same card at the same moment, 20 times: one share return per session', async () => {
    const card = `${await prefixOf('o-pat')}twins`;
    await track('o-pat', [enter({}, 1089), share(card)]);
    const now = Date.now();
    for (let trial = 0; trial < 20; trial++) {
      const openid = `o-twin-open-${trial}`;
      await track(openid, [enter({}, 1089, { at: now - 3600_000 })], { sentAt: now });
      const open = (minutes: number): Sent => ({ ...enter({ rk_sh: card }), at: now - 30 * 60_000 + minutes * 60_000 });
      await Promise.all([open(0), open(5)].map((event) => track(openid, [event], { sentAt: now })));
      const opens = (await db.collection('events').where({ openid, shareId: card }).get()) as unknown as { data: EnterEvent[] };
      expect(opens.data.filter((event) => event.share?.isReturn)).toHaveLength(1);
    }
  });

  it('an offline phone\'s card open older than a later entry, then the same card again in that session: one return', async () => {
    const card = `${await prefixOf('o-quin')}offline`;
    await track('o-quin', [enter({}, 1089), share(card)]);
    const now = Date.now();
    const at = (minutes: number): number => now - 60 * 60_000 + minutes * 60_000;
    await track('o-ray', [{ ...enter({}, 1089), at: at(10) }], { sentAt: now });
    await track('o-ray', [{ ...enter({ rk_sh: card }), at: at(5) }], { sentAt: now });
    await track('o-ray', [{ ...enter({ rk_sh: card }), at: at(20) }], { sentAt: now });
    const opens = (await db.collection('events').where({ openid: 'o-ray', shareId: card }).get()) as unknown as { data: EnterEvent[] };
    const byTime = opens.data.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
    expect(byTime.map((event) => event.share?.isReturn)).toEqual([true, false]);
  });

  it('an expired or invalid group cloudID is a warning on the event, not a failure', async () => {
    const stale = enter({}, 1008, { group: 'not-a-live-cloudid' });
    expect((await track('o-gil', [stale])).accepted).toEqual([stale.id]);
    const stored = await eventOf<EnterEvent>('o-gil', String(stale.id));
    expect(stored.groupId).toBeUndefined();
    // WeChat's code stays in the warning: a forged cloudID reads apart from an offline phone's expired one (a break-it pass)
    expect(stored.warnings?.[0]).toContain('group cloudID not resolved (invalid cloudID (errCode -601005))');
    expect(await count('events', { openid: 'o-gil', groupFirst: true })).toBe(0);
  });
});

/** What the simulated WeChat hands a member who opens a card in a group: a cloudID for that user. */
async function groupCloudId(openid: string, kind: 'groupEnterInfo' | 'shareInfo', groupId: string): Promise<string> {
  const response = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ openid, appid: APP, kind, groupId, chatType: 3 }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { cloudID: string }).cloudID;
}

describe('groups', () => {
  const fault = async (errcode: number): Promise<void> => {
    const response = await fetch(`${emulator.url}/__rukou/wechat/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api: 'cloudbase.getOpenData', errcode }) });
    expect(response.status).toBe(200);
  };

  it('WeChat busy for a moment on getOpenData (-1): the batch is answered UPSTREAM and stores nothing; sent again, the group is resolved (a break-it pass: it was lost for good)', async () => {
    const entry = enter({}, 1008, { group: await groupCloudId('o-busy-1', 'groupEnterInfo', 'G-busy') });
    await fault(-1);
    expect(await track('o-busy-1', [entry])).toMatchObject({ error: { code: 'UPSTREAM', message: expect.stringContaining('send the batch again') } });
    expect(await count('events', { openid: 'o-busy-1' })).toBe(0);
    expect((await track('o-busy-1', [entry])).accepted).toEqual([entry.id]);
    expect(await eventOf<EnterEvent>('o-busy-1', entry.id)).toMatchObject({ groupId: expect.any(String), groupFirst: true });
  });

  it('a getOpenData failure no retry cures (no permission, -604101) keeps the entry without its group, as an expired cloudID does', async () => {
    const entry = enter({}, 1008, { group: await groupCloudId('o-denied-1', 'groupEnterInfo', 'G-denied') });
    await fault(-604101);
    expect((await track('o-denied-1', [entry])).accepted).toEqual([entry.id]);
    const stored = await eventOf<EnterEvent>('o-denied-1', entry.id);
    expect(stored.groupId).toBeUndefined();
    expect(stored.warnings?.[0]).toContain('group cloudID not resolved');
  });

  it('a cloudID issued to another user is a warning naming WeChat\'s -601007, and the entry has no group', async () => {
    const entry = enter({}, 1008, { group: await groupCloudId('o-owner-1', 'groupEnterInfo', 'G-owned') });
    expect((await track('o-thief-1', [entry])).accepted).toEqual([entry.id]);
    const stored = await eventOf<EnterEvent>('o-thief-1', entry.id);
    expect(stored.groupId).toBeUndefined();
    expect(stored.warnings?.[0]).toContain('(errCode -601007)');
  });

  it('a group card opened by two members: both entries carry the group, recorded once, its activity counted from the events', async () => {
    const ivyShare = `${await prefixOf('o-ivy')}group`;
    await track('o-ivy', [enter({}, 1089), share(ivyShare)]);
    const jon = enter({ rk_sh: ivyShare }, 1008, { group: await groupCloudId('o-jon', 'groupEnterInfo', 'G-family') });
    const kay = enter({ rk_sh: ivyShare }, 1008, { group: await groupCloudId('o-kay', 'shareInfo', 'G-family') });
    const kayAgain = enter({ rk_sh: ivyShare }, 1008, { group: await groupCloudId('o-kay', 'shareInfo', 'G-family') });
    await track('o-jon', [jon]);
    await track('o-kay', [kay, kayAgain]);

    // WeChat hands each Mini Program its own opaque openGId for a group: the same for both members
    const jonEntry = await eventOf<EnterEvent>('o-jon', jon.id);
    expect(jonEntry).toMatchObject({ groupId: expect.any(String), chatType: 3, share: { sharer: 'o-ivy', isReturn: true } });
    const openGId = String(jonEntry.groupId);
    expect(await eventOf<EnterEvent>('o-kay', kay.id)).toMatchObject({ groupId: openGId, share: { sharer: 'o-ivy', isReturn: true } });
    // the same card again, in the same session: an entry, not another return
    expect(await eventOf<EnterEvent>('o-kay', kayAgain.id)).toMatchObject({ groupId: openGId, share: { sharer: 'o-ivy', isReturn: false, repeat: true } });
    expect(await count('events', { groupId: openGId, groupFirst: true })).toBe(1);

    const answer = await invokeAs(emulator.url, 'admin', { action: 'group', groupId: openGId }, user('o-operator'));
    expect(answer.result).toMatchObject({
      group: { groupId: openGId, firstOpener: 'o-jon', chatType: 3, firstShareId: ivyShare, firstDay: jonEntry.day },
      activity: { opens: 3, openers: 2, shareIds: [ivyShare] },
      // today − RUKOU_RETENTION_DAYS (90): its activity is read from raw events
      rawEventsFrom: new Date(new Date(await emulatorNow(emulator.url)).getTime() + 8 * 3600_000 - 90 * 86_400_000).toISOString().slice(0, 10),
    });
    const unknown = await invokeAs(emulator.url, 'admin', { action: 'group', groupId: 'G-nobody' }, user('o-operator'));
    expect((unknown.result as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describe('groups whose entries arrive out of order', () => {
  it('a group first seen in a later entry takes the first fields of an earlier one that arrives after it', async () => {
    const now = Date.now();
    const late = { ...enter({}, 1008, { group: await groupCloudId('o-glate', 'groupEnterInfo', 'G-order') }), at: now - 3600_000 };
    await track('o-glate', [late], { sentAt: now });
    const early = { ...enter({}, 1008, { group: await groupCloudId('o-gearly', 'groupEnterInfo', 'G-order') }), at: now - 26 * 3600_000 };
    await track('o-gearly', [early], { sentAt: now });
    const lateEntry = await eventOf<EnterEvent>('o-glate', late.id);
    const earlyEntry = await eventOf<EnterEvent>('o-gearly', early.id);
    expect(earlyEntry.groupId).toBe(lateEntry.groupId);
    const answer = await invokeAs(emulator.url, 'admin', { action: 'group', groupId: String(lateEntry.groupId) }, user('o-operator'));
    expect((answer.result as { group: unknown }).group).toEqual({ groupId: lateEntry.groupId, firstOpener: 'o-gearly', firstDay: earlyEntry.day, firstSeen: new Date(earlyEntry.at).toISOString(), chatType: 3 });
  });
});

describe('user-days', () => {
  it('what track adds to a user-day batch by batch equals the day counted from its stored events', async () => {
    const card = `${await prefixOf('o-pia')}uday`;
    await track('o-pia', [enter({}, 1089), share(card)]);
    const quo = await prefixOf('o-quo');
    const now = await emulatorNow(emulator.url);
    const first = [enter({ rk_sh: card }, 1007, { at: now - 50 * 60_000 }), enter({ rk_ch: 'a.b' }, 1047, { at: now - 40 * 60_000 })];
    await track('o-quo', first, { sentAt: now });
    await track('o-quo', first, { sentAt: now });
    // the same card again in the session, a group, and shares sent at once from two devices
    await track('o-quo', [enter({ rk_sh: card }, 1008, { at: now - 20 * 60_000, group: await groupCloudId('o-quo', 'groupEnterInfo', 'G-uday') })], { sentAt: now });
    await Promise.all([track('o-quo', [share(`${quo}one`)]), track('o-quo', [share(`${quo}two`)]), track('o-quo', [{ ...enter({}, 1001), at: now - 55 * 60_000 }], { sentAt: now })]);
    const events = ((await db.collection('events').where({ openid: 'o-quo' }).limit(1000).get()) as unknown as { data: (EnterEvent | ShareEvent)[] }).data;
    const users = ((await db.collection('users').where({ _id: 'o-quo' }).get()) as unknown as { data: UserDoc[] }).data;
    const [stored] = ((await db.collection('user_days').where({ openid: 'o-quo' }).get()) as unknown as { data: UserDayDoc[] }).data;
    const [expected] = userDaysOf(events, users);
    const content = ({ _id, openid, day, firstDay, firstAt, entries, cold, times, byBucket, byCategory, byScene, byChannel, byPage, shareIntents, returns, returnDepths, cards, groupOpens, counted, latest }: UserDayDoc) => ({
      ...{ _id, openid, day, firstDay, firstAt, entries, cold, times, byBucket, byCategory, byScene, byChannel, byPage, shareIntents, returns, returnDepths, groupOpens },
      cards: [...cards].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime()),
      counted: [...counted].sort(),
      latestAt: latest?.at,
    });
    expect(content(stored)).toEqual(content(expected));
    expect(stored).toMatchObject({ entries: 4, shareIntents: 2, returns: 1, byChannel: { 'a%2Eb': 1 } });
  });

  // an event's time is recomputed at each delivery (the phone's time plus the receipt less the
  // batch's sentAt): a batch sent again after a lost answer, with another network delay, can land
  // its events across midnight from where they were counted
  async function acrossMidnight(openid: string, between: (sent: Sent[]) => Promise<void>): Promise<{ answer: Answer; sent: Sent[] }> {
    const now = await emulatorNow(emulator.url);
    const midnight = chinaDayStart(chinaDay(new Date(now))).getTime();
    const sent = [enter({ rk_ch: 'late' }, 1047, { at: midnight - 5_000 }), share(`${await prefixOf(openid)}mid`)];
    sent[1].at = midnight - 4_000;
    expect(await track(openid, sent, { sentAt: now })).toMatchObject({ accepted: sent.map((event) => event.id) });
    await between(sent);
    return { answer: await track(openid, sent, { sentAt: now - 10_000 }), sent };
  }

  it('a batch sent again whose events now fall after midnight is counted once, on the day it was counted', async () => {
    const { answer, sent } = await acrossMidnight('o-mid', async () => undefined);
    expect(answer).toMatchObject({ accepted: [], duplicates: sent.map((event) => event.id) });
    const days = ((await db.collection('user_days').where({ openid: 'o-mid' }).get()) as unknown as { data: UserDayDoc[] }).data;
    expect(days.map(({ day, entries, shareIntents }) => ({ day, entries, shareIntents }))).toEqual([{ day: chinaDay(new Date(MIDDAY_MS - 86_400_000)), entries: 1, shareIntents: 1 }]);
    expect(await count('revisions', { openid: 'o-mid' })).toBe(0);
  });

  it('an event counted but lost in a crash, sent again across midnight, is stored on the day it was counted, not counted again', async () => {
    const { answer, sent } = await acrossMidnight('o-crash', async (first) => {
      await db.collection('events').where({ openid: 'o-crash', eventId: first[0].id }).remove();
    });
    expect(answer).toMatchObject({ accepted: [sent[0].id], duplicates: [sent[1].id] });
    const yesterday = chinaDay(new Date(MIDDAY_MS - 86_400_000));
    expect(await eventOf<EnterEvent>('o-crash', sent[0].id)).toMatchObject({ day: yesterday, channel: 'late' });
    const days = ((await db.collection('user_days').where({ openid: 'o-crash' }).get()) as unknown as { data: UserDayDoc[] }).data;
    expect(days.map(({ day, entries }) => ({ day, entries }))).toEqual([{ day: yesterday, entries: 1 }]);
  });
});

describe('cost of a batch', () => {
  /** The database requests and getOpenData calls one `track` call made, read from the emulator's verbose log. */
  async function requestsOf(openid: string, events: Record<string, unknown>[], batch: Record<string, unknown> = {}): Promise<{ reads: number; writes: number; getOpenData: number; other: string[] }> {
    const { lines } = await logOf(emulator, () => track(openid, events, batch));
    const actions = lines.flatMap((line) => /^\[rukou\] admin database\.(\w+) /.exec(line)?.[1] ?? []);
    const writes = actions.filter((a) => ['insertDocument', 'modifyDocument', 'modifyAndReturnDoc', 'removeDocument'].includes(a)).length;
    const reads = actions.filter((a) => a === 'getDocument').length;
    const getOpenData = lines.filter((line) => line.startsWith('[rukou] admin wx.openApi ')).length;
    return { reads, writes, getOpenData, other: actions.filter((a) => !['insertDocument', 'modifyDocument', 'modifyAndReturnDoc', 'removeDocument', 'getDocument'].includes(a)) };
  }

  const pages = (n: number): Sent[] => Array.from({ length: n }, (_, i) => ({ id: nextId(), seq: counter, at: Date.now(), type: 'page', path: `pages/p${i}/p` }));

  it('a new user\'s first batch from a new group with a share and 40 more events: 4 reads and 3 writes', async () => {
    const cloudID = await groupCloudId('o-lee', 'groupEnterInfo', 'G-cost');
    const batch = [enter({}, 1008, { group: cloudID }), ...pages(40), share('cost-share-lee1')];
    // user-days, shares and the group's first entries; then `users`. The user, the user-day, the events
    expect(await requestsOf('o-lee', batch)).toEqual({ reads: 4, writes: 3, getOpenData: 1, other: [] });
    expect(await count('events', { openid: 'o-lee' })).toBe(42);
  });

  it('a known user\'s entries: the day\'s first batch 2 reads and 2 writes, the next ones 1 read and 2 writes', async () => {
    await track('o-ned', [enter({}, 1089)]);
    // the day's user-day is there: it is all the batch needs to read
    expect(await requestsOf('o-ned', [enter({}, 1089), ...pages(20)])).toEqual({ reads: 1, writes: 2, getOpenData: 0, other: [] });
    expect(await requestsOf('o-ned', [enter({ rk_ch: 'poster' }, 1047), ...pages(5)])).toEqual({ reads: 1, writes: 2, getOpenData: 0, other: [] });
    const [day] = ((await db.collection('user_days').where({ openid: 'o-ned' }).get()) as unknown as { data: UserDayDoc[] }).data;
    expect(day).toMatchObject({ entries: 3, byChannel: { poster: 1 }, v: 3 });
  });

  it('a known user\'s batch of 50 page views: no read and 1 write; the same batch again: the refused write and 1 read', async () => {
    const batch = pages(50);
    await track('o-max', [enter({}, 1089)]);
    expect(await requestsOf('o-max', batch)).toEqual({ reads: 0, writes: 1, getOpenData: 0, other: [] });
    expect(await requestsOf('o-max', batch)).toEqual({ reads: 1, writes: 1, getOpenData: 0, other: [] });
    expect(await count('events', { openid: 'o-max' })).toBe(51);
  });

  it('a batch of entries sent again: the user-day and the events read, nothing written', async () => {
    const batch = [enter({}, 1089), ...pages(3)];
    await track('o-oli', batch);
    expect(await requestsOf('o-oli', batch)).toEqual({ reads: 2, writes: 0, getOpenData: 0, other: [] });
    expect(await track('o-oli', batch)).toMatchObject({ accepted: [], duplicates: batch.map((event) => event.id) });
  });

  it('a known user\'s first batch of a day: 3 reads (their days with an entry before it, for retention) and 2 writes', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-rex', [enter({}, 1089, { at: now - 50 * 3600_000 })], { sentAt: now });
    // the user-days of today (none) and `users`; then the user's days with an entry before today
    expect(await requestsOf('o-rex', [enter({}, 1089), ...pages(3)])).toEqual({ reads: 3, writes: 2, getOpenData: 0, other: [] });
    const days = ((await db.collection('user_days').where({ openid: 'o-rex' }).get()) as unknown as { data: UserDayDoc[] }).data;
    expect(days.map(({ day, prevDay }) => [day, prevDay]).sort()).toEqual([
      [chinaDay(new Date(MIDDAY_MS - 2 * 86_400_000)), ''],
      [chinaDay(new Date(MIDDAY_MS)), chinaDay(new Date(MIDDAY_MS - 2 * 86_400_000))],
    ]);
  });

  it('an entry through a subscription message: its record read beside the user-days, whether or not it opens its day', async () => {
    const sentAt = new Date(MIDDAY_MS - 3600_000);
    await db.collection('messages').add({ data: { _id: 'msg-cost-sam', openid: 'o-sam', templateId: 'T-cost', fate: 'sent', createdAt: sentAt, sentAt, day: chinaDay(sentAt) } });
    // a new user: the user-days and the message, then `users`; the user, the user-day, the events
    expect(await requestsOf('o-sam', [enter({ rk_msg: 'msg-cost-sam' }, 1107)])).toEqual({ reads: 3, writes: 3, getOpenData: 0, other: [] });
    expect(await one<UserDoc>('users', 'o-sam')).toMatchObject({ first: { messageOpen: 'T-cost' } });
    // later in the day the open is not its day's earliest, but goals credit it by its template: the record is read again
    expect(await requestsOf('o-sam', [enter({ rk_msg: 'msg-cost-sam' }, 1107)])).toEqual({ reads: 2, writes: 2, getOpenData: 0, other: [] });
  });

  it('an entry a second before midnight that reaches track after a later day of the user: 1 write more, to the later days', async () => {
    const now = await emulatorNow(emulator.url);
    const midnight = chinaDayStart(chinaDay(new Date(now))).getTime();
    await track('o-tia', [enter({}, 1089, { at: now - 50 * 3600_000 })], { sentAt: now });
    await track('o-tia', [enter({}, 1089)]);
    // the user-days, `users`, the days before; the later days' previous day, the user-day, the events
    expect(await requestsOf('o-tia', [enter({}, 1047, { at: midnight - 1000 })], { sentAt: now })).toEqual({ reads: 3, writes: 3, getOpenData: 0, other: [] });
    const today = await one<UserDayDoc>('user_days', userDayId('o-tia', chinaDay(new Date(now))));
    expect(today).toMatchObject({ prevDay: chinaDay(new Date(midnight - 1000)), movedAt: expect.anything() });
  });

  it('a group card\'s entry sent again (its answer lost): its cloudID is not resolved again, nor its group read', async () => {
    const batch = [enter({}, 1008, { group: await groupCloudId('o-pia', 'groupEnterInfo', 'G-again') }), ...pages(3)];
    expect(await requestsOf('o-pia', batch)).toMatchObject({ getOpenData: 1 });
    expect(await requestsOf('o-pia', batch)).toEqual({ reads: 2, writes: 0, getOpenData: 0, other: [] });
    expect(await eventOf<EnterEvent>('o-pia', batch[0].id)).toMatchObject({ groupId: expect.any(String), groupFirst: true });
  });
});

describe('users', () => {
  it('sets the first touch once; the day\'s latest touch moves on its user-day', async () => {
    await track('o-hal', [enter({ scene: 'rk_ch%3Dposter-1' }, 1047)]);
    await track('o-hal', [enter({ utm_source: 'mail' }, 1089)]);
    const doc = await one<UserDoc>('users', 'o-hal');
    expect(doc.first).toMatchObject({ scene: 1047, category: 'QR code', bucket: 'offline-qr', channel: 'poster-1' });
    expect(doc.firstDay).toBe(doc.first.day);
    const day = await one<UserDayDoc>('user_days', userDayId('o-hal', doc.firstDay));
    expect(day.latest).toMatchObject({ scene: 1089, category: 'Quick entry', bucket: 'in-wechat' });
    expect(day.latest).not.toHaveProperty('channel');
    expect(day).toMatchObject({ firstDay: doc.firstDay, firstAt: doc.first.at, entries: 2, byChannel: { 'poster-1': 1 } });
  });
});

describe('identity', () => {
  it('refuses a caller without an OPENID', async () => {
    const answer = await invokeAs(emulator.url, 'track', { v: 1, events: [enter({})] }, { openid: '' });
    // refused by the function (NO_IDENTITY) or already by the gateway (an errCode): never recorded
    const refusal = (answer.result as { error?: { code: string } } | undefined)?.error?.code ?? answer.errCode;
    expect(refusal === 'NO_IDENTITY' || (typeof refusal === 'number' && refusal !== 0)).toBe(true);
    expect(await count('events', { openid: '' })).toBe(0);
  });
});

