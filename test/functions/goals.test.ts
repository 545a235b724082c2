/**
 * Goals through the real `track`, reported by the Mini Program (the client gateway) and by an
 * operator's own cloud function (test/fixtures/operator/shop, which calls `track` with
 * `cloud.callFunction` as the README shows): the contract, what is verified and for whom, one goal
 * whoever reports it and in any order, its credits under each model, and what a goal batch costs.
 * Every document is read back with the real SDK.
 */
import cloud from 'wx-server-sdk';
import { goalDocId } from '../../shared/goals';
import type { DayGoal, EnterEvent, GoalDoc, GoalEvent, UserDayDoc } from '../../shared/model';
import { userDayId } from '../../shared/user-days';
import { emulatorNow, invokeAs, logOf, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { operatorProject } from '../helpers/operator-project';

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let counter = 0;
const APP = 'wx0000000000000000';
const MINUTE = 60_000;
const DAY_MS = 86_400_000;
const nextId = (): string => `gl-${(counter++).toString().padStart(6, '0')}-${Date.now().toString(36)}`;

type Sent = Record<string, unknown> & { id: string; at: number };
const enter = (at: number, scene: number, query: Record<string, string> = {}): Sent => ({ id: nextId(), seq: counter, at, type: 'enter', cold: true, options: { scene, path: 'pages/index/index', query } });
const goal = (at: number, name: string, goalId: string, value?: number): Sent => ({ id: nextId(), seq: counter, at, type: 'goal', name, goalId, ...(value === undefined ? {} : { value }) });
const page = (at: number): Sent => ({ id: nextId(), seq: counter, at, type: 'page', path: 'pages/item/item' });

interface Answer {
  accepted: string[];
  duplicates: string[];
  rejected: { id: string | null; code: string; message: string; field?: string }[];
}

/** A batch as the Mini Program sends it, the phone's clock right. */
async function track(openid: string, events: Sent[]): Promise<Answer> {
  const answer = await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events }, { openid, appid: APP });
  if (!answer.result) throw new Error(`track failed: ${JSON.stringify(answer)}`);
  return answer.result as Answer;
}

/** The operator's function reporting a goal for the user who calls it: what a payment page does after paying. */
async function reportFromServer(openid: string, name: string, goalId: string, value?: number): Promise<Answer> {
  const answer = await invokeAs(emulator.url, 'shop', { goal: name, goalId, ...(value === undefined ? {} : { value }) }, { openid, appid: APP });
  if (!answer.result) throw new Error(`shop failed: ${JSON.stringify(answer)}`);
  return answer.result as Answer;
}

async function goalDoc(openid: string, name: string, goalId: string): Promise<GoalDoc | undefined> {
  return ((await db.collection('goals').where({ _id: goalDocId(openid, name, goalId) }).get()) as unknown as { data: GoalDoc[] }).data[0];
}

async function userDay(openid: string, day: string): Promise<UserDayDoc | undefined> {
  return ((await db.collection('user_days').where({ _id: userDayId(openid, day) }).get()) as unknown as { data: UserDayDoc[] }).data[0];
}

/** The goal as the user-day of its day holds it. */
async function heldGoal(openid: string, name: string, goalId: string): Promise<DayGoal & { day: string }> {
  const doc = await goalDoc(openid, name, goalId);
  if (!doc) throw new Error('no goal document');
  const held = (await userDay(openid, doc.day))?.goals?.find((one) => one.id === doc._id);
  if (!held) throw new Error(`the user-day of ${doc.day} does not hold the goal`);
  return { ...held, day: doc.day };
}

const set = async (iso: string | number): Promise<void> => {
  expect((await moveClock(emulator.url, { set: new Date(iso).toISOString() })).status).toBe(200);
};

