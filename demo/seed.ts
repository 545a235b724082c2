/**
 * Seeds the demo into an emulator: the operator's channels (store codes, a poster link, one dead
 * scheme) created through `admin` and read back through the simulated WeChat as a phone would
 * (a scan of each code, an open of the link); then each planned day (`plan.ts`): the emulator's
 * clock moved to its start, where a subscription-message campaign is sent through `messages` to
 * users who accepted its template and service cards are sent by `callback` to users who wrote to
 * customer service, each opened from the user's inbox, and the day played on simulated phones
 * running the real tracker through the real `track` (`bench/cost/play.ts`), each call at its
 * instant on the day's time line; then, the clock moved to the end of today's play, the rollups of
 * every day before today, by `admin` `backfill`.
 */
import { planDay, type Entry } from '../bench/cost/day';
import { APP, playDay } from '../bench/cost/play';
import { chinaDayStart } from '../shared/time';
import type { SimulatedPhone } from '../test/client/simulated-wx';
import { invokeAs, moveClock } from '../test/helpers/emulator';
import { until } from '../test/helpers/until';
import { castOf, DEMO, planDays, type PlannedDay, type Shape, type Ways } from './plan';

/** Four lanes of users play side by side, each call at its own instant; a lane waits for another only to open a card that one shares. */
const PLAY = { lanes: 4 };
const ACTIVITY_TEMPLATE = '活动开始提醒';

export interface SeedOptions {
  url: string;
  /** The operator whose calls create channels, send the campaign and run the rollups. */
  operator: string;
  /** Today, China day: the demo's last day. */
  lastDay: string;
  /** Nothing after this instant is played (epoch ms): today so far. */
  until: number;
  seed?: number;
  /** All of the demo by default. */
  shape?: Shape;
  /** Told after each day is played, and once the rollups are done. */
  progress?(done: number, of: number, what: string): void;
}

export interface Seeded {
  users: number;
  entries: number;
  days: number;
}

async function wechat<T>(url: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/__rukou/wechat/${route}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as T;
  if (response.status !== 200) throw new Error(`the simulated WeChat refused ${route}: ${JSON.stringify(answer)}`);
  return answer;
}

/** A function's answer as the operator gets it; a refusal stops the seeding, saying what was refused. */
async function call<T>(url: string, name: string, data: Record<string, unknown>, openid: string): Promise<T> {
  const answer = await invokeAs(url, name, data, { openid, appid: APP });
  const result = answer.result as (T & { error?: unknown }) | undefined;
  if (!result || result.error) throw new Error(`${name} ${String(data.action)} failed: ${JSON.stringify(answer)}`);
  return result;
}

/** Moves the emulator's clock forward to `at` (epoch ms); a clock already past it stays. */
async function clockTo(url: string, at: number): Promise<void> {
  const moved = await moveClock(url, { set: new Date(at).toISOString() });
  if (moved.status !== 200 && moved.code !== 'CLOCK_BACKWARDS') throw new Error(`the emulator's clock did not move to ${new Date(at).toISOString()}: ${moved.status} ${moved.message}`);
}

/** Message pushes go to `callback` in the background: the seeding goes on once none is pending. */
const pushesDelivered = (url: string): Promise<void> => until(async () => (await wechat<{ pushes: unknown[] }>(url, 'pushes?status=pending')).pushes.length === 0);

/**
 * A user's action in WeChat that pushes to `callback` (a pop-up answered, a message to customer
 * service), done once the push is answered: one at a time, one `callback` worker serves them all,
 * where pushes overlapping started one worker each (a cold start of two seconds' CPU).
 */
async function pushing(url: string, route: string, body: unknown): Promise<void> {
  await wechat(url, route, body);
  await pushesDelivered(url);
}

const optionsOf = (options: { scene: number; path: string; query: Record<string, string> }): Entry => ({ kind: 'options', options: { scene: options.scene, path: options.path, query: options.query } });

/** The stores' codes, created and scanned (and long-pressed) once: every later scan of a code opens the same way. */
async function createStores(url: string, operator: string): Promise<Ways['stores']> {
  const stores: Ways['stores'] = new Map();
  for (const [key, name] of DEMO.stores) {
    const { channel } = await call<{ channel: { tempFileURL: string } }>(url, 'admin', { action: 'createChannel', kind: 'wxacode', key, name, page: 'pages/index/index', group: '深圳门店', tags: ['门店'] }, operator);
    const image = Buffer.from(await (await fetch(channel.tempFileURL)).arrayBuffer()).toString('base64');
    const scan = await wechat<{ scene: number; path: string; query: Record<string, string> }>(url, 'scan', { openid: operator, image });
    const longPress = await wechat<{ scene: number; path: string; query: Record<string, string> }>(url, 'scan', { openid: operator, image, how: 'longPress' });
    stores.set(key, { scan: optionsOf(scan), longPress: optionsOf(longPress) });
  }
  // printed for a spring SMS that never went out: the dashboard lists it among the dead channels
  await call(url, 'admin', { action: 'createChannel', kind: 'urlscheme', key: 'sms-spring', name: '春季短信', page: 'pages/detail/detail' }, operator);
  return stores;
}

