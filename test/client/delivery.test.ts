/**
 * The tracker delivering to the real `track` function through the emulator's client gateway,
 * one simulated phone per user; every attribution is read back from the collections with the
 * real wx-server-sdk.
 */
import cloud from 'wx-server-sdk';
import type { EnterEvent, ShareEvent, UserDayDoc, UserDoc } from '../../shared/model';
import { groupRecord } from '../../shared/stats';
import { userDayId } from '../../shared/user-days';
import type { ChatShare } from '../../packages/rukou-tracker/src/tracker';
import { SLOT_CHARS, SLOTS, STORAGE_KEY } from '../../packages/rukou-tracker/src/queue';
import { startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { gateway, openedFrom, SimulatedPhone } from './simulated-wx';

const APP = 'wx0000000000000000';
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

async function all<T>(collection: string, where: Record<string, unknown>): Promise<T[]> {
  const answer = (await db.collection(collection).where(where).limit(1000).get()) as unknown as { data: T[] };
  return answer.data;
}

async function one<T>(collection: string, id: string): Promise<T> {
  const found = await all<T>(collection, { _id: id });
  expect(found).toHaveLength(1);
  return found[0];
}

const phoneOf = (openid: string): SimulatedPhone => new SimulatedPhone(openid, gateway(emulator.url, APP));

/** What the simulated WeChat hands a member who opens a card in a group: a cloudID for that user. */
async function groupCloudId(openid: string, kind: 'groupEnterInfo' | 'shareInfo', groupId: string): Promise<{ cloudID: string }> {
  const response = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ openid, appid: APP, kind, groupId, chatType: 3 }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { cloudID: string };
}

const detailPage = { onShareAppMessage: () => ({ title: 'Item 7', path: '/pages/detail/detail?id=7' }) };

function shareFrom(phone: SimulatedPhone): string {
  const page = phone.openPage('pages/detail/detail', { id: '7' }, detailPage);
  const shared = page.onShareAppMessage?.({ from: 'button' }) as ChatShare;
  expect(shared.title).toBe('Item 7');
  return String(shared.path);
}

const shareIdOf = (path: string): string => new URLSearchParams(path.split('?')[1]).get('rk_sh') ?? '';

