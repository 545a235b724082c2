/**
 * Retention in the daily rollup: the pipelines of shared/retention.ts, run with the emulator's
 * database engine (MongoDB's semantics) over user-days shaped as `track` writes them, equal what
 * plain loops count from each user's days: cohorts by first touch, day-N users, first days back,
 * and the day's reactivated users by the entry that brought them back.
 */
import fc from 'fast-check';
import { runPipeline } from '../../emulator/database/aggregate';
import type { Doc } from '../../emulator/database/ejson';
import { answeredBy } from '../../emulator/database/fallback';
import { unescapeKey } from '../../shared/keys';
import type { EntryKeys } from '../../shared/model';
import { MAX_AGE, readableRetention, retentionOf, retentionPipelines, RETENTION_DAYS, type RetentionCounts, type RetentionOutputs } from '../../shared/retention';
import { addDays, chinaDayStart, dayRange } from '../../shared/time';

const DAY = '2024-05-20';
/** Days a user may have entries on: the 40 before DAY and DAY. */
const WINDOW = dayRange(addDays(DAY, -40), DAY);

/** A user as the test makes them: the days they entered on, and the keys of their first entry and of each day's earliest. */
interface Person {
  openid: string;
  days: string[];
  /** When in their first day the first entry was. */
  firstMs: number;
  first: EntryKeys;
  dayFirsts: EntryKeys[];
  /** A user since long before, whose user-days of then are past retention: the earliest day kept has no previous day. */
  since?: string;
}

/** Longer ago than the user-days kept (180 days). */
const LONG_AGO = '2023-06-01';

const KEYS = fc.record(
  {
    bucket: fc.constantFrom('in-wechat', 'offline-qr'),
    category: fc.constantFrom('Share', 'QR code', 'Quick entry'),
    scene: fc.constantFrom('1007', '1008', '1047', '1089'),
    channel: fc.constantFrom('poster.spring', 'tv$ad', '__proto__', ''),
    page: fc.constantFrom('pages/index/index', 'pages/item/item'),
    share: fc.constantFrom('1', '2'),
    group: fc.constant(true as const),
    message: fc.constantFrom('T-weekly', 'T-order'),
    card: fc.constantFrom('default', 'keyword:优惠'),
  },
  { requiredKeys: ['bucket', 'category', 'scene'] },
);

const PEOPLE = fc.array(
  fc.record({
    days: fc.uniqueArray(fc.constantFrom(...WINDOW), { minLength: 1, maxLength: 8 }),
    // the first entry anywhere in its day: its first and last milliseconds too
    firstMs: fc.constantFrom(0, 1, 7 * 3600_000, 86_400_000 - 1),
    first: KEYS,
    dayFirsts: fc.array(KEYS, { minLength: 8, maxLength: 8 }),
    purged: fc.boolean(),
  }),
  { maxLength: 40 },
).map((people): Person[] =>
  people.map((person, i) => {
    const days = [...person.days].sort();
    // plain objects, as documents read back are (fast-check's records have no prototype)
    return { openid: `o-${i}`, days, firstMs: person.firstMs, first: { ...person.first }, dayFirsts: person.dayFirsts.map((keys) => ({ ...keys })), ...(person.purged ? { since: LONG_AGO } : {}) };
  }),
);

/** The user-days `track` leaves for a person: one per day, with their copies and previous day. */
function userDaysOf(people: readonly Person[]): Doc[] {
  return people.flatMap((person) =>
    person.days.map((day, i) => ({
      _id: `${person.openid}/${day}`,
      openid: person.openid,
      day,
      entries: 1 + i,
      firstDay: person.since ?? person.days[0],
      firstAt: new Date(chinaDayStart(person.since ?? person.days[0]).getTime() + person.firstMs),
      firstKeys: person.first,
      prevDay: i === 0 ? '' : person.days[i - 1],
      dayFirst: { ...person.dayFirsts[i], at: new Date(`${day}T08:00:00+08:00`) },
    })),
  );
}

/** Users and their keys, as a readable `RetentionCounts`. */
function countsOf(keysOf: readonly EntryKeys[]): RetentionCounts {
  const by: Record<string, Record<string, number>> = {};
  for (const keys of keysOf) {
    for (const [dimension, value] of Object.entries(keys)) {
      const key = dimension === 'group' ? 'group' : String(value);
      // own keys only: a key named like Object.prototype's (`__proto__`, `constructor`) counts from 0
      const counted = by[dimension] ?? {};
      by[dimension] = { ...counted, [key]: (Object.hasOwn(counted, key) ? counted[key] : 0) + 1 };
    }
  }
  return { users: keysOf.length, by };
}

