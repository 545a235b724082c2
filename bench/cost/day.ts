/**
 * A realistic day of a large Mini Program, planned ahead from a seed: when each user comes in and
 * through which entry point, the pages they view and how long they stay on each, the system
 * screens and shares in between, the hide; and what real phones get wrong (offline stretches,
 * answers lost on the way back, wrong clocks). Pure: the plan is a list of steps in time order,
 * which `play.ts` performs on simulated phones. Every number that shapes the day is in `DAY`.
 */
import type { EnterOptions } from '../../packages/rukou-tracker/src/tracker';
import type { SystemScreenApi } from '../../test/client/simulated-wx';
import { classifyScene } from '../../shared/scenes';
import { addDays } from '../../shared/time';
import { prng } from '../../test/helpers/rollup-trace';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A value and how often it is drawn, relative to the others of its list. */
export type Weighted<T> = readonly [T, number];
/** A range of milliseconds, low and high. */
type Span = readonly [number, number];

/**
 * The day's parameters. They are our estimates for a large consumer Mini Program, not measured
 * data; the comments say what each is meant to resemble and what it changes in the cost, which
 * is counted per event: what matters is how events bunch into batches (gaps, hides, pauses,
 * shares) and how many batches need more than the usual reads (card opens, groups).
 */
export const DAY = {
  /** A Monday; any China day will do: only the hours of the day matter. */
  day: '2024-05-20',
  /** Change it to see how much the figures owe to one draw (`RUKOU_BENCH_SEED`). */
  seed: 20240520,
  /** Enough for the shares of each kind of trouble to be many phones, small enough to play in a few minutes (`RUKOU_BENCH_USERS`). */
  users: 1000,
  /**
   * The share of the day's users who came before: most of a grown Mini Program's daily users are
   * not new. Their phones keep what the tracker kept (its share prefix) and `track` knows them
   * (`planHistory` gives each a visit the day before, played first and not counted); the others'
   * first visit comes through a way of discovering the Mini Program (`isWayBack`).
   */
  returning: 0.75,
  /** Most daily users come once, some come back two to four times: 1.5 sessions a day on average. */
  sessionsPerUser: [
    [1, 70],
    [2, 15],
    [3, 10],
    [4, 5],
  ] as readonly Weighted<number>[],
  /**
   * When sessions start, by Beijing hour (0–23): quiet at night, a rise with the commute, peaks at
   * lunch and in the evening, the usual shape of a consumer app's day.
   */
  hourWeights: [3, 2, 1, 1, 1, 1, 2, 4, 6, 6, 6, 6, 8, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 5],
  /**
   * Page views after the landing page, geometric with this mean: with 1.5 sessions a day, each an
   * entry and its landing page, a daily user makes about 10 entries and page views (1.5 × (2 +
   * 4.7)), what large Mini Programs see.
   */
  extraViewsMean: 4.7,
  maxViews: 40,
  /**
   * How long a call is out before its answer reaches the phone: a mobile round trip and the
   * function's own time. Long enough for the user to act meanwhile (the share panel hides the app
   * while the share's call is out).
   */
  networkMs: 300,
  /** Time on a page before the next one, log-uniform: seconds to a minute. Against the 50 s an entry may wait, this is what decides whether a visit is one batch or two (its entry's, then its end's). */
  viewGapMs: [3_000, 60_000] as Span,
  /** A session opens a system screen (an image preview, a chooser, a payment …) once, with this chance, for this long: a pause, whose hide sends the visit's entry if it still waits. */
  screenChance: 0.2,
  screens: [
    ['previewImage', 50],
    ['chooseImage', 10],
    ['scanCode', 10],
    ['requestPayment', 10],
    ['makePhoneCall', 5],
    ['openLocation', 10],
    ['requestSubscribeMessage', 5],
  ] as readonly Weighted<SystemScreenApi>[],
  screenMs: [3_000, 30_000] as Span,
  /** A session shares a page to a chat from the menu with this chance; the share panel stays open this long (picking a chat). Shares are sent at once, and feed the cards others open. */
  shareChance: 0.1,
  sharePanelMs: [3_000, 15_000] as Span,
  /**
   * How cold starts come in, by scene: the pull-down bar and chat cards first, then QR codes,
   * search, Official Accounts, subscription messages, other Mini Programs. A rough mix of what
   * industry reports say large Mini Programs see. What it changes in the cost: group cards cost a
   * getOpenData call and a group read, card opens a share read.
   */
  scenes: [
    [1089, 31],
    [1001, 10],
    [1007, 14],
    [1008, 10],
    [1044, 2],
    [1010, 1],
    [1047, 8],
    [1048, 2],
    [1053, 6],
    [1005, 3],
    [1035, 3],
    [1058, 3],
    [1107, 3],
    [1037, 2],
    [1104, 2],
  ] as readonly Weighted<number>[],
  /** Groups the day's group cards come from: about one for every 20 users. */
  usersPerGroup: 20,
  /** Distinct detail pages and QR posters. */
  items: 50,
  posters: 20,
  /**
   * WeChat suspends a hidden Mini Program after 5 s (the simulated phone does too: its timers wait
   * for the next show) and destroys it after 30 minutes in the background: a user back sooner is a
   * hot start, later a cold one.
   */
  backgroundLifetimeMs: 30 * MINUTE,
  /** A user back within this long of a hide is still in the same place: sessions are at least this far apart. */
  minSessionGapMs: 1 * MINUTE,
  /** Phones offline for a stretch around one of their sessions (a subway, a flight, no signal): their events wait and are sent later. */
  offlineChance: 0.05,
  offlineMs: [20 * MINUTE, 6 * HOUR] as Span,
  /** A session in which one answer is lost on the way back (a weak signal): the function ran, the phone sends the batch again. */
  lostAnswerChance: 0.03,
  /** Phones whose clock is wrong, and by how much: set by hand a few minutes off, or a time zone away. */
  wrongClockChance: 0.04,
  clockOffsetsMs: [-8 * HOUR, -1 * HOUR, -7 * MINUTE, -2 * MINUTE, 3 * MINUTE, 11 * MINUTE, 1 * HOUR, 8 * HOUR],
  /** Phones with a base library older than 2.17.3: no getGroupEnterInfo, a group is known only from a 1044 card's shareTicket. */
  oldBaseLibraryChance: 0.1,
};