beforeAll(async () => {
  emulator = await startEmulator({ timers: false });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['events', 'users', 'user_days']) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

test('a hot start with a new scene is a second, hot entry with its own channel', async () => {
  const phone = phoneOf('o-hot');
  phone.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  phone.hide();
  await phone.settle();
  phone.show({ scene: 1047, path: 'pages/detail/detail', query: { scene: 'rk_ch%3Dposter7' } });
  phone.hide();
  await phone.settle();
  const enters = (await all<EnterEvent>('events', { openid: 'o-hot', type: 'enter' })).sort((a, b) => a.seq - b.seq);
  expect(enters.map((event) => [event.cold, event.scene, event.channel])).toEqual([
    [true, 1001, undefined],
    [false, 1047, 'poster7'],
  ]);
  const user = await one<UserDoc>('users', 'o-hot');
  const day = await one<UserDayDoc>('user_days', userDayId('o-hot', enters[1].day));
  expect([user.first.scene, day.latest?.scene, day.latest?.channel]).toEqual([1001, 1047, 'poster7']);
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
});

test('the app killed with events queued, and killed again mid-send, then restarted: all delivered, once', async () => {
  const phone = phoneOf('o-kill');
  // a first launch sends its entry at once (it asks for the share prefix); later ones queue
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  await phone.settle();
  expect(phone.calls).toHaveLength(1);
  for (const id of ['1', '2', '3']) phone.openPage('pages/detail/detail', { id });
  phone.kill();
  expect(phone.calls).toHaveLength(1);

  // the next launch replays the queue at once; that batch reaches the server, but the process
  // dies before it hears the answer
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  phone.openPage('pages/index/index', {});
  phone.hide();
  phone.kill();
  await phone.settle();
  expect(phone.calls).toHaveLength(2);
  const delivered = (phone.calls[1].data.events as { id: string }[]).map((event) => event.id);
  expect(delivered).toHaveLength(4);
  expect(await all('events', { openid: 'o-kill' })).toHaveLength(5);

  phone.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  phone.hide();
  await phone.settle();
  const replayed = phone.calls.slice(2).flatMap((call) => (call.data.events as { id: string }[]).map((event) => event.id));
  expect(replayed).toEqual(expect.arrayContaining(delivered));
  const made = new Set(phone.sentEvents().map((event) => String(event.id)));
  expect(made.size).toBe(9);
  const stored = await all<EnterEvent>('events', { openid: 'o-kill' });
  expect(stored.map((event) => event.eventId).sort()).toEqual([...made].sort());
  expect(stored.filter((event) => event.type === 'enter').map((event) => event.cold)).toEqual([true, true, true]);
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
});

test('offline with large events across kills and relaunches, then online: every event stored or counted, and the newest that fit the outbox delivered', async () => {
  const phone = phoneOf('o-large');
  phone.online = false;
  // entries of about 7 KB (the server takes up to 8 KB; a query value up to 1 KB), each marked with its number
  const pad = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`p${i}`, 'x'.repeat(1000)]));
  let recorded = 0;
  const entries: number[] = [];
  const entry = (): { scene: number; path: string; query: Record<string, string> } => {
    entries.push(recorded);
    return { scene: 1001, path: 'pages/index/index', query: { n: String(recorded++), ...pad } };
  };
  const outboxValues = (): string[] => [...phone.storage].filter(([key]) => key.startsWith(STORAGE_KEY)).map(([, value]) => value);
  for (let launch = 0; launch < 10; launch++) {
    phone.launch(entry());
    // every hide tries to send, and offline the call fails before the user is back
    for (let show = 0; show < 29; show++) {
      await phone.settle();
      phone.hide();
      recorded++;
      await phone.settle();
      phone.show(entry());
    }
    // within WeChat's limits, and leaving the app nine tenths of its 10 MB
    for (const value of outboxValues()) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(SLOT_CHARS);
    expect(phone.storageBytes(STORAGE_KEY)).toBeLessThan(1.1 * 1024 * 1024);
    await phone.advance(60_000);
    phone.kill();
  }
  expect(recorded).toBe(590);
  phone.online = true;
  phone.launch(entry());
  phone.hide();
  recorded++;
  for (let step = 0; phone.tracker?.counts().queued !== 0 && step < 20; step++) await phone.advance(10_000);

  const stored = await all<EnterEvent>('events', { openid: 'o-large' });
  const counts = phone.tracker?.counts();
  expect(counts?.queued).toBe(0);
  expect(stored.length + Number(counts?.dropped) + Number(counts?.rejected)).toBe(recorded);
  // the oldest were dropped: what was kept is the newest entries, without a gap
  const kept = stored.filter((event) => event.type === 'enter').map((event) => Number(event.query.n));
  expect(kept.sort((a, b) => a - b)).toEqual(entries.filter((n) => n >= Math.min(...kept)));
  // and as many as the outbox holds: its slots full, but for less than one event each
  const sent = new Map(phone.sentEvents().map((event) => [event.id, JSON.stringify(event).length]));
  const keptChars = stored.reduce((sum, event) => sum + Number(sent.get(event.eventId)), 0);
  expect(keptChars).toBeGreaterThan(SLOTS * (SLOT_CHARS - 8192));
});

test('offline, then online: backoff, then every event delivered', async () => {
  const phone = phoneOf('o-offline');
  phone.online = false;
  // the user stays in the app: hidden, it would be suspended, and its retries would wait for the show
  phone.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  phone.openPage('pages/index/index', {});
  await phone.settle();
  // the first launch's entry was sent at once, and failed: the backoff is already under way
  expect(phone.calls).toHaveLength(1);
  const waits: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    waits.push(phone.clock.pending()[0]);
    await phone.advance(waits.at(-1) ?? 0);
  }
  expect(waits[1]).toBeGreaterThan(waits[0]);
  expect(waits[2]).toBeGreaterThan(waits[1]);
  expect(await all('events', { openid: 'o-offline' })).toHaveLength(0);
  phone.online = true;
  await phone.advance(phone.clock.pending()[0]);
  expect((await all<EnterEvent>('events', { openid: 'o-offline' })).map((event) => event.type).sort()).toEqual(['enter', 'page']);
  expect(phone.tracker?.counts().queued).toBe(0);
});