beforeAll(async () => {
  emulator = await startEmulator({ project: operatorProject(), timers: false, verbose: true, clock: MIDDAY });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

describe('the goal event', () => {
  it('is stored, one goal per user, name and goalId, held by the user-day of its day with its value', async () => {
    const now = await emulatorNow(emulator.url);
    const sent = [enter(now - 5 * MINUTE, 1047, { rk_ch: 'poster-1' }), goal(now, 'signup', 'u-1'), goal(now, 'order_paid', 'A-1', 2990)];
    expect(await track('o-gina', sent)).toMatchObject({ accepted: sent.map((event) => event.id), rejected: [] });
    const stored = ((await db.collection('events').where({ openid: 'o-gina', type: 'goal' }).get()) as unknown as { data: GoalEvent[] }).data;
    expect(stored.map(({ name, goalId, value, verified }) => ({ name, goalId, value, verified })).sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([
      { name: 'order_paid', goalId: 'A-1', value: 2990, verified: false },
      { name: 'signup', goalId: 'u-1', value: undefined, verified: false },
    ]);
    expect(await goalDoc('o-gina', 'order_paid', 'A-1')).toMatchObject({ openid: 'o-gina', name: 'order_paid', goalId: 'A-1', value: 2990, verified: false, reports: [{ eventId: sent[2].id, verified: false }] });
    const day = await userDay('o-gina', (await goalDoc('o-gina', 'signup', 'u-1'))!.day);
    expect(day).toMatchObject({ goalCount: 2, goalNames: expect.arrayContaining([{ n: 'order_paid', goals: 1, value: 2990, verified: 0 }, { n: 'signup', goals: 1, value: 0, verified: 0 }]) });
    expect(day?.goalKeys).toEqual(expect.arrayContaining([{ n: 'order_paid', m: 'last', d: 'channel', k: 'poster-1', goals: 1, value: 2990 }]));
  });

  it('refuses a goal off the contract, naming the field, and keeps the others', async () => {
    const now = await emulatorNow(emulator.url);
    const bad: [Sent, string][] = [
      [{ ...goal(now, 'has space', 'x'), name: 'has space' }, 'name'],
      [goal(now, 'paid', ''), 'goalId'],
      [goal(now, 'paid', 'x'.repeat(129)), 'goalId'],
      [goal(now, 'paid', 'x', 12.5), 'value'],
      [goal(now, 'paid', 'x', -1), 'value'],
      [{ ...goal(now, 'paid', 'x'), verified: true }, 'verified'],
      [{ ...goal(now, 'paid', 'x'), openid: 'o-else' }, 'openid'],
    ];
    const good = goal(now, 'paid', 'fine');
    const answer = await track('o-hugo', [...bad.map(([event]) => event), good]);
    expect(answer.accepted).toEqual([good.id]);
    expect(answer.rejected.map(({ id, code, field }) => ({ id, code, field }))).toEqual(bad.map(([event, field]) => ({ id: event.id, code: 'INVALID_INPUT', field })));
  });
});

describe('reported by the operator\'s function', () => {
  it('is verified and the caller\'s own: track sees the user\'s OPENID and SOURCE "wx_client,scf"', async () => {
    const answer = await reportFromServer('o-ivan', 'order_paid', 'B-7', 4500);
    expect(answer.accepted).toHaveLength(1);
    expect(await goalDoc('o-ivan', 'order_paid', 'B-7')).toMatchObject({ openid: 'o-ivan', verified: true, value: 4500, reports: [{ verified: true, value: 4500 }] });
    const [event] = ((await db.collection('events').where({ openid: 'o-ivan', type: 'goal' }).get()) as unknown as { data: GoalEvent[] }).data;
    expect(event).toMatchObject({ verified: true, goalId: 'B-7' });
  });

  it('a Mini Program calling track itself is never verified, whatever it sends, and reports only for itself', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-jade', [goal(now, 'order_paid', 'B-7', 1)]);
    expect(await goalDoc('o-jade', 'order_paid', 'B-7')).toMatchObject({ openid: 'o-jade', verified: false });
    // o-ivan's goal of the same id is o-ivan's, untouched
    expect(await goalDoc('o-ivan', 'order_paid', 'B-7')).toMatchObject({ verified: true, value: 4500, reports: [expect.anything()] });
  });

  it('a phone that sends one goal over and over cannot keep the operator\'s verified report out', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-lou', [enter(now - 10 * MINUTE, 1047)]);
    for (let i = 0; i < 21; i++) await track('o-lou', [goal(now - MINUTE, 'order_paid', 'CAP', 1)]);
    const before = await goalDoc('o-lou', 'order_paid', 'CAP');
    expect(before).toMatchObject({ verified: false, value: 1 });
    expect(before!.reports).toHaveLength(20);
    await reportFromServer('o-lou', 'order_paid', 'CAP', 5000);
    expect(await goalDoc('o-lou', 'order_paid', 'CAP')).toMatchObject({ verified: true, value: 5000 });
  });

  it('the function\'s verified report racing the phone\'s reports of the same goal is stored: answered UPSTREAM, the function sends it again (a break-it pass)', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-race', [enter(now - 10 * MINUTE, 1089)]);
    // warm workers, so that the reports run side by side
    await Promise.all([0, 1, 2, 3, 4].map(() => track('o-race-warm', [page(now)])));
    // the phone's batches lose races too, and its tracker sends them again, as the function does: a
    // write loses only to another that is stored, so five writers each store within five tries
    const fromPhone = async (): Promise<Answer | { error: { code: string } }> => {
      const batch = [goal(now - MINUTE, 'order_paid', 'R-1', 1)];
      let answer: Answer | { error: { code: string } } = { error: { code: 'UPSTREAM' } };
      for (let attempt = 0; attempt < 3 && 'error' in answer && answer.error.code === 'UPSTREAM'; attempt++) answer = (await track('o-race', batch)) as Answer | { error: { code: string } };
      return answer;
    };
    const answers = await Promise.all([...[0, 1, 2, 3].map(fromPhone), reportFromServer('o-race', 'order_paid', 'R-1', 5000)]);
    expect(answers.map((answer) => ('accepted' in answer ? answer.accepted.length : answer))).toEqual([1, 1, 1, 1, 1]);
    expect(await goalDoc('o-race', 'order_paid', 'R-1')).toMatchObject({ verified: true, value: 5000 });
  });

  it('the same goal from both sides counts once, in either order; the verified value wins and the earliest report sets its time', async () => {
    const now = await emulatorNow(emulator.url);
    // the phone's report first, a minute before the server's, with another value
    await track('o-kit', [enter(now - 10 * MINUTE, 1089), goal(now - MINUTE, 'order_paid', 'C-1', 1000)]);
    await reportFromServer('o-kit', 'order_paid', 'C-1', 990);
    // the server's first, then the phone's, sent again too
    await reportFromServer('o-lin', 'order_paid', 'C-2', 990);
    const late = goal(now - MINUTE, 'order_paid', 'C-2', 1000);
    await track('o-lin', [enter(now - 10 * MINUTE, 1089), late]);
    await track('o-lin', [late]);
    for (const openid of ['o-kit', 'o-lin']) {
      const doc = await goalDoc(openid, 'order_paid', openid === 'o-kit' ? 'C-1' : 'C-2');
      const phones = ((await db.collection('events').where({ openid, type: 'goal', verified: false }).get()) as unknown as { data: GoalEvent[] }).data;
      expect(doc).toMatchObject({ verified: true, value: 990, at: phones[0].at });
      expect(doc?.reports).toHaveLength(2);
      const day = await userDay(openid, doc!.day);
      expect(day?.goals).toHaveLength(1);
      expect(day?.goalNames).toEqual([{ n: 'order_paid', goals: 1, value: 990, verified: 1 }]);
    }
    expect(((await db.collection('goals').where({ openid: 'o-lin' }).count()) as { total: number }).total).toBe(1);
  });
});