export type DayParameters = typeof DAY;

/** A page as WeChat opens it: its route and options. */
export interface Page {
  route: string;
  options: Record<string, string>;
}

/**
 * How a session comes in: fixed enter options, or a chat card. A card is one of those shared
 * earlier in the day, picked when the session starts (`pick`: where in the list of cards shared
 * so far), or `fallback` when none was shared yet (a card from before the day).
 */
export type Entry =
  | { kind: 'options'; options: EnterOptions & { query: Record<string, string> } }
  | { kind: 'card'; scene: number; pick: number; fallback: string; extra: Partial<EnterOptions>; group?: string };

export type Action =
  | { kind: 'launch' | 'show'; entry: Entry }
  | { kind: 'page'; page: Page }
  | { kind: 'screen'; api: SystemScreenApi; ms: number }
  | { kind: 'share'; ms: number }
  | { kind: 'goal'; name: string; id: string; value: number; verified: boolean }
  | { kind: 'hide' | 'kill' | 'offline' | 'online' | 'loseAnswer' };

/** What happens to which user's phone, when (epoch ms, the true time; a wrong phone clock reads it with its offset). */
export type Step = Action & { at: number; user: number };

export interface PlannedUser {
  openid: string;
  clockOffsetMs: number;
  oldBaseLibrary: boolean;
  /** Came before the day (`DAY.returning`); a cast's users are all new to the bench's draw (its `scenes` may say otherwise). */
  returning: boolean;
}

/**
 * Who the day's users are and how some of them come in, when a plan of many days (the demo) says
 * so: `openids` names each planned user (a returning user keeps the openid of the days before;
 * by default `o-day-000000` …), and `entry` may give a user's cold start another entry than the
 * drawn scene's default (the operator's own codes, a message the user received).
 */
