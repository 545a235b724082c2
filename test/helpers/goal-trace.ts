/**
 * A generated trace of users' visits and goals over many China days, as the Mini Program and the
 * operator's cloud function would send them to `track`, with the truth of every goal number of the
 * rollups and of `admin` `goals` counted here with plain loops, independently of the code under
 * test: entry points from the plan (scene, channel, sharer's card, group, message, service card),
 * times as `track` stored them (the phone's clock correction is the subject of other suites).
 *
 * What the trace holds: cohorts through several entry points and returns through others, goals
 * reported by the phone, by the server, by both in either order and twice, goals in a later session
 * than the visit's entry, last non-direct touches days back, entries and goals around Beijing
 * midnight (a goal just after midnight credited to the session that began before it; an earlier
 * report that moves a goal back across midnight), server reports that arrive before the visit's
 * entry, and offline phones whose visits arrive days later, at their next launch.
 */
import { prng } from './rollup-trace';

const CHINA = 8 * 3600_000;
const MINUTE = 60_000;
const HOUR = 3600_000;
const DAY = 86_400_000;
const WINDOW = 30 * DAY;

export type Dim = 'bucket' | 'category' | 'scene' | 'channel' | 'page' | 'share' | 'group' | 'message' | 'card';
export type Model = 'first' | 'last' | 'lastNonDirect';
export const DIMS: Dim[] = ['bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card'];
export const MODELS: Model[] = ['first', 'last', 'lastNonDirect'];

/** The scenes the trace enters by, as WeChat's scene list files them. */
const SCENES: Record<number, { category: string; bucket: string }> = {
  1001: { category: 'Quick entry', bucket: 'in-wechat' },
  1089: { category: 'Quick entry', bucket: 'in-wechat' },
  1005: { category: 'Search', bucket: 'in-wechat' },
  1007: { category: 'Share', bucket: 'in-wechat' },
  1008: { category: 'Share', bucket: 'in-wechat' },
  1037: { category: 'Redirects', bucket: 'in-wechat' },
  1047: { category: 'QR code', bucket: 'offline-qr' },
  1069: { category: 'Other', bucket: 'external' },
  1073: { category: 'Other', bucket: 'in-wechat' },
  1107: { category: 'Templated messages', bucket: 'in-wechat' },
};

export interface PlannedEntry {
  id: string;
  user: string;
  /** The phone's time of the entry. */
  at: number;
  scene: number;
  path: string;
  query: Record<string, string>;
  /** A group card's chat, whose cloudID WeChat hands the phone. */
  group?: string;
  /** What it is credited as, the group aside (its openGId is WeChat's). */
  keys: Partial<Record<Dim, string>>;
}

export interface PlannedReport {
  side: 'client' | 'server';
  /** client: the phone's time of the report; server: when the function runs. */
  at: number;
  value?: number;
  /** The client's event id. */
  id?: string;
}

export interface PlannedGoal {
  user: string;
  name: string;
  goalId: string;
  reports: PlannedReport[];
}

export type PlannedEvent =
  | ({ type: 'enter' } & PlannedEntry)
  | { type: 'goal'; id: string; at: number; name: string; goalId: string; value?: number }
  | { type: 'share'; id: string; at: number; shareId: string };

/** One call: the phone's batch (`sentAt` = `at`), or the operator's function reporting one goal. */
export type Delivery =
  | { kind: 'client'; at: number; user: string; events: PlannedEvent[] }
  | { kind: 'server'; at: number; user: string; name: string; goalId: string; value?: number };

export interface GoalTrace {
  days: string[];
  deliveries: Delivery[];
  entries: PlannedEntry[];
  goals: PlannedGoal[];
  /** The message and card records the operator sent (inserted as `messages`/`cards` would hold them). */
  messages: { _id: string; openid: string; templateId: string; sentAt: number }[];
  cards: { _id: string; openid: string; rule: string; sentAt: number }[];
}

