/**
 * `npm run bench -- emulator`: what one SDK round trip costs against the emulator, beside the
 * floor — a no-op HTTP server in its own process that answers the very bytes the emulator
 * answered. The same real wx-server-sdk call (`db.collection('bench').doc(id).get()`) runs against
 * both, with 1 and with 16 concurrent callers, in one run. Prints round trips per second, p50 and
 * p99 latency, and the emulator/floor cost ratio per call (goal: ≤ 1.5×).
 */
import { fork } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, tempDir, useEmulatorFromThisProcess } from '../test/helpers/emulator';

const SECONDS_PER_RUN = Number(process.env.RUKOU_BENCH_SECONDS ?? 5);
const WARMUP_CALLS = 200;
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

interface Measured {
  calls: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(call: () => Promise<unknown>, concurrency: number): Promise<Measured> {
  for (let i = 0; i < WARMUP_CALLS; i++) await call();
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + SECONDS_PER_RUN * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { calls: latencies.length, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
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
      for (const concurrency of CONCURRENCY) {
        pointSdkAt(emulator.url);
        const real = await measure(call, concurrency);
        pointSdkAt(floor.url);
        const base = await measure(call, concurrency);
        const ratio = base.perSecond / real.perSecond;
        const line = (name: string, m: Measured): string =>
          `${name.padEnd(9)} ${String(concurrency).padStart(2)} callers  ${m.perSecond.toFixed(0).padStart(6)} calls/s  p50 ${m.p50.toFixed(2).padStart(6)} ms  p99 ${m.p99.toFixed(2).padStart(6)} ms  (${m.calls} calls)`;
        rows.push(line('emulator', real), line('floor', base), `ratio     ${String(concurrency).padStart(2)} callers  ${ratio.toFixed(2)}× the floor per call (p50 ${(real.p50 / base.p50).toFixed(2)}×)`);
      }
    } finally {
      floor.stop();
    }
    console.log(`db.collection('bench').doc(id).get() through the real wx-server-sdk, ${SECONDS_PER_RUN} s per run, ${recorded.body.length * 0.75 | 0}-byte answer`);
    for (const row of rows) console.log(row);
  } finally {
    await emulator.stop();
  }
}

if (process.argv.includes('--floor')) process.once('message', (recorded: Recorded) => serveFloor(recorded));
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
