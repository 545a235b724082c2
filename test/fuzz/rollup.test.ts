/**
 * `rollup` fuzzed through its timer (the trigger route with any `time`, and timer-shaped events
 * sent with the trigger's SOURCE: any Type, TriggerName and Time), and through the client gateway
 * as an operator (backfill, or anything else) and as callers who are not operators.
 *
 * The oracle restates the README: an event that is the timer's (SOURCE wx_trigger, Type "timer" in
 * any case, a Time a Date reads, whose day and the week before it can be written as days) rolls up
 * the China day before Time's: `day`, then `rolledUp` and `unchanged` share out the seven days
 * before it, every day without a stored rollup is rolled, `day` always, and each rolled day is
 * stored; retention's cutoff is 90 days before Time's day. Any other event of an operator is a
 * backfill (INVALID_INPUT naming `action` otherwise; ranges as `admin` checks them), and anyone
 * else gets NOT_OPERATOR. Refusals write nothing.
 */
import fc from 'fast-check';
import { isRecord } from '../../shared/input';
import { MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { chinaDayOf, day as dayNear, dayNumber, dayOf, daysFrom, isRealDay, notADay } from './days';
import { expectClientRefusal, findDocuments, fuzz, once, refusalOf, resultOf, send, type Verdict } from './harness';
import { seedHistory } from './history';
import { anyValue, eventOfBody, jsonText, notOfType, objectOf, oddKey, oddText, received } from './values';

const OPERATOR = 'o-fuzz-operator';
const NOW = Date.parse(MIDDAY);
const TODAY = chinaDayOf(NOW);
const HOUR = 3_600_000;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR, RUKOU_SHARE_SECRET: 'fuzz-share-secret-0123456789' } });
  // days with data, for the runs to roll
  await seedHistory(emulator, NOW, OPERATOR);
});

afterAll(async () => {
  await emulator?.stop();
});

/** 00:17 Beijing on a day: when the timer fires. */
const timerOf = (day: string): string => new Date(dayNumber(day) * 86_400_000 - 8 * HOUR + 17 * 60_000).toISOString();

/**
 * Instants for the timer: mostly the same few nights (each run re-rolls only its yesterday once
 * the week before is rolled), some anywhere near today, and the edges of what can be rolled.
 */
const instant: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -3, max: 2 }).map((back) => timerOf(dayOf(dayNumber(TODAY) + back))) },
  { weight: 1, arbitrary: fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 30 * 86_400_000 }).map((ms) => new Date(ms).toISOString()) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0000-01-08T16:00:00.000Z',
      '0000-01-08T15:59:59.999Z',
      '9999-12-31T15:59:59.999Z',
      '9999-12-31T16:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '2024-05-20T12:00:00+08:00',
      '2024-05-20',
    ),
  },
);
/** Not ISO 8601 instants, though Date.parse reads some of them: "5" is 2001, 02-30 is March 1st, a time without an offset is the machine's zone's. */
const notAnInstant = fc.oneof(
  notOfType('string', received),
  oddText(30),
  fc.constantFrom('not a time', '', '2024-13-45T00:00:00Z', '2024-05-20T25:00:00Z', 'NaN', 'Infinity', 5, '5', [2024], '2024-05-20T12:00:00', '2024-02-30', '2024-05-20T24:00:00Z', 'Mon, 20 May 2024 04:00:00 GMT', '-000000-01-01'),
);

/** The body of POST /triggers/rollup, and the instant it must fire at (NaN: refused). */
const triggerBody: fc.Arbitrary<{ body: unknown; at: number }> = fc.oneof(
  { weight: 2, arbitrary: instant.map((time) => ({ body: { time }, at: Date.parse(time) })) },
  { weight: 1, arbitrary: fc.constant({ body: {}, at: NOW }) },
  { weight: 8, arbitrary: notAnInstant.map((time) => ({ body: { time }, at: NaN })) },
  { weight: 1, arbitrary: fc.tuple(instant, oddKey.filter((key) => key !== 'time'), anyValue).map(([time, key, value]) => ({ body: objectOf([['time', time], [key, value]]), at: Date.parse(time) })) },
);

