/**
 * Every key a client can make (a channel key, a page path) reaches the stored rollup document and
 * the admin's answers intact: escaped where a field name cannot hold it, undone exactly, never
 * lost (`__proto__`, the empty key), never mistaken for an inherited property (`constructor`), and
 * no prototype is ever changed on the way.
 */
import fc from 'fast-check';
import { escapeKey, unescapeKey } from '../../shared/keys';
import { buildRollup, DIMENSIONS, type DayOutputs, type RollupDoc } from '../../shared/rollup';
import { dailyTrend, rankKeys, shareFunnel } from '../../shared/stats';

const DAY = '2024-03-09';
const names = (scene: number): { zh: string; en: string } => ({ zh: `场景${scene}`, en: `Scene ${scene}` });
const SPECIAL = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '', '.', '$', '%', '%2E', '%25', '%u', '%uD800', '$x', 'a.b', '.$%', '%5F_proto__', '\u0000', 'a\u007fb', '\ud800', '\udc00x', '😀', '首页'];

/** Any JavaScript string: any UTF-16 code units (lone surrogates and control characters among them) and the special names. */
const anyKey = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), fc.constantFrom('%', '.', '$', '_', 'u', 'D', '8', '2', 'E', '5', 'F')) }),
  fc.string({ unit: 'binary' }),
);

function outputs(rows: Partial<DayOutputs['dimensions']>): DayOutputs {
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, rows[d] ?? []])) as DayOutputs['dimensions'];
  const entries = Object.values(rows).flat().reduce((n, row) => n + row.entries, 0);
  return { totals: [{ entries, users: 1, newUsers: 1, sessions: 1, cold: 0 }], dimensions, shareIntents: [], shareReturns: [], shareDepths: [], groupTotals: [], topGroups: [], messages: [], cards: [], late: [] };
}

/** What the database keeps of a document sent as JSON: text in UTF-8, own properties only. */
const stored = (doc: RollupDoc): RollupDoc => JSON.parse(Buffer.from(JSON.stringify(doc), 'utf8').toString('utf8')) as RollupDoc;

/** A field name the cloud database and a JavaScript reader both keep as it is. */
const storable = (name: string): boolean => name !== '' && name !== '__proto__' && !/[.$\p{Cc}\p{Cs}]/u.test(name);

const INHERITED = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  // nothing any key did may have changed what every object inherits
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(INHERITED);
  expect(Object.getPrototypeOf(Object.prototype)).toBeNull();
});

describe('escaping', () => {
  test('any string round-trips, and its escaped form is a field name every store keeps', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const escaped = escapeKey(key);
        expect(storable(escaped)).toBe(true);
        expect(unescapeKey(escaped)).toBe(key);
      }),
      { numRuns: 10_000 },
    );
  });

  test('distinct keys stay distinct', () => {
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        if (a !== b) expect(escapeKey(a)).not.toBe(escapeKey(b));
      }),
      { numRuns: 10_000 },
    );
  });

  test('a key is readable in the console: only what must be escaped is', () => {
    expect(escapeKey('pages/item/item')).toBe('pages/item/item');
    expect(escapeKey('poster.spring')).toBe('poster%2Espring');
    expect(escapeKey('$x')).toBe('%24x');
    expect(escapeKey('100%')).toBe('100%25');
    expect(escapeKey('%2E')).toBe('%252E');
    expect(escapeKey('__proto__')).toBe('%5F_proto__');
    expect(escapeKey('constructor')).toBe('constructor');
    expect(escapeKey('')).toBe('%');
    expect(escapeKey('a\u0000b\u007f')).toBe('a%00b%7F');
    expect(escapeKey('\ud800')).toBe('%uD800');
    expect(escapeKey('首页😀')).toBe('首页😀');
  });

  test('documents written before keep their meaning (the old escapes are a subset)', () => {
    expect(unescapeKey('poster%2Espring%24%25')).toBe('poster.spring$%');
  });
});

describe('from the event key to the stored document to the admin answer', () => {
  // the pipelines answer keys as the user-days store them: escaped when counted (`countEvent`)
  const keysWithCounts = fc.uniqueArray(fc.tuple(anyKey, fc.integer({ min: 1, max: 1000 })), { selector: ([key]) => key, minLength: 1, maxLength: 40 });

  test('every channel and page key of a day comes back from rankKeys with its counts', () => {
    fc.assert(
      fc.property(keysWithCounts, keysWithCounts, (channels, pages) => {
        const row = ([key, entries]: [string, number]): { _id: string; entries: number; users: number; newUsers: number } => ({ _id: escapeKey(key), entries, users: 1, newUsers: entries % 2 });
        const doc = stored(buildRollup(DAY, outputs({ channel: channels.map(row), page: pages.map(row) }), names, new Date(0)));
        expect([...Object.keys(doc.byChannel), ...Object.keys(doc.byPage)].filter((name) => !storable(name))).toEqual([]);
        for (const [dimension, sent] of [['channel', channels], ['page', pages]] as const) {
          const answer = rankKeys([doc], dimension, 1000);
          expect(new Map(answer.map((r) => [r.key, [r.entries, r.userDays, r.newUsers]]))).toEqual(new Map(sent.map(([key, n]) => [key, [n, 1, n % 2]])));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('over several days the same key is summed, whatever its name', () => {
    fc.assert(
      fc.property(fc.array(keysWithCounts, { minLength: 1, maxLength: 5 }), (days) => {
        const docs = days.map((pages, i) =>
          stored(buildRollup(`2024-03-1${i}`, outputs({ page: pages.map(([key, entries]) => ({ _id: escapeKey(key), entries, users: 1, newUsers: 0 })) }), names, new Date(0))),
        );
        const expected = new Map<string, number>();
        for (const pages of days) for (const [key, entries] of pages) expected.set(key, (expected.get(key) ?? 0) + entries);
        expect(new Map(rankKeys(docs, 'page', 1000).map((r) => [r.key, r.entries]))).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  test('the daily trend and the share funnel keep keys named like Object\'s own properties', () => {
    const doc = stored(buildRollup(DAY, outputs({ category: [{ _id: 'constructor', entries: 2, users: 1, newUsers: 0 }, { _id: '__proto__', entries: 3, users: 1, newUsers: 0 }] }), names, new Date(0)));
    const [row] = dailyTrend([DAY], [doc]);
    expect(Object.entries(row.byCategory)).toEqual([['constructor', 2], ['__proto__', 3]]);
    const depth = JSON.parse('{"constructor": 2, "__proto__": 3, "1": 4}') as Record<string, number>;
    const funnel = shareFunnel([{ ...doc, shares: { ...doc.shares, depth } }, { ...doc, shares: { ...doc.shares, depth } }]);
    expect(Object.entries(funnel.depth).sort()).toEqual([['1', 8], ['__proto__', 6], ['constructor', 4]]);
  });
});