export interface Cast {
  openids?: readonly string[];
  /**
   * The mix a user's cold start is drawn from, when not the day's `scenes` (`first`: the user's
   * first session of the day): the demo's new users first come in through a way of discovering
   * the Mini Program, never through a list of those already used. One draw either way, so a cast
   * that answers the day's mix plans the same day.
   */
  scenes?(user: number, first: boolean): readonly Weighted<number>[];
  entry?(user: number, scene: number, random: () => number): Entry | undefined;
  /**
   * Paid orders, reported with the tracker's `goal` (`order_paid`, the order number, its value in
   * fen): a session that came in through `scene` ends with one with the chance `chance(scene)`,
   * its value log-uniform in `fen`; with the chance `verified` the operator's own function reports
   * it too (`play.ts`). The bench's day has none (its figures are of the day without goals), so
   * its draws are made only when a cast asks for orders.
   */
  orders?: { chance(scene: number): number; fen: readonly [number, number]; verified: number };
}

export interface Day {
  parameters: DayParameters;
  /** 00:00 of the day, Beijing time. */
  start: number;
  users: PlannedUser[];
  steps: Step[];
  sessions: number;
  hotStarts: number;
  offlinePhones: number;
  lostAnswers: number;
}

export const DETAIL = 'pages/detail/detail';
const HOME = 'pages/index/index';
const OTHER_PAGES = ['pages/list/list', 'pages/cart/cart', 'pages/me/me'];
/** Hot starts come back through the places a user goes to return: never the same options as the visit before, or it would be a pause. */
const RETURN_SCENES = [1089, 1001];

/**
 * Whether `scene` is a way back that only a user who came before can take. The catalog's Quick
 * entry category: the lists WeChat keeps of the Mini Programs a user has used or saved (the
 * pull-down bar's and the Discover page's 最近使用 and 我的小程序, favourites, a floating window, a
 * home-screen icon); it also holds a few of the Discover page's own suggestions (1145 发现小程序 and
 * its lists), which the days never draw. And the catalog's Templated messages: a subscription
 * message goes only to a user who accepted its template in the Mini Program.
 */
export const isWayBack = (scene: number): boolean => ['Quick entry', 'Templated messages'].includes(classifyScene(scene).category);

/** The draws the plan makes, all from one seeded generator. */
class Draw {
  constructor(readonly random: () => number) {}

  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  weighted<T>(list: readonly Weighted<T>[]): T {
    let left = this.random() * list.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of list) if ((left -= weight) < 0) return value;
    return list[list.length - 1][0];
  }

  /** Log-uniform between the bounds, whole milliseconds: as many short ones as long ones per doubling. */
  between([low, high]: readonly [number, number]): number {
    return Math.round(low * (high / low) ** this.random());
  }

  /** Geometric (0, 1, 2 …) with this mean. */
  geometric(mean: number): number {
    return Math.floor(Math.log(1 - this.random()) / Math.log(mean / (mean + 1)));
  }
}

/** The enter options of a cold start through `scene`. */
function entryOf(scene: number, draw: Draw, parameters: DayParameters, groups: number): Entry {
  const item = String(1 + draw.int(parameters.items));
  const options = (path: string, query: Record<string, string>, extra: Partial<EnterOptions> = {}): Entry => ({ kind: 'options', options: { scene, path, query, ...extra } });
  const card = (extra: Partial<EnterOptions>, group?: string): Entry => ({ kind: 'card', scene, pick: draw.random(), fallback: `/${DETAIL}?id=${item}`, extra, ...(group === undefined ? {} : { group }) });
  const group = `group-${draw.int(groups)}`;
  switch (scene) {
    case 1007:
      return card({ chatType: 1 });
    case 1008:
      return card({ chatType: 3 }, group);
    case 1044:
      return card({ chatType: 3, shareTicket: `ticket-${group}` }, group);
    case 1010:
      return card({});
    case 1047:
    case 1048:
      // a Mini Program code packs its channel into `scene`
      return options(HOME, { scene: encodeURIComponent(`rk_ch=poster${1 + draw.int(parameters.posters)}`) });
    case 1035:
    case 1058:
      return options(DETAIL, { id: item, utm_source: 'official-account', utm_campaign: 'may' });
    case 1107:
      return options(DETAIL, { id: item, rk_msg: `order-shipped-${item}` });
    case 1037:
      return options(HOME, {}, { referrerInfo: { appId: 'wxpartner00000001', extraData: { from: 'partner' } } });
    default:
      return options(HOME, {});
  }
}

