/**
 * The demo's plan (demo/plan.ts): the same seed plans the same 45 days, counted back from the
 * day asked; more new users over time, users who come back, a new user's first visit through a
 * way of discovery and never a way back, the pull-down bar rising, a campaign
 * whose openers are among its receivers, paid orders more likely from store codes, cards and
 * messages than from search.
 */
import { isWayBack, planDay, type Entry } from '../../bench/cost/day';
import { castOf, DEMO, orderChance, planDays, scenesOn, type Ways } from '../../demo/plan';
import { classifyScene, sceneNames } from '../../shared/scenes';
import { addDays } from '../../shared/time';

const LAST = '2026-03-15';
const days = planDays(LAST);

const optionsOf = (scene: number): Entry => ({ kind: 'options', options: { scene, path: 'pages/index/index', query: {} } });
/** The operator's ways in as `seed.ts` reads them from the simulated WeChat, each standing for its scene. */
const WAYS: Ways = {
  stores: new Map(DEMO.stores.map(([key]) => [key, { scan: optionsOf(1047), longPress: optionsOf(1048) }])),
  poster: optionsOf(1194),
  taps: new Map(days.flatMap((day) => [...day.tapping].map((openid) => [openid, optionsOf(day.chatting.includes(openid) ? 1073 : 1107)] as const))),
};
const sceneOf = (entry: Entry): number => (entry.kind === 'card' ? entry.scene : Number(entry.options.scene));
/** Every day of the demo as `seed.ts` plays it. */
const played = days.map((planned) => ({ planned, day: planDay(planned.parameters, castOf(planned, WAYS)) }));

test('the same seed plans the same days; another seed, other users', () => {
  expect(planDays(LAST)).toEqual(days);
  expect(planDays(LAST, DEMO.seed + 1).map((day) => day.openids)).not.toEqual(days.map((day) => day.openids));
});

test('45 days in a row ending on the day asked, whatever day that is', () => {
  expect(days.map((day) => day.day)).toEqual(Array.from({ length: DEMO.days }, (_, k) => addDays(LAST, k - DEMO.days + 1)));
  expect(planDays('2031-01-01').at(-1)?.day).toBe('2031-01-01');
});

test('about two thousand users, more new ones each week, and users who come back on later days', () => {
  const seen = new Set<string>();
  let back = 0;
  for (const day of days) {
    const fresh = day.openids.slice(0, day.newUsers);
    expect(fresh.some((openid) => seen.has(openid))).toBe(false);
    for (const openid of day.openids.slice(day.newUsers)) {
      expect(seen.has(openid)).toBe(true);
      back++;
    }
    for (const openid of day.openids) seen.add(openid);
  }
  expect(seen.size).toBeGreaterThan(1800);
  expect(back).toBeGreaterThan(1000);
  const week = (from: number): number => days.slice(from, from + 7).reduce((sum, day) => sum + day.newUsers, 0);
  expect(week(DEMO.days - 7)).toBeGreaterThan(1.6 * week(0));
});

test('the demo\'s ways back are the recent lists and favourites', () => {
  // none of the Discover page's suggestions, nor messages: the demo's come in through their taps
  const recall = scenesOn(1, true)
    .map(([scene]) => scene)
    .filter(isWayBack);
  expect(recall).toEqual([1089, 1001, 1010]);
  for (const scene of recall) expect(sceneNames(scene)?.zh).toMatch(/最近使用|我的小程序|收藏/);
});

test("a new user's first visit ever comes through a way of discovery; users who came before also come back through the pull-down bar and the other ways back", () => {
  const recalledFirst: string[] = [];
  let firsts = 0;
  const back = new Map<number, number>();
  for (const { planned, day } of played) {
    const launched = new Set<number>();
    for (const step of day.steps) {
      if (step.kind !== 'launch') continue;
      const scene = sceneOf(step.entry);
      if (step.user < planned.newUsers && !launched.has(step.user)) {
        firsts++;
        if (isWayBack(scene)) recalledFirst.push(`${planned.day} ${planned.openids[step.user]} ${scene}`);
      } else if (isWayBack(scene)) back.set(scene, (back.get(scene) ?? 0) + 1);
      launched.add(step.user);
    }
  }
  expect(firsts).toBe(days.reduce((sum, day) => sum + day.newUsers, 0));
  expect(recalledFirst).toEqual([]);
  expect(back.get(1089)).toBeGreaterThan(300);
  expect(back.get(1001)).toBeGreaterThan(30);
  expect(back.get(1010)).toBeGreaterThan(0);
});

test('played, the same seed makes the same visits', () => {
  const again = days.map((planned) => planDay(planned.parameters, castOf(planned, WAYS)));
  expect(again).toEqual(played.map(({ day }) => day));
});

