import fc from 'fast-check';
import { runPipeline } from '../../emulator/database/aggregate';
import type { Doc } from '../../emulator/database/ejson';
import { escapeKey, unescapeKey } from '../../shared/keys';
import type { StoredEvent } from '../../shared/model';
import {
  buildRollup,
  dayPipelines,
  DIMENSIONS,
  eventDaysBeforePipeline,
  purgeableDays,
  rollupContent,
  ROLLUP_VERSION,
  unchangedSince,
  WRITE_MARGIN_MS,
  type Counts,
  type DayOutputs,
  type Pipeline,
  type RollupDoc,
} from '../../shared/rollup';
import { ratio } from '../../shared/ratio';
import { addDays } from '../../shared/time';
import { generateTrace, truthOf, userDaysOf } from '../helpers/rollup-trace';

const DAYS = ['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12'];
const trace = generateTrace({ days: DAYS, seed: 11 });
const events = [...trace.events, ...trace.lateEvents];
const names = (scene: number): { zh: string; en: string } => ({ zh: `场景${scene}`, en: `Scene ${scene}` });

/**
 * Runs a pipeline-as-data with the emulator's database engine: MongoDB's semantics, which the
 * cloud's database has and which the emulator's own suites check against references that are
 * not a library's. A bare library (mingo) answers some pipelines otherwise: a $count of no
 * document, for one, is a row there and nothing in MongoDB.
 */
function run<T>(pipeline: Pipeline, from: StoredEvent[] = events): T[] {
  const collections: Record<string, Doc[]> = { events: from as unknown as Doc[], user_days: userDaysOf(from, trace.users) as unknown as Doc[], users: trace.users as unknown as Doc[], messages: [], cards: [] };
  return runPipeline(pipeline.stages, collections[pipeline.collection], { collectionResolver: (name: string) => collections[name] ?? [] }) as T[];
}

function rollupInDatabase(day: string, computedAt = new Date('2024-03-13T00:00:00Z')): RollupDoc {
  const p = dayPipelines(day);
  const outputs: DayOutputs = {
    totals: run(p.totals),
    dimensions: Object.fromEntries(DIMENSIONS.map((d) => [d, run(p.dimensions[d])])) as DayOutputs['dimensions'],
    shareIntents: run(p.shareIntents),
    shareReturns: run(p.shareReturns),
    shareDepths: run(p.shareDepths),
    groupTotals: run(p.groupTotals),
    topGroups: run(p.topGroups),
    messages: run(p.messages),
    cards: run(p.cards),
    late: run(p.late),
  };
  return buildRollup(day, outputs, names, computedAt);
}

const plain = (map: Record<string, Counts>): Record<string, Counts> =>
  Object.fromEntries(Object.entries(map).map(([k, c]) => [unescapeKey(k), { entries: c.entries, users: c.users, newUsers: c.newUsers }]));

describe('a day rollup computed by the pipelines equals the truth counted with loops', () => {
  test.each(DAYS)('%s: every number', (day) => {
    const doc = rollupInDatabase(day);
    const truth = truthOf(day, events, trace.users);
    expect(doc._id).toBe(day);
    expect(doc.totals).toEqual(truth.totals);
    expect(plain(doc.byBucket)).toEqual(truth.byBucket);
    expect(plain(doc.byCategory)).toEqual(truth.byCategory);
    expect(plain(doc.byScene)).toEqual(truth.byScene);
    expect(plain(doc.byChannel)).toEqual(truth.byChannel);
    expect(plain(doc.byPage)).toEqual(truth.byPage);
    expect(doc.shares).toEqual(truth.shares);
    expect(doc.groups).toEqual(truth.groups);
    expect(doc.lateEvents).toBe(truth.lateEvents);
    expect(doc.version).toBe(ROLLUP_VERSION);
    for (const [scene, counts] of Object.entries(doc.byScene)) expect(counts).toMatchObject(names(Number(scene)));
  });

  test('the trace exercises what it claims: sessions differ from entries, late events, a 3-deep chain, escaped keys', () => {
    const first = rollupInDatabase(DAYS[0]);
    expect(first.totals.sessions).toBeGreaterThan(first.totals.users);
    expect(first.totals.sessions).toBeLessThan(first.totals.entries);
    expect(first.shares.depth).toEqual({ '1': 1, '2': 1, '3': 2 });
    expect(first.totals.newUsers).toBeGreaterThan(0);
    expect(first.totals.newUsers).toBeLessThan(first.totals.users);
    expect(rollupInDatabase(DAYS[1]).lateEvents).toBe(3);
    expect(Object.keys(first.byChannel)).toEqual(expect.arrayContaining(['poster%2Espring', 'tv%24ad']));
    expect(Object.keys(first.byPage)).toContain('pages/v1%2E2/promo');
  });

  test('a day with no events is all zeros, not missing fields', () => {
    // the database answers no row at all for a day without events: buildRollup makes the zeros
    expect(run(dayPipelines('2024-01-01').late)).toEqual([]);
    expect(run(dayPipelines('2024-01-01').totals)).toEqual([]);
    const doc = rollupInDatabase('2024-01-01');
    expect(doc.totals).toEqual({ entries: 0, users: 0, newUsers: 0, sessions: 0, cold: 0, hot: 0 });
    expect(doc.shares).toEqual({ intents: 0, sharers: 0, returnOpens: 0, openers: 0, newUsers: 0, returnRatio: 0, kFactor: 0, depth: {} });
    expect(doc.groups).toEqual({ reached: 0, opens: 0, top: [] });
    expect(doc.byScene).toEqual({});
  });

  test('rolling up twice gives the same content; only computedAt differs', () => {
    const a = rollupInDatabase(DAYS[2], new Date(1));
    const b = rollupInDatabase(DAYS[2], new Date(2));
    expect(a.computedAt).not.toEqual(b.computedAt);
    expect(rollupContent(a)).toEqual(rollupContent(b));
  });

  test('the number of pipelines does not depend on the number of events', () => {
    const count = (p: ReturnType<typeof dayPipelines>): number => Object.keys(p).length - 1 + Object.keys(p.dimensions).length;
    expect(count(dayPipelines(DAYS[0]))).toBe(14);
  });

  test('every pipeline starts with a $match on day (the indexed field) and has one key per stage', () => {
    const p = dayPipelines(DAYS[0]);
    for (const pipeline of [p.totals, p.shareIntents, p.shareReturns, p.shareDepths, p.groupTotals, p.topGroups, p.late, ...Object.values(p.dimensions)]) {
      expect((pipeline.stages[0].$match as { day: string }).day).toBe(DAYS[0]);
      for (const stage of pipeline.stages) expect(Object.keys(stage)).toHaveLength(1);
    }
    // a day's sends are read from their records, by the indexed time they were made
    for (const pipeline of [p.messages, p.cards]) {
      expect(pipeline.stages[0]).toEqual({ $match: { createdAt: { $gte: new Date(`${DAYS[0]}T00:00:00+08:00`), $lt: new Date(`${addDays(DAYS[0], 1)}T00:00:00+08:00`) } } });
      for (const stage of pipeline.stages) expect(Object.keys(stage)).toHaveLength(1);
    }
  });
});