export const chinaDayOf = (ms: number): string => new Date(ms + CHINA).toISOString().slice(0, 10);
const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`) - CHINA;
const previousDay = (day: string): string => chinaDayOf(dayStart(day) - 1);

/** Placeholder for a sharer's prefix in a planned share id: the test puts the real one in at delivery. */
const PREFIX = (sharer: string): string => `{prefix:${sharer}}`;

/**
 * The trace: `users` ordinary users over the days from `first`, two sharers, and crafted users for
 * the cases chance would rarely make (midnight, moves across it, late phones).
 */
export function generateGoalTrace(seed: number, first: string, dayCount: number, users: number): GoalTrace {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const days = Array.from({ length: dayCount }, (_, i) => chinaDayOf(dayStart(first) + i * DAY));
  const deliveries: Delivery[] = [];
  const entries: PlannedEntry[] = [];
  const goals: PlannedGoal[] = [];
  let n = 0;
  const id = (kind: string): string => `${kind}${String(++n).padStart(6, '0')}`;

  const SHARERS = ['o-s1', 'o-s2'];
  const shareCards = SHARERS.flatMap((sharer) => ['a', 'b'].map((suffix) => ({ sharer, suffix: `card${suffix}x` })));
  // day 0, 08:00: the sharers come in and share their cards
  for (const [k, sharer] of SHARERS.entries()) {
    const at = dayStart(days[0]) + 8 * HOUR + k * MINUTE;
    const entry = plannedEntry(sharer, at, 1089, {});
    const shares = shareCards.filter((card) => card.sharer === sharer).map((card, i): PlannedEvent => ({ type: 'share', id: id('sh'), at: at + (i + 1) * 1000, shareId: PREFIX(sharer) + card.suffix }));
    deliveries.push({ kind: 'client', at: at + 5000, user: sharer, events: [{ type: 'enter', ...entry }, ...shares] });
  }
  const messages: GoalTrace['messages'] = [];
  const cards: GoalTrace['cards'] = [];

  function plannedEntry(user: string, at: number, scene: number, query: Record<string, string>, group?: string): PlannedEntry {
    const { category, bucket } = SCENES[scene];
    const path = pick(['pages/index/index', 'pages/item/item']);
    const keys: PlannedEntry['keys'] = { bucket, category, scene: String(scene), page: path };
    if (query.rk_ch) keys.channel = query.rk_ch;
    const card = query.rk_sh && shareCards.find((one) => query.rk_sh === PREFIX(one.sharer) + one.suffix);
    if (card && card.sharer !== user) keys.share = card.sharer;
    const message = query.rk_msg && messages.find((one) => one._id === query.rk_msg && one.openid === user && at < one.sentAt + 7 * DAY);
    if (message) keys.message = message.templateId;
    const serviceCard = query.rk_card && cards.find((one) => one._id === query.rk_card && one.openid === user && at < one.sentAt + 7 * DAY);
    if (serviceCard) keys.card = serviceCard.rule;
    const entry: PlannedEntry = { id: id('en'), user, at, scene, path, query, keys };
    if (group) entry.group = group;
    entries.push(entry);
    return entry;
  }

  /** Where a user comes in: a scene and its query (a channel, a sharer's card, a message or card they were sent). */
  function wayIn(user: string, at: number, first: boolean): [number, Record<string, string>, string?] {
    const roll = random();
    if (!first && roll < 0.35) return [pick([1001, 1089]), {}];
    if (roll < 0.5) return [1047, { rk_ch: pick(['poster-A', 'poster-B', 'desk']) }];
    if (roll < 0.62) return [1007, { rk_sh: (({ sharer, suffix }) => PREFIX(sharer) + suffix)(pick(shareCards)) }];
    if (roll < 0.68) return [1008, { rk_sh: PREFIX('o-s1') + 'cardax' }, pick(['G-family', 'G-work'])];
    if (roll < 0.76) {
      const record = { _id: id('msg'), openid: user, templateId: pick(['T-restock', 'T-price']), sentAt: at - (1 + Math.floor(random() * 3)) * HOUR };
      messages.push(record);
      return [1107, { rk_msg: record._id }];
    }
    if (roll < 0.82) {
      const record = { _id: id('card'), openid: user, rule: pick(['keyword', 'default']), sentAt: at - 10 * MINUTE };
      cards.push(record);
      return [1073, { rk_card: record._id }];
    }
    return [pick([1005, 1037, 1069, first ? 1001 : 1089]), {}];
  }

  /** A goal's reports and when each reaches `track`: the phone's with its batch, the server's when the function runs. */
  function reportGoal(user: string, name: string, goalId: string, at: number, value: number | undefined, clientBatch: PlannedEvent[]): { server: Delivery[]; clientAt?: number } {
    const side = random();
    const goal: PlannedGoal = { user, name, goalId, reports: [] };
    goals.push(goal);
    const client = (reportAt: number, reportValue = value): void => {
      const event: PlannedEvent = { type: 'goal', id: id('gl'), at: reportAt, name, goalId, ...(reportValue === undefined ? {} : { value: reportValue }) };
      clientBatch.push(event);
      goal.reports.push({ side: 'client', at: reportAt, id: event.id, ...(reportValue === undefined ? {} : { value: reportValue }) });
    };
    const server = (runAt: number, reportValue = value): Delivery => {
      goal.reports.push({ side: 'server', at: runAt, ...(reportValue === undefined ? {} : { value: reportValue }) });
      return { kind: 'server', at: runAt, user, name, goalId, ...(reportValue === undefined ? {} : { value: reportValue }) };
    };
    if (side < 0.3) {
      client(at);
      return { server: [], clientAt: at + 1000 };
    }
    if (side < 0.5) return { server: [server(at + 700)] };
    if (side < 0.7) {
      // both, the phone first; now and then the server's value differs (it wins)
      client(at);
      return { server: [server(at + 3000, value !== undefined && random() < 0.5 ? value - 10 : value)], clientAt: at + 1000 };
    }
    if (side < 0.85) {
      // both, the server first: the phone's report, earlier, arrives after it
      client(at);
      return { server: [server(at + 500)], clientAt: at + 2500 };
    }
    // twice by the phone (the app called goal() again), once by a retried function too
    client(at);
    client(at + 4000);
    return { server: random() < 0.5 ? [server(at + 6000), server(at + 9000)] : [], clientAt: at + 5000 };
  }

  /**
   * One visit: an entry, maybe a second session (a pull-down an hour later), maybe goals. The phone
   * sends the entry 50 s after it, or with the first goal it reports; `late`: at `late` instead
   * (an offline phone's next launch).
   */
  function visit(user: string, at: number, first: boolean, late?: number): void {
    const [scene, query, group] = wayIn(user, at, first);
    const entry = plannedEntry(user, at, scene, query, group);
    const batches: { at: number; events: PlannedEvent[] }[] = [{ at: at + 50_000, events: [{ type: 'enter', ...entry }] }];
    const server: Delivery[] = [];
    // a quick buyer pays within the 50 s the phone holds the entry: the server's report may come first
    let goalAt = at + (random() < 0.2 ? 20_000 + Math.floor(random() * 25_000) : (1 + Math.floor(random() * 30)) * MINUTE + Math.floor(random() * 60_000));
    if (random() < 0.25) {
      // a later session: the goal comes after the user came back by the pull-down bar
      const back = plannedEntry(user, at + (45 + Math.floor(random() * 60)) * MINUTE, 1089, {});
      batches.push({ at: back.at + 50_000, events: [{ type: 'enter', ...back }] });
      goalAt = back.at + (2 + Math.floor(random() * 10)) * MINUTE;
    }
    const goalsOfVisit: [string, string, number | undefined][] = [];
    if (first && random() < 0.6) goalsOfVisit.push(['signup', user, undefined]);
    if (random() < 0.45) goalsOfVisit.push(['order_paid', id('ord'), 100 + Math.floor(random() * 50_000)]);
    goalsOfVisit.forEach(([name, goalId, value], k) => {
      const own: PlannedEvent[] = [];
      const reported = reportGoal(user, name, goalId, goalAt + k * 30_000, value, own);
      server.push(...reported.server);
      if (own.length > 0) {
        // a goal is sent at once, and takes whatever waits with it
        const due = reported.clientAt ?? goalAt;
        const waiting = batches.filter((batch) => batch.at > due);
        batches.splice(0, batches.length, ...batches.filter((batch) => batch.at <= due), { at: due, events: [...waiting.flatMap((batch) => batch.events), ...own] });
      }
    });
    for (const batch of batches) deliveries.push({ kind: 'client', at: late ?? batch.at, user, events: batch.events });
    deliveries.push(...server);
  }

  /** The cases around Beijing midnight, made on purpose. */
  function crafted(): void {
    const midnight = (d: number): number => dayStart(days[d]);
    const client = (at: number, user: string, events: PlannedEvent[]): void => void deliveries.push({ kind: 'client', at, user, events });
    const server = (at: number, user: string, goalId: string, value: number): void => void deliveries.push({ kind: 'server', at, user, name: 'order_paid', goalId, value });
    const goalEvent = (at: number, goalId: string, value: number): PlannedEvent & { type: 'goal' } => ({ type: 'goal', id: id('gl'), at, name: 'order_paid', goalId, value });
    const goal = (user: string, goalId: string, reports: PlannedReport[]): void => void goals.push({ user, name: 'order_paid', goalId, reports });

    // m1: came in by a poster 30 s before midnight, paid 10 s after it: the session that began the day before
    const m1 = plannedEntry('o-m1', midnight(10) - 30_000, 1047, { rk_ch: 'poster-A' });
    const m1goal = goalEvent(midnight(10) + 10_000, 'M1', 3000);
    client(midnight(10) + 11_000, 'o-m1', [{ type: 'enter', ...m1 }, m1goal]);
    goal('o-m1', 'M1', [{ side: 'client', at: m1goal.at, id: m1goal.id, value: 3000 }]);

    // m2: paid 1.5 s before midnight; the server's report runs 2 s after it
    const m2 = plannedEntry('o-m2', midnight(12) - 60_000, 1005, {});
    const m2goal = goalEvent(midnight(12) - 1500, 'M2', 1200);
    client(midnight(12) - 500, 'o-m2', [{ type: 'enter', ...m2 }, m2goal]);
    server(midnight(12) + 2000, 'o-m2', 'M2', 1200);
    goal('o-m2', 'M2', [{ side: 'client', at: m2goal.at, id: m2goal.id, value: 1200 }, { side: 'server', at: midnight(12) + 2000, value: 1200 }]);

    // m3: the server's report lands just after midnight, the phone's (a second before it) after that: the goal moves back
    const m3 = plannedEntry('o-m3', midnight(20) - 2 * MINUTE, 1037, {});
    client(midnight(20) - 2 * MINUTE + 5000, 'o-m3', [{ type: 'enter', ...m3 }]);
    server(midnight(20) + 1000, 'o-m3', 'M3', 800);
    const m3goal = goalEvent(midnight(20) - 1000, 'M3', 790);
    client(midnight(20) + 4000, 'o-m3', [m3goal]);
    goal('o-m3', 'M3', [{ side: 'server', at: midnight(20) + 1000, value: 800 }, { side: 'client', at: m3goal.at, id: m3goal.id, value: 790 }]);

    // m4: an offline phone's visit before midnight, sent two days later; the server reported its goal just after midnight
    const m4old = plannedEntry('o-m4', midnight(25) - 3 * DAY + 10 * HOUR, 1047, { rk_ch: 'desk' });
    client(m4old.at + 50_000, 'o-m4', [{ type: 'enter', ...m4old }]);
    const m4 = plannedEntry('o-m4', midnight(25) - 40_000, 1007, { rk_sh: `${PREFIX('o-s2')}cardbx` });
    const m4goal = goalEvent(midnight(25) - 10_000, 'M4', 4400);
    server(midnight(25) + 3000, 'o-m4', 'M4', 4400);
    client(midnight(25) + 2 * DAY + 10 * HOUR, 'o-m4', [{ type: 'enter', ...m4 }, m4goal]);
    goal('o-m4', 'M4', [{ side: 'server', at: midnight(25) + 3000, value: 4400 }, { side: 'client', at: m4goal.at, id: m4goal.id, value: 4400 }]);
  }

  // ordinary users: a first visit on their first day, then returns on some days after
  for (let u = 0; u < users; u += 1) {
    const user = `o-u${String(u).padStart(2, '0')}`;
    const firstDay = Math.floor(random() * (dayCount - 8));
    const visits: number[] = [];
    for (let d = firstDay; d < dayCount - 1; d += 1) if (d === firstDay || random() < 0.22) visits.push(dayStart(days[d]) + (8 + Math.floor(random() * 12)) * HOUR + Math.floor(random() * HOUR));
    visits.forEach((at, v) => {
      // now and then a phone offline for a visit sends it at its next launch, days later
      const next = visits[v + 1];
      const late = v > 0 && next !== undefined && next - at < 6 * DAY && next - at > 2 * HOUR && random() < 0.15 ? next - 30_000 : undefined;
      visit(user, at, v === 0, late);
    });
  }

  crafted();
  return { days, deliveries: deliveries.sort((a, b) => a.at - b.at), entries, goals, messages, cards };
}


/** What `track` stored: each client event's time and day, each user's server reports, and each group's openGId. */
export interface Stored {
  times: ReadonlyMap<string, { at: number; day: string }>;
  serverReports: ReadonlyMap<string, { at: number; day: string; value?: number; eventId: string }[]>;
  openGIds: ReadonlyMap<string, string>;
}

interface TruthEntry {
  user: string;
  at: number;
  day: string;
  category: string;
  keys: Partial<Record<Dim, string>>;
}

interface TruthGoal {
  user: string;
  name: string;
  at: number;
  day: string;
  value: number;
  verified: boolean;
  credit: Partial<Record<Model, { s: number; keys: Partial<Record<Dim, string>> }>>;
}

/** A time's bucket, as the README defines it: a second below 16 s, then eight per doubling. */
const bucketOf = (s: number): number => {
  if (s < 16) return s;
  let b = 16;
  while (Math.ceil(2 ** ((b + 17) / 8)) <= s) b += 1;
  return b;
};
const middleOf = (b: number): number => (b < 16 ? b : 2 ** ((b + 16.5) / 8));

/** The median of times by the README's rule: the middle goal's bucket (two middle ones' mean), whole seconds. */
export function truthMedian(seconds: number[]): number | null {
  if (seconds.length === 0) return null;
  const buckets = seconds.map(bucketOf).sort((a, b) => a - b);
  return Math.round((middleOf(buckets[Math.floor((buckets.length - 1) / 2)]) + middleOf(buckets[Math.floor(buckets.length / 2)])) / 2);
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export interface TruthRow {
  goals: number;
  value: number;
  converters: number;
  users: number;
  conversionRate: number | null;
  medianSeconds: number | null;
  times: Record<string, number>;
}

/** Every goal of the trace, reports merged and credited, and every entry, with the times `track` stored. */
export function truthGoals(trace: GoalTrace, stored: Stored): { goals: TruthGoal[]; entries: TruthEntry[] } {
  const entries: TruthEntry[] = trace.entries.map((entry) => {
    const time = stored.times.get(entry.id);
    if (!time) throw new Error(`entry ${entry.id} was not stored`);
    const keys = { ...entry.keys, ...(entry.group ? { group: stored.openGIds.get(entry.group) } : {}) };
    return { user: entry.user, at: time.at, day: time.day, category: SCENES[entry.scene].category, keys };
  });
  const goals = trace.goals.map((goal): TruthGoal => {
    const server = [...(stored.serverReports.get(`${goal.user} ${goal.name} ${goal.goalId}`) ?? [])];
    const reports = [
      ...goal.reports.filter((report) => report.side === 'client').map((report) => ({ ...stored.times.get(report.id ?? '')!, verified: false, value: report.value, eventId: report.id ?? '' })),
      ...server.map((report) => ({ ...report, verified: true })),
    ].sort((a, b) => a.at - b.at || (a.eventId < b.eventId ? -1 : 1));
    if (reports.length !== goal.reports.length) throw new Error(`goal ${goal.goalId}: ${reports.length} reports stored of ${goal.reports.length}`);
    const valued = reports.filter((report) => report.value !== undefined);
    const price = (valued.find((report) => report.verified) ?? valued[0])?.value ?? 0;
    const at = reports[0].at;
    const day = chinaDayOf(at);
    const mine = entries.filter((entry) => entry.user === goal.user && entry.at <= at);
    const latest = (list: TruthEntry[]): TruthEntry | undefined => list.reduce<TruthEntry | undefined>((found, entry) => (!found || entry.at > found.at ? entry : found), undefined);
    const firstEver = entries.filter((entry) => entry.user === goal.user).reduce<TruthEntry | undefined>((found, entry) => (!found || entry.at < found.at ? entry : found), undefined);
    const picked: Partial<Record<Model, TruthEntry>> = {
      first: firstEver && firstEver.at <= at ? firstEver : undefined,
      last: latest(mine.filter((entry) => entry.day === day || entry.day === previousDay(day))),
      lastNonDirect: latest(mine.filter((entry) => entry.category !== 'Quick entry' && entry.at > at - WINDOW)),
    };
    const credit: TruthGoal['credit'] = {};
    for (const model of MODELS) {
      const entry = picked[model];
      if (entry) credit[model] = { s: Math.floor((at - entry.at) / 1000), keys: entry.keys };
    }
    return { user: goal.user, name: goal.name, at, day, value: price, verified: reports.some((report) => report.verified), credit };
  });
  return { goals, entries };
}

/** One day's `goals` section as the rollup should write it. */
export function truthDay(day: string, truth: ReturnType<typeof truthGoals>): Record<string, unknown> {
  const ofDay = truth.goals.filter((goal) => goal.day === day);
  const entered = (dim: Dim, key: string): number => new Set(truth.entries.filter((entry) => entry.day === day && entry.keys[dim] === key).map((entry) => entry.user)).size;
  const section: Record<string, Record<string, unknown>> = {};
  for (const name of [...new Set(ofDay.map((goal) => goal.name))]) {
    const named = ofDay.filter((goal) => goal.name === name);
    const models: Record<string, Record<string, Record<string, TruthRow>>> = { first: {}, last: {}, lastNonDirect: {} };
    for (const model of MODELS) {
      for (const dim of DIMS) {
        const byKey = new Map<string, TruthGoal[]>();
        for (const goal of named) {
          const key = goal.credit[model]?.keys[dim];
          if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), goal]);
        }
        if (byKey.size === 0) continue;
        models[model][dim] = Object.fromEntries([...byKey].map(([key, list]) => [key, rowOf(list, model, entered(dim, key))]));
      }
    }
    section[name] = { goals: named.length, value: named.reduce((sum, goal) => sum + goal.value, 0), converters: new Set(named.map((goal) => goal.user)).size, verified: named.filter((goal) => goal.verified).length, ...models };
  }
  return section;
}

function rowOf(list: TruthGoal[], model: Model, users: number): TruthRow {
  const seconds = list.map((goal) => goal.credit[model]!.s);
  const times: Record<string, number> = {};
  for (const s of seconds) times[String(bucketOf(s))] = (times[String(bucketOf(s))] ?? 0) + 1;
  const converters = new Set(list.map((goal) => goal.user)).size;
  return { goals: list.length, value: list.reduce((sum, goal) => sum + goal.value, 0), converters, users, conversionRate: users > 0 ? round4(converters / users) : null, medianSeconds: truthMedian(seconds), times };
}

/** The dimensions whose keys' users a rollup keeps for every day (`byBucket` … `byPage`), credited or not. */
const MAPPED: readonly Dim[] = ['bucket', 'category', 'scene', 'channel', 'page'];

/**
 * `admin` `goals` over days, as it should answer: the days' rows summed by key, and each key's
 * user-days those of every day of the range (the users with an entry through it that day) for a
 * dimension the rollup maps, else of the days it was credited.
 */
export function truthRange(days: string[], truth: ReturnType<typeof truthGoals>, name: string, model: Model, by: Dim): { totals: Record<string, number>; keys: Record<string, unknown>[] } {
  const totals = { goals: 0, value: 0, converterDays: 0, verified: 0 };
  const sums = new Map<string, { goals: number; value: number; converterDays: number; userDays: number; seconds: number[] }>();
  for (const day of days) {
    const section = truthDay(day, truth)[name] as (Record<string, number> & Record<Model, Record<string, Record<string, TruthRow>>>) | undefined;
    if (!section) continue;
    totals.goals += section.goals;
    totals.value += section.value;
    totals.converterDays += section.converters;
    totals.verified += section.verified;
    for (const [key, row] of Object.entries(section[model][by] ?? {})) {
      const sum = sums.get(key) ?? { goals: 0, value: 0, converterDays: 0, userDays: 0, seconds: [] };
      sum.goals += row.goals;
      sum.value += row.value;
      sum.converterDays += row.converters;
      if (!MAPPED.includes(by)) sum.userDays += row.users;
      sums.set(key, sum);
    }
    for (const goal of truth.goals.filter((one) => one.day === day && one.name === name)) {
      const key = goal.credit[model]?.keys[by];
      if (key !== undefined) sums.get(key)!.seconds.push(goal.credit[model]!.s);
    }
  }
  if (MAPPED.includes(by)) {
    for (const [key, sum] of sums) sum.userDays = days.reduce((n, day) => n + new Set(truth.entries.filter((entry) => entry.day === day && entry.keys[by] === key).map((entry) => entry.user)).size, 0);
  }
  const keys = [...sums]
    .sort(([ka, a], [kb, b]) => b.goals - a.goals || (ka < kb ? -1 : 1))
    .map(([key, sum]) => ({ key, goals: sum.goals, value: sum.value, converterDays: sum.converterDays, userDays: sum.userDays, conversionRate: sum.userDays > 0 ? round4(sum.converterDays / sum.userDays) : null, medianSeconds: truthMedian(sum.seconds) }));
  return { totals, keys };
}