/** What plain loops count for DAY from the people. */
function truthOf(people: readonly Person[]) {
  const cohortOf = (age: number): Person[] => people.filter((person) => !person.since && person.days[0] === addDays(DAY, -age));
  const activeOnDay = (person: Person): boolean => person.days.includes(DAY);
  const days: Record<string, RetentionCounts> = {};
  const returns: Record<string, RetentionCounts> = {};
  for (let age = 1; age <= MAX_AGE; age++) {
    if ((RETENTION_DAYS as readonly number[]).includes(age)) days[age] = countsOf(cohortOf(age).filter(activeOnDay).map((person) => person.first));
    returns[age] = countsOf(cohortOf(age).filter((person) => person.days[1] === DAY).map((person) => person.first));
  }
  const reactivated = people.filter((person) => {
    const i = person.days.indexOf(DAY);
    if (i < 0 || (i === 0 && !person.since)) return false;
    return i === 0 || person.days[i - 1] < addDays(DAY, -30);
  });
  return { cohort: countsOf(cohortOf(0).map((person) => person.first)), days, returns, reactivated: countsOf(reactivated.map((person) => person.dayFirsts[person.days.indexOf(DAY)])) };
}

function outputsOf(docs: Doc[]): RetentionOutputs {
  const pipelines = retentionPipelines(DAY);
  const run = (name: keyof RetentionOutputs): RetentionOutputs[typeof name] => {
    const before = answeredBy.compiledStages;
    const rows = runPipeline(pipelines[name].stages, docs, {}) as unknown as RetentionOutputs[typeof name];
    // answered whole by the emulator's compiled path, as the rollup's other pipelines are
    expect(answeredBy.compiledStages - before).toBe(pipelines[name].stages.length);
    return rows;
  };
  return { cohorts: run('cohorts'), reactivated: run('reactivated') };
}

/** Zero counts are what an age without users reads as: the truth's loops make them too. */
const withoutEmpty = (counts: RetentionCounts): RetentionCounts => ({ users: counts.users, by: Object.fromEntries(Object.entries(counts.by).filter(([, keys]) => Object.keys(keys).length > 0)) });

describe('retention pipelines', () => {
  it('count the cohort, day-N users, first days back and reactivated users exactly as loops over each user\'s days do', () => {
    fc.assert(
      fc.property(PEOPLE, (people) => {
        const { section, cohorts } = retentionOf(DAY, outputsOf(userDaysOf(people)));
        const truth = truthOf(people);
        const readable = readableRetention(section);
        expect(withoutEmpty(readable.cohort)).toEqual(truth.cohort);
        expect(withoutEmpty(readable.reactivated)).toEqual(truth.reactivated);
        expect(cohorts.map((part) => part.cohortDay)).toEqual(Array.from({ length: MAX_AGE }, (_, i) => addDays(DAY, -(i + 1))));
        for (const part of cohorts) {
          const written = readableRetention({ cohort: part.returns, days: part.day ? { [part.age]: part.day } : {}, returns: {}, reactivated: part.returns });
          expect(withoutEmpty(written.cohort)).toEqual(truth.returns[part.age]);
          if (part.day) expect(withoutEmpty(written.days[part.age])).toEqual(truth.days[part.age]);
          else expect((RETENTION_DAYS as readonly number[]).includes(part.age)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keep keys a field name cannot hold escaped, and leave out user-days written before first touches were copied', () => {
    const keys: EntryKeys = { bucket: 'in-wechat', category: 'Share', scene: '1007', channel: 'a.b$c' };
    const docs: Doc[] = [
      { _id: 'new', openid: 'o-new', day: DAY, entries: 1, firstDay: DAY, firstAt: new Date(`${DAY}T00:00:00+08:00`), firstKeys: keys, prevDay: '', dayFirst: { ...keys, at: new Date() } },
      { _id: 'old', openid: 'o-old', day: DAY, entries: 1, firstDay: DAY, firstAt: new Date(`${DAY}T09:00:00+08:00`) },
    ];
    const { section } = retentionOf(DAY, outputsOf(docs));
    expect(section.cohort).toEqual({ users: 1, by: { bucket: { 'in-wechat': 1 }, category: { Share: 1 }, scene: { '1007': 1 }, channel: { 'a%2Eb%24c': 1 } } });
    expect(unescapeKey(Object.keys(section.cohort.by.channel ?? {})[0])).toBe('a.b$c');
  });
});