describe('credits', () => {
  it('first touch, last touch and last non-direct touch, each with its keys and the time to the goal', async () => {
    const now = await emulatorNow(emulator.url);
    const sharer = 'o-max';
    const card = `${((await track(sharer, [page(now)])) as Answer & { sharePrefix: string }).sharePrefix}goalcard`;
    await track(sharer, [enter(now - 6 * DAY_MS, 1089), { id: nextId(), seq: counter, at: now - 6 * DAY_MS + 1000, type: 'share', shareId: card, path: 'pages/item/item', to: 'chat' }]);
    await db.collection('messages').add({ data: { _id: 'msg-goal-1', openid: 'o-nia', templateId: 'T-restock', fate: 'sent', sentAt: new Date(now - 3 * DAY_MS), createdAt: new Date(now - 3 * DAY_MS) } });
    const first = enter(now - 6 * DAY_MS, 1047, { rk_ch: 'poster-9' });
    const shared = enter(now - 5 * DAY_MS, 1007, { rk_sh: card });
    const message = enter(now - 2 * DAY_MS, 1107, { rk_msg: 'msg-goal-1' });
    const pulled = enter(now - 30 * MINUTE, 1089);
    await track('o-nia', [first, shared]);
    await track('o-nia', [message]);
    await track('o-nia', [pulled, goal(now, 'order_paid', 'D-1', 5000)]);
    const held = await heldGoal('o-nia', 'order_paid', 'D-1');
    const seconds = async (entry: Sent): Promise<number> => Math.floor((new Date(held.at).getTime() - new Date((await eventOf('o-nia', entry.id)).at).getTime()) / 1000);
    expect(held.credit.first).toEqual({ at: (await eventOf('o-nia', first.id)).at, s: await seconds(first), b: expect.any(Number), keys: { bucket: 'offline-qr', category: 'QR code', scene: '1047', channel: 'poster-9', page: 'pages/index/index' } });
    expect(held.credit.first?.s).toBeGreaterThan(6 * 86_400 - 60);
    expect(held.credit.last).toMatchObject({ at: (await eventOf('o-nia', pulled.id)).at, s: await seconds(pulled), keys: { category: 'Quick entry', scene: '1089' } });
    expect(held.credit.lastNonDirect).toMatchObject({ at: (await eventOf('o-nia', message.id)).at, keys: { category: 'Templated messages', scene: '1107', message: 'T-restock' } });
    // the card's open, five days before, is older than the message's: not the last non-direct touch
    expect(held.credit.lastNonDirect?.keys.share).toBeUndefined();
    // a goal the phone recorded four days ago, the day after the card's open: credited to its sharer
    await track('o-nia', [goal(now - 4 * DAY_MS, 'signup', 'nia')]);
    const signup = await heldGoal('o-nia', 'signup', 'nia');
    expect(signup.credit.last).toMatchObject({ keys: { category: 'Share', scene: '1007', share: sharer } });
    expect(signup.credit.lastNonDirect).toMatchObject({ keys: { share: sharer } });
    expect(signup.credit.first).toMatchObject({ keys: { channel: 'poster-9' } });
    // the message open counts into the user-day of its day, by template, as the card does by its sharer
    const opened = await eventOf('o-nia', message.id);
    expect(opened.messageOpen).toBe('T-restock');
    expect((await userDay('o-nia', opened.day))?.byMessage).toEqual({ 'T-restock': 1 });
    expect((await userDay('o-nia', (await eventOf('o-nia', shared.id)).day))?.bySharer).toEqual({ [sharer]: 1 });
    // a message that was someone else's, or past 7 days, is no open
    await db.collection('messages').add({ data: { _id: 'msg-goal-2', openid: 'o-else', templateId: 'T-restock', fate: 'sent', sentAt: new Date(now - DAY_MS), createdAt: new Date(now - DAY_MS) } });
    const foreign = enter(now - MINUTE, 1107, { rk_msg: 'msg-goal-2' });
    await track('o-nia', [foreign]);
    expect((await eventOf('o-nia', foreign.id)).messageOpen).toBeUndefined();
  });

  it('an entry the tracker sends after the server reported the goal credits it again, on the goal\'s day', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-olga', [enter(now - 3 * 3600_000, 1089)]);
    await reportFromServer('o-olga', 'signup', 'olga');
    expect((await heldGoal('o-olga', 'signup', 'olga')).credit.last).toMatchObject({ keys: { scene: '1089' } });
    // the visit's entry, 20 s before the goal, held by the tracker's 50 s wait: a QR code
    await track('o-olga', [enter((await emulatorNow(emulator.url)) - 20_000, 1047, { rk_ch: 'desk' })]);
    const held = await heldGoal('o-olga', 'signup', 'olga');
    expect(held.credit.last).toMatchObject({ keys: { scene: '1047', channel: 'desk' } });
    expect(held.credit.lastNonDirect).toMatchObject({ keys: { channel: 'desk' } });
  });

});