/** Events shaped like the timer's, each part odd or not. */
const timerEvent = fc
  .record(
    {
      Type: fc.oneof({ weight: 2, arbitrary: fc.constantFrom('Timer', 'timer', 'TIMER') }, { weight: 1, arbitrary: fc.oneof(notOfType('string'), fc.constantFrom('Timer ', 'cron', '')) }),
      TriggerName: fc.oneof(fc.constant('dailyRollup'), anyValue),
      // not the texts a Date reads in the machine's time zone: the function's is UTC, this process's may not be
      Time: fc.oneof({ weight: 2, arbitrary: instant }, { weight: 1, arbitrary: fc.oneof(notOfType('string'), fc.constantFrom('not a time', '', '2024-13-45T00:00:00Z', 'NaN', 'Infinity')) }),
      Message: anyValue,
    },
    { requiredKeys: ['Type'] },
  )
  .chain((event) => fc.option(fc.tuple(oddKey, anyValue), { nil: undefined }).map((extra) => (extra ? objectOf([...Object.entries(event), extra]) : event)));

const backfill = fc
  .tuple(dayNear(TODAY), fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 120 }) }))
  .map(([from, extra]) => ({ action: 'backfill', from, to: dayOf(dayNumber(from) + extra) }));
const operatorInput = fc.oneof(
  { weight: 1, arbitrary: backfill },
  { weight: 3, arbitrary: fc.tuple(backfill, fc.constantFrom('from', 'to', 'action'), fc.oneof(notADay, anyValue)).map(([input, key, value]) => ({ ...input, [key]: value })) },
  { weight: 2, arbitrary: fc.tuple(backfill, oddKey, anyValue).map(([input, key, value]) => objectOf([...Object.entries(input), [key, value]])) },
  { weight: 2, arbitrary: fc.oneof(timerEvent, notOfType('object'), fc.constantFrom({ action: 'overview', from: TODAY, to: TODAY }, { action: 'today' })) },
);

type RollupCase = { via: 'trigger'; body: unknown; at: number } | { via: 'timer' | 'operator' | 'stranger' | 'client'; data: unknown };
const rollupCase: fc.Arbitrary<RollupCase> = fc.oneof(
  { weight: 2, arbitrary: triggerBody.map(({ body, at }): RollupCase => ({ via: 'trigger', body, at })) },
  { weight: 1, arbitrary: timerEvent.map((data): RollupCase => ({ via: 'timer', data })) },
  { weight: 5, arbitrary: operatorInput.map((data): RollupCase => ({ via: 'operator', data })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<'stranger' | 'client'>('stranger', 'client'), fc.oneof(timerEvent, operatorInput)).map(([via, data]): RollupCase => ({ via, data })) },
);

/** The first and last instants whose run can write its days: its day and the week before it in the years 0000–9999 (Beijing time). */
const FIRST_ROLLABLE = Date.parse('0000-01-08T16:00:00.000Z');
const LAST_ROLLABLE = Date.parse('9999-12-31T15:59:59.999Z');

/** The instant a timer event stands for, or undefined when it is not the timer's (README, `rollup`). */
function timerInstant(event: Record<string, unknown>, source: string): number | undefined {
  if (source !== 'wx_trigger' || typeof event.Type !== 'string' || event.Type.toLowerCase() !== 'timer' || typeof event.Time !== 'string') return undefined;
  const at = new Date(event.Time).getTime();
  return at >= FIRST_ROLLABLE && at <= LAST_ROLLABLE ? at : undefined;
}

type Expected = { refusal: { code: string; field?: string } } | { run: number } | { backfill: string[] } | { door: true };

/** What the function must answer an event from a caller (README, `rollup`). */
function expectedFor(event: unknown, source: string, operator: boolean): Expected {
  if (!isRecord(event)) return { refusal: { code: 'INVALID_INPUT' } };
  const run = timerInstant(event, source);
  if (run !== undefined) return { run };
  if (!operator) return { refusal: { code: 'NOT_OPERATOR' } };
  if (event.action !== 'backfill') return { refusal: { code: 'INVALID_INPUT', field: 'action' } };
  const wrong = Object.keys(event).filter((key) => !['action', 'from', 'to'].includes(key) && key !== 'userInfo');
  for (const key of ['from', 'to']) if (typeof event[key] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(event[key] as string)) wrong.push(key);
  if (wrong.length > 0) return { refusal: wrong.length === 1 ? { code: 'INVALID_INPUT', field: wrong[0] } : { code: 'INVALID_INPUT' } };
  for (const key of ['from', 'to']) if (!isRealDay(event[key])) return { refusal: { code: 'INVALID_INPUT', field: key } };
  const days = dayNumber(String(event.to)) - dayNumber(String(event.from)) + 1;
  if (days < 1) return { refusal: { code: 'INVALID_INPUT' } };
  if (days > 92) return { refusal: { code: 'LIMIT_EXCEEDED' } };
  if (String(event.to) >= TODAY) return { refusal: { code: 'INVALID_INPUT', field: 'to' } };
  return { backfill: daysFrom(String(event.from), String(event.to)) };
}

