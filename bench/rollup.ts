/**
 * `npm run bench -- rollup`: 1,000,000 enter events of one China day loaded into the emulator, then
 * rolled up by the real `rollup` function through its timer route, beside a naive baseline run in
 * the same process (page through every event with the SDK and count in JavaScript). Prints time,
 * database requests and peak memory of each (the function's, and the emulator's while it serves
 * the rollup), and the ratios.
 */
import fs from 'node:fs';
import cloud from 'wx-server-sdk';
import { startEmulator, useEmulatorFromThisProcess } from '../test/helpers/emulator';
import { prng, TRACE_SCENES } from '../test/helpers/rollup-trace';

const EVENTS = Number(process.env.RUKOU_BENCH_EVENTS ?? 1_000_000);
const USERS = Math.max(1, Math.round(EVENTS / 10));
const DAY = '2024-03-10';
const DAY_START = Date.parse(`${DAY}T00:00:00+08:00`);
const PAGE = 1000;

/** Every third user is new on DAY; events carry their user's firstDay, as `track` stores them. */
const firstDayOf = (user: number): string => (user % 3 ? '2024-01-01' : DAY);

async function load(db: ReturnType<typeof cloud.database>): Promise<void> {
  const random = prng(42);
  for (let i = 0; i < EVENTS; i += PAGE) {
    const batch = Array.from({ length: Math.min(PAGE, EVENTS - i) }, (_, j) => {
      const scene = TRACE_SCENES[Math.floor(random() * TRACE_SCENES.length)];
      const at = new Date(DAY_START + Math.floor(random() * 86_400_000));
      const user = Math.floor(random() * USERS);
      return {
        _id: `bench_${String(i + j).padStart(8, '0')}`,
        eventId: `bench_${i + j}`,
        type: 'enter',
        openid: `u${user}`,
        appid: 'wxbench',
        seq: i + j,
        at,
        clientAt: at,
        serverAt: at,
        day: DAY,
        firstDay: firstDayOf(user),
        cold: random() < 0.5,
        scene: scene.scene,
        category: scene.category,
        bucket: scene.bucket,
        path: `pages/p${Math.floor(random() * 20)}/index`,
        query: {},
        reopen: false,
      };
    });
    await db.collection('events').add({ data: batch });
  }
  for (let i = 0; i < USERS; i += PAGE) {
    const batch = Array.from({ length: Math.min(PAGE, USERS - i) }, (_, j) => ({ _id: `u${i + j}`, appid: 'wxbench', firstDay: firstDayOf(i + j) }));
    await db.collection('users').add({ data: batch });
  }
}

/**
 * The emulator's resident memory in MB now and at its peak since `resetPeak` (Linux /proc only;
 * null elsewhere). Resetting after the load makes the peak the rollup's, not the load's.
 */
function emulatorMemoryMB(pid: number | undefined): { rss: number; peak: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rss: Math.round(kB('VmRSS') / 1024), peak: Math.round(kB('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

function resetPeak(pid: number | undefined): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux, or not allowed: the peak then includes the load
  }
}

/** Fires the rollup's timer at 00:17 Beijing time `daysAfter` days after DAY began. */
async function timer(url: string, daysAfter: number): Promise<{ databaseRequests: number; peakMemoryMB: number }> {
  const response = await fetch(`${url}/triggers/rollup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ time: new Date(DAY_START + daysAfter * 86_400_000 + 17 * 60_000).toISOString() }),
  });
  const answer = (await response.json()) as { result?: { databaseRequests: number; peakMemoryMB: number }; errMsg?: string };
  if (!answer.result) throw new Error(`the rollup failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** The naive way: every event of the day travels to the function, 1000 per request. */
async function naive(db: ReturnType<typeof cloud.database>): Promise<{ entries: number; users: number; requests: number }> {
  const _ = db.command;
  const users = new Set<string>();
  let entries = 0;
  let requests = 0;
  let last = '';
  for (;;) {
    const page = (await db.collection('events').where({ day: DAY, type: 'enter', _id: _.gt(last) }).orderBy('_id', 'asc').limit(PAGE).get()) as unknown as { data: { _id: string; openid: string }[] };
    requests += 1;
    for (const event of page.data) {
      entries += 1;
      users.add(event.openid);
    }
    if (page.data.length < PAGE) break;
    last = page.data[page.data.length - 1]._id;
  }
  return { entries, users: users.size, requests };
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ timers: false });
  try {
    useEmulatorFromThisProcess(emulator.url);
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
    const db = cloud.database();
    for (const name of ['events', 'users', 'rollups_daily']) await db.createCollection(name).catch(() => undefined);
    let started = performance.now();
    await load(db);
    console.log(`loaded ${EVENTS} events and ${USERS} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const pid = emulator.child.pid;
    const loaded = emulatorMemoryMB(pid);
    resetPeak(pid);
    started = performance.now();
    const rollup = await timer(emulator.url, 1);
    const rollupSeconds = (performance.now() - started) / 1000;
    const served = emulatorMemoryMB(pid);
    started = performance.now();
    const nextDay = await timer(emulator.url, 2);
    const nextDaySeconds = (performance.now() - started) / 1000;

    const rssBefore = process.memoryUsage().rss;
    started = performance.now();
    const baseline = await naive(db);
    const naiveSeconds = (performance.now() - started) / 1000;
    const naivePeakMB = Math.round(Math.max(process.resourceUsage().maxRSS / 1024, rssBefore / 1e6));

    console.table({
      rollup: { seconds: rollupSeconds.toFixed(1), databaseRequests: rollup.databaseRequests, peakMemoryMB: rollup.peakMemoryMB },
      naive: { seconds: naiveSeconds.toFixed(1), databaseRequests: baseline.requests, peakMemoryMB: naivePeakMB },
    });
    console.log(`the next day's run, the loaded day now before yesterday and unchanged: ${nextDaySeconds.toFixed(1)} s, ${nextDay.databaseRequests} requests`);
    if (loaded && served) console.log(`emulator: ${loaded.rss} MB resident with the data loaded, peak ${served.peak} MB while serving the rollup`);
    console.log(`naive/rollup: time ×${(naiveSeconds / rollupSeconds).toFixed(2)}, requests ×${(baseline.requests / rollup.databaseRequests).toFixed(1)} (the rollup covers 3 days and every dimension; the naive pass counts only entries and users of one day: ${baseline.entries} / ${baseline.users})`);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
