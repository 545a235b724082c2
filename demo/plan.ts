/**
 * The demo's 45 days, planned from a seed: who comes in each day (new users, more each week, and
 * users coming back) and through which entry point, as parameters of the bench's realistic day
 * (`bench/cost/day.ts`, which `seed.ts` plays on simulated phones through the real functions).
 * Pure: days are counted back from the last one (today), never fixed dates.
 */
import { DAY, isWayBack, type Cast, type DayParameters, type Entry, type Weighted } from '../bench/cost/day';
import { prng } from '../test/helpers/rollup-trace';
import { addDays } from '../shared/time';

export const DEMO = {
  seed: 20260101,
  days: 45,
  /** New users on the first day and on the last: the Mini Program grows over the period. */
  newUsers: [26, 58] as readonly [number, number],
  /** Saturdays and Sundays bring this many times the new users of a weekday. */
  weekend: 1.2,
  /** The chance that a user comes back on a day, by the days since their last visit (1, 2–3, 4–7, 8–30, more). */
  comeBack: [0.12, 0.07, 0.04, 0.02, 0.008] as readonly number[],
  /** The stores whose counter codes people scan (most at the first), in the operator's words. */
  stores: [
    ['store-nanshan', '南山店', 5],
    ['store-futian', '福田店', 3],
    ['store-luohu', '罗湖店', 2],
  ] as readonly (readonly [string, string, number])[],
  /** The poster campaign's link: from this many days before today, for 16 days, a scene 1194 entry point among the others. */
  poster: { key: 'poster-summer', name: '夏日海报', fromDaysAgo: 30, days: 16, weight: 7 },
  /** A subscription-message campaign sent this many days before today, to the users who accepted its template (a share of those seen so far), opened over the next days. */
  campaign: { daysAgo: 12, consent: 0.15, opens: [0.3, 0.1, 0.05] as readonly number[] },
  /** Users who write to customer service each day (a share of the day's returning users), answered with a service card that most open. */
  cards: { chat: 0.04, open: 0.7 },
  /**
   * Paid orders (`order_paid`, reported by the tracker): the chance that a visit ends with one, by
   * how it came in. People who scan a store's code, open a friend's card or a message they asked
   * for came for something; people who searched are still comparing; a visit through anything else
   * orders in between. Values from a coffee to a small appliance, in fen. Most are confirmed by
   * the operator's own function too (verified); the others' confirmation never came (a closed page,
   * a lost network).
   */
  orders: {
    byScene: [
      [[1047, 1048], 0.14],
      [[1014, 1073], 0.12],
      [[1007, 1008, 1044], 0.09],
      [[1194], 0.07],
      [[1053, 1005], 0.02],
    ] as readonly (readonly [readonly number[], number])[],
    otherwise: 0.05,
    fen: [990, 39_900] as readonly [number, number],
    verified: 0.8,
  },
};

/** The chance that a visit through `scene` ends with a paid order (`DEMO.orders`). */
export const orderChance = (scene: number): number => DEMO.orders.byScene.find(([scenes]) => scenes.includes(scene))?.[1] ?? DEMO.orders.otherwise;

/**
 * How people come in on day `progress` (0 the first, 1 today): chat cards the largest source, the
 * pull-down bar rising, Official Account menus and articles, search, store codes, the poster link
 * while its campaign runs. Shapes the bench's `DAY.scenes` into the demo's story. A new user's
 * first visit is drawn from its ways of discovery only (`castOf`), so the ways back (`isWayBack`)
 * weigh on the visits of users who came before: the pull-down bar's share grows with them.
 */
export function scenesOn(progress: number, posterRuns: boolean): Weighted<number>[] {
  return [
    [1007, 22],
    [1008, 13],
    [1044, 3],
    [1089, Math.round(10 + 27 * progress)],
    [1001, 5],
    [1010, 1],
    [1035, 4],
    [1058, 4],
    [1053, 5],
    [1005, 2],
    [1047, 7],
    [1048, 1],
    [1037, 1],
    [1194, posterRuns ? DEMO.poster.weight : 0],
  ];
}

/** The bench's day, made cheaper to play and sharing more: short visits (one call each), no offline phones (whose next morning would move the clock past the next day). */
export function dayParameters(day: string, seed: number, progress: number, posterRuns: boolean): DayParameters {
  return {
    ...DAY,
    day,
    seed,
    sessionsPerUser: [
      [1, 90],
      [2, 8],
      [3, 2],
    ],
    extraViewsMean: 1.2,
    maxViews: 8,
    viewGapMs: [2_000, 9_000],
    screenChance: 0.05,
    shareChance: 0.15,
    sharePanelMs: [2_000, 6_000],
    scenes: scenesOn(progress, posterRuns),
    offlineChance: 0,
    lostAnswerChance: 0,
    wrongClockChance: 0.02,
  };
}

/** The entry options WeChat gives for each way in that the operator made (read from the simulated WeChat by `seed.ts`). */
export interface Ways {
  /** Per store key: a scan, and a long press, of its code. */
  stores: Map<string, { scan: Entry; longPress: Entry }>;
  poster?: Entry;
  /** Per openid: the message or card they received, as the tap opens it. */
  taps: Map<string, Entry>;
}