async function eventOf(openid: string, id: string): Promise<EnterEvent> {
  const answer = (await db.collection('events').where({ openid, eventId: id }).get()) as unknown as { data: EnterEvent[] };
  expect(answer.data).toHaveLength(1);
  return answer.data[0];
}

describe('cost of a batch with a goal', () => {
  async function requestsOf(work: () => Promise<unknown>): Promise<{ reads: number; writes: number }> {
    const { lines } = await logOf(emulator, work);
    const actions = lines.flatMap((line) => /^\[rukou\] admin database\.(\w+) /.exec(line)?.[1] ?? []);
    return { reads: actions.filter((a) => a === 'getDocument').length, writes: actions.filter((a) => ['insertDocument', 'modifyDocument', 'modifyAndReturnDoc', 'removeDocument'].includes(a)).length };
  }

  it('a known user\'s goal with page views: 4 reads and 3 writes; the server\'s report of it: the same; a report sent again writes nothing but its refused events', async () => {
    const now = await emulatorNow(emulator.url);
    await track('o-quinn', [enter(now - MINUTE, 1089)]);
    const batch = [page(now - 30_000), goal(now, 'order_paid', 'F-1', 700)];
    // the user-day and the goal; then `users` and the entries around it. The goal, the user-day, the events
    expect(await requestsOf(() => track('o-quinn', batch))).toEqual({ reads: 4, writes: 3 });
    expect(await requestsOf(() => reportFromServer('o-quinn', 'order_paid', 'F-1', 700))).toEqual({ reads: 4, writes: 3 });
    expect(await requestsOf(() => track('o-quinn', batch))).toEqual({ reads: 5, writes: 1 });
  });

  it('an entry through a subscription message: one more read, its record', async () => {
    const now = await emulatorNow(emulator.url);
    await db.collection('messages').add({ data: { _id: 'msg-cost-1', openid: 'o-rita', templateId: 'T-cost', fate: 'sent', sentAt: new Date(now - DAY_MS), createdAt: new Date(now - DAY_MS) } });
    await track('o-rita', [enter(now - MINUTE, 1089)]);
    expect(await requestsOf(() => track('o-rita', [enter(now, 1107, { rk_msg: 'msg-cost-1' })]))).toEqual({ reads: 2, writes: 2 });
  });
});

describe('across midnight', () => {
  // last: it moves the clock past midnight
  it('an earlier report moves the goal to its day: the user-day it was on lets it go', async () => {
    const midnight = Date.parse('2024-05-21T00:00:00+08:00');
    await set(midnight + 5_000);
    await reportFromServer('o-pam', 'order_paid', 'E-1', 100);
    expect((await goalDoc('o-pam', 'order_paid', 'E-1'))?.day).toBe('2024-05-21');
    // the phone's own report, two seconds before midnight, arrives after
    await track('o-pam', [enter(midnight - 60_000, 1047, { rk_ch: 'night' }), goal(midnight - 2_000, 'order_paid', 'E-1', 100)]);
    const held = await heldGoal('o-pam', 'order_paid', 'E-1');
    expect(held).toMatchObject({ day: '2024-05-20', verified: true, credit: { last: { keys: { channel: 'night' } } } });
    expect(await userDay('o-pam', '2024-05-21')).toMatchObject({ goals: [], goalCount: 0, goalKeys: [], goalNames: [] });
  });
});
