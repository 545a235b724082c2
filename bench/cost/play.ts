/**
 * Plays a planned day (`day.ts`) on simulated phones running the real tracker, against an
 * emulator running the real `track`, on one time line for everyone: the next thing to happen — a
 * planned step, or a phone's own timer (a batch's delay, a retry, a system screen closing) —
 * happens next, with the emulator's clock moved to it first, so that the server's time and the
 * phones' agree (but for the phones whose clocks are wrong, by their offset). Calls take no time
 * on that line: each is answered before anything else happens.
 */
import type { ChatShare, QueueCounts } from '../../miniprogram/tracker/index';
import { gateway, openedFrom, SimulatedPhone, type PageDefinition, type PageInstance } from '../../test/client/simulated-wx';
import { emulatorNow, issueGroupCloudId, moveClock } from '../../test/helpers/emulator';
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
  /** The most the emulator's clock ran ahead of the day's time line, and the most it lagged behind. */
  serverAheadMs: number;
  serverBehindMs: number;
}

/**
 * The emulator's clock, kept with the day's time line. Between moves it ticks at the machine's
 * pace, while the day plays far faster, so it is moved whenever it would fall a second behind;
 * where the day plays slower than the machine's time (a burst of calls), it runs ahead instead.
 */
class ServerClock {
  aheadMs = 0;
  behindMs = 0;
  private movedTo = 0;
  private movedAt = 0;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    this.movedTo = await emulatorNow(this.url);
    this.movedAt = performance.now();
  }

  private now(): number {
    return this.movedTo + (performance.now() - this.movedAt);
  }

  async reach(at: number): Promise<void> {
    const lag = at - this.now();
    if (lag < 1000) {
      this.aheadMs = Math.max(this.aheadMs, -lag);
      this.behindMs = Math.max(this.behindMs, lag);
      return;
    }
    const moved = await moveClock(this.url, { set: new Date(at).toISOString() });
    if (moved.status !== 200) throw new Error(`the emulator's clock did not move to ${new Date(at).toISOString()}: ${moved.status} ${moved.message}`);
    this.movedTo = Date.parse(moved.now);
    this.movedAt = performance.now();
  }
}

/** A page as the app defines it: detail pages can be shared. */
function definitionOf(route: string, options: Record<string, string>): PageDefinition {
  if (route !== DETAIL) return {};
  return { onShareAppMessage: () => ({ title: `Item ${options.id}`, path: `/${DETAIL}?id=${options.id ?? '1'}` }) };
}

class DayPlayer {
  private readonly players = new Map<number, Player>();
  /** Players with timers pending: the only ones that can act without a step. */
  private readonly active = new Set<Player>();
  private readonly cards: string[] = [];
  private readonly clock: ServerClock;

  constructor(
    private readonly day: Day,
    private readonly url: string,
  ) {
    this.clock = new ServerClock(url);
  }

  /** The user's phone, made at their first step with its clock as wrong as planned. */
  private player(step: Step): Player {
    const found = this.players.get(step.user);
    if (found) return found;
    const user = this.day.users[step.user];
    const phone = new SimulatedPhone(user.openid, gateway(this.url, APP), {}, step.at + user.clockOffsetMs);
    const player: Player = { user, phone };
    // the group APIs ask WeChat, which needs the network
    const cloudId = (kind: 'groupEnterInfo' | 'shareInfo') => async (): Promise<{ cloudID: string } | { errMsg: string }> => {
      if (!phone.online || player.group === undefined) return { errMsg: `${kind}:fail` };
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

  private perform(step: Step, player: Player): void {
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
        if (shared?.path) this.cards.push(shared.path);
        return;
      }
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

  private nextTimer(): { player: Player; at: number } | undefined {
    let next: { player: Player; at: number } | undefined;
    for (const player of this.active) {
      const [delay] = player.phone.clock.pending();
      if (delay === undefined) this.active.delete(player);
      else {
        const at = player.phone.clock.now() - player.user.clockOffsetMs + delay;
        if (!next || at < next.at) next = { player, at };
      }
    }
    return next;
  }

  /** Plays the steps (in time order) and the timers they set, in time order, up to `until` on the time line. */
  private async run(steps: Step[], until = Infinity): Promise<void> {
    let next = 0;
    for (;;) {
      const step = steps[next];
      const timer = this.nextTimer();
      const at = Math.min(step?.at ?? Infinity, timer?.at ?? Infinity);
      if (at > until || at === Infinity) return;
      await this.clock.reach(at);
      if (timer && timer.at === at) await this.advance(timer.player, at);
      else {
        next++;
        const player = this.player(step);
        await this.advance(player, at);
        this.perform(step, player);
        await player.phone.settle();
        this.active.add(player);
      }
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
 */
export function playDay(day: Day, url: string): Promise<PlayedDay> {
  return new DayPlayer(day, url).play();
}