export interface PlannedDay {
  /** 0 for the first day. */
  index: number;
  day: string;
  parameters: DayParameters;
  /** The day's users: new ones first, then those coming back. */
  openids: string[];
  newUsers: number;
  /** Users who open a message or card today: their first cold start is its tap. */
  tapping: Set<string>;
  /** Users who write to customer service before they come in today. */
  chatting: string[];
  /** On the campaign's day: the users who accepted its template, to whom it is sent before they come in. */
  receivers: string[];
}

export const openidOf = (n: number): string => `o-demo-${String(n).padStart(5, '0')}`;

/** How much demo: its days, and its new users as a part of `DEMO.newUsers` (the browser tests play a small one). */
export interface Shape {
  days: number;
  scale: number;
}

/**
 * Plans every day: the same seed gives the same users on the same days. `lastDay` is today (the
 * emulator's China day); the first day is `shape.days - 1` days before it.
 */
export function planDays(lastDay: string, seed = DEMO.seed, shape: Shape = { days: DEMO.days, scale: 1 }): PlannedDay[] {
  const random = prng(seed);
  const lastSeen = new Map<string, number>();
  let made = 0;
  const receivers: string[] = [];
  const days: PlannedDay[] = [];
  for (let index = 0; index < shape.days; index++) {
    const day = addDays(lastDay, index - shape.days + 1);
    const progress = shape.days > 1 ? index / (shape.days - 1) : 1;
    const weekday = new Date(`${day}T12:00:00+08:00`).getUTCDay();
    const [low, high] = DEMO.newUsers;
    const fresh = Math.round((low + (high - low) * progress) * shape.scale * (weekday === 0 || weekday === 6 ? DEMO.weekend : 1) * (0.9 + 0.2 * random()));
    const openids = Array.from({ length: fresh }, () => openidOf(made++));
    const back: string[] = [];
    for (const [openid, seen] of lastSeen) {
      const idle = index - seen;
      const chance = DEMO.comeBack[idle <= 1 ? 0 : idle <= 3 ? 1 : idle <= 7 ? 2 : idle <= 30 ? 3 : 4];
      if (random() < chance) back.push(openid);
    }
    const daysAgo = shape.days - 1 - index;
    const tapping = new Set<string>();
    const campaignDay = daysAgo === DEMO.campaign.daysAgo;
    if (campaignDay) receivers.push(...[...lastSeen.keys()].filter(() => random() < DEMO.campaign.consent));
    const sinceCampaign = DEMO.campaign.daysAgo - daysAgo;
    if (sinceCampaign >= 0 && sinceCampaign < DEMO.campaign.opens.length) {
      for (const openid of receivers) if (random() < DEMO.campaign.opens[sinceCampaign]) tapping.add(openid);
    }
    const chatting = back.filter(() => random() < DEMO.cards.chat);
    for (const openid of chatting) if (random() < DEMO.cards.open) tapping.add(openid);
    // a message or card opened today brings its user in, whether or not they were coming
    for (const openid of tapping) if (!back.includes(openid)) back.push(openid);
    openids.push(...back);
    for (const openid of openids) lastSeen.set(openid, index);
    const posterRuns = daysAgo <= DEMO.poster.fromDaysAgo && daysAgo > DEMO.poster.fromDaysAgo - DEMO.poster.days;
    days.push({ index, day, parameters: dayParameters(day, seed + index, progress, posterRuns), openids, newUsers: fresh, tapping, chatting, receivers: campaignDay ? receivers : [] });
  }
  return days;
}

/**
 * Who comes in how, for `planDay`: a new user's first visit through a way of discovering the Mini
 * Program (the day's scenes but the recall ones, `isWayBack`), any later one through any; a user
 * who opens a message or card today comes in through its tap (their first cold start), a scan of
 * a store's code or a long press on it through that store (by the stores' weights), a link through
 * the poster's; any other scene as the bench's day has it. Visits end with a paid order by how
 * they came in (`DEMO.orders`).
 */
export function castOf(planned: PlannedDay, ways: Ways): Cast {
  const tapped = new Set<string>();
  const stores = [...ways.stores.entries()];
  const weights = DEMO.stores.map(([, , weight]) => weight);
  const store = (random: () => number): { scan: Entry; longPress: Entry } => {
    let left = random() * weights.reduce((sum, weight) => sum + weight, 0);
    for (let k = 0; k < stores.length; k++) if ((left -= weights[k]) < 0) return stores[k][1];
    return stores[stores.length - 1][1];
  };
  const discovery = planned.parameters.scenes.filter(([scene]) => !isWayBack(scene));
  return {
    openids: planned.openids,
    // a new user's first visit ever: nothing to recall it from yet
    scenes: (user, first) => (first && user < planned.newUsers ? discovery : planned.parameters.scenes),
    orders: { chance: orderChance, fen: DEMO.orders.fen, verified: DEMO.orders.verified },
    entry(user, scene, random) {
      const openid = planned.openids[user];
      const tap = ways.taps.get(openid);
      if (tap && planned.tapping.has(openid) && !tapped.has(openid)) {
        tapped.add(openid);
        return tap;
      }
      if (scene === 1047) return store(random).scan;
      if (scene === 1048) return store(random).longPress;
      if (scene === 1194) return ways.poster;
      return undefined;
    },
  };
}