describe('sessions', () => {
  test('any entry times (ties, exactly 30 minutes apart, out of order, users interleaved) count as the definition says', () => {
    const day = DAYS[0];
    const start = Date.parse(`${day}T00:00:00+08:00`);
    // offsets on a 5-minute grid so that exact 30-minute gaps and ties are frequent
    const entry = fc.record({ user: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 287 }).map((step) => start + step * 5 * 60_000) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (entries) => {
        // arrival order says nothing: only the event time counts
        const docs = entries.map((e, i) => ({ _id: `e${i}`, type: 'enter', day, openid: `u${e.user}`, at: new Date(e.at), serverAt: new Date(start - i), cold: false }) as unknown as StoredEvent);
        let expected = 0;
        for (const user of new Set(entries.map((e) => e.user))) {
          const times = entries.filter((e) => e.user === user).map((e) => e.at).sort((a, b) => a - b);
          expected += times.filter((t, i) => i === 0 || t - times[i - 1] >= 30 * 60_000).length;
        }
        const [totals] = run<{ sessions: number }>(dayPipelines(day).totals, docs);
        expect(totals?.sessions ?? 0).toBe(expected);
      }),
    );
  });
});

describe('a stored rollup is checked for writes since it was computed', () => {
  const doc = rollupInDatabase(DAYS[1]);

  test('from its computation time less the margin of a track run, when this code wrote it', () => {
    expect(unchangedSince(doc)).toEqual(new Date(doc.computedAt.getTime() - WRITE_MARGIN_MS));
    expect(WRITE_MARGIN_MS).toBeGreaterThanOrEqual(10_000);
  });

  test('not at all after a change of definitions: it is stale', () => {
    expect(unchangedSince({ ...doc, version: 'rollup-1' })).toBeUndefined();
  });
});

describe('map keys', () => {
  test('escaping round-trips any string and leaves no "." or "$"', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const escaped = escapeKey(key);
        expect(escaped).not.toMatch(/[.$]/);
        expect(unescapeKey(escaped)).toBe(key);
      }),
    );
  });
});

describe('ratios', () => {
  test('rounded to 4 places, 0 without a denominator', () => {
    expect(ratio(1, 3)).toBe(0.3333);
    expect(ratio(5, 0)).toBe(0);
    expect(ratio(3, 2)).toBe(1.5);
  });
});

describe('retention', () => {
  test('only days rolled up after their last write may be purged', () => {
    const rows = run<{ _id: string; lastWrite: Date }>(eventDaysBeforePipeline(DAYS[2]));
    expect(rows.map((r) => r._id)).toEqual([DAYS[0], DAYS[1]]);
    const lastWriteOfDay1 = rows[1].lastWrite.getTime();
    expect(lastWriteOfDay1).toBe(Math.max(...events.filter((e) => e.day === DAYS[1]).map((e) => e.serverAt.getTime())));
    const days = purgeableDays(rows, [
      { _id: DAYS[0], computedAt: new Date('2024-03-20T00:00:00Z') },
      { _id: DAYS[1], computedAt: new Date(lastWriteOfDay1 - 1) },
    ]);
    expect(days).toEqual([DAYS[0]]);
    expect(purgeableDays(rows, [])).toEqual([]);
    // a final day is never rolled up again: a write after its rollup does not keep it
    expect(purgeableDays(rows, [{ _id: DAYS[1], computedAt: new Date(lastWriteOfDay1 - 1), final: true }])).toEqual([DAYS[1]]);
  });
});
