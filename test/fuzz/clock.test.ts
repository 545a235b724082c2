/**
 * The emulator's clock fuzzed (README, "The clock"): GET /__rukou/clock with any query and body,
 * and POST /__rukou/clock with moves of every shape, on an emulator of its own (a move ages
 * whatever else an emulator holds). A move is refused as the README says (400 for a body that is
 * no one move or goes past the year 2099, 409 for a move back) and leaves the clock where it was, or
 * moves it exactly where asked.
 */
import fc from 'fast-check';
import { expectEmulatorRefusal, fuzz, type Verdict } from './harness';
import { anyBody, expectJson, fixtureEmulator, isoInstant, JSON_TYPE, queryString, triggerTime } from './routes';
import { anyValue, jsonText, notOfType, objectOf, oddKey, received } from './values';

const CLOCK_START = Date.parse('2024-05-20T12:00:00+08:00');
const fixture = fixtureEmulator({ clock: '2024-05-20T12:00:00+08:00' });

const reading = async (): Promise<{ now: number; offsetMs: number }> => {
  const body = JSON.parse((await fixture.request({ method: 'GET', path: '/__rukou/clock' })).text) as { now: string; offsetMs: number };
  return { now: Date.parse(body.now), offsetMs: body.offsetMs };
};

fuzz(__filename, fixture.emulator, {
  name: 'GET /__rukou/clock',
  inputs: fc.record({ query: queryString, body: anyBody }),
  mayWrite: () => false,
  async send({ query, body }): Promise<Verdict> {
    const answer = await fixture.request({ method: 'GET', path: `/__rukou/clock${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
    const read = expectJson(answer);
    expect(read).toEqual({ now: expect.any(String), offsetMs: expect.any(Number), timers: 'off', next: [] });
    expect(Date.parse(read.now as string)).toBeGreaterThanOrEqual(CLOCK_START);
    return 'answered';
  },
});

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** How far an `advance` moves the clock (clock/operations.ts, parseDuration), or NaN when it is no duration. */
function durationOf(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
  if (typeof value !== 'string') return NaN;
  if (/^\d+$/.test(value)) return durationOf(Number(value));
  // each unit at most once, the largest first
  const amounts = value === '' ? null : /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (!amounts) return NaN;
  return ['w', 'd', 'h', 'm', 's', 'ms'].reduce((total, unit, i) => total + Number(amounts[i + 1] ?? 0) * UNIT_MS[unit], 0);
}

/**
 * Moves: mostly a little forward (an advance, or a set a little ahead of the clock as it reads
 * when the move is sent, or behind it), very rarely far (a set to the year 2099 or past it leaves every later
 * move behind or past the end), and bodies that ask for no move at all.
 */
const move = fc.oneof(
  { weight: 160, arbitrary: fc.oneof(fc.integer({ min: 0, max: 86_400_000 }), fc.constantFrom('1d', '90m', '1d12h', '500ms', '0', '2w', '1s1s')).map((advance) => ({ body: { advance } })) },
  { weight: 40, arbitrary: fc.oneof(fc.constantFrom(1e15, 2 ** 53 - 1, '9007199254740991', '100000000000000000000', '1.5d', '-1d', '1y', '', 'd'), fc.double(), notOfType('string', received)).map((advance) => ({ body: { advance } })) },
  { weight: 80, arbitrary: fc.integer({ min: -86_400_000, max: 7 * 86_400_000 }).map((ahead) => ({ ahead })) },
  { weight: 1, arbitrary: fc.oneof(triggerTime, fc.constantFrom('+275760-09-13T00:00:00Z', '9999-12-31T23:59:59.999Z', '+010000-01-01')).map((set) => ({ body: { set } })) },
  { weight: 40, arbitrary: fc.oneof(fc.constant({}), fc.constant({ set: '2030-01-01', advance: '1d' }), fc.array(fc.tuple(oddKey, anyValue), { maxLength: 2 }).map(objectOf)).map((body) => ({ body })) },
);
/** The clock's years are SCF cron's, 1970 to 2099 (emulator/clock/state.ts). */
const MAX_DATE = Date.parse('2099-12-31T23:59:59.999Z');

fuzz(__filename, fixture.emulator, {
  name: 'POST /__rukou/clock',
  inputs: move,
  footprint: async () => (await reading()).offsetMs,
  async send(input): Promise<Verdict> {
    const before = await reading();
    // a set relative to the clock is written out now, to the millisecond, as ISO
    const text = 'ahead' in input ? JSON.stringify({ set: new Date(before.now + input.ahead).toISOString() }) : jsonText(input.body);
    const answer = await fixture.request({ method: 'POST', path: '/__rukou/clock', headers: JSON_TYPE, body: text });
    const after = await reading();
    const params = JSON.parse(text) as Record<string, unknown>;
    const asks = ['set', 'advance'].filter((key) => params[key] !== undefined);
    const target = asks.length !== 1 ? NaN : asks[0] === 'advance' ? before.now + durationOf(params.advance) : typeof params.set === 'string' ? isoInstant(params.set) : NaN;
    if (Number.isNaN(target) || target > MAX_DATE) {
      expectEmulatorRefusal(answer, 400);
      return 'refused';
    }
    // a set is judged against the clock when it arrives, some time after `before` and before `after`: in between, either
    if (target < before.now || (target <= after.now && answer.status === 409)) {
      expectEmulatorRefusal(answer, 409, 'CLOCK_BACKWARDS');
      return 'refused';
    }
    const moved = expectJson(answer) as { now: string; offsetMs: number; fired: unknown[] };
    expect(moved.fired).toEqual([]);
    // the clock ticks on between the readings: at the target, or a little after
    expect([Date.parse(moved.now) >= target, Date.parse(moved.now) <= Math.max(target, after.now)]).toEqual([true, true]);
    return 'answered';
  },
});
