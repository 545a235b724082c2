/**
 * The rollup's channels by kind and by group, and their first touches, computed by the pipelines
 * of shared/channel-rollup.ts with the emulator's database engine (MongoDB's semantics), equal
 * what plain loops count from the entries and users they were made from: any mix of registered
 * and unknown keys, users who came through two channels of one kind or group, users new and old.
 */
import fc from 'fast-check';
import { runPipeline } from '../../emulator/database/aggregate';
import type { Doc } from '../../emulator/database/ejson';
import { checkCommand } from '../../emulator/database/limits';
import { channelPipelines, MAX_CHANNELS, UNKNOWN_KIND, withChannels, type RegisteredChannel } from '../../shared/channel-rollup';
import { unescapeKey } from '../../shared/keys';
import type { EnterEvent, UserDoc } from '../../shared/model';
import { buildRollup, dimensionPipeline, DIMENSIONS, TOP_KEYS, type ChannelCounts, type DayOutputs, type Pipeline, type RollupDoc } from '../../shared/rollup';
import { userDaysOf } from '../helpers/rollup-trace';

const DAY = '2024-03-10';
const DAY_BEFORE = '2024-03-09';
const LONG_AGO = '2023-12-01';
const START = Date.parse(`${DAY_BEFORE}T00:00:00+08:00`);

/** Keys a field name cannot hold, a group named like a field path and one like an inherited property, a channel of no group. */
const REGISTRY: RegisteredChannel[] = [
  { _id: 'poster.spring', kind: 'wxacode', group: 'store-1' },
  { _id: 'poster-2', kind: 'wxacode', group: 'store-1' },
  { _id: 'tv$ad', kind: 'urllink', group: '$region.north' },
  { _id: 'link-9', kind: 'urlscheme' },
  { _id: '__proto__', kind: 'plainscheme', group: 'constructor' },
];
/** The registry's keys and two it does not have: a code printed before it existed, and `%`. */
const KEYS = [...REGISTRY.map((channel) => channel._id), 'old-poster', '%'];

interface Sent {
  user: number;
  minute: number;
  key?: string;
}

const openidOf = (user: number): string => `o-${user}`;

function entryOf({ user, minute, key }: Sent, i: number): EnterEvent {
  const at = new Date(START + minute * 60_000);
  const day = at.getTime() < Date.parse(`${DAY}T00:00:00+08:00`) ? DAY_BEFORE : DAY;
  return {
    _id: `e${i}`,
    eventId: `e${i}`,
    openid: openidOf(user),
    appid: 'wx',
    seq: i,
    at,
    clientAt: at,
    serverAt: at,
    day,
    type: 'enter',
    cold: true,
    scene: 1047,
    category: 'QR code',
    bucket: 'offline-qr',
    path: 'pages/index/index',
    query: {},
    ...(key === undefined ? {} : { channel: key }),
    reopen: false,
  };
}

/** Each user's first touch: their earliest entry, or (`old`) an entry long before with a channel of its own. */
function usersOf(entries: EnterEvent[], old: Map<number, string | undefined>): UserDoc[] {
  const users = new Map<string, UserDoc>();
  for (const entry of [...entries].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (users.has(entry.openid)) continue;
    const user = Number(entry.openid.slice(2));
    const first = old.has(user)
      ? { day: LONG_AGO, at: new Date(`${LONG_AGO}T12:00:00+08:00`), channel: old.get(user) }
      : { day: entry.day, at: entry.at, channel: entry.channel };
    const touch = { day: first.day, at: first.at, scene: 1047, category: 'QR code', bucket: 'offline-qr' as const, ...(first.channel === undefined ? {} : { channel: first.channel }) };
    users.set(entry.openid, { _id: entry.openid, appid: 'wx', firstDay: first.day, first: touch, v: 1 });
  }
  return [...users.values()];
}

const names = (scene: number): { zh: string; en: string } => ({ zh: `场景${scene}`, en: `Scene ${scene}` });

/**
 * The day's document as the rollup writes it: its channels by key, then what the two pipelines add.
 * `userDaysWith`: the users documents as they were when the user-days were written (by default, as they are).
 */
function rolledUp(day: string, entries: EnterEvent[], users: UserDoc[], { registry = REGISTRY, userDaysWith = users }: { registry?: RegisteredChannel[]; userDaysWith?: UserDoc[] } = {}): RollupDoc {
  const collections: Record<string, Doc[]> = { user_days: userDaysOf(entries, userDaysWith) as unknown as Doc[], users: users as unknown as Doc[] };
  const run = <T>(pipeline: Pipeline): T[] => runPipeline(pipeline.stages, collections[pipeline.collection], {}) as T[];
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, d === 'channel' ? run(dimensionPipeline(day, d)) : []])) as DayOutputs['dimensions'];
  const out: DayOutputs = { totals: [], dimensions, shareIntents: [], shareReturns: [], shareDepths: [], groupTotals: [], topGroups: [], messages: [], cards: [], late: [] };
  const doc = buildRollup(day, out, names, new Date(0));
  const pipelines = channelPipelines(day, registry, out);
  return withChannels(doc, { kindsAndGroups: run(pipelines.kindsAndGroups), firstTouches: run(pipelines.firstTouches) });
}