test('played, chat cards stay the largest source every week and the pull-down bar\'s share grows over the period', () => {
  const entriesOf = (week: typeof played): number[] => week.flatMap(({ day }) => day.steps.flatMap((step) => (step.kind === 'launch' || step.kind === 'show' ? [sceneOf(step.entry)] : [])));
  const share = (entries: number[], match: (scene: number) => boolean): number => entries.filter(match).length / entries.length;
  const inCategory = (category: string) => (scene: number) => classifyScene(scene).category === category;
  for (let from = 0; from < played.length; from += 7) {
    const entries = entriesOf(played.slice(from, from + 7));
    const others = [...new Set(entries.map((scene) => classifyScene(scene).category))].filter((category) => category !== 'Share');
    expect(share(entries, inCategory('Share'))).toBeGreaterThan(Math.max(...others.map((category) => share(entries, inCategory(category)))));
  }
  const pullDown = (week: typeof played): number => share(entriesOf(week), (scene) => scene === 1089);
  expect(pullDown(played.slice(-7))).toBeGreaterThan(2 * pullDown(played.slice(0, 7)));
});

test('chat cards are the largest source and the pull-down bar rises', () => {
  const weight = (progress: number, scene: number): number => scenesOn(progress, false).find(([id]) => id === scene)?.[1] ?? 0;
  const chats = (progress: number): number => weight(progress, 1007) + weight(progress, 1008) + weight(progress, 1044);
  for (const progress of [0, 0.5, 1]) expect(chats(progress)).toBeGreaterThan(Math.max(...scenesOn(progress, true).map(([, w]) => w)));
  expect(weight(1, 1089)).toBeGreaterThan(2 * weight(0, 1089));
  expect(weight(0.5, 1194)).toBe(0);
  expect(scenesOn(0.5, true).find(([id]) => id === 1194)?.[1]).toBeGreaterThan(0);
});

test("the campaign goes to users seen before its day, and only they and customer service's users open what they received", () => {
  const campaign = days.filter((day) => day.receivers.length > 0);
  expect(campaign.map((day) => day.day)).toEqual([addDays(LAST, -DEMO.campaign.daysAgo)]);
  const before = new Set(days.filter((day) => day.day < campaign[0].day).flatMap((day) => day.openids));
  expect(campaign[0].receivers.every((openid) => before.has(openid))).toBe(true);
  const receivers = new Set(campaign[0].receivers);
  for (const day of days) for (const openid of day.tapping) expect(receivers.has(openid) || day.chatting.includes(openid)).toBe(true);
  for (const day of days) for (const openid of day.tapping) expect(day.openids).toContain(openid);
});

test("a small shape keeps the story at a fraction of the users (the browser tests')", () => {
  const small = planDays(LAST, DEMO.seed, { days: 14, scale: 0.25 });
  expect(small).toHaveLength(14);
  const users = new Set(small.flatMap((day) => day.openids)).size;
  expect(users).toBeGreaterThan(50);
  expect(users).toBeLessThan(300);
});

test("a user's first cold start through a tap opens what they received; store scans and the poster's link open the operator's own", () => {
  const tapping = days.find((day) => day.tapping.size > 0);
  if (!tapping) throw new Error('no day with taps');
  const [openid] = tapping.tapping;
  const tap = { kind: 'options' as const, options: { scene: 1014, path: 'pages/detail/detail', query: { rk_msg: 'm1' } } };
  const store = { kind: 'options' as const, options: { scene: 1047, path: 'pages/index/index', query: { scene: 'rk_ch%3Dstore-nanshan' } } };
  const ways: Ways = { stores: new Map(DEMO.stores.map(([key]) => [key, { scan: store, longPress: store }])), taps: new Map([[openid, tap]]) };
  const cast = castOf(tapping, ways);
  const user = tapping.openids.indexOf(openid);
  expect(cast.entry?.(user, 1089, () => 0.5)).toBe(tap);
  // once: a later cold start that day comes in as drawn
  expect(cast.entry?.(user, 1089, () => 0.5)).toBeUndefined();
  expect(cast.entry?.(0, 1047, () => 0.1)).toBe(store);
});

test('visits end with paid orders, more often through store codes, cards and messages than through search, each order its own number, most also verified', () => {
  for (const scene of [1047, 1048, 1007, 1008, 1044, 1014, 1073]) expect(orderChance(scene)).toBeGreaterThan(2 * orderChance(1053));
  const store = { kind: 'options' as const, options: { scene: 1047, path: 'pages/index/index', query: {} } };
  const ways: Ways = { stores: new Map(DEMO.stores.map(([key]) => [key, { scan: store, longPress: store }])), taps: new Map() };
  const orders = days.slice(-7).flatMap((planned) => planDay(planned.parameters, castOf(planned, ways)).steps.flatMap((step) => (step.kind === 'goal' ? [step] : [])));
  const sessions = days.slice(-7).reduce((sum, planned) => sum + planDay(planned.parameters, castOf(planned, ways)).sessions, 0);
  expect(orders.length).toBeGreaterThan(0.03 * sessions);
  expect(orders.length).toBeLessThan(0.15 * sessions);
  expect(new Set(orders.map((order) => order.id)).size).toBe(orders.length);
  expect(orders.filter((order) => order.verified).length).toBeGreaterThan(orders.length / 2);
  expect(orders.some((order) => !order.verified)).toBe(true);
  for (const order of orders) {
    expect(order.name).toBe('order_paid');
    expect(order.value).toBeGreaterThanOrEqual(DEMO.orders.fen[0]);
    expect(order.value).toBeLessThanOrEqual(DEMO.orders.fen[1]);
  }
});

test("the bench's own day has no orders: only a cast asks for them", () => {
  expect(planDay().steps.some((step) => step.kind === 'goal')).toBe(false);
});