test('a Moments snapshot (single-page mode, no openid): one call, refused for good, then silence, and every event counted', async () => {
  const phone = phoneOf('o-snapshot');
  phone.launch({ scene: 1154, path: 'pages/detail/detail', query: { id: '7', rk_ch: 'snapshot-probe' }, apiCategory: 'browseOnly' });
  phone.openPage('pages/detail/detail', { id: '7' });
  // the page stays open half an hour
  await phone.advance(30 * 60_000);
  expect(phone.calls).toHaveLength(1);
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 2 });
  // this process has no identity: what it records later is counted, never sent
  phone.hide();
  await phone.advance(60_000);
  expect(phone.calls).toHaveLength(1);
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 3 });
  expect(await all('events', { channel: 'snapshot-probe' })).toHaveLength(0);
});

test('a Moments snapshot opened after an offline launch leaves that launch\'s events to the next normal one', async () => {
  const phone = phoneOf('o-backlog');
  phone.online = false;
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  for (const id of ['1', '2', '3']) phone.openPage('pages/detail/detail', { id });
  phone.hide();
  await phone.settle();
  phone.kill();
  phone.online = true;
  phone.launch({ scene: 1154, path: 'pages/detail/detail', query: { id: '7' }, apiCategory: 'browseOnly' });
  phone.hide();
  await phone.advance(60_000);
  // the snapshot's one call carried the backlog too; only the snapshot's own entry and hide are lost
  expect(phone.calls.filter((call) => call.name === 'track').length).toBeGreaterThan(0);
  expect(phone.tracker?.counts()).toEqual({ queued: 5, dropped: 0, rejected: 2 });
  phone.kill();
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  phone.hide();
  await phone.settle();
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 2 });
  expect((await all<EnterEvent>('events', { openid: 'o-backlog' })).map((event) => event.type).sort()).toEqual(['enter', 'enter', 'hide', 'hide', 'page', 'page', 'page']);
});

test('a share chain across three users: depth 1, 2, 3, each open credited to its sharer', async () => {
  const [ann, bo, cai, dan] = ['o-ann', 'o-bo', 'o-cai', 'o-dan'].map(phoneOf);
  // a first launch asks track for the user's share prefix at once; its cards carry it
  ann.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  await ann.settle();
  let card = shareFrom(ann);
  await ann.settle();
  const chain: string[] = [shareIdOf(card)];
  for (const phone of [bo, cai]) {
    phone.launch(openedFrom(card, 1007, { chatType: 1 }));
    await phone.settle();
    card = shareFrom(phone);
    await phone.settle();
    chain.push(shareIdOf(card));
  }
  dan.launch(openedFrom(card, 1007, { chatType: 1 }));
  dan.hide();
  await dan.settle();

  // the share event that first used an id carries the share's record: the share ledger
  const shares = await Promise.all(chain.map(async (id) => (await all<ShareEvent>('events', { type: 'share', 'share.shareId': id }))[0]));
  expect(shares.map(({ share }) => [share?.sharer, share?.depth, share?.rootShareId, share?.parentShareId])).toEqual([
    ['o-ann', 1, chain[0], undefined],
    ['o-bo', 2, chain[0], chain[0]],
    ['o-cai', 3, chain[0], chain[1]],
  ]);
  expect(shares.every((share) => share.path === '/pages/detail/detail?id=7' && share.to === 'chat')).toBe(true);
  const opens = await Promise.all(['o-bo', 'o-cai', 'o-dan'].map((openid) => all<EnterEvent>('events', { openid, type: 'enter' })));
  expect(opens.map(([open]) => [open.share?.shareId, open.share?.sharer, open.share?.depth, open.share?.verified, open.share?.isReturn])).toEqual([
    [chain[0], 'o-ann', 1, true, true],
    [chain[1], 'o-bo', 2, true, true],
    [chain[2], 'o-cai', 3, true, true],
  ]);
});

