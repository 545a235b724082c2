/**
 * How the fuzz suites run (README, "Fuzzing"). Each target — a function's action or an emulator
 * route — takes `RUKOU_FUZZ_RUNS` generated inputs (2,000 in `npm test`, 100,000 with `npm run
 * fuzz`), all drawn from one seed, `RUKOU_FUZZ_SEED` (a fixed one in `npm test`, so that CI sends
 * the same inputs every time; a fresh one per `npm run fuzz`). A failure names the seed, the
 * target, the input and its number, and the command that sends the same inputs again, in the same
 * order, to a fresh emulator.
 *
 * What every target checks besides its own oracle: each answer is a documented refusal or a
 * correct result, and a refused call wrote nothing (the database's log did not grow, or what else
 * the target names). Function targets also check that no invocation failed, timed out or crashed
 * and no worker process was replaced (`GET /__rukou/functions/stats`).
 *
 * Why it is cheap enough for CI: one emulator serves every input of a suite, and inputs run
 * several at a time where what they check allows it: inputs that cannot write (a refusal is
 * expected, or a read) in groups, after which the log is compared once, and inputs that may write
 * side by side when they are in different lanes (different users' events); an input that may write
 * and has no lane runs alone.
 */
import http from 'node:http';
import { EJSON } from 'bson';
import fc from 'fast-check';
import { ERROR_CODES } from '../../shared/errors';
import { functionStats, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';

function wholeNumber(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be a whole number (at least ${min}), not ${JSON.stringify(text)}`);
  return value;
}

/** Inputs per target. */
const RUNS = wholeNumber('RUKOU_FUZZ_RUNS', 2000, 1);
/** The seed of this run: CI's own unless told. */
const SEED = wholeNumber('RUKOU_FUZZ_SEED', 20240520, 0);
/** Whether each target prints how many of its inputs were answered and refused (`npm run fuzz` asks). */
const TALLY = process.env.RUKOU_FUZZ_TALLY === '1';

/** How many inputs run at once, unless a target says: a function's would each start a worker process. */
const AT_ONCE = 8;
/** Inputs are drawn in chunks, each from its own seed, so that input n is the same whatever RUNS is. */
const CHUNK = 100;

/** A 32-bit seed for a name under the run's seed (FNV-1a): adding a target changes no other's inputs. */
function seedOf(...parts: (string | number)[]): number {
  let hash = 0x811c9dc5;
  for (const char of parts.join('\u0000')) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash | 0;
}

/** The inputs of a target, in order, drawn lazily `chunk` at a time. */
function* inputsOf<T>(arbitrary: fc.Arbitrary<T>, name: string, chunk: number): Generator<T> {
  for (let drawn = 0; drawn < RUNS; drawn += chunk) {
    yield* fc.sample(arbitrary, { seed: seedOf(SEED, name, drawn / chunk), numRuns: Math.min(chunk, RUNS - drawn) });
  }
}

/** What a target's answer was: refused (a documented refusal), or answered (a correct result). */
export type Verdict = 'refused' | 'answered';

export interface Target<T> {
  /** What is fuzzed, as the README names it: `track`, `admin overview`, `POST /__rukou/clock` … */
  name: string;
  inputs: fc.Arbitrary<T>;
  /** Sends one input and checks what came back (an `expect` that throws when it is wrong). */
  send(input: T): Promise<Verdict>;
  /**
   * Whether the input may write: it then runs alone, and when it is answered the log it leaves is
   * the next baseline. An input that cannot write (its answer is a refusal or a read) runs with
   * others and must leave the log as it was. Every input may write unless told.
   */
  mayWrite?(input: T): boolean;
  /**
   * Inputs that may write but are in different lanes (a user's own events) run at once, when each
   * is answered whatever the others do; an input without a lane runs alone.
   */
  lane?(input: T): string | undefined;
  /** What a refused call must leave as it was; the database's log unless told. */
  footprint?(): Promise<unknown>;
  /** Functions the inputs reach: none of their invocations may fail and no worker may be replaced. */
  functions?: string[];
  /** How many inputs run at once (8 unless told). */
  atOnce?: number;
  /**
   * Each input is drawn just before it is sent, and sent once every input before it has answered:
   * what it picks and what it must do depend on what earlier inputs wrote (an id the suite stored).
   * Otherwise inputs are drawn a hundred at a time, and those that cannot write may wait to run
   * together after a writer that came later.
   */
  inOrder?: boolean;
  /** What of an input a failure shows (all of it unless told). */
  shown?(input: T): unknown;
}

/** The database's log once no compaction is under way: every acknowledged write grows it. */
export async function databaseFootprint(emulator: RunningEmulator): Promise<{ logBytes: number; compactions: number }> {
  const read = async (): Promise<{ logBytes: number; compactions: number; compacting: boolean }> => JSON.parse((await send(emulator, { method: 'GET', path: '/__rukou/database/stats' })).text);
  let stats = await read();
  await until(async () => !(stats = await read()).compacting);
  return { logBytes: stats.logBytes, compactions: stats.compactions };
}

class InputFailure extends Error {}

/** The input as fast-check prints it, cut short: big values print as their markers (values.ts). */
const shown = (input: unknown): string => {
  const text = fc.stringify(input);
  return text.length > 3000 ? `${text.slice(0, 3000)}… (${text.length} characters)` : text;
};

/**
 * One fuzzed target as a jest test.
 *
 * @example
 * fuzz(__filename, () => emulator, { name: 'POST /__rukou/wechat/cloudid', inputs, send: async (body) => …, mayWrite: () => false });
 */
export function fuzz<T>(file: string, emulator: () => RunningEmulator, target: Target<T>): void {
  const suite = `test/fuzz/${file.split(/[\\/]/).pop()}`;
  const replay = `RUKOU_FUZZ_SEED=${SEED} RUKOU_FUZZ_RUNS=${RUNS} npx jest ${suite}`;
  test(
    `${target.name}: ${RUNS} inputs (seed ${SEED})`,
    async () => {
      const footprint = target.footprint ?? (() => databaseFootprint(emulator()));
      const atOnce = target.atOnce ?? AT_ONCE;
      const tally: Record<Verdict, number> = { refused: 0, answered: 0 };
      const sent = async (input: T, index: number): Promise<Verdict> => {
        try {
          const verdict = await target.send(input);
          tally[verdict]++;
          return verdict;
        } catch (error) {
          throw new InputFailure(`${target.name}, input #${index} of seed ${SEED}:\n${shown(target.shown ? target.shown(input) : input)}\n\n${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const unchanged = async (since: unknown, inputs: string): Promise<void> => {
        const now = await footprint();
        if (JSON.stringify(now) !== JSON.stringify(since)) throw new InputFailure(`${target.name}: ${inputs} wrote where nothing may be written (seed ${SEED}): ${JSON.stringify(since)} → ${JSON.stringify(now)}`);
      };
      try {
        let baseline = await footprint();
        /** Runs a group at once; every input answers before a failure is told, so that none is still in flight after the test. */
        const together = async (group: [T, number][]): Promise<Verdict[]> => {
          const settled = await Promise.allSettled(group.map(([input, index]) => sent(input, index)));
          const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          if (failed) throw failed.reason;
          return settled.map((outcome) => (outcome as PromiseFulfilledResult<Verdict>).value);
        };
        const range = (group: [T, number][]): string => (group.length === 1 ? `#${group[0][1]}` : `#${group[0][1]}–#${group[group.length - 1][1]}`);
        let harmless: [T, number][] = [];
        let writers: [T, number][] = [];
        const lanes = new Set<string>();
        const flushHarmless = async (): Promise<void> => {
          if (harmless.length === 0) return;
          await together(harmless);
          await unchanged(baseline, `one of the inputs that cannot write, ${range(harmless)},`);
          harmless = [];
        };
        const flushWriters = async (): Promise<void> => {
          if (writers.length === 0) return;
          const verdicts = await together(writers);
          if (verdicts.every((verdict) => verdict === 'refused')) await unchanged(baseline, `the refused input ${range(writers)}`);
          else if (verdicts.includes('refused')) throw new InputFailure(`${target.name}: a refused input among ${range(writers)} ran beside one that wrote, so what it wrote cannot be told (seed ${SEED}): give inputs that may be refused no lane`);
          else baseline = await footprint();
          writers = [];
          lanes.clear();
        };
        let index = 0;
        for (const input of inputsOf(target.inputs, target.name, target.inOrder ? 1 : CHUNK)) {
          // an input that cannot write neither reads what a writer changes nor changes it: it may wait for its group
          if (target.mayWrite?.(input) === false) {
            harmless.push([input, index]);
            if (harmless.length === atOnce) {
              await flushWriters();
              await flushHarmless();
            }
          } else {
            if (target.inOrder) await flushHarmless();
            const lane = target.lane?.(input);
            if (lane === undefined || lanes.has(lane) || writers.length === atOnce) await flushWriters();
            writers.push([input, index]);
            if (lane === undefined) await flushWriters();
            else lanes.add(lane);
          }
          index++;
        }
        await flushWriters();
        await flushHarmless();
        for (const name of target.functions ?? []) {
          const { invocations, workers } = await functionStats(emulator().url, name);
          expect({ name, error: invocations.error, timeout: invocations.timeout, crashed: invocations.crashed, workersExited: workers.exited }).toEqual({ name, error: 0, timeout: 0, crashed: 0, workersExited: 0 });
        }
      } catch (error) {
        if (error instanceof InputFailure) error.message += `\n\nreplay: ${replay}`;
        throw error;
      }
      if (TALLY) console.log(`${target.name}: ${RUNS} inputs, ${tally.answered} answered, ${tally.refused} refused`);
    },
    // generous: the time a target takes is not what it checks
    120_000 + RUNS * 100,
  );
}

