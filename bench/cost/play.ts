/**
 * Plays a planned day (`day.ts`) on simulated phones running the real tracker, against an
 * emulator running the real `track`, on one time line for everyone: the next thing to happen — a
 * planned step, or a phone's own timer (a batch's delay, a retry, a system screen closing) —
 * happens next. Each call goes out at its instant on that line (the gateway's `x-rukou-at`, as
 * each group cloudID is issued at it), so that the server's time and the phones' agree (but for
 * the phones whose clocks are wrong, by their offset); the emulator's clock itself stays where it
 * is. Calls take no time on that line: each is answered before its user does anything else.
 *
 * Why every call carries its instant: `track` places a batch's events by the server's receipt less
 * their age on the phone (`eventTime`), so a receipt off the time line by one amount for one batch
 * and another for the next moves a visit's batches apart or together, and reorders them. A clock
 * moved along the line instead cost a request before each call, and kept the lanes together.
 */
import type { ChatShare, QueueCounts } from '../../packages/rukou-tracker/src/tracker';
import { gateway, openedFrom, SimulatedPhone, type Backend, type PageDefinition, type PageInstance } from '../../test/client/simulated-wx';
import { invokeAs, issueGroupCloudId } from '../../test/helpers/emulator';
import { DETAIL, type Day, type Entry, type PlannedUser, type Step } from './day';

/** The Mini Program the phones run. */
export const APP = 'wx0000000000000000';
/** The morning after: phones whose process died with events queued (offline at the time) launch again and send them. */
const MORNING_AFTER_MS = 32 * 3600_000;
/** How long the morning after may take to deliver before the bench gives up and reports what is left on the phones. */
const MORNING_LIMIT_MS = 3600_000;

interface Player {
  user: PlannedUser;
  phone: SimulatedPhone;
  /** The page on top, which a share shares. */
  top?: PageInstance;
  /** The group of the card being opened, for the group APIs' answers. */
  group?: string;
  /** The outbox's counts when the process was last destroyed. */
  countsAtKill?: QueueCounts;
}

export interface PlayedPhone {
  openid: string;
  phone: SimulatedPhone;
  /** What the tracker says is left on the phone at the end: queued, dropped, rejected. */
  counts: QueueCounts;
}

export interface PlayedDay {
  phones: PlayedPhone[];
  /** Cards shared during the day (the cards later sessions open). */
  cards: number;
  /** Phones that launched again the morning after to send what their destroyed process left queued. */
  morningAfter: number;
}

/** How a day is played, beyond its plan. */
export interface PlayOptions {
  /** Phones kept from the days before, by openid (their storage, what the tracker kept): a returning user's own phone. Phones made today are added. */
  phones?: Map<string, SimulatedPhone>;
  /**
   * How long after a share others can open its card (1 s by default): a card opened at a moment
   * is drawn from the day's shares planned this long before it or earlier, in their order.
   */
  cardDelayMs?: number;
  /**
   * Users played side by side (1 by default): each lane takes every `lanes`-th user and plays its
   * steps while the others play theirs, each call at its own instant, so that the emulator's
   * function workers run several calls at a time. A lane opening a card waits for the share it
   * drew to be made, by whichever lane plays its user; nothing else holds a lane back.
   */
  lanes?: number;
}

/**
 * Where a phone is on the day's time line (epoch ms), set by the day it is played in: a phone
 * kept from the days before calls through the backend it was made with, which asks here.
 */
const instantOf = new WeakMap<SimulatedPhone, () => number>();

/** The emulator's client gateway, each call made at the instant the day playing `phone` has it at. */
function gatewayOf(url: string, phone: () => SimulatedPhone): Backend {
  return gateway(url, APP, () => instantOf.get(phone())?.());
}

/** A page as the app defines it: detail pages can be shared. */
function definitionOf(route: string, options: Record<string, string>): PageDefinition {
  if (route !== DETAIL) return {};
  return { onShareAppMessage: () => ({ title: `Item ${options.id}`, path: `/${DETAIL}?id=${options.id ?? '1'}` }) };
}

/** A share of the users, played on its own beside the others: its steps, where it has got to, and its players with timers pending (the only ones that can act without a step). */
interface Lane {
  steps: Step[];
  next: number;
  active: Set<Player>;
}

/** A share step of the day's plan, and the card it makes when its user gets to it (none: the page on top made none). */
interface PlannedShare {
  at: number;
  card: Promise<string | undefined>;
  made(path: string | undefined): void;
}

