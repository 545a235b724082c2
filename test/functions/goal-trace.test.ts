/**
 * Goals end to end over 45 days: a generated trace (test/helpers/goal-trace.ts) of users' visits
 * and goals is delivered day by day through the real `track`, by the phones (the client gateway)
 * and by the operator's own function (test/fixtures/operator/shop, `cloud.callFunction` into
 * `track`), the emulator's clock set to each delivery and the rollup's timer rolling each day as
 * the clock passes 00:17. Then every goal number of every day's rollup, and of `admin` `goals` over
 * the range by every model and dimension, equals the truth counted in the helper from the plan.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import { sharePrefix } from '../../shared/ids';
import type { EnterEvent, GoalEvent } from '../../shared/model';
import { emulatorNow, invokeAs, issueGroupCloudId, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { DIMS, generateGoalTrace, MODELS, truthDay, truthGoals, truthRange, type Delivery, type PlannedEvent } from '../helpers/goal-trace';
import { operatorProject } from '../helpers/operator-project';

const APP = 'wx0000000000000000';
const SECRET = 'goal-trace-share-secret-0123456789';
const OPERATOR = 'o-operator';
const trace = generateGoalTrace(12, '2024-03-01', 45, 30);
const FIRST = trace.days[0];
const LAST = trace.days[trace.days.length - 1];

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let truth: ReturnType<typeof truthGoals>;
let seq = 0;

/** The clock to `at`, unless the deliveries before already took it past: it never goes back. */
async function moveTo(at: number): Promise<void> {
  if (at <= (await emulatorNow(emulator.url))) return;
  const moved = await moveClock(emulator.url, { set: new Date(at).toISOString() });
  if (moved.status !== 200) throw new Error(`the clock did not move: ${JSON.stringify(moved)}`);
}

const withPrefix = (text: string): string => text.replace(/\{prefix:([^}]+)\}/g, (_, sharer: string) => sharePrefix(SECRET, sharer));

/** A planned event as the tracker sends it (a group card's entry with the cloudID WeChat hands the phone now). */
async function wire(user: string, event: PlannedEvent): Promise<Record<string, unknown>> {
  seq += 1;
  if (event.type === 'share') return { id: event.id, seq, at: event.at, type: 'share', shareId: withPrefix(event.shareId), path: 'pages/item/item', to: 'chat' };
  if (event.type === 'goal') return { id: event.id, seq, at: event.at, type: 'goal', name: event.name, goalId: event.goalId, ...(event.value === undefined ? {} : { value: event.value }) };
  const query = Object.fromEntries(Object.entries(event.query).map(([key, value]) => [key, withPrefix(value)]));
  const group = event.group ? { group: (await issueGroupCloudId(emulator.url, { openid: user, appid: APP, kind: 'groupEnterInfo', groupId: event.group, chatType: 3 })).cloudID } : {};
  return { id: event.id, seq, at: event.at, type: 'enter', cold: true, options: { scene: event.scene, path: event.path, query }, ...group };
}

async function deliver(delivery: Delivery): Promise<void> {
  await moveTo(delivery.at);
  const who = { openid: delivery.user, appid: APP };
  const answer =
    delivery.kind === 'server'
      ? await invokeAs(emulator.url, 'shop', { goal: delivery.name, goalId: delivery.goalId, ...(delivery.value === undefined ? {} : { value: delivery.value }) }, who)
      : await invokeAs(emulator.url, 'track', { v: 1, sentAt: delivery.at, events: await Promise.all(delivery.events.map((event) => wire(delivery.user, event))) }, who);
  const result = answer.result as { accepted?: string[]; rejected?: unknown[] } | undefined;
  if (!result?.accepted || result.rejected?.length) throw new Error(`a delivery was not taken: ${JSON.stringify({ delivery, answer })}`);
}

/** Every document of a query, a thousand at a time. */
async function everything<T>(collection: string, where: Record<string, unknown>): Promise<T[]> {
  const found: T[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = ((await db.collection(collection).where(where).skip(skip).limit(1000).get()) as unknown as { data: T[] }).data;
    found.push(...page);
    if (page.length < 1000) return found;
  }
}

/** What `track` stored of the trace: event times, the server's reports, and the openGId WeChat gave each group. */
async function storedOfTrace(): Promise<Parameters<typeof truthGoals>[1]> {
  const entries = await everything<EnterEvent>('events', { type: 'enter' });
  const goals = await everything<GoalEvent>('events', { type: 'goal' });
  const times = new Map([...entries, ...goals].map((event) => [event.eventId, { at: new Date(event.at).getTime(), day: event.day }]));
  const serverReports = new Map<string, { at: number; day: string; value?: number; eventId: string }[]>();
  for (const goal of goals.filter((one) => one.verified)) {
    const key = `${goal.openid} ${goal.name} ${goal.goalId}`;
    serverReports.set(key, [...(serverReports.get(key) ?? []), { at: new Date(goal.at).getTime(), day: goal.day, eventId: goal.eventId, ...(goal.value === undefined ? {} : { value: goal.value }) }]);
  }
  const openGIds = new Map<string, string>();
  for (const planned of trace.entries.filter((entry) => entry.group)) {
    const groupId = entries.find((entry) => entry.eventId === planned.id)?.groupId;
    if (groupId) openGIds.set(planned.group as string, groupId);
  }
  return { times, serverReports, openGIds };
}