/** One HTTP request as sent, byte for byte where node allows: any method, path, headers and body. */
export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface HttpAnswer {
  status: number;
  type: string;
  text: string;
  bytes: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: AT_ONCE * 2 });

/** Sends a request to the emulator over a kept-alive connection. */
export function send(emulator: RunningEmulator, request: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // a body always with its length: node sends a GET's body bare otherwise, which the server reads as the next request
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
    // the path as written: a URL would resolve its dots and re-encode it
    const outgoing = http.request({ host: '127.0.0.1', port: emulator.port, path: request.path, method: request.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), text: bytes.toString('utf8'), bytes });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** Posts a JSON text (or any text) and reads the answer as JSON. */
export async function post(emulator: RunningEmulator, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const answer = await send(emulator, { method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: answer.status, body: JSON.parse(answer.text) as unknown };
}

export interface Refusal {
  code: string;
  message: string;
  field?: string;
}

/** A function's refusal, held to the documented shape: a code of the README's table, a message, at most a field, nothing else. */
export function refusalOf(result: unknown): Refusal {
  expect(result).toEqual({ error: expect.any(Object) });
  const error = (result as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).filter((key) => !['code', 'message', 'field'].includes(key))).toEqual([]);
  expect(Object.keys(ERROR_CODES)).toContain(error.code);
  expect(error.message).toEqual(expect.stringMatching(/\w{3}/));
  if ('field' in error) expect(error.field).toEqual(expect.any(String));
  return error as unknown as Refusal;
}

