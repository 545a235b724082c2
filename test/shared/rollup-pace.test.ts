import { mayStartStep, NO_STEPS, paced } from '../../shared/rollup-pace';

describe('mayStartStep', () => {
  test('a call\'s first step always starts, however late', () => {
    expect(mayStartStep(NO_STEPS, 100_000, 0)).toBe(true);
  });

  test('a later step starts only if the slowest step so far would end by the deadline', () => {
    const pace = paced(paced(NO_STEPS, 800), 3_000);
    expect(pace).toEqual({ steps: 2, slowestMs: 3_000 });
    expect(mayStartStep(pace, 7_000, 10_000)).toBe(true);
    expect(mayStartStep(pace, 7_001, 10_000)).toBe(false);
  });

  test('a fast step after a slow one leaves the slowest as it was', () => {
    expect(paced(paced(NO_STEPS, 3_000), 10)).toEqual({ steps: 2, slowestMs: 3_000 });
  });
});