async function storedRollups(days: string[]): Promise<Map<string, { computedAt: Date; final?: boolean }>> {
  const docs = (await findDocuments(emulator, 'rollups_daily', { _id: { $in: days } }, { computedAt: true, final: true })) as unknown as { _id: string; computedAt: Date; final?: boolean }[];
  return new Map(docs.map((doc) => [doc._id, doc]));
}

/** What a case asks: the path and body it is sent as, its headers, and what the function must do. */
const planOf = once((input: RollupCase): { path: string; text: string; headers: Record<string, string>; expected: Expected } => {
  if (input.via === 'trigger') {
    const expected: Expected = Number.isNaN(input.at) ? { door: true } : expectedFor({ Type: 'Timer', TriggerName: 'dailyRollup', Time: new Date(input.at).toISOString() }, 'wx_trigger', false);
    return { path: '/triggers/rollup', text: jsonText(input.body), headers: {}, expected };
  }
  const request = input.data === undefined ? {} : { data: input.data };
  const source = { timer: 'wx_trigger', operator: 'wx_client', stranger: 'wx_client', client: 'wx_client' }[input.via];
  const headers: Record<string, string> = { 'x-wx-source': source, ...(input.via === 'operator' ? { 'x-wx-openid': OPERATOR } : input.via === 'stranger' ? { 'x-wx-openid': 'o-fuzz-stranger' } : {}) };
  const text = jsonText(request);
  return { path: '/functions/rollup', text, headers, expected: expectedFor(eventOfBody(JSON.parse(text)), source, input.via === 'operator') };
});

fuzz(__filename, () => emulator, {
  name: 'rollup',
  inputs: rollupCase,
  functions: ['rollup'],
  atOnce: 4,
  // a run and a backfill write rollups (and retention deletes); refusals write nothing
  mayWrite: (input) => {
    const { expected } = planOf(input);
    return 'run' in expected || 'backfill' in expected;
  },
  async send(input): Promise<Verdict> {
    const { path, text, headers, expected } = planOf(input);
    const week = 'run' in expected ? daysFrom(dayOf(dayNumber(chinaDayOf(expected.run)) - 8), dayOf(dayNumber(chinaDayOf(expected.run)) - 1)) : [];
    const rolledBefore = await storedRollups(week);
    const answer = await send(emulator, { method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: text });
    if ('door' in expected) {
      expectClientRefusal(answer, -501007);
      return 'refused';
    }
    const result = resultOf({ status: answer.status, body: JSON.parse(answer.text) }) as Record<string, unknown>;
    if ('refusal' in expected) {
      const refusal = refusalOf(result);
      expect({ code: refusal.code, field: refusal.field }).toEqual({ code: expected.refusal.code, field: expected.refusal.field });
      return 'refused';
    }
    if ('backfill' in expected) {
      const final = [...(await storedRollups(expected.backfill)).values()].filter((doc) => doc.final).map((doc) => (doc as unknown as { _id: string })._id);
      expect(result).toMatchObject({ rolledUp: expected.backfill.filter((day) => !final.includes(day)), final: expected.backfill.filter((day) => final.includes(day)), remaining: null, databaseRequests: expect.any(Number) });
      expect([...(await storedRollups(expected.backfill)).keys()].sort()).toEqual(expected.backfill);
      return 'answered';
    }
    const today = chinaDayOf(expected.run);
    const day = week[week.length - 1];
    const { rolledUp, unchanged, final } = result as { rolledUp: string[]; unchanged: string[]; final: string[] };
    expect(result).toMatchObject({ day, retention: { cutoff: dayOf(dayNumber(today) - 90) }, databaseRequests: expect.any(Number), peakMemoryMB: expect.any(Number) });
    // the seven days before `day` and `day` itself are shared out, in order: rolled, or kept (unchanged, or final)
    expect([...rolledUp, ...unchanged, ...final].sort()).toEqual(week);
    for (const kept of final) expect(rolledBefore.get(kept)?.final).toBe(true);
    for (const rolled of rolledUp) expect(rolledBefore.get(rolled)?.final).toBeUndefined();
    expect(rolledUp).toEqual([...rolledUp].sort());
    const stored = await storedRollups([...rolledUp, ...unchanged]);
    // a day left unchanged had a rollup, and keeps it as it was
    for (const kept of unchanged) expect(stored.get(kept)).toEqual(rolledBefore.get(kept));
    for (const rolled of rolledUp) expect(new Date(stored.get(rolled)?.computedAt ?? NaN).getTime()).toBeGreaterThan(new Date(rolledBefore.get(rolled)?.computedAt ?? 0).getTime());
    return 'answered';
  },
});
