/**
 * A generated trace of stored documents shaped exactly like `track` writes them (events, users,
 * shares), with known truth: `truthOf` recomputes every number of a day's rollup with plain loops
 * over the trace, independently of the pipelines under test.
 */
import type { Bucket, EnterEvent, EventBase, ShareEvent, StoredEvent, Touch, UserDayDoc, UserDoc } from '../../shared/model';
import { entryKeys } from '../../shared/entry-keys';
import { countEvent, emptyCount, nextUserDay, type DayCount } from '../../shared/user-days';

const CHINA = 8 * 3600_000;
const GAP = 30 * 60_000;

/** Deterministic PRNG (mulberry32) so that a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TRACE_SCENES: { scene: number; category: string; bucket: Bucket }[] = [
  { scene: 1001, category: 'Quick entry', bucket: 'in-wechat' },
  { scene: 1007, category: 'Share', bucket: 'in-wechat' },
  { scene: 1008, category: 'Share', bucket: 'in-wechat' },
  { scene: 1044, category: 'Share', bucket: 'in-wechat' },
  { scene: 1047, category: 'QR code', bucket: 'offline-qr' },
  { scene: 1011, category: 'QR code', bucket: 'offline-qr' },
  { scene: 1089, category: 'Quick entry', bucket: 'in-wechat' },
  { scene: 1107, category: 'Templated messages', bucket: 'in-wechat' },
  { scene: 1037, category: 'Redirects', bucket: 'in-wechat' },
  { scene: 1069, category: 'External app/web', bucket: 'external' },
  { scene: 1010, category: 'Quick entry', bucket: 'in-wechat' },
  { scene: 4242, category: 'Unknown', bucket: 'in-wechat' },
];
const CHANNELS = [undefined, undefined, 'poster.spring', 'qr-door', 'tv$ad'];
const PATHS = ['pages/index/index', 'pages/item/item', 'pages/v1.2/promo'];
const OLD_DAY = '2023-12-01';

export interface Trace {
  days: string[];
  events: StoredEvent[];
  users: UserDoc[];
  /** Written after the first rollup: counted for an earlier day, arriving days later. */
  lateEvents: StoredEvent[];
}

