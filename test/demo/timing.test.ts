/**
 * The demo's event times keep each visit as it was played: each of the seeding's calls runs at its
 * instant on the day's time line, and `track` places every batch by the server's receipt less the
 * batch's age on the phone (`eventTime`), so a clock lagging the time line by varying amounts
 * squeezed a visit's batches together and reordered them (page views before their entry, goals
 * 0 s after it). Here, on a seeded demo, every user-day's stored times follow the phone's own
 * times (a phone's clock, right or wrong, is off by one amount all day), and every goal's time to
 * goal, one by one and as the median `admin` `goals` answers, is the played one.
 */
import cloud from 'wx-server-sdk';
import { APP } from '../../bench/cost/play';
import { addHistogram, medianSeconds, timeBucket } from '../../shared/goal-times';
import type { DayGoal } from '../../shared/model';
import { invokeAs, useEmulatorFromThisProcess } from '../helpers/emulator';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';

const NOW = '2026-03-15T06:00:00Z';
/** How far a stored time may stray from the played one: the time a call takes on a loaded machine (each starts at its instant), with room to spare. */
const TOLERANCE_MS = 2_000;

let seeded: SeededEmulator | undefined;

afterAll(async () => {
  await seeded?.stop();
});

interface StoredEvent {
  openid: string;
  type: string;
  seq: number;
  day: string;
  at: Date;
  clientAt: Date;
  category?: string;
}

async function all<T>(name: string, fields: Record<string, boolean>): Promise<T[]> {
  const found: T[] = [];
  for (;;) {
    const { data } = (await cloud.database().collection(name).orderBy('_id', 'asc').skip(found.length).limit(1000).field(fields).get()) as unknown as { data: T[] };
    found.push(...data);
    if (data.length < 1000) return found;
  }
}

const ms = (date: Date): number => new Date(date).getTime();

test("stored event times keep each user-day's played order and gaps, and times to goal are the played ones", async () => {
  seeded = await seededEmulator({ days: 8, scale: 0.5, now: NOW });
  const { url } = seeded.emulator;
  useEmulatorFromThisProcess(url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  const events = await all<StoredEvent>('events', { openid: true, type: true, seq: true, day: true, at: true, clientAt: true, category: true });
  const userDays = new Map<string, StoredEvent[]>();
  for (const event of events) userDays.set(`${event.openid} ${event.day}`, [...(userDays.get(`${event.openid} ${event.day}`) ?? []), event]);
  expect(userDays.size).toBeGreaterThan(100);

  for (const [userDay, played] of userDays) {
    played.sort((a, b) => ms(a.clientAt) - ms(b.clientAt) || a.seq - b.seq);
    // each moved by the same amount (the phone clock's error) within the tolerance: gaps kept
    const shifts = played.map((event) => ms(event.at) - ms(event.clientAt));
    const spread = Math.max(...shifts) - Math.min(...shifts);
    expect({ userDay, spread, within: spread <= TOLERANCE_MS }).toEqual({ userDay, spread, within: true });
    // and in the phone's order: an entry before its page views and its goal, a goal before the hide. Events closer than the tolerance in different batches may swap, as on real networks
    const swapped = played.flatMap((earlier, k) => played.slice(k + 1).filter((later) => ms(later.clientAt) - ms(earlier.clientAt) > TOLERANCE_MS && ms(later.at) <= ms(earlier.at)).map((later) => `${earlier.type} stored after ${later.type}`));
    expect({ userDay, swapped }).toEqual({ userDay, swapped: [] });
  }

  // each goal's time to goal under "last" is the one played: from the latest entry before it on the phone
  const docs = await all<{ openid: string; day: string; goals?: DayGoal[] }>('user_days', { openid: true, day: true, goals: true });
  const rolled = [...new Set(docs.map((doc) => doc.day))].sort().slice(0, -1);
  const planned = new Map<string, Record<string, number>>();
  let goals = 0;
  for (const doc of docs) {
    const played = userDays.get(`${doc.openid} ${doc.day}`) ?? [];
    for (const goal of doc.goals ?? []) {
      const credit = goal.credit.last;
      // the tracker's report, stored closest to the goal's time (a goal is its earliest report's)
      const reported = played.filter((event) => event.type === 'goal').sort((a, b) => Math.abs(ms(a.at) - ms(goal.at)) - Math.abs(ms(b.at) - ms(goal.at)))[0];
      const entry = reported && played.filter((event) => event.type === 'enter' && ms(event.clientAt) <= ms(reported.clientAt)).pop();
      expect({ goal: goal.id, credited: !!credit, played: !!entry }).toEqual({ goal: goal.id, credited: true, played: true });
      if (!credit || !entry) continue;
      const seconds = (ms(reported.clientAt) - ms(entry.clientAt)) / 1000;
      expect({ goal: goal.id, s: credit.s, near: Math.abs(credit.s - seconds) <= TOLERANCE_MS / 1000 }).toEqual({ goal: goal.id, s: credit.s, near: true });
      goals++;
      if (rolled.includes(doc.day) && entry.category) planned.set(entry.category, addHistogram(planned.get(entry.category) ?? {}, { [timeBucket(seconds)]: 1 }));
    }
  }
  expect(goals).toBeGreaterThan(5);

  const answer = await invokeAs(url, 'admin', { action: 'goals', from: rolled[0], to: rolled[rolled.length - 1], goal: 'order_paid', model: 'last', by: 'category' }, { openid: seeded.operator, appid: APP });
  const { keys } = answer.result as { keys: { key: string; goals: number; medianSeconds: number | null }[] };
  expect(keys.length).toBeGreaterThan(1);
  for (const { key, medianSeconds: median } of keys) {
    const wanted = medianSeconds(planned.get(key) ?? {});
    expect({ key, median: wanted !== null && median !== null && Math.abs(median - wanted) <= Math.max(2, 0.1 * wanted) }).toEqual({ key, median: true });
  }
}, 180_000);
