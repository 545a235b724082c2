/**
 * `npm run bench -- emulator`: what one SDK round trip costs against the emulator, beside the
 * floor — a no-op HTTP server in its own process that answers the very bytes the emulator
 * answered. The same real wx-server-sdk call (`db.collection('bench').doc(id).get()`) runs against
 * both, with 1 and with 16 concurrent callers, in interleaved rounds of one process. Prints round
 * trips per second, p50 and p99 latency, and the emulator/floor cost ratio per call (goal: ≤ 1.5×).
 * RUKOU_BENCH_ROUNDS and RUKOU_BENCH_SECONDS (per round and side) trade time for steadiness.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, tempDir, useEmulatorFromThisProcess } from '../test/helpers/emulator';
import { setting } from './settings';

const ROUNDS = setting('RUKOU_BENCH_ROUNDS', 15, 1, 1000);
const SECONDS_PER_ROUND = setting('RUKOU_BENCH_SECONDS', 1, 1, 600);
const WARMUP_SECONDS = 2;
const CONCURRENCY = [1, 16];
const DOC_ID = 'bench-doc';

interface Recorded {
  status: number;
  contentType: string;
  body: string;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The floor: reads each request whole, then answers the recorded bytes. Runs in its own process, like the emulator. */
function serveFloor(recorded: Recorded): void {
  const body = Buffer.from(recorded.body, 'base64');
  const server = createServer((req, res) => {
    void readAll(req).then(() => {
      res.writeHead(recorded.status, { 'content-type': recorded.contentType, 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

function startFloor(recorded: Recorded): Promise<{ url: string; stop(): void }> {
  const child = fork(__filename, ['--floor'], { stdio: 'inherit' });
  child.send(recorded);
  return new Promise((resolve) => {
    child.once('message', (port) => resolve({ url: `http://127.0.0.1:${String(port)}`, stop: () => child.kill() }));
  });
}

/** Forwards one SDK request to the emulator and keeps its answer: the bytes the floor will replay. */
async function record(emulatorUrl: string, call: () => Promise<unknown>): Promise<Recorded> {
  let recorded: Recorded | undefined;
  const target = new URL(emulatorUrl);
  const proxy: Server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        void readAll(answer).then((bytes) => {
          recorded = { status: answer.statusCode ?? 200, contentType: String(answer.headers['content-type']), body: bytes.toString('base64') };
          res.writeHead(recorded.status, { 'content-type': recorded.contentType, 'content-length': bytes.length });
          res.end(bytes);
        });
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  pointSdkAt(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  await call();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  if (!recorded) throw new Error('the SDK call did not reach the recording proxy');
  return recorded;
}

/** The SDK reads TCB_CONTEXT_CNFG on every call, so switching targets needs no new init. */
function pointSdkAt(url: string): void {
  process.env.TCB_CONTEXT_CNFG = JSON.stringify({ URL: `${url}/admin` });
}

interface Round {
  perSecond: number;
  latencies: number[];
}

/** `concurrency` callers repeat `call` for `seconds`; every call's latency is kept. */
async function run(call: () => Promise<unknown>, concurrency: number, seconds: number): Promise<Round> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies };
}

/** The value at quantile q (0..1) of values in ascending order, by nearest rank. */
function quantile(ascending: number[], q: number): number {
  return ascending[Math.min(ascending.length - 1, Math.floor(q * ascending.length))];
}

const ascending = (values: number[]): number[] => [...values].sort((a, b) => a - b);

interface Summary {
  calls: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Round throughput as the median of the rounds; p50 and p99 over every call of every round. */
function summarise(rounds: Round[]): Summary {
  const all = ascending(rounds.flatMap((round) => round.latencies));
  return { calls: all.length, perSecond: quantile(ascending(rounds.map((round) => round.perSecond)), 0.5), p50: quantile(all, 0.5), p99: quantile(all, 0.99) };
}

/**
 * Floor and emulator take turns, round after round, so load from anything else on the machine
 * (and the client's own JIT and GC) falls on both alike; who goes first alternates, so neither
 * always inherits the other's garbage. The cost ratio is the median of the per-round ratios,
 * each between two back-to-back measurements; the middle half of them shows how steady it was.
 */
async function compare(call: () => Promise<unknown>, concurrency: number, emulatorUrl: string, floorUrl: string): Promise<string[]> {
  const sides = { emulator: emulatorUrl, floor: floorUrl };
  for (const url of Object.values(sides)) {
    pointSdkAt(url);
    await run(call, concurrency, WARMUP_SECONDS);
  }
  const rounds: Record<keyof typeof sides, Round[]> = { emulator: [], floor: [] };
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order: (keyof typeof sides)[] = i % 2 === 0 ? ['floor', 'emulator'] : ['emulator', 'floor'];
    for (const side of order) {
      pointSdkAt(sides[side]);
      rounds[side].push(await run(call, concurrency, SECONDS_PER_ROUND));
    }
    ratios.push(rounds.floor[i].perSecond / rounds.emulator[i].perSecond);
  }
  const real = summarise(rounds.emulator);
  const base = summarise(rounds.floor);
  const callers = `${String(concurrency).padStart(2)} callers`;
  const line = (name: string, m: Summary): string =>
    `${name.padEnd(9)} ${callers}  ${m.perSecond.toFixed(0).padStart(6)} calls/s  p50 ${m.p50.toFixed(3).padStart(7)} ms  p99 ${m.p99.toFixed(3).padStart(7)} ms  (${m.calls} calls)`;
  const sorted = ascending(ratios);
  const [q1, median, q3] = [0.25, 0.5, 0.75].map((q) => quantile(sorted, q).toFixed(2));
  return [
    line('emulator', real),
    line('floor', base),
    `ratio     ${callers}  ${median}× the floor per call (middle half of rounds ${q1}–${q3}; p50 ${(real.p50 / base.p50).toFixed(2)}×, p99 ${(real.p99 / base.p99).toFixed(2)}×)`,
  ];
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ project: FIXTURE_PROJECT, dataDir: tempDir('rukou-bench-'), timers: false });
  try {
    useEmulatorFromThisProcess(emulator.url);
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
    const db = cloud.database();
    await db.createCollection('bench').catch(() => undefined);
    await db.collection('bench').doc(DOC_ID).set({ data: { scene: 1007, channel: 'poster-42', openid: 'o-bench', at: new Date('2024-06-01T00:00:00Z') } });
    const call = async (): Promise<unknown> => {
      const answer = (await db.collection('bench').doc(DOC_ID).get()) as unknown as { data: { scene: number } };
      if (answer.data.scene !== 1007) throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
      return answer;
    };

    const recorded = await record(emulator.url, call);
    const floor = await startFloor(recorded);
    const rows: string[] = [];
    try {
      for (const concurrency of CONCURRENCY) rows.push(...(await compare(call, concurrency, emulator.url, floor.url)));
    } finally {
      floor.stop();
    }
    console.log(
      `db.collection('bench').doc(id).get() through the real wx-server-sdk, ${recorded.body.length * 0.75 | 0}-byte answer; ` +
        `${ROUNDS} interleaved rounds of ${SECONDS_PER_ROUND} s per side, calls/s the median round`,
    );
    for (const row of rows) console.log(row);
  } finally {
    await emulator.stop();
    fs.rmSync(emulator.dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--floor')) process.once('message', (recorded: Recorded) => serveFloor(recorded));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