class DayPlayer {
  private readonly players = new Map<number, Player>();
  /** The day's shares in time order (then by user): a card's draw depends on the plan alone, not on which lane ran ahead. */
  private readonly shares: PlannedShare[];
  private readonly shareOf = new Map<Step, PlannedShare>();
  private cards = 0;
  private readonly phones: Map<string, SimulatedPhone>;
  private readonly cardDelayMs: number;
  private readonly lanes: number;

  constructor(
    private readonly day: Day,
    private readonly url: string,
    options: PlayOptions,
  ) {
    this.cardDelayMs = options.cardDelayMs ?? 1000;
    this.lanes = options.lanes ?? 1;
    this.phones = options.phones ?? new Map();
    const planned = day.steps.filter((step) => step.kind === 'share').sort((a, b) => a.at - b.at || a.user - b.user);
    this.shares = planned.map((step) => {
      let made!: (path: string | undefined) => void;
      const card = new Promise<string | undefined>((resolve) => (made = resolve));
      const share: PlannedShare = { at: step.at, card, made };
      this.shareOf.set(step, share);
      return share;
    });
  }

  /** The user's phone (kept from a day before, or made at their first step with its clock as wrong as planned). */
  private player(step: Step): Player {
    const found = this.players.get(step.user);
    if (found) return found;
    const user = this.day.users[step.user];
    const kept = this.phones.get(user.openid);
    const phone: SimulatedPhone = kept ?? new SimulatedPhone(user.openid, gatewayOf(this.url, () => phone), {}, step.at + user.clockOffsetMs);
    phone.networkMs = this.day.parameters.networkMs;
    this.phones.set(user.openid, phone);
    const player: Player = { user, phone };
    const instant = (): number => phone.clock.now() - user.clockOffsetMs;
    instantOf.set(phone, instant);
    // the group APIs ask WeChat, which needs the network; a cloudID expires 5 minutes after it is issued
    const cloudId = (kind: 'groupEnterInfo' | 'shareInfo') => async (): Promise<{ cloudID: string } | { errMsg: string }> => {
      if (!phone.online || player.group === undefined) return { errMsg: `${kind}:fail` };
      return { cloudID: (await issueGroupCloudId(this.url, { openid: user.openid, appid: APP, kind, groupId: player.group, chatType: 3, issuedAt: instant() })).cloudID };
    };
    phone.group = { ...(user.oldBaseLibrary ? {} : { groupEnterInfo: cloudId('groupEnterInfo') }), shareInfo: cloudId('shareInfo') };
    this.players.set(step.user, player);
    return player;
  }

  /**
   * A card opened at `at`: one of the shares planned `cardDelayMs` before it or earlier (`pick`),
   * once its user has made it, in whichever lane; the entry's fallback when none was planned yet,
   * or the share drawn made no card.
   */
  private async enterOptions(entry: Entry, player: Player, at: number): Promise<ReturnType<typeof openedFrom>> {
    if (entry.kind === 'options') return entry.options;
    player.group = entry.group;
    const before = this.shares.filter((share) => share.at <= at - this.cardDelayMs);
    const card = before.length > 0 ? await before[Math.floor(entry.pick * before.length)].card : undefined;
    return openedFrom(card ?? entry.fallback, entry.scene, entry.extra);
  }

  /**
   * The operator's own function confirming the paid order after the page's report, as the README's
   * `confirmOrder` does: `track` called with the user's OPENID and SOURCE "wx_client,scf", which
   * the emulator's gateway gives a function that another one calls, so the goal is verified. Sent
   * through the gateway rather than a deployed function: the demo runs on the operator's project,
   * which has none of theirs.
   */
  private async reportVerified(player: Player, goal: Extract<Step, { kind: 'goal' }>): Promise<void> {
    const event = { id: `srv-${goal.id}`, seq: 0, at: goal.at, type: 'goal', name: goal.name, goalId: goal.id, value: goal.value };
    const answer = await invokeAs(this.url, 'track', { v: 1, sentAt: goal.at, events: [event] }, { openid: player.user.openid, appid: APP, source: 'wx_client,scf' }, { at: goal.at });
    if (!answer.result) throw new Error(`the verified report of ${goal.id} failed: ${JSON.stringify(answer)}`);
  }