/** Counts with loops: the entries of `day` through a channel, grouped by what `classOf` makes of their key. */
function truthBy(day: string, entries: EnterEvent[], users: UserDoc[], classOf: (key: string) => string | undefined): Record<string, Required<ChannelCounts>> {
  const user = new Map(users.map((doc) => [doc._id, doc]));
  const counts = new Map<string, { entries: number; users: Set<string>; firstTouch: number }>();
  const at = (name: string): { entries: number; users: Set<string>; firstTouch: number } => counts.get(name) ?? counts.set(name, { entries: 0, users: new Set(), firstTouch: 0 }).get(name)!;
  for (const entry of entries) {
    const name = entry.day === day && entry.channel !== undefined ? classOf(entry.channel) : undefined;
    if (name === undefined) continue;
    at(name).entries += 1;
    at(name).users.add(entry.openid);
  }
  for (const doc of users) {
    const name = doc.firstDay === day && doc.first.channel !== undefined ? classOf(doc.first.channel) : undefined;
    if (name !== undefined) at(name).firstTouch += 1;
  }
  return Object.fromEntries(
    [...counts].map(([name, c]) => [name, { entries: c.entries, users: c.users.size, newUsers: [...c.users].filter((openid) => user.get(openid)?.firstDay === day).length, firstTouch: c.firstTouch }]),
  );
}

const registered = new Map(REGISTRY.map((channel) => [channel._id, channel]));
const kindOf = (key: string): string => registered.get(key)?.kind ?? UNKNOWN_KIND;
const groupOf = (key: string): string | undefined => registered.get(key)?.group;
const readable = (map: Record<string, ChannelCounts> | undefined): Record<string, ChannelCounts> => Object.fromEntries(Object.entries(map ?? {}).map(([key, counts]) => [unescapeKey(key), counts]));

const sent = fc.record({ user: fc.integer({ min: 0, max: 7 }), minute: fc.integer({ min: 0, max: 2 * 1440 - 1 }), key: fc.option(fc.constantFrom(...KEYS), { nil: undefined }) });
const old = fc.dictionary(fc.integer({ min: 0, max: 7 }).map(String), fc.option(fc.constantFrom(...KEYS), { nil: undefined }), { maxKeys: 4, noNullPrototype: true });

