/**
 * `rukou start`'s seeding, in a process of its own (bundled into dist/demo/seed.js, two levels
 * under the repository like the benches): starts an emulator on the data directory with its
 * clock at the demo's first day and its timers off (moving the clock through 45 days would fire
 * every hourly timer on the way), plays the demo into it with a progress bar, and stops it.
 * Stopped (SIGINT, SIGTERM, or its `rukou start` gone: the IPC channel it was started with closes),
 * it stops its emulator before it exits, so that nothing is left running on the data directory.
 *
 * @example
 * node dist/demo/seed.js --data .rukou --project . --operator o-rukou-operator --now 2026-05-20T12:00:00+08:00
 * node dist/demo/seed.js … --days 14 --scale 0.25   # a small demo (the browser tests')
 */
import { parseArgs } from 'node:util';
import { moveClock, startEmulator } from '../test/helpers/emulator';
import { addDays, chinaDay, chinaDayStart } from '../shared/time';
import { DEMO } from './plan';
import { seedDemo } from './seed';

/** Today so far is played up to this long before now: the phones' last timers (a batch's 50 s) then stay in the past, and the clock never runs ahead of the machine's. */
const TODAY_MARGIN_MS = 10 * 60_000;
const BAR = 30;

function bar(done: number, of: number, what: string, started: number): string {
  const filled = Math.round((done / of) * BAR);
  return `[rukou] seeding the demo [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${done}/${of} ${what.padEnd(10)} ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, project: { type: 'string' }, operator: { type: 'string' }, now: { type: 'string' }, seed: { type: 'string' }, days: { type: 'string' }, scale: { type: 'string' } } });
  if (!values.data || !values.project || !values.operator || !values.now) throw new Error('seed.js needs --data, --project, --operator and --now');
  const now = Date.parse(values.now);
  const lastDay = chinaDay(now);
  const shape = { days: Number(values.days ?? DEMO.days), scale: Number(values.scale ?? 1) };
  const firstDay = addDays(lastDay, 1 - shape.days);
  const starting = startEmulator({
    dataDir: values.data,
    project: values.project,
    timers: false,
    clock: new Date(chinaDayStart(firstDay).getTime() - 60_000).toISOString(),
    env: { RUKOU_OPERATORS: [process.env.RUKOU_OPERATORS, values.operator].filter(Boolean).join(',') },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(starting, signal));
  process.on('disconnect', () => stop(starting, 'rukou start is gone'));
  const emulator = await starting;
  const started = performance.now();
  const tty = process.stdout.isTTY === true;
  let shown = -1;
  try {
    const seeded = await seedDemo({
      url: emulator.url,
      operator: values.operator,
      lastDay,
      until: now - TODAY_MARGIN_MS,
      shape,
      ...(values.seed ? { seed: Number(values.seed) } : {}),
      progress(done, of, what) {
        // a terminal redraws one line; a log gets a line every tenth of the way
        if (tty) process.stdout.write(`\r${bar(done, of, what, started)}`);
        else if (Math.floor((done / of) * 10) > shown || done === of) {
          shown = Math.floor((done / of) * 10);
          process.stdout.write(`${bar(done, of, what, started)}\n`);
        }
      },
    });
    // the days were played up to a little before the seeding started: the clock goes on from there to now, as if it had ticked all along
    await moveClock(emulator.url, { set: new Date(now + (performance.now() - started)).toISOString() });
    if (tty) process.stdout.write('\n');
    process.stdout.write(`[rukou] demo seeded: ${seeded.users.toLocaleString('en-US')} users, ${seeded.entries.toLocaleString('en-US')} entries over ${seeded.days} days (${firstDay} to ${lastDay}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await emulator.stop();
  }
}

/** Set once the seeding is being stopped: the calls it had in flight then fail, and say nothing. */
let stopping = false;

/** Stops the emulator (once it has started, if it is starting) and exits as stopped: 130 for SIGINT, 143 for SIGTERM, 1 otherwise. */
function stop(starting: Promise<{ stop(): Promise<void> }>, why: NodeJS.Signals | string): void {
  if (stopping) return;
  stopping = true;
  void starting
    .then((emulator) => emulator.stop(), () => undefined)
    .then(() => process.exit(why === 'SIGINT' ? 130 : why === 'SIGTERM' ? 143 : 1));
}

// exits when done: the IPC channel `rukou start` opens would keep the process waiting
main().then(() => process.exit(0), (error: unknown) => {
  if (stopping) return;
  process.stderr.write(`\n[rukou] the demo could not be seeded: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
