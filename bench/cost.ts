/**
 * `npm run bench -- cost`: what a realistic day costs per 1,000 events. The real tracker on
 * simulated phones (`bench/cost/day.ts` plans the day, `bench/cost/play.ts` plays it) delivers to
 * the real `track` in an emulator, after the day before's visits of the users who came before
 * (played first, not counted: `planHistory`); beside it, in the same run, a naive baseline sends each of the
 * same events on its own to a function that makes one dedupe read and one write per event
 * (`bench/fixtures/naive`). Both are counted from their emulator's verbose log: invocations,
 * database reads and writes, getOpenData calls. The bench then checks that every event the phones
 * made is stored exactly once, that its user-day counted every entry and share once
 * (`bench/cost/counted.ts`), and that every entry of a phone online at the time was stored within
 * a minute (the operator's `today`), and exits non-zero if not.
 *
 * `RUKOU_BENCH_USERS` (default 1,000) and `RUKOU_BENCH_SEED` change the day.
 */
import fs from 'node:fs';
import cloud from 'wx-server-sdk';
import { logOf, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../test/helpers/emulator';
import { checkDelivery, storedEvents } from './cost/check';
import { checkCounts, storedUserDays } from './cost/counted';
import { costOf, type Cost } from './cost/costs';
import type { SimulatedPhone } from '../test/client/simulated-wx';
import { DAY, planDay, planHistory, type Day } from './cost/day';
import { eventsOf, NAIVE_PROJECT, sendOneByOne, type UserEvent } from './cost/naive';
import { APP, playDay, type PlayedDay } from './cost/play';
import { todayDelays, type TodayDelays } from './cost/today';
import { setting } from './settings';

/** The collections `track` writes (server/track-store.ts). */
const TRACK_COLLECTIONS = ['events', 'users', 'user_days', 'revisions'];
/** What the issue asks of Rukou against the naive baseline. */
const GOALS = { invocations: 10, requests: 8 };

const number = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (ms: number): string => `${number(ms / 1000, 1)} s`;

function database(url: string): ReturnType<typeof cloud.database> {
  useEmulatorFromThisProcess(url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  return cloud.database();
}

/** Creates the collections; answers those the emulator did not have, i.e. that database/collections.json does not declare. */
async function createCollections(db: ReturnType<typeof cloud.database>, names: string[]): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    if (await db.createCollection(name).then(() => true, () => false)) created.push(name);
  }
  return created;
}

interface Measures {
  events: number;
  rukou: Cost;
  naive: Cost;
}

/** One line per measure: per 1,000 events, Rukou vs the naive baseline, and how many times fewer (naive ÷ Rukou). */
function measureLines({ events, rukou, naive }: Measures): string[] {
  const per1000 = (count: number): string => number((count / events) * 1000, 1);
  const ratio = (ours: number, theirs: number): string => (theirs === 0 ? '—' : ours === 0 ? '∞×' : `${number(theirs / ours, 1)}×`);
  const line = (what: string, ours: number, theirs: number): string => `${what} per 1,000 events: ${per1000(ours)} vs ${per1000(theirs)} (${ratio(ours, theirs)})`;
  return [
    line('invocations', rukou.invocations, naive.invocations),
    line('database reads', rukou.reads, naive.reads),
    line('database writes', rukou.writes, naive.writes),
    line('database requests', rukou.reads + rukou.writes + rukou.other, naive.reads + naive.writes + naive.other),
    line('getOpenData calls', rukou.getOpenData, naive.getOpenData),
  ];
}

function dayLines(day: Day, played: PlayedDay, events: UserEvent[]): string[] {
  const types = new Map<string, number>();
  for (const { event } of events) types.set(String(event.type), (types.get(String(event.type)) ?? 0) + 1);
  const of = (type: string): number => types.get(type) ?? 0;
  const { parameters } = day;
  const users = day.users.length;
  return [
    `day ${parameters.day} (China), seed ${parameters.seed}: ${number(users)} users (${number(day.users.filter((user) => user.returning).length)} came before), ${number(day.sessions)} sessions (${number(day.hotStarts)} hot starts), ${number(events.length)} events`,
    `events: ${number(of('enter'))} entries, ${number(of('page'))} page views, ${number(of('hide'))} hides, ${number(of('share'))} shares; ${number((of('enter') + of('page')) / users, 1)} entries and page views per user`,
    `trouble: ${number(day.offlinePhones)} phones offline for a stretch (${number(played.morningAfter)} sent the morning after), ${number(day.lostAnswers)} answers lost, ${number(day.users.filter((user) => user.clockOffsetMs !== 0).length)} wrong clocks, ${number(day.users.filter((user) => user.oldBaseLibrary).length)} old base libraries; ${number(played.cards)} cards shared`,
  ];
}

