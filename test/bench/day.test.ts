/**
 * The realistic day that `npm run bench -- cost` plays (`bench/cost/day.ts`): repeatable from its
 * seed, in time order, each user's sessions one after the other, and shaped as its parameters say.
 */
import { DAY, planDay, type Step } from '../../bench/cost/day';

const day = planDay({ ...DAY, users: 2000 });
const byUser = (steps: Step[]): Map<number, Step[]> => {
  const users = new Map<number, Step[]>();
  for (const step of steps) users.set(step.user, [...(users.get(step.user) ?? []), step]);
  return users;
};

test('the same seed plans the same day; another seed, another', () => {
  expect(planDay({ ...DAY, users: 50 })).toEqual(planDay({ ...DAY, users: 50 }));
  expect(planDay({ ...DAY, users: 50, seed: 7 }).steps).not.toEqual(planDay({ ...DAY, users: 50 }).steps);
});

test('steps are in time order; sessions start within the day, one at a time per user, each ending with a hide', () => {
  expect(day.steps.every((step, k) => k === 0 || day.steps[k - 1].at <= step.at)).toBe(true);
  for (const steps of byUser(day.steps).values()) {
    const visits = steps.filter((step) => ['launch', 'show', 'hide', 'kill'].includes(step.kind)).map((step) => step.kind);
    // launch … hide, then show … hide (a hot start) or kill, launch … hide; the process ends destroyed
    expect(visits.join(' ')).toMatch(/^launch hide( (show hide|kill launch hide))* kill$/);
  }
  const starts = day.steps.filter((step) => step.kind === 'launch' || step.kind === 'show');
  expect(starts).toHaveLength(day.sessions);
  expect(starts.every((step) => step.at >= day.start && step.at < day.start + 86_400_000)).toBe(true);
});

test('about 1.5 sessions and 10 entries and page views per daily user, and the trouble in the proportions asked', () => {
  const users = day.users.length;
  const pages = day.steps.filter((step) => step.kind === 'page').length;
  expect(day.sessions / users).toBeGreaterThan(1.35);
  expect(day.sessions / users).toBeLessThan(1.65);
  // each session is an entry and a landing view (or the page a hot start shows again), then its page views
  expect((2 * day.sessions + pages) / users).toBeGreaterThan(9);
  expect((2 * day.sessions + pages) / users).toBeLessThan(11);
  expect(day.offlinePhones / users).toBeCloseTo(DAY.offlineChance, 1);
  expect(day.users.filter((user) => user.clockOffsetMs !== 0).length / users).toBeCloseTo(DAY.wrongClockChance, 1);
  expect(day.steps.filter((step) => step.kind === 'offline').length).toBe(day.offlinePhones);
  expect(day.steps.filter((step) => step.kind === 'online').length).toBe(day.offlinePhones);
});

test("a cast may draw a user's cold starts from another mix, its first of the day apart; answering the day's own mix plans the same day", () => {
  const parameters = { ...DAY, users: 300 };
  expect(planDay(parameters, { scenes: () => parameters.scenes })).toEqual(planDay(parameters));
  const firsts: boolean[] = [];
  const cast = planDay(parameters, {
    scenes: (_user, first) => {
      firsts.push(first);
      return first ? [[1058, 1]] : [[1053, 1]];
    },
  });
  const cold = byUser(cast.steps.filter((step) => step.kind === 'launch'));
  const scenes = [...cold.values()].map((launches) => launches.map((step) => (step.kind === 'launch' && step.entry.kind === 'options' ? step.entry.options.scene : 0)));
  expect(scenes.every(([first, ...later]) => first === 1058 && later.every((scene) => scene === 1053))).toBe(true);
  expect(scenes.some((launches) => launches.length > 1)).toBe(true);
  expect(firsts.filter(Boolean)).toHaveLength(parameters.users);
});
