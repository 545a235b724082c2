import { ASSUMED_MS_PER_USER_DAY, expectedDayMs, mayStartDay, PACE_SAMPLE_USER_DAYS } from '../../shared/rollup-pace';

const BIG = PACE_SAMPLE_USER_DAYS * 10;

describe('expectedDayMs', () => {
  test('before any big day, the assumed pace, plus nothing for a fixed cost never seen', () => {
    expect(expectedDayMs([], 1_000_000)).toBeCloseTo(1_000_000 * ASSUMED_MS_PER_USER_DAY);
    expect(expectedDayMs([], 0)).toBe(0);
  });

  test('small days give the fixed cost, the slowest of them; they say nothing of the pace', () => {
    const small = [
      { userDays: 0, ms: 120 },
      { userDays: 50, ms: 300 },
    ];
    expect(expectedDayMs(small, BIG)).toBeCloseTo(300 + BIG * ASSUMED_MS_PER_USER_DAY);
  });

  test('a big day slower than assumed sets the pace; one faster leaves the assumed pace', () => {
    const slow = { userDays: BIG, ms: BIG * ASSUMED_MS_PER_USER_DAY * 3 };
    const fast = { userDays: BIG, ms: BIG * ASSUMED_MS_PER_USER_DAY * 0.5 };
    expect(expectedDayMs([fast, slow], 2 * BIG)).toBeCloseTo(2 * BIG * ASSUMED_MS_PER_USER_DAY * 3);
    expect(expectedDayMs([fast], 2 * BIG)).toBeCloseTo(2 * BIG * ASSUMED_MS_PER_USER_DAY);
  });
});

describe('mayStartDay', () => {
  test('a call\'s first day always starts, however big and late', () => {
    expect(mayStartDay([], 10_000_000, 100_000, 0)).toBe(true);
  });

  test('a later day starts only if expected to end by the deadline', () => {
    const paces = [{ userDays: BIG, ms: 5_000 }];
    const expected = expectedDayMs(paces, BIG);
    expect(mayStartDay(paces, BIG, 1_000, 1_000 + expected)).toBe(true);
    expect(mayStartDay(paces, BIG, 1_001, 1_000 + expected)).toBe(false);
  });
});