describe('a day’s channels by key, kind and group', () => {
  test('equal the loops’ counts for any entries and first touches', () => {
    fc.assert(
      fc.property(fc.array(sent, { maxLength: 40 }), old, (list, olds) => {
        const entries = list.map(entryOf);
        const users = usersOf(entries, new Map(Object.entries(olds).map(([user, key]) => [Number(user), key])));
        for (const day of [DAY_BEFORE, DAY]) {
          const doc = rolledUp(day, entries, users);
          expect(readable(doc.byChannel)).toEqual(truthBy(day, entries, users, (key) => key));
          expect(readable(doc.byChannelKind)).toEqual(truthBy(day, entries, users, kindOf));
          expect(readable(doc.byChannelGroup)).toEqual(truthBy(day, entries, users, groupOf));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a user through two channels of one group (and kind) is one user there, and their first touch is their first channel’s', () => {
    const entries = [
      { user: 1, minute: 1500, key: 'poster.spring' },
      { user: 1, minute: 1600, key: 'poster-2' },
      { user: 1, minute: 1700, key: 'poster-2' },
      { user: 2, minute: 1510, key: 'old-poster' },
      { user: 2, minute: 1520, key: '%' },
      { user: 3, minute: 1530 },
      { user: 3, minute: 1540, key: 'link-9' },
    ].map(entryOf);
    const doc = rolledUp(DAY, entries, usersOf(entries, new Map()));
    expect(readable(doc.byChannel)).toEqual({
      'poster.spring': { entries: 1, users: 1, newUsers: 1, firstTouch: 1 },
      'poster-2': { entries: 2, users: 1, newUsers: 1, firstTouch: 0 },
      'old-poster': { entries: 1, users: 1, newUsers: 1, firstTouch: 1 },
      '%': { entries: 1, users: 1, newUsers: 1, firstTouch: 0 },
      'link-9': { entries: 1, users: 1, newUsers: 1, firstTouch: 0 },
    });
    expect(doc.byChannelGroup).toEqual({ 'store-1': { entries: 3, users: 1, newUsers: 1, firstTouch: 1 } });
    expect(doc.byChannelKind).toEqual({
      wxacode: { entries: 3, users: 1, newUsers: 1, firstTouch: 1 },
      // two keys the registry does not have, one user: counted under unknown, never dropped
      unknown: { entries: 2, users: 1, newUsers: 1, firstTouch: 1 },
      urlscheme: { entries: 1, users: 1, newUsers: 1, firstTouch: 0 },
    });
  });

  test('the users document says whose first touch a day has: a user whose first day moved earlier is not one on the day their user-day still names', () => {
    // poster-2 today, then an offline phone's entry through tv$ad yesterday arrives: the users document moves to it
    const entries = [{ user: 1, minute: 1500, key: 'poster-2' }, { user: 1, minute: 60, key: 'tv$ad' }].map(entryOf);
    const [today] = usersOf(entries.slice(0, 1), new Map());
    const [moved] = usersOf(entries, new Map());
    expect([today.firstDay, moved.firstDay, moved.first.channel]).toEqual([DAY, DAY_BEFORE, 'tv$ad']);
    // today's user-day was written before: it still says new today (its revision not applied yet), which only its new users show
    expect(rolledUp(DAY, entries, [moved], { userDaysWith: [today] }).byChannel).toEqual({ 'poster-2': { entries: 1, users: 1, newUsers: 1, firstTouch: 0 } });
    const before = rolledUp(DAY_BEFORE, entries, [moved]);
    expect(readable(before.byChannel)).toEqual({ tv$ad: { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
    expect(before.byChannelGroup).toEqual({ '%24region%2Enorth': { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
  });

  test('a day with no channel has no kind and no group; without a registry every key is unknown', () => {
    const none = [{ user: 1, minute: 1500 }].map(entryOf);
    expect(rolledUp(DAY, none, usersOf(none, new Map()))).toMatchObject({ byChannel: {}, byChannelKind: {}, byChannelGroup: {} });
    const entries = [{ user: 1, minute: 1500, key: 'poster-2' }, { user: 2, minute: 1500, key: 'poster.spring' }].map(entryOf);
    const doc = rolledUp(DAY, entries, usersOf(entries, new Map()), { registry: [] });
    expect(doc.byChannelKind).toEqual({ unknown: { entries: 2, users: 2, newUsers: 2, firstTouch: 2 } });
    expect(doc.byChannelGroup).toEqual({});
  });
});

describe('the registry in a pipeline', () => {
  const long = (prefix: string, i: number): string => `${prefix}${String(i).padStart(8, '0')}`.padEnd(64, 'x');
  const registry: RegisteredChannel[] = Array.from({ length: MAX_CHANNELS }, (_, i) => ({ _id: long('k', i), kind: 'wxacode', group: long('g', i) }));
  /** A day's rows of channel keys (escaped), as its other pipelines answer them. */
  const day = (keys: string[]): Pick<DayOutputs, 'dimensions'> => ({ dimensions: { ...Object.fromEntries(DIMENSIONS.map((d) => [d, []])), channel: keys.map((key) => ({ _id: key, entries: 1, users: 1, newUsers: 0 })) } as DayOutputs['dimensions'] });
  /** The list a pipeline looks keys up in: its `$indexOfArray`'s. */
  function lookedUpIn(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return undefined;
    const spec = (value as Record<string, unknown>).$indexOfArray;
    if (Array.isArray(spec)) return (spec[0] as { $literal: unknown }).$literal;
    for (const inner of Object.values(value)) {
      const list = lookedUpIn(inner);
      if (list !== undefined) return list;
    }
    return undefined;
  }

  test('a day looks its keys up among the registered keys it had entries through, not the whole registry', () => {
    const pipelines = channelPipelines(DAY, registry, day([long('k', 7), 'never-registered', long('k', 9000)]));
    for (const pipeline of [pipelines.kindsAndGroups, pipelines.firstTouches]) expect(lookedUpIn(pipeline.stages)).toEqual([long('k', 7), long('k', 9000)]);
  });

  test(`a day with ${TOP_KEYS} channel keys or more (its rows may not name them all) looks up in all ${MAX_CHANNELS} channels, and that fits in a command the database reads`, () => {
    const pipelines = channelPipelines(DAY, registry, day(registry.slice(0, TOP_KEYS).map((channel) => channel._id)));
    for (const pipeline of [pipelines.kindsAndGroups, pipelines.firstTouches]) {
      expect(lookedUpIn(pipeline.stages)).toHaveLength(MAX_CHANNELS);
      expect(() => checkCommand(pipeline.stages)).not.toThrow();
    }
  });

  test('every stage has one operator, and each pipeline starts on an indexed field', () => {
    const { kindsAndGroups, firstTouches } = channelPipelines(DAY, REGISTRY, day([]));
    expect(kindsAndGroups.stages[0]).toEqual({ $match: { day: DAY, entries: { $gt: 0 }, byChannel: { $ne: {} } } });
    expect(firstTouches.stages[0]).toEqual({ $match: { firstDay: DAY, 'first.channel': { $exists: true } } });
    for (const stage of [...kindsAndGroups.stages, ...firstTouches.stages]) expect(Object.keys(stage)).toHaveLength(1);
  });
});
