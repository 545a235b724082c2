/**
 * `npm run bench -- coldstart`: what a cold start pays to load each cloud function, beside what it
 * pays for wx-server-sdk alone. Every sample is a fresh Node process that requires wx-server-sdk
 * (timed: the baseline, the first thing that process loads) and then the function's built bundle
 * (timed: what the function adds on top of the SDK, whose require inside the bundle is then the
 * cached one, as it is for whatever the function loads). Timing both in one process keeps the
 * SDK's own load, which varies by tens of milliseconds from process to process on a busy
 * machine, out of the function's figure. The functions take turns round after round, so load from
 * anything else on the machine falls on all of them alike. Prints each bundle's size against the
 * budget, and per function the median and the p10–p90 spread of its require over the SDK's.
 * RUKOU_BENCH_ROUNDS trades time for steadiness.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setting } from './settings';

const ROUNDS = setting('RUKOU_BENCH_ROUNDS', 30, 1, 1000);
const WARMUP_ROUNDS = 2;
/** The goals of issue 9: a bundle's bytes, and what its require may add to the SDK's. */
const BUDGET_BYTES = 150 * 1024;
const GOAL_MS = 10;

const ROOT = path.resolve(__dirname, '..', '..');
const FUNCTIONS = path.join(ROOT, 'cloudfunctions');

/** Runs in each fresh process: argv[1] is the SDK's entry file, argv[2] the bundle. */
const PROBE = `
let started = performance.now();
require(process.argv[1]);
const sdkMs = performance.now() - started;
started = performance.now();
require(process.argv[2]);
const functionMs = performance.now() - started;
process.stdout.write('\\n' + JSON.stringify({ sdkMs, functionMs }));
`;

interface Sample {
  sdkMs: number;
  functionMs: number;
}

function sample(sdk: string, bundle: string): Sample {
  // a share secret, as deployed: without one `track` logs a warning while it loads
  const child = spawnSync(process.execPath, ['-e', PROBE, sdk, bundle], { encoding: 'utf8', env: { ...process.env, RUKOU_SHARE_SECRET: 'coldstart-bench-share-secret' } });
  if (child.status !== 0) throw new Error(`requiring ${bundle} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.slice(child.stdout.lastIndexOf('\n') + 1)) as Sample;
}

/** The value at quantile q (0..1) of values in ascending order, by nearest rank. */
function quantile(ascending: number[], q: number): number {
  return ascending[Math.min(ascending.length - 1, Math.floor(q * ascending.length))];
}

/** "median (p10–p90)" of milliseconds. */
function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const [p10, median, p90] = [0.1, 0.5, 0.9].map((q) => quantile(sorted, q).toFixed(1));
  return `${median} ms (${p10}–${p90})`;
}

function main(): void {
  const names = fs.readdirSync(FUNCTIONS).filter((name) => fs.existsSync(path.join(FUNCTIONS, name, 'index.js'))).sort();
  const bundles = new Map(names.map((name) => [name, path.join(FUNCTIONS, name, 'index.js')]));
  const sdk = require.resolve('wx-server-sdk', { paths: [ROOT] });
  const samples = new Map<string, Sample[]>(names.map((name) => [name, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    // who goes first rotates, so that none always follows the same neighbour
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const measured = sample(sdk, bundles.get(name) as string);
      if (round >= WARMUP_ROUNDS) samples.get(name)?.push(measured);
    }
  }
  const all = [...samples.values()].flat();
  const median = (name: string): number => quantile([...(samples.get(name) as Sample[]).map((s) => s.functionMs)].sort((a, b) => a - b), 0.5);
  const sizeOf = (name: string): number => fs.statSync(bundles.get(name) as string).size;
  console.log(`${ROUNDS} rounds, a fresh Node process per function and round (${all.length} in all); medians with the p10–p90 spread`);
  console.log(`wx-server-sdk alone: ${spread(all.map((s) => s.sdkMs))} to require`);
  for (const name of names) {
    const bytes = sizeOf(name);
    const taken = samples.get(name) as Sample[];
    const ratios = taken.map((s) => (s.sdkMs + s.functionMs) / s.sdkMs).sort((a, b) => a - b);
    console.log(
      `${name.padEnd(7)} ${bytes.toLocaleString('en-US').padStart(8)} bytes (${(bytes / 1024).toFixed(1)} KB, budget ${BUDGET_BYTES / 1024} KB)  ` +
        `require over the SDK's ${spread(taken.map((s) => s.functionMs))} (goal ≤ ${GOAL_MS} ms)  SDK + function ÷ SDK ${quantile(ratios, 0.5).toFixed(2)}×`,
    );
  }
  // like the cost bench, a goal missed is said, not an exit status: a loaded machine moves the milliseconds
  const largest = names.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
  const slowest = names.reduce((a, b) => (median(b) > median(a) ? b : a));
  console.log(`goal, every bundle at most ${BUDGET_BYTES / 1024} KB: ${sizeOf(largest) <= BUDGET_BYTES ? 'met' : 'missed'} (the largest, ${largest}, ${(sizeOf(largest) / 1024).toFixed(1)} KB)`);
  console.log(`goal, every require at most ${GOAL_MS} ms over the SDK's (median): ${median(slowest) <= GOAL_MS ? 'met' : 'missed'} (the slowest, ${slowest}, ${median(slowest).toFixed(1)} ms)`);
}

main();