test('an async onShareAppMessage: its card carries rk_sh, within 3 s and past them, and the recipient is credited to the sharer', async () => {
  for (const [sharerId, recipientId, delayMs] of [['o-async', 'o-async-friend', 0], ['o-slow', 'o-slow-friend', 5000]] as const) {
    const sharer = phoneOf(sharerId);
    sharer.launch({ scene: 1001, path: 'pages/index/index', query: {} });
    await sharer.settle();
    const page = sharer.openPage(
      'pages/detail/detail',
      { id: '7' },
      {
        // the page looks something up before it answers
        async onShareAppMessage() {
          if (delayMs > 0) await new Promise((resolve) => sharer.clock.setTimeout(() => resolve(undefined), delayMs));
          return { title: 'Item 7', path: '/pages/detail/detail?id=7&from=async' };
        },
      },
    );
    const sent = sharer.shareCard(page);
    await sharer.advance(3000);
    const card = await sent;
    const shareId = shareIdOf(card.path);
    // in time, the page's own content; too late, the current page, still with the share id
    expect(card).toEqual(
      delayMs === 0
        ? { title: 'Item 7', path: `/pages/detail/detail?id=7&from=async&rk_sh=${shareId}`, imageUrl: undefined }
        : { title: undefined, path: `/pages/detail/detail?id=7&rk_sh=${shareId}`, imageUrl: undefined },
    );
    await sharer.settle();

    const recipient = phoneOf(recipientId);
    recipient.launch(openedFrom(card.path, 1007, { chatType: 1 }));
    recipient.hide();
    await recipient.settle();
    const [open] = await all<EnterEvent>('events', { openid: recipientId, type: 'enter' });
    expect(open.share).toMatchObject({ shareId, sharer: sharerId, depth: 1, verified: true, isReturn: true });
  }
});

test('a group card opened by two members, one through getGroupEnterInfo and one through getShareInfo', async () => {
  const sharer = phoneOf('o-gsharer');
  sharer.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  await sharer.settle();
  const card = shareFrom(sharer);
  await sharer.settle();

  const mei = phoneOf('o-mei');
  mei.group.groupEnterInfo = () => groupCloudId('o-mei', 'groupEnterInfo', 'family');
  mei.launch(openedFrom(card, 1008, { chatType: 3 }));
  await mei.advance(100);
  mei.hide();
  await mei.settle();
  // an old base library: only the shareTicket of a 1044 card; Lin opens it after Mei
  const lin = phoneOf('o-lin');
  lin.group.shareInfo = () => groupCloudId('o-lin', 'shareInfo', 'family');
  lin.launch(openedFrom(card, 1044, { chatType: 3, shareTicket: 'ticket-family' }));
  await lin.advance(100);
  lin.hide();
  await lin.settle();

  const [meiOpen] = await all<EnterEvent>('events', { openid: 'o-mei', type: 'enter' });
  const [linOpen] = await all<EnterEvent>('events', { openid: 'o-lin', type: 'enter' });
  expect(meiOpen.groupId).toBeTruthy();
  expect(linOpen.groupId).toBe(meiOpen.groupId);
  expect([meiOpen.warnings, linOpen.warnings]).toEqual([undefined, undefined]);
  expect(meiOpen.share).toMatchObject({ shareId: shareIdOf(card), sharer: 'o-gsharer', depth: 1, isReturn: true });
  // the group's record is its earliest first entry: Mei's
  expect([meiOpen.groupFirst, linOpen.groupFirst]).toEqual([true, undefined]);
  const [first] = (await all<EnterEvent & { groupId: string }>('events', { groupId: meiOpen.groupId, groupFirst: true })).sort((a, b) => a.at.getTime() - b.at.getTime());
  expect(first.at).toEqual(meiOpen.at);
  expect(groupRecord(first)).toMatchObject({ chatType: 3, firstShareId: shareIdOf(card), firstDay: meiOpen.day });
  const opens = await all<EnterEvent>('events', { type: 'enter', groupId: meiOpen.groupId });
  expect(opens.map((open) => open.openid).sort()).toEqual(['o-lin', 'o-mei']);
});
