/**
 * Plays a planned day (`day.ts`) on simulated phones running the real tracker, against an
 * emulator running the real `track`, on one time line for everyone: the next thing to happen — a
 * planned step, or a phone's own timer (a batch's delay, a retry, a system screen closing) —
 * happens next, with the emulator's clock brought to it before a call goes out, so that the
 * server's time and the phones' agree (but for the phones whose clocks are wrong, by their offset).
 * Calls take no time on that line: each is answered before anything else happens.
 *
 * Why before every call: `track` places a batch's events by the server's receipt less their age
 * on the phone (`eventTime`), so a clock lagging the time line by one amount for one batch and
 * another for the next moves a visit's batches apart or together, and reorders them.
 */
import type { ChatShare, QueueCounts } from '../../packages/rukou-tracker/src/tracker';
import { gateway, openedFrom, SimulatedPhone, type Backend, type PageDefinition, type PageInstance } from '../../test/client/simulated-wx';
import { emulatorNow, invokeAs, issueGroupCloudId, moveClock } from '../../test/helpers/emulator';
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
  /** The most the emulator's clock ran ahead of the day's time line, and the most it lagged behind, when a call went out. */
  serverAheadMs: number;
  serverBehindMs: number;
}

/** How a day is played, beyond its plan. */
export interface PlayOptions {
  /** Phones kept from the days before, by openid (their storage, what the tracker kept): a returning user's own phone. Phones made today are added. */
  phones?: Map<string, SimulatedPhone>;
  /**
   * The time line is played in slices this long (1 s by default): before the first call a slice
   * makes, the emulator's clock is moved to the slice's start if it is behind it (a move is an HTTP
   * request; a slice that calls nothing moves nothing), so a call's event times lie up to this
   * much earlier than the time line, and a visit's gaps are kept within it.
   */
  slackMs?: number;
  /**
   * Users played side by side (1 by default): each lane takes every `lanes`-th user and plays its
   * steps while the others play theirs, the clock moved for all of them at once, so that the
   * emulator's function workers run several calls at a time. Calls then overlap on the time line.
   */
  lanes?: number;
}

/**
 * The emulator's clock, kept with the day's time line where it matters: when a call goes out.
 * Between moves it ticks at the machine's pace, while the day plays far faster, so before a call
 * it is moved to the start of the slice being played if it is behind it; where the day plays
 * slower than the machine's time (a burst of calls), it runs ahead instead.
 */
class ServerClock {
  aheadMs = 0;
  behindMs = 0;
  private movedTo = 0;
  private movedAt = 0;
  /** The start of the slice being played: where a call finds the clock, at the least. */
  private sliceAt = -Infinity;
  private moving?: Promise<void>;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    this.movedTo = await emulatorNow(this.url);
    this.movedAt = performance.now();
  }

  private now(): number {
    return this.movedTo + (performance.now() - this.movedAt);
  }

  /** A slice of the time line starts at `at` (epoch ms): nothing moves until one of its calls. */
  slice(at: number): void {
    this.sliceAt = at;
  }

  /** Before a call made at `at` on the time line: the clock brought to the slice's start (one move, whichever lane calls first). */
  async call(at: number): Promise<void> {
    while (this.moving) await this.moving;
    if (this.now() < this.sliceAt) {
      this.moving = this.move(this.sliceAt).finally(() => (this.moving = undefined));
      await this.moving;
    }
    const lag = at - this.now();
    this.aheadMs = Math.max(this.aheadMs, -lag);
    this.behindMs = Math.max(this.behindMs, lag);
  }

  private async move(at: number): Promise<void> {
    const moved = await moveClock(this.url, { set: new Date(at).toISOString() });
    if (moved.status !== 200) throw new Error(`the emulator's clock did not move to ${new Date(at).toISOString()}: ${moved.status} ${moved.message}`);
    this.movedTo = Date.parse(moved.now);
    this.movedAt = performance.now();
  }
}

/**
 * What a phone does before each call it makes, set by the day it is played in: a phone kept from
 * the days before calls through the backend it was made with, which asks here.
 */
const beforeCall = new WeakMap<SimulatedPhone, () => Promise<void>>();