beforeAll(async () => {
  emulator = await startEmulator({ project: operatorProject(), clock: '2024-02-29T23:00:00+08:00', env: { RUKOU_SHARE_SECRET: SECRET, RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  // what the operator's messages and service cards left: the records whose opens goals credit
  for (const message of trace.messages) await db.collection('messages').add({ data: { ...message, fate: 'sent', sentAt: new Date(message.sentAt), createdAt: new Date(message.sentAt) } });
  for (const card of trace.cards) await db.collection('cards').add({ data: { ...card, fate: 'sent', sentAt: new Date(card.sentAt), createdAt: new Date(card.sentAt) } });
  for (const delivery of trace.deliveries) await deliver(delivery);
  // the timer of the day after the last rolls it up, and the days before that changed since theirs
  await moveTo(Date.parse(`${LAST}T01:00:00+08:00`) + 2 * 86_400_000);
  truth = truthGoals(trace, await storedOfTrace());
}, 240_000);

afterAll(async () => {
  await emulator?.stop();
});

describe('the trace', () => {
  test('holds what it is meant to: goals from both sides and twice, server reports before the phone\'s, goals that moved back across midnight', () => {
    const sides = trace.goals.map((goal) => goal.reports.map((report) => report.side).join(','));
    expect(sides.filter((side) => side.includes('client') && side.includes('server')).length).toBeGreaterThan(20);
    expect(sides.filter((side) => side === 'client,client' || side.split(',').length > 2).length).toBeGreaterThan(3);
    expect(truth.goals.filter((goal) => goal.verified).length).toBeGreaterThan(40);
    // a goal whose earliest report is the phone's, across midnight from the server's
    expect(truth.goals.filter((goal) => goal.user === 'o-m3' || goal.user === 'o-m4').map((goal) => goal.day)).toEqual([trace.days[19], trace.days[24]]);
    // a last touch on the day before the goal (a session that began before midnight), and last non-direct touches days back
    expect(truth.goals.some((goal) => goal.user === 'o-m1' && goal.credit.last?.keys.channel === 'poster-A')).toBe(true);
    expect(truth.goals.filter((goal) => goal.credit.lastNonDirect && goal.credit.lastNonDirect.s > 86_400).length).toBeGreaterThan(5);
    for (const dim of ['share', 'group', 'message', 'card'] as const) expect(truth.goals.some((goal) => goal.credit.lastNonDirect?.keys[dim] !== undefined)).toBe(true);
  });
});

describe('every day\'s rollup', () => {
  test.each(trace.days)('%s: its goals equal the truth', async (day) => {
    const found = ((await db.collection('rollups_daily').where({ _id: day }).get()) as unknown as { data: Record<string, any>[] }).data[0];
    expect(found?.version).toBe('rollup-6');
    expect(found.goals).toEqual(truthDay(day, truth));
  });
});

describe('admin goals over the 45 days', () => {
  const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', { action: 'goals', ...data }, { openid: OPERATOR, appid: APP })).result;
  const withoutNames = (keys: Record<string, unknown>[]): Record<string, unknown>[] => keys.map(({ zh, en, ...row }) => (void zh, void en, row));

  test.each(MODELS.flatMap((model) => DIMS.map((by) => [model, by] as const)))('order_paid, %s touch, by %s', async (model, by) => {
    const answer = await admin({ from: FIRST, to: LAST, goal: 'order_paid', model, by, limit: 100 });
    const expected = truthRange(trace.days, truth, 'order_paid', model, by);
    expect(answer).toMatchObject({ from: FIRST, to: LAST, goal: 'order_paid', model, by, totals: expected.totals, missingDays: [], daysToBackfill: [] });
    expect(withoutNames(answer.keys)).toEqual(expected.keys);
  });

  test('signups by first touch and by channel, and one day around midnight', async () => {
    for (const by of ['scene', 'channel'] as const) {
      const answer = await admin({ from: FIRST, to: LAST, goal: 'signup', model: 'first', by });
      expect(withoutNames(answer.keys)).toEqual(truthRange(trace.days, truth, 'signup', 'first', by).keys.slice(0, 20));
    }
    const day = trace.days[10];
    const answer = await admin({ from: day, to: day, goal: 'order_paid', model: 'last', by: 'channel' });
    expect(withoutNames(answer.keys)).toEqual(truthRange([day], truth, 'order_paid', 'last', 'channel').keys);
  });
});
