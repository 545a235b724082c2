import fc from 'fast-check';
import { CronError, parseCron } from '../../../emulator/triggers/cron';

const next = (expression: string, after: string): string | undefined => parseCron(expression).next(new Date(after))?.toISOString();

describe('schedules are evaluated in Beijing time, whatever the machine says', () => {
  test('the daily rollup at 00:17 Beijing fires at 16:17 UTC the day before', () => {
    expect(next('0 17 0 * * * *', '2024-06-01T00:00:00Z')).toBe('2024-06-01T16:17:00.000Z');
    expect(next('0 17 0 * * * *', '2024-06-01T16:17:00Z')).toBe('2024-06-02T16:17:00.000Z');
  });

  test('around UTC midnight the Beijing day is already the next one', () => {
    // 08:00 Beijing is 00:00 UTC.
    expect(next('0 0 8 * * * *', '2024-06-01T23:59:59Z')).toBe('2024-06-02T00:00:00.000Z');
    // 07:30 on June 2 in Beijing is still June 1 in UTC.
    expect(next('0 30 7 2 6 * *', '2024-06-01T20:00:00Z')).toBe('2024-06-01T23:30:00.000Z');
    // The first of the month in Beijing starts at 16:00 UTC on the last day of the previous month.
    expect(next('0 0 0 1 * * *', '2024-02-10T00:00:00Z')).toBe('2024-02-29T16:00:00.000Z');
  });

  test('does not depend on process TZ', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(next('0 17 0 * * * *', '2024-06-01T00:00:00Z')).toBe('2024-06-01T16:17:00.000Z');
      process.env.TZ = 'Asia/Shanghai';
      expect(next('0 17 0 * * * *', '2024-06-01T00:00:00Z')).toBe('2024-06-01T16:17:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('weekdays', () => {
  test('0 is Sunday, and SUN names the same day', () => {
    // 2024-06-01 is a Saturday; Sunday 09:00 Beijing is 01:00 UTC on Sunday.
    expect(next('0 0 9 * * 0 *', '2024-06-01T00:00:00Z')).toBe('2024-06-02T01:00:00.000Z');
    expect(next('0 0 9 * * SUN *', '2024-06-01T00:00:00Z')).toBe('2024-06-02T01:00:00.000Z');
  });

  test('Sunday 00:30 Beijing is still Saturday in UTC', () => {
    expect(next('0 30 0 * * SUN *', '2024-06-01T00:00:00Z')).toBe('2024-06-01T16:30:00.000Z');
  });

  test('ranges of names, any case', () => {
    // Friday 2024-06-07 18:00 Beijing → next working day at 09:30 is Monday June 10.
    expect(next('0 30 9 * * mon-FRI *', '2024-06-07T10:00:00Z')).toBe('2024-06-10T01:30:00.000Z');
  });

  test('with both day and weekday restricted, either one matching fires (classic cron)', () => {
    const cron = parseCron('0 0 12 13 * FRI *');
    // 2024-09-06 is a Friday (not the 13th); 2024-09-13 is both.
    expect(cron.next(new Date('2024-09-01T00:00:00Z'))?.toISOString()).toBe('2024-09-06T04:00:00.000Z');
    expect(cron.next(new Date('2024-10-01T00:00:00Z'))?.toISOString()).toBe('2024-10-04T04:00:00.000Z');
    expect(cron.matches(new Date('2024-10-13T04:00:00Z'))).toBe(true);
  });
});

describe('lists, ranges, steps, months and years', () => {
  test('*/15 seconds and 5/20 (every 20 starting at 5)', () => {
    expect(next('*/15 * * * * * *', '2024-06-01T10:00:07Z')).toBe('2024-06-01T10:00:15.000Z');
    const cron = parseCron('5/20 * * * * * *');
    const fired = [cron.next(new Date('2024-06-01T10:00:00Z'))!];
    for (let i = 0; i < 3; i++) fired.push(cron.next(fired[i])!);
    expect(fired.map((d) => d.getUTCSeconds())).toEqual([5, 25, 45, 5]);
  });

  test('a stepped range and a list', () => {
    const cron = parseCron('0 0 9-17/4 * * * *');
    const hours: number[] = [];
    let at = new Date('2024-06-01T00:00:00Z');
    for (let i = 0; i < 4; i++) {
      at = cron.next(at)!;
      hours.push((at.getUTCHours() + 8) % 24);
    }
    expect(hours).toEqual([9, 13, 17, 9]);
    expect(next('0 10,40 * * * * *', '2024-06-01T00:11:00Z')).toBe('2024-06-01T00:40:00.000Z');
  });

  test('month names, and a month with no day 31 is skipped', () => {
    expect(next('0 0 12 * FEB * *', '2024-03-01T00:00:00Z')).toBe('2025-02-01T04:00:00.000Z');
    expect(next('0 0 0 31 * * *', '2024-04-01T00:00:00Z')).toBe('2024-05-30T16:00:00.000Z');
  });

  test('the year field, and a schedule that never fires again', () => {
    expect(next('0 0 0 1 1 * 2030', '2024-06-01T00:00:00Z')).toBe('2029-12-31T16:00:00.000Z');
    expect(next('0 0 0 1 1 * 2030', '2029-12-31T16:00:00Z')).toBeUndefined();
    expect(next('0 0 0 30 2 * *', '2024-01-01T00:00:00Z')).toBeUndefined();
  });

  test('? stands for any day or weekday', () => {
    expect(next('0 0 2 ? * * *', '2024-06-01T00:00:00Z')).toBe('2024-06-01T18:00:00.000Z');
  });
});

describe('refusals name the problem', () => {
  test.each([
    ['0 0 2 * * *', /6 fields/],
    ['60 * * * * * *', /second 60 is outside 0-59/],
    ['0 0 24 * * * *', /hour 24/],
    ['0 0 0 L * * *', /L, W and # are not supported/],
    ['0 0 0 * * 5#2 *', /not supported/],
    ['0 0 17-9 * * * *', /runs backwards/],
    ['? * * * * * *', /"\?" only fits/],
    ['*/0 * * * * * *', /step "0"/],
    ['0 0 0 * FOO * *', /"FOO" is not a month/],
    ['0 0 0 1 1 * 2100', /year 2100 is outside/],
  ])('%s', (expression, problem) => {
    expect(() => parseCron(expression)).toThrow(CronError);
    expect(() => parseCron(expression)).toThrow(problem);
  });
});

describe('next() against a brute-force search', () => {
  const list = (min: number, max: number): fc.Arbitrary<string> =>
    fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 3 }).map((values) => values.join(','));

  test('is the first matching minute after the given instant', () => {
    fc.assert(
      fc.property(
        list(0, 59),
        fc.oneof(fc.constant('*'), list(0, 23)),
        fc.oneof(fc.constant('*'), list(0, 6)),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        (minute, hour, weekday, after) => {
          const cron = parseCron(`0 ${minute} ${hour} * * ${weekday} *`);
          const found = cron.next(after)!;
          expect(found.getTime()).toBeGreaterThan(after.getTime());
          expect(cron.matches(found)).toBe(true);
          const firstMinute = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
          let earlier: number | undefined;
          for (let t = firstMinute; t < found.getTime() && earlier === undefined; t += 60_000) if (cron.matches(new Date(t))) earlier = t;
          expect(earlier).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });
});