/** The emulator's client gateway, reached once the day playing `phone` has readied the clock. */
function gatewayOf(url: string, phone: () => SimulatedPhone): Backend {
  const backend = gateway(url, APP);
  return async (...args) => {
    await beforeCall.get(phone())?.();
    return backend(...args);
  };
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

class DayPlayer {
  private readonly players = new Map<number, Player>();
  private readonly cards: string[] = [];
  /** Cards shared in the slack being played: others can open them from the next one on, in the order they were shared whichever lane shared them first. */
  private shared: { at: number; user: number; path: string }[] = [];
  private readonly clock: ServerClock;
  private readonly phones: Map<string, SimulatedPhone>;
  private readonly slackMs: number;
  private readonly lanes: number;

  constructor(
    private readonly day: Day,
    private readonly url: string,
    options: PlayOptions,
  ) {
    this.slackMs = options.slackMs ?? 1000;
    this.lanes = options.lanes ?? 1;
    this.clock = new ServerClock(url);
    this.phones = options.phones ?? new Map();
  }

  /** The user's phone (kept from a day before, or made at their first step with its clock as wrong as planned). */
  private player(step: Step): Player {
    const found = this.players.get(step.user);
    if (found) return found;
    const user = this.day.users[step.user];
    const kept = this.phones.get(user.openid);
    const phone: SimulatedPhone = kept ?? new SimulatedPhone(user.openid, gatewayOf(this.url, () => phone), {}, step.at + user.clockOffsetMs);
    this.phones.set(user.openid, phone);
    const player: Player = { user, phone };
    const ready = (): Promise<void> => this.clock.call(phone.clock.now() - user.clockOffsetMs);
    beforeCall.set(phone, ready);
    // the group APIs ask WeChat, which needs the network (and the clock: a cloudID expires)
    const cloudId = (kind: 'groupEnterInfo' | 'shareInfo') => async (): Promise<{ cloudID: string } | { errMsg: string }> => {
      if (!phone.online || player.group === undefined) return { errMsg: `${kind}:fail` };
      await ready();
      return { cloudID: (await issueGroupCloudId(this.url, { openid: user.openid, appid: APP, kind, groupId: player.group, chatType: 3 })).cloudID };
    };
    phone.group = { ...(user.oldBaseLibrary ? {} : { groupEnterInfo: cloudId('groupEnterInfo') }), shareInfo: cloudId('shareInfo') };
    this.players.set(step.user, player);
    return player;
  }

  private enterOptions(entry: Entry, player: Player): ReturnType<typeof openedFrom> {
    if (entry.kind === 'options') return entry.options;
    player.group = entry.group;
    const card = this.cards.length > 0 ? this.cards[Math.floor(entry.pick * this.cards.length)] : entry.fallback;
    return openedFrom(card, entry.scene, entry.extra);
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
    await this.clock.call(goal.at);
    const answer = await invokeAs(this.url, 'track', { v: 1, sentAt: goal.at, events: [event] }, { openid: player.user.openid, appid: APP, source: 'wx_client,scf' });
    if (!answer.result) throw new Error(`the verified report of ${goal.id} failed: ${JSON.stringify(answer)}`);
  }

  private perform(step: Step, player: Player): Promise<void> | void {
    const { phone } = player;
    switch (step.kind) {
      case 'launch': {
        const options = this.enterOptions(step.entry, player);
        phone.launch(options);
        player.top = phone.openPage(options.path, options.query, definitionOf(options.path, options.query));
        return;
      }
      case 'show':
        phone.show(this.enterOptions(step.entry, player));
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
        if (shared?.path) this.shared.push({ at: step.at, user: step.user, path: shared.path });
        return;
      }
      case 'goal':
        phone.tracker?.goal(step.name, { id: step.id, value: step.value });
        if (step.verified) return this.reportVerified(player, step);
        return;
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

  /** When the lane's next step or timer is due on the time line (Infinity: nothing left). */
  private dueAt(lane: Lane): number {
    return Math.min(lane.steps[lane.next]?.at ?? Infinity, this.nextTimer(lane)?.at ?? Infinity);
  }

  /** Plays the lane's steps (in time order) and the timers they set, in time order, up to `until` on the time line. */
  private async runLane(lane: Lane, until: number): Promise<void> {
    for (;;) {
      const step = lane.steps[lane.next];
      const timer = this.nextTimer(lane);
      const at = Math.min(step?.at ?? Infinity, timer?.at ?? Infinity);
      if (at >= until || at === Infinity) return;
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

  /**
   * Plays the steps (in time order) and the timers they set, up to `until` on the time line: a
   * slice starts at the first thing due, every lane plays what is due within the slack after it,
   * side by side (their calls find the clock at the slice's start), and so on.
   */
  private async run(steps: Step[], until = Infinity): Promise<void> {
    const lanes: Lane[] = Array.from({ length: this.lanes }, (_, k) => ({ steps: steps.filter((step) => step.user % this.lanes === k), next: 0, active: new Set() }));
    for (;;) {
      const at = Math.min(...lanes.map((lane) => this.dueAt(lane)));
      if (at > until || at === Infinity) return;
      this.clock.slice(at);
      const end = Math.min(at + this.slackMs, until + 1);
      await Promise.all(lanes.map((lane) => this.runLane(lane, end)));
      this.cards.push(...this.shared.sort((a, b) => a.at - b.at || a.user - b.user).map((card) => card.path));
      this.shared = [];
    }
  }

  async play(): Promise<PlayedDay> {
    await this.clock.start();
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
      cards: this.cards.length,
      morningAfter: late.length,
      serverAheadMs: this.clock.aheadMs,
      serverBehindMs: this.clock.behindMs,
    };
  }
}

/**
 * Plays `day` against the emulator at `url` (started with its clock before the day and its timers
 * off): every phone's tracker calls the emulator's `track` through its client gateway.
 *
 * @example
 * const phones = new Map();
 * for (const day of days) await playDay(day, url, { phones, lanes: 4 }); // a demo's weeks, returning users on their own phones
 */
export function playDay(day: Day, url: string, options: PlayOptions = {}): Promise<PlayedDay> {
  return new DayPlayer(day, url, options).play();
}