/** What a function answered through the client gateway: its result (a function never fails). */
export function resultOf(answer: { status: number; body: unknown }): unknown {
  expect(answer).toEqual({ status: 200, body: { result: expect.anything() } });
  return (answer.body as { result: unknown }).result;
}

/** The HTTP status HTTP access answers each refusal with (README: 4xx, 500 for UPSTREAM). */
export const HTTP_STATUS: Record<string, number> = { INVALID_INPUT: 400, NO_IDENTITY: 401, NOT_OPERATOR: 403, NOT_WECHAT: 403, NOT_FOUND: 404, LIMIT_EXCEEDED: 400, UPSTREAM: 500 };

/**
 * What a JavaScript engine says of a program's own mistake. A refusal that quotes it is the
 * emulator failing on its own, passed off as the caller's mistake.
 */
const ENGINE_ERROR = /Cannot read propert|Cannot set propert|is not a function|is not iterable|Cannot destructure|Maximum call stack|Invalid time value|Cannot convert|is not defined|Invalid array length|of undefined|of null\b|toISOString/;

/**
 * The backend's codes a refusal on `/admin` may carry: those wx-server-sdk maps (its TCB_ERR_CODE
 * table, emulator/errors.ts) and the ones the emulator names (README, "The emulator"). Not
 * SYS_ERR: that is the emulator's own fault.
 */