  private async perform(step: Step, player: Player): Promise<void> {
    const { phone } = player;
    switch (step.kind) {
      case 'launch': {
        const options = await this.enterOptions(step.entry, player, step.at);
        phone.launch(options);
        player.top = phone.openPage(options.path, options.query, definitionOf(options.path, options.query));
        return;
      }
      case 'show':
        phone.show(await this.enterOptions(step.entry, player, step.at));
        return;
      case 'page':
        player.top = phone.openPage(step.page.route, step.page.options, definitionOf(step.page.route, step.page.options));
        return;
      case 'screen':
        phone.systemScreenMs = step.ms;
        phone.wx?.[step.api]();
        return;
      case 'share': {
        phone.systemScreenMs = step.ms;
        const shared = player.top && (phone.shareFromMenu(player.top) as ChatShare | undefined);
        const card = shared?.path || undefined;
        if (card) this.cards++;
        // opened once the share has gone out (at once) and been answered: its record is there before any return names it
        await phone.settle();
        this.shareOf.get(step)?.made(card);
        return;
      }
      case 'goal':
        phone.tracker?.goal(step.name, { id: step.id, value: step.value });
        if (!step.verified) return;
        // after the page's report, as the operator's function confirms it: a lane has one call out at a time
        await phone.settle();
        return this.reportVerified(player, step);
      case 'hide':
        phone.hide();
        return;
      case 'kill':
        player.countsAtKill = phone.tracker?.counts();
        phone.kill();
        return;
      case 'offline':
      case 'online':
        phone.online = step.kind === 'online';
        return;
      case 'loseAnswer':
        phone.lostAnswers++;
        return;
    }
  }

  /** Brings a phone's clock to `at` on the time line, firing its timers on the way. */
  private async advance(player: Player, at: number): Promise<void> {
    await player.phone.advance(at + player.user.clockOffsetMs - player.phone.clock.now());
  }

  private nextTimer(lane: Lane): { player: Player; at: number } | undefined {
    let next: { player: Player; at: number } | undefined;
    for (const player of lane.active) {
      const [delay] = player.phone.clock.pending();
      if (delay === undefined) lane.active.delete(player);
      else {
        const at = player.phone.clock.now() - player.user.clockOffsetMs + delay;
        if (!next || at < next.at) next = { player, at };
      }
    }
    return next;
  }

  /** Plays the lane's steps (in time order) and the timers they set, in time order, up to `until` on the time line. */
  private async runLane(lane: Lane, until: number): Promise<void> {
    for (;;) {
      const step = lane.steps[lane.next];
      const timer = this.nextTimer(lane);
      const at = Math.min(step?.at ?? Infinity, timer?.at ?? Infinity);
      if (at > until || at === Infinity) return;
      if (timer && timer.at === at) await this.advance(timer.player, at);
      else {
        lane.next++;
        const player = this.player(step);
        await this.advance(player, at);
        await this.perform(step, player);
        await player.phone.settle();
        lane.active.add(player);
      }
    }
  }

  /** Plays the steps (in time order) and the timers they set, up to `until` on the time line, the lanes side by side. */
  private async run(steps: Step[], until = Infinity): Promise<void> {
    const lanes: Lane[] = Array.from({ length: this.lanes }, (_, k) => ({ steps: steps.filter((step) => step.user % this.lanes === k), next: 0, active: new Set() }));
    await Promise.all(lanes.map((lane) => this.runLane(lane, until)));
  }

  async play(): Promise<PlayedDay> {
    await this.run(this.day.steps);
    // every process was destroyed after its last hide; those that died with events queued launch the next morning
    const morning = this.day.start + MORNING_AFTER_MS;
    const late = [...this.players].filter(([, player]) => (player.countsAtKill?.queued ?? 0) > 0);
    const steps: Step[] = late.flatMap(([user], k) => {
      const at = morning + k * 1000;
      return [
        { at, user, kind: 'online' as const },
        { at, user, kind: 'launch' as const, entry: { kind: 'options' as const, options: { scene: 1089, path: 'pages/index/index', query: {} } } },
        { at: at + 10_000, user, kind: 'hide' as const },
      ];
    });
    // in time order, like the day's (the sort is stable: a phone's online comes before its launch)
    await this.run(steps.sort((a, b) => a.at - b.at), morning + MORNING_LIMIT_MS);
    const nothing: QueueCounts = { queued: 0, dropped: 0, rejected: 0 };
    return {
      phones: [...this.players.values()].map(({ user, phone, countsAtKill }) => ({ openid: user.openid, phone, counts: phone.tracker?.counts() ?? countsAtKill ?? nothing })),
      cards: this.cards,
      morningAfter: late.length,
    };
  }
}

/**
 * Plays `day` against the emulator at `url` (timers off): every phone's tracker calls the
 * emulator's `track` through its client gateway, at the call's instant on the day's time line.
 *
 * @example
 * const phones = new Map();
 * for (const day of days) await playDay(day, url, { phones, lanes: 4 }); // a demo's weeks, returning users on their own phones
 */
export function playDay(day: Day, url: string, options: PlayOptions = {}): Promise<PlayedDay> {
  return new DayPlayer(day, url, options).play();
}
