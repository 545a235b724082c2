/**
 * `admin` `channels` with more channels than its lists hold, through the emulator and the real
 * wx-server-sdk: 1,300 keys bring entries through the real `track` over two days (1,100 of the
 * registry's, each in a group of its own, and 200 keys it does not have), 1,050 more registered
 * channels bring none (dead), and the days are rolled up by `admin` `backfill`. Each list is cut
 * at `limit` (up to 1,000) and says how many it has in all, exactly; the counts cost no request of
 * their own; the fullest answer, every name, group, tag and page at its longest, stays within the
 * 6 MiB a function may return.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import { LIMITS } from '../../shared/channels';
import type { ChannelDoc } from '../../shared/model';
import { MAX_CHANNEL_ROWS } from '../../shared/stats-input';
import { chinaDayStart } from '../../shared/time';
import { emulatorNow, invokeAs, logOf, MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const APP = 'wx0000000000000000';
const OPERATOR = 'o-totals-operator';
/** Two days before the emulator's today (2024-05-20); the dead channels' window is the 7 days to D2. */
const [D1, D2] = ['2024-05-17', '2024-05-18'];
const USERS = Array.from({ length: 10 }, (_, i) => `o-totals-${i}`);
const HOUR = 3_600_000;
/** What a function may return: the CloudBase runtime's `maxRetMsgLen`, 6 MiB of its answer's JSON (Platform sources §F.2). */
const RETURN_LENGTH = 6 * 1024 * 1024;

const pad = (i: number): string => String(i).padStart(4, '0');
/**
 * A text of exactly `length` characters, as Rukou counts them (code points), at its longest in
 * JSON and in UTF-8: emoji (two UTF-16 units, four bytes each) before its own tail, which keeps it unique.
 */
const longest = (tail: string, length: number): string => `${'🏬'.repeat(length - tail.length)}${tail}`;
/** A page's route at its longest. */
const PAGE = `pages/${'p'.repeat(LIMITS.page - 'pages//index'.length)}/index`;

const SCANNED = Array.from({ length: 1100 }, (_, i) => `r-${pad(i)}`);
const UNKNOWN = Array.from({ length: 200 }, (_, i) => `u-${pad(i)}`);
const DEAD = Array.from({ length: 1050 }, (_, i) => `z-${pad(i)}`);

/** A registered code at its longest: a 64-character name, 10 tags of 32, a 512-character page, a 64-character group when it has one. */
function registered(key: string, createdAt: Date, group?: string): ChannelDoc {
  return {
    _id: key,
    name: longest(key, LIMITS.name),
    kind: 'wxacode',
    page: PAGE,
    tags: Array.from({ length: LIMITS.tags }, (_, i) => longest(`${key}-${i}`, LIMITS.tag)),
    ...(group === undefined ? {} : { group }),
    archived: false,
    envVersion: 'release',
    fileID: `cloud://rukou-local.7275/rukou/channels/${key}/0123456789ab.png`,
    createdAt,
    updatedAt: createdAt,
    v: 1,
  };
}

/** Each day's keys: the first 600 registered and 100 unknown on D1, the rest on D2. */
const KEYS_OF: Record<string, string[]> = { [D1]: [...SCANNED.slice(0, 600), ...UNKNOWN.slice(0, 100)], [D2]: [...SCANNED.slice(600), ...UNKNOWN.slice(100)] };
/** Every third key brings two entries, by two users: the ranking has ties and steps. */
const entriesOf = (index: number): number => (index % 3 === 0 ? 2 : 1);

/** What the test sent: each key's entries and users, and each user's first key. */
const truth = new Map<string, { entries: number; users: Set<string> }>();
const firstKeys = new Map<string, string>();

let emulator: RunningEmulator;
let seq = 0;

const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid: OPERATOR, appid: APP })).result;

/** Sends `day`'s entries through `track`, each user's in batches of 50 (track's most), in order of time. */
async function sendDay(day: string): Promise<void> {
  const byUser = new Map<string, Record<string, unknown>[]>();
  let n = 0;
  KEYS_OF[day].forEach((key, index) => {
    for (let entry = 0; entry < entriesOf(index); entry++) {
      const openid = USERS[n++ % USERS.length];
      seq += 1;
      const at = chinaDayStart(day).getTime() + 8 * HOUR + seq * 1_000;
      byUser.set(openid, [...(byUser.get(openid) ?? []), { id: `totals-${seq}`, seq, at, type: 'enter', cold: true, options: { scene: 1286, path: 'pages/index/index', query: { rk_ch: key } } }]);
      const counts = truth.get(key) ?? { entries: 0, users: new Set<string>() };
      counts.entries += 1;
      counts.users.add(openid);
      truth.set(key, counts);
      if (!firstKeys.has(openid)) firstKeys.set(openid, key);
    }
  });
  for (const [openid, events] of byUser) {
    for (let i = 0; i < events.length; i += 50) {
      const batch = events.slice(i, i + 50);
      const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events: batch }, { openid, appid: APP })).result as { accepted: string[] };
      expect(answer.accepted).toHaveLength(batch.length);
    }
  }
}