/** Where a session lands: cards are of detail pages. */
const landsOn = (entry: Entry): string => (entry.kind === 'card' ? DETAIL : entry.options.path);

function pageOf(draw: Draw, parameters: DayParameters, detail: boolean): Page {
  if (detail || draw.chance(0.5)) return { route: DETAIL, options: { id: String(1 + draw.int(parameters.items)) } };
  const route = draw.chance(0.3) ? HOME : OTHER_PAGES[draw.int(OTHER_PAGES.length)];
  return { route, options: {} };
}

/** A moment of the day, drawn by the hour weights: uniform within the hour. */
function timeOfDay(draw: Draw, parameters: DayParameters): number {
  const hour = draw.weighted(parameters.hourWeights.map((weight, hour) => [hour, weight] as const));
  return hour * HOUR + draw.int(HOUR);
}

/**
 * Plans the day. Each user's sessions are drawn by the hour, at least `minSessionGapMs` apart;
 * each is an entry (a cold start, or a hot one within the background lifetime), page views, maybe
 * a system screen and a share, then a hide. The process is destroyed `backgroundLifetimeMs` after
 * a hide unless the user came back; offline stretches and lost answers are steps of their own.
 */
export function planDay(parameters: DayParameters = DAY, cast: Cast = {}): Day {
  const draw = new Draw(prng(parameters.seed));
  const start = Date.parse(`${parameters.day}T00:00:00+08:00`);
  const end = start + 24 * HOUR;
  const users = cast.openids?.length ?? parameters.users;
  const groups = Math.max(3, Math.round(users / parameters.usersPerGroup));
  const steps: (Step & { order: number })[] = [];
  const day: Day = { parameters, start, users: [], steps: [], sessions: 0, hotStarts: 0, offlinePhones: 0, lostAnswers: 0 };
  const push = (user: number, at: number, action: Action): void => void steps.push({ ...action, at, user, order: steps.length });
  // drawn apart, so that the share changes who came before and nothing else of the day
  const before = new Draw(prng(parameters.seed + 1));
  const discovery = parameters.scenes.filter(([scene]) => !isWayBack(scene));

  for (let user = 0; user < users; user++) {
    day.users.push({
      openid: cast.openids?.[user] ?? `o-day-${String(user).padStart(6, '0')}`,
      clockOffsetMs: draw.chance(parameters.wrongClockChance) ? parameters.clockOffsetsMs[draw.int(parameters.clockOffsetsMs.length)] : 0,
      oldBaseLibrary: draw.chance(parameters.oldBaseLibraryChance),
      returning: !cast.openids && before.chance(parameters.returning),
    });
    const { returning: cameBefore } = day.users[user];
    const starts = Array.from({ length: draw.weighted(parameters.sessionsPerUser) }, () => start + timeOfDay(draw, parameters)).sort((a, b) => a - b);
    const begins: number[] = [];
    let previous: { hiddenAt: number; scene: number } | undefined;
    for (const drawn of starts) {
      const begin = previous ? Math.max(drawn, previous.hiddenAt + parameters.minSessionGapMs) : drawn;
      if (begin >= end) break;
      begins.push(begin);
      const hot = previous !== undefined && begin - previous.hiddenAt < parameters.backgroundLifetimeMs;
      if (previous && !hot) push(user, previous.hiddenAt + parameters.backgroundLifetimeMs, { kind: 'kill' });
      if (draw.chance(parameters.lostAnswerChance)) {
        push(user, begin, { kind: 'loseAnswer' });
        day.lostAnswers++;
      }
      const returning = RETURN_SCENES.find((scene) => scene !== previous?.scene) ?? RETURN_SCENES[0];
      const first = previous === undefined;
      const scene = hot ? returning : draw.weighted(cast.scenes?.(user, first) ?? (first && !cameBefore ? discovery : parameters.scenes));
      const entry: Entry = hot ? { kind: 'options', options: { scene, path: HOME, query: {} } } : (cast.entry?.(user, scene, draw.random) ?? entryOf(scene, draw, parameters, groups));
      push(user, begin, { kind: hot ? 'show' : 'launch', entry });

      // view 0 is the landing page of a cold start, or the page a hot start shows again
      const views: (Page | undefined)[] = [undefined];
      for (let extra = Math.min(draw.geometric(parameters.extraViewsMean), parameters.maxViews - 1); extra > 0; extra--) views.push(pageOf(draw, parameters, false));
      const screenAfter = draw.chance(parameters.screenChance) ? draw.int(views.length) : -1;
      let shareAfter = -1;
      if (draw.chance(parameters.shareChance)) {
        // shared from a detail page: the landing one of a cold start, or a view made one
        const detailViews = views.flatMap((page, k) => ((k === 0 ? !hot && landsOn(entry) === DETAIL : page?.route === DETAIL) ? [k] : []));
        if (detailViews.length > 0) shareAfter = detailViews[draw.int(detailViews.length)];
        else if (views.length > 1) {
          shareAfter = 1 + draw.int(views.length - 1);
          views[shareAfter] = pageOf(draw, parameters, true);
        }
      }
      let at = begin;
      views.forEach((page, k) => {
        if (page) push(user, (at += draw.between(parameters.viewGapMs)), { kind: 'page', page });
        if (k === screenAfter) {
          const ms = draw.between(parameters.screenMs);
          push(user, (at += 1_000 + draw.int(4_000)), { kind: 'screen', api: draw.weighted(parameters.screens), ms });
          at += ms + 500;
        }
        if (k === shareAfter) {
          const ms = draw.between(parameters.sharePanelMs);
          push(user, (at += 1_000 + draw.int(4_000)), { kind: 'share', ms });
          at += ms + 500;
        }
      });
      const entered = entry.kind === 'card' ? entry.scene : Number(entry.options.scene);
      if (cast.orders && draw.chance(cast.orders.chance(entered))) {
        // whole jiao, as prices are; the order number is the day's and the session's, unique over a demo
        const value = Math.round(draw.between(cast.orders.fen) / 10) * 10;
        const id = `${parameters.day.replaceAll('-', '')}${String(day.sessions).padStart(5, '0')}`;
        push(user, (at += draw.between(parameters.viewGapMs)), { kind: 'goal', name: 'order_paid', id, value, verified: draw.chance(cast.orders.verified) });
      }
      push(user, (at += draw.between(parameters.viewGapMs)), { kind: 'hide' });
      previous = { hiddenAt: at, scene: entered };
      day.sessions++;
      if (hot) day.hotStarts++;
    }
    if (previous) push(user, previous.hiddenAt + parameters.backgroundLifetimeMs, { kind: 'kill' });
    if (begins.length > 0 && draw.chance(parameters.offlineChance)) {
      // offline from a little before one of the sessions, back online within the day
      const offline = Math.max(start, begins[draw.int(begins.length)] - 1 - draw.int(20 * MINUTE));
      push(user, offline, { kind: 'offline' });
      push(user, Math.min(end, offline + draw.between(parameters.offlineMs)), { kind: 'online' });
      day.offlinePhones++;
    }
  }
  day.steps = steps.sort((a, b) => a.at - b.at || a.order - b.order).map(({ order: _order, ...step }) => step as Step);
  return day;
}

/**
 * The visits that made the day's returning users known (`DAY.returning`): one each, on the day
 * before, short and trouble-free, through a way of discovery. Played before the day on the phones
 * the day goes on with, and not counted: the day then finds what a real one does, their phones
 * holding the tracker's share prefix and `track` holding their user and user-day documents.
 */
export function planHistory(day: Day): Day {
  const openids = day.users.filter((user) => user.returning).map((user) => user.openid);
  const quiet = { offlineChance: 0, lostAnswerChance: 0, wrongClockChance: 0, shareChance: 0 };
  const parameters = { ...day.parameters, ...quiet, day: addDays(day.parameters.day, -1), seed: day.parameters.seed + 2, sessionsPerUser: [[1, 1]] as const, extraViewsMean: 1 };
  // a cast's users are new to the draw: each comes in through a way of discovery
  return planDay(parameters, { openids });
}
