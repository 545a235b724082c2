/**
 * Hide and show without leaving (issue 7 §1): WeChat hides and shows the app around every system
 * screen it opens itself, with the same enter options (Platform sources §G.1). Real tracker code on
 * simulated phones, delivered through the emulator to the real `track`, rolled up by the real
 * `rollup` and read back through `admin`, as an operator would see it.
 */
import cloud from 'wx-server-sdk';
import type { EnterEvent, HideEvent, StoredEvent } from '../../shared/model';
import type { ChatShare } from '../../packages/rukou-tracker/src/tracker';
import { invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { gateway, openedFrom, SimulatedPhone, type PageInstance } from './simulated-wx';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-operator', appid: APP };
const MINUTE = 60_000;
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

// each scenario reads whole days' numbers (sessions and user-days are per day), so each gets an
// emulator of its own, at noon: its events, anchored to when they arrive, cannot straddle a midnight
beforeEach(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterEach(async () => {
  await emulator?.stop();
});

const phoneOf = (openid: string): SimulatedPhone => new SimulatedPhone(openid, gateway(emulator.url, APP));
const HOME = { scene: 1089, path: 'pages/index/index', query: {} };
const detail = { onShareAppMessage: () => ({ title: 'Item 7', path: '/pages/detail/detail?id=7' }) };

async function eventsOf<T extends StoredEvent>(openid: string, type: T['type']): Promise<T[]> {
  const answer = (await db.collection('events').where({ openid, type }).limit(1000).get()) as unknown as { data: T[] };
  return answer.data.sort((a, b) => a.seq - b.seq);
}

async function admin<T>(data: Record<string, unknown>): Promise<T> {
  const answer = await invokeAs(emulator.url, 'admin', data, OPERATOR);
  if (!answer.result || 'error' in (answer.result as object)) throw new Error(`admin failed: ${JSON.stringify(answer)}`);
  return answer.result as T;
}

interface Numbers {
  totals: { entries: number; userDays: number; sessions: number; cold: number; hot: number };
  funnel: { intents: number; returnOpens: number; openerDays: number; returnRatio: number };
}

/**
 * Rolls up every day that has events (an event's day follows its time, which follows the phone's
 * clock) once they are over, and reads the totals and the share funnel.
 */
async function rolledUp(): Promise<Numbers> {
  const answer = (await db.collection('events').field({ day: true }).limit(1000).get()) as unknown as { data: { day: string }[] };
  const days = answer.data.map((event) => event.day).sort();
  const range = { from: days[0], to: days[days.length - 1] };
  await moveClock(emulator.url, { advance: '1d' });
  await admin({ action: 'backfill', ...range });
  const overview = await admin<{ totals: Record<string, { value: number }> }>({ action: 'overview', ...range });
  const totals = Object.fromEntries(Object.entries(overview.totals).map(([key, { value }]) => [key, value])) as unknown as Numbers['totals'];
  const { funnel } = await admin<{ funnel: Numbers['funnel'] }>({ action: 'shareFunnel', ...range });
  return { totals, funnel };
}

/** Ann opens the Mini Program, and shares item 7 through the share panel: her card. */
async function annShares(): Promise<{ ann: SimulatedPhone; card: string }> {
  const ann = phoneOf('o-ann');
  ann.launch(HOME);
  await ann.settle();
  const page = ann.openPage('pages/detail/detail', { id: '7' }, detail);
  const card = String((ann.shareFromMenu(page) as ChatShare).path);
  await ann.advance(ann.systemScreenMs);
  ann.hide();
  await ann.settle();
  return { ann, card };
}

/**
 * Delivers what the phone holds in one batch. The emulator's clock runs in real time while the
 * phone's is advanced by the test, so events sent over several calls would be anchored to
 * arrival times milliseconds apart: one batch, corrected by its `sentAt`, keeps the spacing the
 * phone saw (as an offline phone's batch does).
 */
async function deliverAtOnce(phone: SimulatedPhone): Promise<void> {
  await phone.settle();
  phone.online = true;
  phone.tracker?.flush();
  await phone.settle();
  expect(phone.tracker?.counts().queued).toBe(0);
}

/** The recipient opens the card from a chat, on the page it shows. */
function open(phone: SimulatedPhone, card: string, scene = 1007): PageInstance {
  const options = openedFrom(card, scene);
  phone.launch(options);
  return phone.openPage(options.path, options.query, detail);
}

test('a card opened once, two image previews and a share on: 1 entry, no hot start, 1 share return, return ratio 0.5', async () => {
  const { card } = await annShares();
  const ben = phoneOf('o-ben');
  const page = open(ben, card);
  await ben.advance(20_000);
  ben.wx?.previewImage({ success: () => undefined });
  await ben.advance(ben.systemScreenMs);
  await ben.advance(10_000);
  ben.wx?.previewImage();
  await ben.advance(ben.systemScreenMs);
  ben.shareFromMenu(page);
  await ben.advance(ben.systemScreenMs);
  await ben.advance(6_000);
  ben.hide();
  await ben.settle();

  const enters = await eventsOf<EnterEvent>('o-ben', 'enter');
  expect(enters.map((event) => [event.cold, event.share?.isReturn])).toEqual([[true, true]]);
  expect((await eventsOf('o-ben', 'page')).length).toBe(1);
  // each pause says which screen hid the app; the stay runs on through them (20 s, a 4 s preview, 10 s, a preview, the share panel, 6 s)
  const hides = await eventsOf<HideEvent>('o-ben', 'hide');
  expect(hides.map((hide) => hide.pause)).toEqual(['previewImage', 'previewImage', 'share', undefined]);
  expect(hides.map((hide) => hide.stayMs)).toEqual([20_000, 34_000, 38_000, 48_000]);

  const { totals, funnel } = await rolledUp();
  expect(totals).toMatchObject({ entries: 2, userDays: 2, sessions: 2, cold: 2, hot: 0 });
  expect(funnel).toMatchObject({ intents: 2, returnOpens: 1, openerDays: 1, returnRatio: 0.5 });
});

test('a return after the session gap is a hot entry, and the same card then counts again; a shorter absence is not', async () => {
  const { card } = await annShares();
  const ben = phoneOf('o-ben');
  ben.online = false;
  const options = openedFrom(card, 1007);
  open(ben, card);
  ben.hide();
  await ben.advance(29 * MINUTE);
  ben.show(options);
  ben.hide();
  await ben.advance(31 * MINUTE);
  ben.show(options);
  ben.hide();
  await deliverAtOnce(ben);

  const enters = await eventsOf<EnterEvent>('o-ben', 'enter');
  expect(enters.map((event) => [event.cold, event.share?.isReturn])).toEqual([
    [true, true],
    [false, true],
  ]);
  const { totals, funnel } = await rolledUp();
  expect(totals).toMatchObject({ entries: 3, hot: 1 });
  expect(funnel).toMatchObject({ intents: 1, returnOpens: 2, openerDays: 1 });
});

test('the same card opened again within the session, after another entry point, is an entry but not another return', async () => {
  const { card } = await annShares();
  const ben = phoneOf('o-ben');
  ben.online = false;
  open(ben, card);
  ben.hide();
  await ben.advance(2 * MINUTE);
  ben.show(HOME);
  ben.hide();
  await ben.advance(2 * MINUTE);
  ben.show(openedFrom(card, 1007));
  ben.hide();
  await deliverAtOnce(ben);

  const enters = await eventsOf<EnterEvent>('o-ben', 'enter');
  expect(enters.map((event) => [event.scene, event.share?.isReturn, event.share?.repeat])).toEqual([
    [1007, true, undefined],
    [1089, undefined, undefined],
    [1007, false, true],
  ]);
  const { totals, funnel } = await rolledUp();
  expect(totals).toMatchObject({ entries: 4, hot: 2 });
  expect(funnel).toMatchObject({ returnOpens: 1, openerDays: 1 });
});
