/**
 * The realistic day that `npm run bench -- cost` plays (`bench/cost/day.ts`): repeatable from its
 * seed, in time order, each user's sessions one after the other, and shaped as its parameters say.
 */
import { DAY, isWayBack, planDay, planHistory, type Step } from '../../bench/cost/day';
import { addDays } from '../../shared/time';

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

test("a cast may draw a user's cold starts from another mix, its first of the day apart; answering the day's own mix plans the day of users who all came before", () => {
  const parameters = { ...DAY, users: 300 };
  expect(planDay(parameters, { scenes: () => parameters.scenes }).steps).toEqual(planDay({ ...parameters, returning: 1 }).steps);
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

const sceneOf = (step: Step): number => (step.kind === 'launch' || step.kind === 'show' ? (step.entry.kind === 'card' ? step.entry.scene : Number(step.entry.options.scene)) : 0);

test('the ways back are the lists of Mini Programs a user has used or saved, and subscription messages', () => {
  for (const scene of [1089, 1001, 1010, 1104, 1023, 1107, 1014]) expect(isWayBack(scene)).toBe(true);
  for (const scene of [1007, 1008, 1044, 1035, 1058, 1053, 1005, 1047, 1048, 1037, 1194]) expect(isWayBack(scene)).toBe(false);
});

test("most of the day's users came before; a new user's first visit comes through a way of discovery, a returning user's through any", () => {
  const returning = day.users.filter((user) => user.returning).length / day.users.length;
  expect(returning).toBeCloseTo(DAY.returning, 1);
  const firstScenes = [...byUser(day.steps).entries()].map(([user, steps]) => ({ returning: day.users[user].returning, scene: sceneOf(steps.find((step) => step.kind === 'launch')!) }));
  expect(firstScenes.filter((first) => !first.returning && isWayBack(first.scene))).toEqual([]);
  expect(firstScenes.filter((first) => first.returning && isWayBack(first.scene)).length).toBeGreaterThan(100);
});

test('the history is one short, trouble-free visit the day before for each returning user, through a way of discovery, and nothing for the others', () => {
  const history = planHistory(day);
  expect(history.start).toBe(Date.parse(`${addDays(DAY.day, -1)}T00:00:00+08:00`));
  expect(history.users.map((user) => user.openid)).toEqual(day.users.filter((user) => user.returning).map((user) => user.openid));
  expect(history.sessions).toBe(history.users.length);
  expect(history.offlinePhones + history.lostAnswers).toBe(0);
  expect(history.users.every((user) => user.clockOffsetMs === 0)).toBe(true);
  const launches = history.steps.filter((step) => step.kind === 'launch');
  expect(launches).toHaveLength(history.users.length);
  expect(launches.filter((step) => isWayBack(sceneOf(step)))).toEqual([]);
  expect(history.steps.filter((step) => step.kind === 'share' || step.kind === 'show')).toEqual([]);
});
