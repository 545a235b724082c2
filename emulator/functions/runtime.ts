import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { clockService, type ClockService } from '../clock';
import type { EmulatorClock } from '../clock/state';
import type { EmulatorContext } from '../server';
import type { FunctionSpec } from '../project';
import type { FromWorker, InvocationIdentity, WorkerInvoke, WorkerSetup } from './protocol';

/**
 * How an invocation ended. `response` is the function's result as the JSON text the cloud returns.
 * `too_large`: the event was past `MAX_PAYLOAD_BYTES`, and the function never ran.
 */
export type Outcome =
  | { kind: 'ok'; response: string }
  | { kind: 'not_found'; message: string }
  | { kind: 'too_large'; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'crashed'; message: string };
/** How an invocation that reached a worker ended. */
type RunOutcome = Exclude<Outcome, { kind: 'not_found' | 'too_large' }>;

/**
 * The most a synchronous invocation's event, and its answer, may hold as JSON: SCF's quota limits,
 * "Sync request event size 6 MB, Sync request response size 6 MB"
 * (intl.cloud.tencent.com/document/product/583/11637), which CloudBase's functions run on; the CLI's
 * local runtime caps an answer at the same 6 MiB (`maxRetMsgLen`, Platform sources §F.2).
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const pastPayload = (what: string, bytes: number): string =>
  `${what} is ${bytes} bytes of JSON, past the ${MAX_PAYLOAD_BYTES} (6 MiB) a synchronous invocation may carry (SCF quota limits): pass a large value through cloud storage, by its fileID`;

export interface InvokeRequest {
  name: string;
  event: unknown;
  identity: InvocationIdentity;
  timer?: boolean;
  /**
   * The instant (epoch ms) the function starts at, whatever the emulator's clock reads (the
   * gateway's `x-rukou-at`); its requests are served at it too. The wait for a worker and its cold
   * start come before it.
   */
  at?: number;
}

/** Workers one function may run at once; further callers wait for one to come free. */
const MAX_WORKERS_PER_FUNCTION = 8;
/**
 * How long a cold start may take to load the function's code: SCF's initialization timeout, 60 s
 * by default for code (not image) functions, timed apart from the function's own timeout and only
 * on a cold start (cloud.tencent.com/document/product/583/19805, 初始化超时时间).
 */
const INIT_TIMEOUT_SECONDS = 60;
/** dist/worker.js sits beside dist/rukou.js, which is where this module is bundled. */
const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

/** What one function's workers did since the emulator started (`GET /__rukou/functions/stats`). */
export interface FunctionStats {
  /** Invocations by how they ended: a Rukou function answers `ok` whatever it is sent. */
  invocations: Record<RunOutcome['kind'], number>;
  /**
   * Worker processes forked and exited (killed at the time limit, or dead by themselves): a pool
   * that never lost a worker has `exited` 0 and `started` no more than the invocations it ran at once.
   */
  workers: { started: number; exited: number };
}

interface Worker {
  child: ChildProcess;
  warm: boolean;
  /** The cold start: settles once the function's code has loaded, with the outcome that ends it if it failed. */
  initialized: Promise<RunOutcome | undefined>;
  /** Set while an invocation runs: how to settle it if the process dies. */
  settle?: (outcome: RunOutcome) => void;
}

/**
 * The worker pool of one function. Each worker runs one invocation at a time (identity lives in
 * process.env, so two users may never share a process at once); idle workers are reused warm.
 */
class FunctionPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: ((worker: Worker) => void)[] = [];
  readonly stats: FunctionStats = { invocations: { ok: 0, error: 0, timeout: 0, crashed: 0 }, workers: { started: 0, exited: 0 } };

  constructor(
    private readonly spec: FunctionSpec,
    private readonly context: EmulatorContext,
    private readonly clock: EmulatorClock,
  ) {}

  async invoke(request: InvokeRequest): Promise<Outcome> {
    const worker = await this.acquire();
    const started = performance.now();
    const start = worker.warm ? 'warm' : 'cold';
    const failedInit = await worker.initialized;
    if (failedInit) {
      this.retire(worker);
      worker.child.kill('SIGKILL');
      return this.ended(failedInit, started, start);
    }
    const requestId = randomUUID();
    // at its own instant, or called by an invocation at its own (its requests are served at that instant too)
    const ownOffsetMs = request.at === undefined ? this.clock.ownOffset() : this.clock.offsetAt(request.at);
    const clockOffsetMs = ownOffsetMs ?? this.clock.offset();
    const apiToken = this.context.invocations.begin({
      functionName: this.spec.name,
      openid: request.identity.openid,
      appid: request.identity.appid,
      unionid: request.identity.unionid,
      source: request.identity.source,
      clockOffsetMs: ownOffsetMs,
    });
    const outcome = await new Promise<RunOutcome>((resolve) => {
      const timer = setTimeout(() => {
        // The cloud stops a function at its time limit whatever it is doing; so does killing the process.
        this.retire(worker);
        worker.child.kill('SIGKILL');
        resolve({ kind: 'timeout', message: `Invoking task timed out after ${this.spec.timeout} seconds` });
      }, this.spec.timeout * 1000);
      worker.settle = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      const onMessage = (message: FromWorker): void => {
        if ((message.type !== 'result' && message.type !== 'error') || message.requestId !== requestId) return;
        worker.child.off('message', onMessage);
        // the function ran, and what it wrote stays written; only its answer does not reach the caller
        const answerBytes = message.type === 'result' ? Buffer.byteLength(message.response) : 0;
        worker.settle?.(
          message.type === 'error'
            ? { kind: 'error', message: message.message }
            : answerBytes > MAX_PAYLOAD_BYTES
              ? { kind: 'error', message: pastPayload("the function's answer", answerBytes) }
              : { kind: 'ok', response: message.response },
        );
      };
      worker.child.on('message', onMessage);
      const invoke: WorkerInvoke = {
        type: 'invoke',
        requestId,
        event: request.event,
        identity: request.identity,
        apiToken,
        timer: request.timer === true,
        clockOffsetMs,
      };
      try {
        worker.child.send(invoke);
      } catch (error) {
        // an event the IPC channel cannot carry never reached the function: answer now, not at the time limit
        worker.child.off('message', onMessage);
        worker.settle({ kind: 'error', message: `the invocation could not be sent to the function: ${(error as Error).message}` });
      }
    });
    this.context.invocations.end(apiToken);
    worker.settle = undefined;
    worker.warm = true;
    if (this.all.has(worker)) this.release(worker);
    return this.ended(outcome, started, start);
  }

  private ended(outcome: RunOutcome, started: number, start: 'warm' | 'cold'): RunOutcome {
    this.stats.invocations[outcome.kind]++;
    this.context.log.call('invoke', this.spec.name, performance.now() - started, `${outcome.kind} ${start}`);
    return outcome;
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    if (this.all.size < MAX_WORKERS_PER_FUNCTION) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  /** Takes a worker out of the pool for good; a waiting caller gets a fresh one in its place. */
  private retire(worker: Worker): void {
    if (!this.all.delete(worker)) return;
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }

  private spawn(): Worker {
    // A clean environment, not the emulator's: the worker adds what the cloud injects. TZ=UTC, the
    // cloud's function clock: without TZ, Node takes the machine's zone from /etc/localtime.
    const env: Record<string, string> = { NODE_PATH: path.join(__dirname, '..', 'node_modules'), TZ: 'UTC' };
    for (const key of ['PATH', 'HOME']) if (process.env[key]) env[key] = process.env[key];
    // nor the emulator's Node options (a heap sized for its data, --inspect and its port)
    const child = fork(WORKER_SCRIPT, [this.spec.name], { cwd: this.spec.dir, env, execArgv: [], serialization: 'json' });
    const worker: Worker = { child, warm: false, initialized: this.initialization(child) };
    this.all.add(worker);
    this.stats.workers.started++;
    const setup: WorkerSetup = {
      type: 'setup',
      functionName: this.spec.name,
      dir: this.spec.dir,
      envId: this.context.project.envId,
      adminUrl: `${this.context.url()}/admin`,
      envVariables: this.spec.envVariables,
      timeoutSeconds: this.spec.timeout,
      memoryMB: this.spec.memoryMB,
      clockOffsetMs: this.clock.offset(),
    };
    child.send(setup);
    child.once('exit', (code, signal) => {
      this.stats.workers.exited++;
      this.retire(worker);
      worker.settle?.({ kind: 'crashed', message: `the function's process exited (${signal ?? `code ${code}`}) during the invocation` });
    });
    child.on('error', (error) => this.context.log.warn(`worker of ${this.spec.name}: ${error.message}`));
    return worker;
  }

  /** Waits for a new worker to load the function's code, within the initialization timeout; its exit or a throw fails it. */
  private initialization(child: ChildProcess): Promise<RunOutcome | undefined> {
    return new Promise((resolve) => {
      const done = (outcome: RunOutcome | undefined): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(outcome);
      };
      const timer = setTimeout(() => done({ kind: 'timeout', message: `Function initialization timed out after ${INIT_TIMEOUT_SECONDS} seconds` }), INIT_TIMEOUT_SECONDS * 1000);
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') done(undefined);
        else if (message.type === 'initFailed') done({ kind: 'error', message: message.message });
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        done({ kind: 'crashed', message: `the function's process exited (${signal ?? `code ${code}`}) while its code was loading` });
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  close(): Promise<void> {
    const exits = [...this.all].map((worker) => new Promise<void>((resolve) => {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
      worker.child.once('exit', () => resolve());
      worker.child.kill('SIGKILL');
    }));
    return Promise.all(exits).then(() => undefined);
  }
}

/**
 * Runs the project's cloud functions the way SCF does: in worker processes forked from
 * dist/worker.js, one invocation per worker at a time, more workers under concurrency, the
 * timeout from cloudbaserc.json enforced by killing the worker, dead workers replaced.
 *
 * @example
 *   const outcome = await runtime.invoke({ name: 'track', event: { events: [] }, identity: { openid: 'o1', source: 'wx_client' } });
 *   if (outcome.kind === 'ok') JSON.parse(outcome.response);
 */
export class FunctionRuntime {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly clock: EmulatorClock;
  private notFound = 0;

  constructor(private readonly context: EmulatorContext) {
    this.clock = context.service<ClockService>(clockService).clock;
  }

  has(name: string): boolean {
    return this.context.project.functions.has(name);
  }

  invoke(request: InvokeRequest): Promise<Outcome> {
    const spec = this.context.project.functions.get(request.name);
    if (!spec) {
      this.notFound++;
      this.context.log.call('invoke', request.name, 0, 'not_found');
      return Promise.resolve({ kind: 'not_found', message: `no cloud function "${request.name}" under the project's cloudfunctions/ (a folder of that name with its package.json)` });
    }
    const eventBytes = Buffer.byteLength(JSON.stringify(request.event) ?? '');
    if (eventBytes > MAX_PAYLOAD_BYTES) {
      this.context.log.call('invoke', request.name, 0, 'too_large');
      return Promise.resolve({ kind: 'too_large', message: pastPayload("the call's event", eventBytes) });
    }
    let pool = this.pools.get(spec.name);
    if (!pool) {
      pool = new FunctionPool(spec, this.context, this.clock);
      this.pools.set(spec.name, pool);
    }
    return pool.invoke(request);
  }

  /** Each function invoked so far, with what its workers did; how many invocations named no function. */
  stats(): { functions: Record<string, FunctionStats>; notFound: number } {
    return { functions: Object.fromEntries([...this.pools].map(([name, pool]) => [name, pool.stats])), notFound: this.notFound };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}