const WIRE_CODES = [
  'INVALID_PARAM',
  'INVALID_ACTION',
  'DATABASE_REQUEST_FAILED',
  'DATABASE_INVALID_OPERRATOR',
  'DATABASE_COLLECTION_EXCEED_LIMIT',
  'DATABASE_COLLECTION_NOT_EXIST',
  'DATABASE_COLLECTION_ALREADY_EXIST',
  'DATABASE_TRANSACTION_CONFLICT',
  'DATABASE_TRANSACTION_FAIL',
  'FUNCTION_NOT_FOUND',
  'FUNCTIONS_EXECUTE_FAIL',
];

/**
 * Holds an `/admin` answer to the backend's shape: HTTP 200 with a success (a body with a
 * requestId) or a refusal `{code, message, requestId}` with a documented code and a message of the
 * emulator's or the database's own; answers whether it was a refusal.
 */
export function wireVerdict(answer: HttpAnswer): Verdict {
  expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'application/json; charset=utf-8' });
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  expect(body.requestId).toEqual(expect.any(String));
  if (!('code' in body)) return 'answered';
  expect(Object.keys(body).sort()).toEqual(['code', 'message', 'requestId']);
  expect(WIRE_CODES).toContain(body.code);
  expect(body.message).toEqual(expect.stringMatching(/\w{3}/));
  expect(body.message).not.toMatch(ENGINE_ERROR);
  return 'refused';
}

/** A refusal of the client gateway or a trigger, as callFunction reports it: HTTP 200 `{errCode, errMsg}`. */
export function expectClientRefusal(answer: HttpAnswer, errCode: number): void {
  expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'application/json; charset=utf-8' });
  expect(JSON.parse(answer.text)).toEqual({ errCode, errMsg: expect.stringMatching(/\w{3}/) });
  expect(answer.text).not.toMatch(ENGINE_ERROR);
}

/** A refusal of the emulator's own routes: `{code, message}` with a 4xx status. */
export function expectEmulatorRefusal(answer: HttpAnswer, status: number, code = 'INVALID_PARAM'): void {
  expect({ status: answer.status, type: answer.type }).toEqual({ status, type: 'application/json; charset=utf-8' });
  expect(JSON.parse(answer.text)).toEqual({ code, message: expect.stringMatching(/\w{3}/) });
  expect(answer.text).not.toMatch(ENGINE_ERROR);
}

/** A wire request the way the SDK sends one, answered as it answers (the backend's code when refused). */
async function wire(emulator: RunningEmulator, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const body = JSON.parse((await send(emulator, { method: 'POST', path: '/admin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) })).text) as Record<string, unknown>;
  if ('code' in body) throw new Error(`the database refused the oracle's own read: ${JSON.stringify(body)}`);
  return body.data as Record<string, unknown>;
}

/** The documents of a collection that match a query (read as the SDK reads them: bson's relaxed EJSON), at most 1,000. */
export async function findDocuments(emulator: RunningEmulator, collection: string, query: Record<string, unknown>, projection?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const data = await wire(emulator, {
    action: 'database.getDocument',
    collectionName: collection,
    query: EJSON.stringify(query, { relaxed: false }),
    limit: 1000,
    ...(projection ? { projection: EJSON.stringify(projection, { relaxed: false }) } : {}),
  });
  return (data.list as string[]).map((text) => EJSON.parse(text) as Record<string, unknown>);
}

/** How many documents of a collection match a query. */
export async function countDocuments(emulator: RunningEmulator, collection: string, query: Record<string, unknown>): Promise<number> {
  return (await wire(emulator, { action: 'database.calculateDocument', collectionName: collection, query: EJSON.stringify(query, { relaxed: false }) })).total as number;
}

/** `work` done once per input: what `mayWrite` and `send` both need of a body that may be 200 KB of text. */
export function once<T extends object, R>(work: (input: T) => R): (input: T) => R {
  const done = new WeakMap<T, R>();
  return (input) => {
    if (!done.has(input)) done.set(input, work(input));
    return done.get(input) as R;
  };
}