const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`) - CHINA;
const chinaDayOf = (ms: number): string => new Date(ms + CHINA).toISOString().slice(0, 10);

export interface TraceOptions {
  seed?: number;
  days: string[];
  usersCount?: number;
  entriesPerDay?: number;
}

/**
 * Builds the trace: several China days, many scenes, channels (with "." and "$" in keys), a share
 * chain of depth 3 with a self-open and a favourites re-open, two groups, page/hide/share events,
 * entries at 23:59:59.999 and 00:00:00.000 Beijing time, and late events.
 */
export function generateTrace(options: TraceOptions): Trace {
  const random = prng(options.seed ?? 7);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const usersCount = options.usersCount ?? 30;
  // The share chain and the unverified share below use user_000 … user_015.
  if (usersCount < 16) throw new Error(`generateTrace needs at least 16 users, got ${usersCount}`);
  const entriesPerDay = options.entriesPerDay ?? 60;
  const events: StoredEvent[] = [];
  let n = 0;
  const id = (): string => `ev_${String(++n).padStart(8, '0')}`;
  const base = (openid: string, at: number): EventBase => ({
    _id: id(),
    eventId: `client_${n}`,
    openid,
    appid: 'wxtrace',
    seq: n,
    at: new Date(at),
    clientAt: new Date(at - 150),
    serverAt: new Date(at),
    day: chinaDayOf(at),
  });
  const enter = (openid: string, at: number, extra: Partial<EnterEvent> = {}): EnterEvent => {
    const scene = extra.scene !== undefined ? TRACE_SCENES.find((s) => s.scene === extra.scene)! : pick(TRACE_SCENES);
    const channel = pick(CHANNELS);
    return {
      ...base(openid, at),
      type: 'enter',
      cold: random() < 0.5,
      scene: scene.scene,
      category: scene.category,
      bucket: scene.bucket,
      path: pick(PATHS),
      query: channel ? { rk_ch: channel } : {},
      ...(channel ? { channel } : {}),
      reopen: scene.scene === 1010,
      ...extra,
    };
  };
  const openids = Array.from({ length: usersCount }, (_, i) => `user_${String(i).padStart(3, '0')}`);
  for (const day of options.days) {
    const start = dayStart(day);
    for (let i = 0; i < entriesPerDay; i += 1) {
      const openid = pick(openids);
      // clusters of entries a few minutes apart, so that sessions are not simply entries
      const at = start + Math.floor(random() * 24) * 3600_000 + Math.floor(random() * 4) * 10 * 60_000 + Math.floor(random() * 1000);
      events.push(enter(openid, at));
      if (random() < 0.3) events.push({ ...base(openid, at + 1000), type: 'page', path: pick(PATHS) });
      if (random() < 0.2) events.push({ ...base(openid, at + 5000), type: 'hide', stayMs: 4000 });
    }
    // around midnight Beijing time: the last millisecond of the day and the first of the next
    events.push(enter(openids[1], start + 86_400_000 - 1, { scene: 1089 }));
    events.push(enter(openids[2], start, { scene: 1001 }));
    // groups
    events.push(enter(openids[3], start + 9 * 3600_000, { scene: 1008, groupId: 'G_alpha' }));
    events.push(enter(openids[4], start + 9 * 3600_000 + 60_000, { scene: 1044, groupId: 'G_alpha' }));
    events.push(enter(openids[4], start + 11 * 3600_000, { scene: 1044, groupId: 'G_alpha' }));
    events.push(enter(openids[5], start + 12 * 3600_000, { scene: 1008, groupId: 'G_beta' }));
  }

  // A share chain on the first day: A → B (depth 1) → C (depth 2) → D (depth 3).
  const [A, B, C, D] = [openids[10], openids[11], openids[12], openids[13]];
  const day0 = dayStart(options.days[0]);
  const share = (sharer: string, shareId: string, at: number, depth: number, parentShareId?: string): void => {
    const record = { shareId, sharer, depth, rootShareId: 'sh_root_A', ...(parentShareId ? { parentShareId } : {}) };
    const event: ShareEvent = { ...base(sharer, at), type: 'share', shareId, path: 'pages/item/item', to: 'chat', share: record };
    events.push(event);
  };
  const open = (openid: string, shareId: string, at: number, depth: number, sharer: string, self = false, scene = 1007): void => {
    const reopen = scene === 1010;
    events.push(
      enter(openid, at, {
        scene,
        shareId,
        query: { rk_sh: shareId },
        share: { shareId, verified: true, sharer, depth, rootShareId: 'sh_root_A', self, isReturn: !self && !reopen },
      }),
    );
  };
  share(A, 'sh_root_A', day0 + 8 * 3600_000, 1);
  open(B, 'sh_root_A', day0 + 8 * 3600_000 + 120_000, 1, A);
  open(A, 'sh_root_A', day0 + 8 * 3600_000 + 180_000, 1, A, true);
  share(B, 'sh_b', day0 + 10 * 3600_000, 2, 'sh_root_A');
  open(C, 'sh_b', day0 + 10 * 3600_000 + 60_000, 2, B);
  open(C, 'sh_b', day0 + 13 * 3600_000, 2, B, false, 1010);
  share(C, 'sh_c', day0 + 14 * 3600_000, 3, 'sh_b');
  open(D, 'sh_c', day0 + 14 * 3600_000 + 60_000, 3, C);
  open(openids[14], 'sh_c', day0 + 15 * 3600_000, 3, C);
  // an unverified share id: recorded, never credited
  events.push(enter(openids[15], day0 + 16 * 3600_000, { scene: 1007, shareId: 'sh_nobody', query: { rk_sh: 'sh_nobody' }, share: { shareId: 'sh_nobody', verified: false, self: false, isReturn: false } }));

  // Users: first entry ever → firstDay; a few were already users long before the trace.
  const users = new Map<string, UserDoc>();
  const ordered = [...events].filter((e): e is EnterEvent => e.type === 'enter').sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const e of ordered) {
    if (users.has(e.openid)) continue;
    const old = Number(e.openid.slice(5)) % 4 === 0;
    const touch = { day: old ? OLD_DAY : e.day, at: e.at, scene: e.scene, category: e.category, bucket: e.bucket };
    users.set(e.openid, { _id: e.openid, appid: 'wxtrace', firstDay: touch.day, first: touch, v: 1 });
  }

  // Late events: counted for the second day but written two days later.
  const lateDay = options.days[1] ?? options.days[0];
  const lateAt = dayStart(lateDay) + 20 * 3600_000;
  const writtenAt = lateAt + 2 * 86_400_000 - 3600_000;
  const lateEvents: StoredEvent[] = [openids[6], openids[7], openids[6]].map((openid, i) => ({
    ...enter(openid, lateAt + i * 60_000, { scene: 1089 }),
    serverAt: new Date(writtenAt + i),
    day: lateDay,
  }));
  return { days: options.days, events, users: [...users.values()], lateEvents };
}

export interface TruthCounts {
  entries: number;
  users: number;
  newUsers: number;
}

/** Every number of a day's rollup, computed with plain loops (keys unescaped). */
export function truthOf(day: string, events: StoredEvent[], users: UserDoc[]) {
  const firstDay = new Map(users.map((u) => [u._id, u.firstDay]));
  const isNew = (openid: string): boolean => firstDay.get(openid) === day;
  const ofDay = events.filter((e) => e.day === day);
  const entries = ofDay.filter((e): e is EnterEvent => e.type === 'enter');
  const distinct = (list: EnterEvent[]): Set<string> => new Set(list.map((e) => e.openid));
  const counts = (list: EnterEvent[]): TruthCounts => {
    const who = distinct(list);
    return { entries: list.length, users: who.size, newUsers: [...who].filter(isNew).length };
  };
  const by = (key: (e: EnterEvent) => string | undefined): Record<string, TruthCounts> => {
    const groups = new Map<string, EnterEvent[]>();
    for (const e of entries) {
      const k = key(e);
      if (k === undefined) continue;
      groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    return Object.fromEntries([...groups].map(([k, list]) => [k, counts(list)]));
  };
  let sessions = 0;
  for (const openid of distinct(entries)) {
    const times = entries.filter((e) => e.openid === openid).map((e) => e.at.getTime()).sort((a, b) => a - b);
    times.forEach((t, i) => {
      if (i === 0 || t - times[i - 1] >= GAP) sessions += 1;
    });
  }
  const cold = entries.filter((e) => e.cold).length;
  const shareEvents = ofDay.filter((e) => e.type === 'share');
  const returns = entries.filter((e) => e.share?.isReturn === true);
  const returnOpeners = distinct(returns);
  const sharers = new Set(shareEvents.map((e) => e.openid)).size;
  const shareNew = [...returnOpeners].filter(isNew).length;
  const depth: Record<string, number> = {};
  for (const e of returns) depth[String(e.share?.depth)] = (depth[String(e.share?.depth)] ?? 0) + 1;
  const grouped = entries.filter((e) => e.groupId !== undefined);
  const groups = new Map<string, EnterEvent[]>();
  for (const e of grouped) groups.set(e.groupId!, [...(groups.get(e.groupId!) ?? []), e]);
  const top = [...groups]
    .map(([groupId, list]) => ({ groupId, opens: list.length, openers: distinct(list).size }))
    .sort((a, b) => b.opens - a.opens || b.openers - a.openers || (a.groupId < b.groupId ? -1 : 1));
  const dayEnd = Date.parse(`${day}T00:00:00Z`) - CHINA + 86_400_000;
  const round = (x: number): number => Math.round(x * 10_000) / 10_000;
  return {
    totals: { entries: entries.length, users: distinct(entries).size, newUsers: [...distinct(entries)].filter(isNew).length, sessions, cold, hot: entries.length - cold },
    byBucket: by((e) => e.bucket),
    byCategory: by((e) => e.category),
    byScene: by((e) => String(e.scene)),
    byChannel: by((e) => e.channel),
    byPage: by((e) => e.path),
    shares: {
      intents: shareEvents.length,
      sharers,
      returnOpens: returns.length,
      openers: returnOpeners.size,
      newUsers: shareNew,
      returnRatio: shareEvents.length ? round(returns.length / shareEvents.length) : 0,
      kFactor: sharers ? round(shareNew / sharers) : 0,
      depth,
    },
    groups: { reached: groups.size, opens: grouped.length, top: top.slice(0, 20) },
    lateEvents: ofDay.filter((e) => e.serverAt.getTime() >= dayEnd).length,
  };
}

/** An entry's touch as `track` makes it: its card only when verified and really opened (a message or card it opened needs their records: none here). */
function touchOf(event: EnterEvent): Touch {
  const touch: Touch = { day: event.day, at: event.at, scene: event.scene, category: event.category, bucket: event.bucket, path: event.path };
  if (event.channel) touch.channel = event.channel;
  const { share } = event;
  if (share?.verified && !event.reopen && share.sharer !== undefined && share.depth !== undefined && share.rootShareId !== undefined) {
    touch.card = { shareId: share.shareId, sharer: share.sharer, depth: share.depth, rootShareId: share.rootShareId };
  }
  if (event.groupId !== undefined) touch.groupId = event.groupId;
  return touch;
}

/**
 * The user-days `track` would have written for these events (`shared/user-days.ts`), with the
 * users' first days and first touches, and each day's previous day with an entry among these
 * events: what the rollup's pipelines read. Written at `at`.
 */
export function userDaysOf(events: readonly StoredEvent[], users: readonly UserDoc[], at = new Date(0)): UserDayDoc[] {
  const counts = new Map<string, { openid: string; count: DayCount }>();
  for (const event of events) {
    if (event.type !== 'enter' && event.type !== 'share') continue;
    const key = `${event.openid} ${event.day}`;
    const entry = counts.get(key) ?? { openid: event.openid, count: emptyCount(event.day) };
    countEvent(entry.count, event, event.type === 'enter' ? touchOf(event) : undefined);
    counts.set(key, entry);
  }
  const firsts = new Map(users.map((user) => [user._id, user]));
  const activeDays = (openid: string): string[] => [...counts.values()].filter((entry) => entry.openid === openid && entry.count.entries > 0).map((entry) => entry.count.day).sort();
  return [...counts.values()].map(({ openid, count }) => {
    const user = firsts.get(openid);
    const firstCopies = user ? { firstDay: user.firstDay, firstAt: user.first.at, firstKeys: entryKeys(user.first, openid) } : { firstDay: count.day };
    const prevDay = count.entries > 0 ? (activeDays(openid).filter((day) => day < count.day).pop() ?? '') : undefined;
    return nextUserDay(undefined, count, firstCopies, openid, at, prevDay);
  });
}