/** The keys by entries (ties by key), as `channels` ranks them: each one's key, entries and user-days (each key came on one day). */
const ranked = (): { key: string; entries: number; userDays: number }[] =>
  [...truth].map(([key, counts]) => ({ key, entries: counts.entries, userDays: counts.users.size })).sort((a, b) => b.entries - a.entries || (a.key < b.key ? -1 : 1));

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, verbose: true, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  const db = cloud.database();
  const registry = [
    ...SCANNED.map((key) => registered(key, new Date('2024-04-01T10:00:00+08:00'), longest(`g-${key}`, LIMITS.group))),
    // created a minute apart: the dead are listed oldest first
    ...DEAD.map((key, i) => registered(key, new Date(Date.parse('2024-03-01T10:00:00+08:00') + i * 60_000))),
  ];
  for (let i = 0; i < registry.length; i += 500) await db.collection('channels').add({ data: registry.slice(i, i + 500) });
  for (const day of [D1, D2]) await sendDay(day);
  let range: { from: string; to: string } | null = { from: D1, to: D2 };
  while (range) range = (await admin({ action: 'backfill', ...range })).remaining;
}, 180_000);

afterAll(async () => {
  await emulator?.stop();
});

describe('admin channels with more channels than a list holds', () => {
  test('at the most rows (1,000) each list is cut and says how many it has in all; the answer stays well within what a function may return', async () => {
    expect(MAX_CHANNEL_ROWS).toBe(1000);
    const answer = await admin({ action: 'channels', from: D1, to: D2, limit: MAX_CHANNEL_ROWS, series: 3 });
    const keys = ranked();
    expect(keys).toHaveLength(1300);
    expect(answer.keys).toBe(1300);
    expect(answer.channels).toHaveLength(1000);
    expect(answer.channels.map((row: any) => ({ key: row.key, entries: row.entries, userDays: row.userDays }))).toEqual(keys.slice(0, 1000));
    expect(answer.channels.filter((row: any) => row.channel !== null)).toHaveLength(answer.channels.filter((row: any) => row.key.startsWith('r-')).length);

    // the unknown keys: fewer than the limit, all listed
    const unknown = keys.filter((row) => row.key.startsWith('u-'));
    expect(answer.unknown).toMatchObject({ keys: 200, entries: unknown.reduce((n, row) => n + row.entries, 0) });
    expect(answer.unknown.channels.map((row: any) => row.key)).toEqual(unknown.map((row) => row.key));

    // a group each for the 1,100 scanned channels, most entries first; the dead have none
    expect(answer.groups).toBe(1100);
    expect(answer.byGroup).toHaveLength(1000);
    expect(answer.byGroup.map((row: any) => row.entries)).toEqual(keys.filter((row) => row.key.startsWith('r-')).slice(0, 1000).map((row) => row.entries));

    // every user's first touch, followed for the 3 keys with most
    expect(answer.firstTouchSeries.keys).toBe(new Set(firstKeys.values()).size);
    expect(answer.firstTouchSeries.channels).toHaveLength(3);

    // the dead: the oldest 1,000 of 1,050
    expect(answer.dead.total).toBe(1050);
    expect(answer.dead.channels.map((row: any) => row.key)).toEqual(DEAD.slice(0, 1000));

    // the answer's JSON as the runtime measures it (UTF-16 units: 3.2 million) and as it travels (UTF-8: 4.6 MB, most of the most there may be)
    const json = JSON.stringify(answer);
    expect(json.length).toBeLessThan(RETURN_LENGTH);
    expect(Buffer.byteLength(json)).toBeGreaterThan(RETURN_LENGTH / 2);
    expect(Buffer.byteLength(json)).toBeLessThan(RETURN_LENGTH);
  });

  test('at the default limit (20) each list is cut to 20, and the counts are the same', async () => {
    const answer = await admin({ action: 'channels', from: D1, to: D2 });
    expect(answer.channels.map((row: any) => ({ key: row.key, entries: row.entries, userDays: row.userDays }))).toEqual(ranked().slice(0, 20));
    expect(answer).toMatchObject({ keys: 1300, groups: 1100, unknown: { keys: 200 }, dead: { total: 1050 } });
    for (const list of [answer.unknown.channels, answer.byGroup, answer.dead.channels]) expect(list).toHaveLength(20);
  });

  test('the counts cost no request: at 20 rows and at 1,000, one request for the rollups and one per 1,000 registry channels', async () => {
    const requestsOf = async (limit: number): Promise<string[]> => {
      const { lines } = await logOf(emulator, () => admin({ action: 'channels', from: D1, to: D2, limit }));
      return lines.flatMap((line) => /^\[rukou\] \w+ (database\.\w+) /.exec(line)?.[1] ?? []);
    };
    const few = await requestsOf(20);
    // 2,150 registry channels: three pages
    expect(few).toEqual(['database.getDocument', 'database.getDocument', 'database.getDocument', 'database.getDocument']);
    expect(await requestsOf(MAX_CHANNEL_ROWS)).toEqual(few);
  });

  test('more than 1,000 rows is refused, naming limit', async () => {
    expect(await admin({ action: 'channels', from: D1, to: D2, limit: MAX_CHANNEL_ROWS + 1 })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'limit' } });
  });
});
