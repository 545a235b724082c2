/**
 * `npm run bench -- compaction`: how long a write waits while the database log is compacted, at a
 * million documents. Loads RUKOU_BENCH_DOCS (1,000,000) documents of ~200 bytes into the emulator
 * (the log then holds about the live data), then overwrites them a thousand at a time until the
 * log is past twice the live data and compaction runs over the million documents. Meanwhile one
 * steady writer updates a single small document in a loop and times every write: the typical
 * write (p50 outside the compaction) and the longest write during it, in the same run.
 */
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, useEmulatorFromThisProcess } from '../test/helpers/emulator';
import { setting } from './settings';

const DOCS = setting('RUKOU_BENCH_DOCS', 1_000_000, 1, 100_000_000);
const BATCH = 1000;
/** Documents share a `day` (indexed in the fixture project), so one update overwrites a batch. */
const DAYS = Math.max(1, Math.ceil(DOCS / BATCH));
const dayOf = (i: number): string => `d${String(i % DAYS).padStart(5, '0')}`;

interface Stats {
  logBytes: number;
  liveBytes: number;
  compactions: number;
  /** Reported since compaction runs between requests; absent before, when it ran inside one. */
  compacting?: boolean;
}

async function stats(url: string): Promise<Stats> {
  return (await (await fetch(`${url}/__rukou/database/stats`)).json()) as Stats;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main(): Promise<void> {
  const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  try {
    useEmulatorFromThisProcess(emulator.url);
    // The SDK gives up on a request after 15 s; a stall is what this measures, so it waits longer.
    // (`timeout` is node-sdk's option, which cloud.init passes on; the SDK's typings leave it out.)
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string, timeout: 600_000 } as Parameters<typeof cloud.init>[0]);
    const db = cloud.database();
    const _ = db.command;
    const events = db.collection('events');

    let started = performance.now();
    for (let i = 0; i < DOCS; i += BATCH) {
      const data = Array.from({ length: Math.min(BATCH, DOCS - i) }, (_unused, j) => ({
        _id: `e${String(i + j).padStart(8, '0')}`,
        day: dayOf(i + j),
        type: 'enter',
        openid: `u${(i + j) % 100_000}`,
        scene: 1007,
        path: 'pages/index/index',
        query: { ch: 'poster' },
        at: new Date(1_700_000_000_000 + (i + j) * 1000),
        round: 0,
      }));
      await events.add({ data });
    }
    const loaded = await stats(emulator.url);
    console.log(`loaded ${DOCS} documents in ${((performance.now() - started) / 1000).toFixed(1)} s: log ${(loaded.logBytes / 1e6).toFixed(0)} MB, live ${(loaded.liveBytes / 1e6).toFixed(0)} MB`);

    const steady = db.collection('accounts').doc('bench-steady');
    await steady.set({ data: { n: 0 } });
    const latencies: { at: number; ms: number }[] = [];
    let churning = true;
    const writer = (async () => {
      while (churning) {
        const at = performance.now();
        await steady.update({ data: { n: _.inc(1) } });
        latencies.push({ at, ms: performance.now() - at });
      }
    })();

    // Overwrite day after day until a compaction has run, then a few more days so the writer is
    // also measured after it. The compaction's window: from the start of the overwrite after which
    // the emulator first reports it (under way, or done when it ran inside that very request) to
    // the first report of it done.
    started = performance.now();
    let window: { start: number; end?: number } | undefined;
    let compactedAt = Infinity;
    let churnRequests = 0;
    for (; churnRequests < compactedAt + 20; churnRequests++) {
      const at = performance.now();
      await events.where({ day: dayOf(churnRequests) }).update({ data: { round: Math.floor(churnRequests / DAYS) + 1 } });
      const now = await stats(emulator.url);
      const done = now.compactions > loaded.compactions;
      if (!window && (now.compacting || done)) window = { start: at };
      if (window && !window.end && done) {
        window.end = performance.now();
        compactedAt = churnRequests;
      }
    }
    churning = false;
    await writer;
    const after = await stats(emulator.url);
    const { start, end = Infinity } = window ?? { start: Infinity };
    const during = latencies.filter((l) => l.at < end && l.at + l.ms > start).map((l) => l.ms).sort((a, b) => a - b);
    const outside = latencies.filter((l) => !(l.at < end && l.at + l.ms > start)).map((l) => l.ms).sort((a, b) => a - b);
    console.log(
      `${churnRequests} overwrites of ${BATCH} documents in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `compactions ${loaded.compactions} -> ${after.compactions}, the first over ${((end - start) / 1000).toFixed(1)} s; ` +
        `log ${(after.logBytes / 1e6).toFixed(0)} MB, live ${(after.liveBytes / 1e6).toFixed(0)} MB`,
    );
    const row = (ms: number[]): Record<string, string | number> => ({
      count: ms.length,
      p50ms: quantile(ms, 0.5).toFixed(1),
      p99ms: quantile(ms, 0.99).toFixed(1),
      maxMs: ms[ms.length - 1].toFixed(1),
    });
    console.table({ 'steady writes outside the compaction': row(outside), 'steady writes during it': row(during) });
    console.log(`longest write during the compaction ÷ typical write outside it: ${(during[during.length - 1] / quantile(outside, 0.5)).toFixed(0)}×`);
  } finally {
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