/** Whether the operator's `today` had every entry within a minute, but those of phones offline meanwhile. */
function todayLine(today: TodayDelays): string {
  const late = today.lateOnline > 0 ? `${number(today.lateOnline)} from phones online all along (FAILED)` : `all ${number(today.lateOffline)} from phones offline meanwhile`;
  return `check, entries in the operator's today within a minute: ${today.lateOnline === 0 ? 'ok' : 'FAILED'} (${number(today.withinMinute)} of ${number(today.entries)} stored within a minute of happening, the longest wait of an online phone's entry ${seconds(today.longestOnlineMs)}; later: ${late})`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const day = planDay({ ...DAY, users: setting('RUKOU_BENCH_USERS', DAY.users, 10, 1_000_000), seed: setting('RUKOU_BENCH_SEED', DAY.seed, 0, 2 ** 32 - 2) });
  const history = planHistory(day);
  const emulators: RunningEmulator[] = [];
  try {
    // the clock starts a minute before the day before; timers off: the rollup would add its own requests
    const rukou = await startEmulator({ verbose: true, timers: false, clock: new Date(history.start - 60_000).toISOString() });
    emulators.push(rukou);
    const naive = await startEmulator({ project: NAIVE_PROJECT, verbose: true, timers: false });
    emulators.push(naive);

    const db = database(rukou.url);
    const undeclared = await createCollections(db, TRACK_COLLECTIONS);
    const phones = new Map<string, SimulatedPhone>();
    const historyStarted = performance.now();
    const before = new Set(eventsOf((await playDay(history, rukou.url, { phones })).phones).map(({ event }) => String(event.id)));
    const historyMs = performance.now() - historyStarted;
    const dayStarted = performance.now();
    const { result: played, lines } = await logOf(rukou, () => playDay(day, rukou.url, { phones }));
    const dayMs = performance.now() - dayStarted;
    const rukouCost = costOf(lines, 'track');
    const stored = await storedEvents(db);
    // the check covers the day before too: its events must have been stored once, and not again
    const check = checkDelivery(stored, played.phones);
    const counts = checkCounts(await storedUserDays(db), stored);
    const today = todayDelays(day, stored.filter((event) => !before.has(event.eventId)));
    const events = eventsOf(played.phones).filter(({ event }) => !before.has(String(event.id)));

    const naiveDb = database(naive.url);
    const naiveStarted = performance.now();
    const { lines: naiveLines } = await logOf(naive, () => sendOneByOne(naive.url, events, APP));
    const naiveMs = performance.now() - naiveStarted;
    const naiveCost = costOf(naiveLines, 'naive');
    const naiveStored = ((await naiveDb.collection('events').count()) as { total: number }).total;

    for (const line of dayLines(day, played, events)) console.log(line);
    if (undeclared.length > 0) console.log(`note: track writes ${undeclared.join(', ')}, which database/collections.json does not declare: the bench created it`);
    console.log(`Rukou: ${number(rukouCost.invocations)} track invocations (${number(rukouCost.failed)} failed), ${number(events.length / rukouCost.invocations, 2)} events per batch on average`);
    console.log(`naive: ${number(naiveCost.invocations)} invocations, one per event, no retries (${number(naiveStored)} events stored)`);
    console.log('');
    for (const line of measureLines({ events: events.length, rukou: rukouCost, naive: naiveCost })) console.log(line);
    console.log('');
    const fewer = (ours: number, theirs: number): number => (ours === 0 ? Infinity : theirs / ours);
    const invocations = fewer(rukouCost.invocations, naiveCost.invocations);
    const requests = fewer(rukouCost.reads + rukouCost.writes + rukouCost.other, naiveCost.reads + naiveCost.writes + naiveCost.other);
    console.log(`goal, at least ${GOALS.invocations}× fewer invocations: ${invocations >= GOALS.invocations ? 'met' : 'missed'} (${number(invocations, 1)}×)`);
    console.log(`goal, at least ${GOALS.requests}× fewer database requests: ${requests >= GOALS.requests ? 'met' : 'missed'} (${number(requests, 1)}×)`);
    console.log(
      `check, every event stored exactly once: ${check.ok ? 'ok' : 'FAILED'} (${number(check.made)} made, the day before's ${number(before.size)} among them, ${number(check.stored)} stored once, ${number(check.missing)} missing, ${number(check.twice)} stored twice, ${number(check.strangers)} unknown, ${number(check.leftOnPhones)} left on phones)`,
    );
    console.log(
      `check, every entry and share counted once in its user-day: ${counts.ok ? 'ok' : 'FAILED'} (${number(counts.userDays)} user-days counting ${number(counts.entries)} entries and ${number(counts.shares)} shares; ${number(counts.countedTwice)} counted twice, ${number(counts.notCounted)} stored but not counted, ${number(counts.strangers)} counted but not stored, ${number(counts.miscounted)} user-days miscounted)`,
    );
    console.log(todayLine(today));
    console.log(`took ${seconds(performance.now() - started)}: the day before ${seconds(historyMs)}, the day ${seconds(dayMs)}, the naive baseline ${seconds(naiveMs)}`);
    if (!check.ok || !counts.ok || today.lateOnline > 0 || naiveStored !== events.length) process.exitCode = 1;
  } finally {
    for (const emulator of emulators) {
      await emulator.stop();
      fs.rmSync(emulator.dataDir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