async function createPoster(url: string, operator: string): Promise<Entry> {
  const { key, name } = DEMO.poster;
  const { channel } = await call<{ channel: { url: string } }>(url, 'admin', { action: 'createChannel', kind: 'urllink', key, name, page: 'pages/detail/detail', tags: ['海报', '夏季'] }, operator);
  return optionsOf(await wechat(url, 'open', { openid: operator, url: channel.url }));
}

/** The message or card each of `openids` received last, as its tap opens the Mini Program. */
async function tapsOf(url: string, openids: string[], kind: 'subscribe' | 'card', ways: Ways): Promise<void> {
  for (const openid of openids) {
    const { messages } = await wechat<{ messages: { id: string; kind: string }[] }>(url, `inbox?openid=${encodeURIComponent(openid)}`);
    const received = messages.filter((message) => message.kind === kind).pop();
    if (received) ways.taps.set(openid, optionsOf(await wechat(url, 'tap', { openid, id: received.id })));
  }
}

/** The campaign: each receiver accepts the template in its pop-up (WeChat pushes the answer to `callback`), then the operator sends it through `messages`. */
async function sendCampaign(url: string, operator: string, receivers: string[], ways: Ways): Promise<void> {
  const { templates } = await wechat<{ templates: { priTmplId: string; title: string }[] }>(url, 'templates');
  const template = templates.find((candidate) => candidate.title === ACTIVITY_TEMPLATE);
  if (!template) throw new Error(`the simulated WeChat has no template ${ACTIVITY_TEMPLATE}`);
  for (const openid of receivers) await pushing(url, 'subscribe', { openid, answers: { [template.priTmplId]: 'accept' } });
  const data = { thing1: '夏日上新', time2: '10:00', thing3: '新品限时九折' };
  await call(url, 'messages', { action: 'send', templateId: template.priTmplId, to: receivers, data, page: 'pages/detail/detail?id=7', idempotencyKey: 'demo-summer-campaign' }, operator);
  await tapsOf(url, receivers, 'subscribe', ways);
}

/** Today's users who write to customer service: `callback` answers each with a service card (the rules set at the start). */
async function chat(url: string, openids: string[], ways: Ways): Promise<void> {
  for (const [k, openid] of openids.entries()) await pushing(url, 'cs', { openid, text: k % 2 === 0 ? '有什么优惠吗' : '怎么退货' });
  await tapsOf(url, openids, 'card', ways);
}

const CARD_RULES = {
  keywords: [{ keyword: '优惠', card: { title: '本周优惠', page: 'pages/detail/detail?id=12' } }],
  sessionFroms: [],
  default: { title: '售后与退换', page: 'pages/detail/detail?id=3' },
};

/** Plays the demo into the emulator at `url` (fresh data, its clock a minute before the first day, timers off). */
export async function seedDemo(options: SeedOptions): Promise<Seeded> {
  const { url, operator } = options;
  const days = planDays(options.lastDay, options.seed, options.shape);
  const ways: Ways = { stores: new Map(), taps: new Map() };
  const phones = new Map<string, SimulatedPhone>();
  let entries = 0;
  // the operator sets up as the demo's first day begins: its codes are made on that day
  await clockTo(url, chinaDayStart(days[0].day).getTime());
  await call(url, 'admin', { action: 'setCardRules', rules: CARD_RULES }, operator);
  ways.stores = await createStores(url, operator);
  // a demo shorter than the poster's campaign starts with it
  const posterStarts = Math.max(0, days.length - 1 - DEMO.poster.fromDaysAgo);
  for (const planned of days) {
    // the operator's steps happen as the day begins, before its users come in
    await clockTo(url, chinaDayStart(planned.day).getTime());
    if (planned.index === posterStarts) ways.poster = await createPoster(url, operator);
    if (planned.receivers.length > 0) await sendCampaign(url, operator, planned.receivers, ways);
    if (planned.chatting.length > 0) await chat(url, planned.chatting, ways);
    entries += await playPlanned(planned, ways, url, phones, options.until);
    options.progress?.(planned.index + 1, days.length + 1, planned.day);
  }
  await clockTo(url, options.until);
  if (days.length > 1) await rollUp(url, operator, days[0].day, days[days.length - 2].day);
  options.progress?.(days.length + 1, days.length + 1, 'rollups');
  return { users: phones.size, entries, days: days.length };
}

/** One day on the phones; today only up to `until`. Answers the entries its phones made. */
async function playPlanned(planned: PlannedDay, ways: Ways, url: string, phones: Map<string, SimulatedPhone>, untilMs: number): Promise<number> {
  const day = planDay(planned.parameters, castOf(planned, ways));
  day.steps = day.steps.filter((step) => step.at <= untilMs);
  const before = new Map([...phones].map(([openid, phone]) => [openid, phone.calls.length]));
  await playDay(day, url, { phones, ...PLAY });
  let entries = 0;
  for (const [openid, phone] of phones) for (const made of phone.calls.slice(before.get(openid) ?? 0)) entries += ((made.data.events as { type: string }[] | undefined) ?? []).filter((event) => event.type === 'enter').length;
  return entries;
}

/** Every day before today rolled up, as many `backfill` calls as its time budget takes. */
async function rollUp(url: string, operator: string, from: string, to: string): Promise<void> {
  let range: { from: string; to: string } | null = { from, to };
  while (range) range = (await call<{ remaining: { from: string; to: string } | null }>(url, 'admin', { action: 'backfill', ...range }, operator)).remaining;
}
