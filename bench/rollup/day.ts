/**
 * The stored documents of a realistic day, for the rollup bench: the cost bench's day
 * (`bench/cost/day.ts`: sessions by the hour, entry points, page views, system screens, shares,
 * group cards) planned a thousand users at a time, each user's day turned into the events their
 * tracker sends and handed, as one batch, to `track`'s own planner (`planBatch`,
 * `shared/track.ts`). What it answers is what `track` writes: the events, the user (a third of the
 * users are new that day; the others have a `users` document from before it) and the user-days,
 * counted by the shared counting code.
 *
 * Left out, because they change how and when events arrive, not what is stored: offline phones,
 * lost answers, wrong clocks, and the one batch per user instead of the tracker's many.
 *
 * @example
 * for (const user of storedDay(1_000_000)) await load(user.events, user.user, user.userDays);
 */
import { openedFrom } from '../../test/client/simulated-wx';
import { sharePrefix } from '../../shared/ids';
import type { ShareRecord, StoredEvent, UserDayDoc, UserDoc } from '../../shared/model';
import type { EnterInput, TrackEventInput } from '../../shared/schemas';
import { classifyScene } from '../../shared/scenes';
import { planBatch, shareIdsToRead, timedEvents, type GroupResolution } from '../../shared/track';
import { DAY, DETAIL, planDay, type Entry, type Step } from '../cost/day';

const APP = 'wxbench000000000';
/** Users planned together: the cost bench's own day, whose group chats (one per 20 users) belong to it. */
const SLICE = 1000;
/** The first day of the users who were users before the day. */
const EARLIER = '2024-01-01';
const SECRET = 'rukou-bench-share-secret';

export interface StoredUser {
  events: StoredEvent[];
  /** The `users` document: written by `track` for a new user, there from before for the others. */
  user: UserDoc;
  userDays: UserDayDoc[];
}

/** A 28-character openid, as long as WeChat's. */
const openidOf = (user: number): string => `oRkBench${String(user).padStart(20, '0')}`;

/** The `users` document of a user who first came on EARLIER through the pull-down bar. */
function earlierUser(openid: string): UserDoc {
  const scene = classifyScene(1089);
  const first = { day: EARLIER, at: new Date(`${EARLIER}T12:00:00+08:00`), scene: 1089, category: scene.category, bucket: scene.bucket };
  return { _id: openid, appid: APP, firstDay: EARLIER, first, v: 1 };
}

/** Where one user's tracker is: what it sends next, and the page a share shares. */
interface Phone {
  openid: string;
  seq: number;
  inputs: TrackEventInput[];
  enteredAt: number;
  detailId: string;
}

/**
 * The cards shared so far (by users planned before), the share records `track` made of them, and
 * each group's earliest entry: what `track` would read before planning a batch.
 */
class Recorded {
  readonly cards: string[] = [];
  readonly shares = new Map<string, ShareRecord>();
  readonly groupFirsts = new Map<string, Date>();

  add(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (event.type === 'share' && event.share) {
        this.shares.set(event.shareId, event.share);
        // the card's path: the shared page's, with the share id the tracker adds
        this.cards.push(`${event.path}&rk_sh=${event.shareId}`);
      }
      if (event.type === 'enter' && event.groupFirst && event.groupId !== undefined) this.groupFirsts.set(event.groupId, event.at);
    }
  }
}

/** A slice's group chat as the group APIs hand it to the phone, and as WeChat resolves it for `track`. */
const cloudIdOf = (slice: number, group: string): string => `cloud-${slice}-${group}`;
const openGIdOf = (cloudId: string): string => `G-${cloudId}`;

/** Client event ids as the tracker's: 20 characters, unique per install. */
const eventId = (phone: Phone): string => `${phone.openid.slice(-8)}-${String(phone.seq).padStart(11, '0')}`;

/** The enter event a launch or a show sends, and the page it lands on. */
function enterInput(phone: Phone, step: Step & { entry: Entry }, slice: number, oldBaseLibrary: boolean, recorded: Recorded): EnterInput {
  const { entry } = step;
  const base = { id: eventId(phone), seq: phone.seq++, at: step.at, type: 'enter' as const, cold: step.kind === 'launch' };
  if (entry.kind === 'options') {
    if (entry.options.query.id !== undefined) phone.detailId = entry.options.query.id;
    return { ...base, options: entry.options };
  }
  const card = recorded.cards.length > 0 ? recorded.cards[Math.floor(entry.pick * recorded.cards.length)] : entry.fallback;
  const options = openedFrom(card, entry.scene, entry.extra) as EnterInput['options'];
  phone.detailId = options.query.id ?? phone.detailId;
  // an old base library has no getGroupEnterInfo: only a card with a shareTicket tells the group
  const group = entry.group !== undefined && (!oldBaseLibrary || options.shareTicket !== undefined) ? { group: cloudIdOf(slice, entry.group) } : {};
  return { ...base, options, ...group };
}

/** The events one step makes the tracker send (a pause's show sends none: see the README's "entry"). */
function send(phone: Phone, step: Step, slice: number, oldBaseLibrary: boolean, recorded: Recorded): void {
  const hide = (pause?: string): void => {
    const stayMs = step.at - phone.enteredAt;
    phone.inputs.push({ id: eventId(phone), seq: phone.seq++, at: step.at, type: 'hide', stayMs, ...(pause === undefined ? {} : { pause }) });
  };
  switch (step.kind) {
    case 'launch':
    case 'show':
      phone.enteredAt = step.at;
      phone.inputs.push(enterInput(phone, step, slice, oldBaseLibrary, recorded));
      return;
    case 'page':
      if (step.page.route === DETAIL) phone.detailId = step.page.options.id ?? phone.detailId;
      phone.inputs.push({ id: eventId(phone), seq: phone.seq++, at: step.at, type: 'page', path: step.page.route });
      return;
    case 'screen':
      hide(step.api);
      return;
    case 'share': {
      const shareId = `${sharePrefix(SECRET, phone.openid)}${phone.openid.slice(-8)}s${phone.seq}`;
      phone.inputs.push({ id: eventId(phone), seq: phone.seq++, at: step.at, type: 'share', shareId, path: `/${DETAIL}?id=${phone.detailId}`, to: 'chat' });
      hide('share');
      return;
    }
    case 'hide':
      hide();
      return;
    default:
      // kill, offline, online, lost answers: when events arrive, not what is stored
      return;
  }
}

/** `track`'s plan of one user's day, sent as one batch at the end of it. */
function planUser(openid: string, inputs: TrackEventInput[], isNew: boolean, recorded: Recorded): StoredUser {
  const now = new Date(inputs[inputs.length - 1].at + 1000);
  const timed = timedEvents({ events: inputs, sentAt: now.getTime() }, now);
  const shares = new Map(shareIdsToRead(inputs).flatMap((shareId) => (recorded.shares.has(shareId) ? [[shareId, recorded.shares.get(shareId) as ShareRecord] as const] : [])));
  const groups = new Map<string, GroupResolution>();
  const groupFirsts = new Map<string, Date>();
  for (const input of inputs) {
    if (input.type !== 'enter' || input.group === undefined) continue;
    const openGId = openGIdOf(input.group);
    groups.set(input.group, { openGId, chatType: 3 });
    const first = recorded.groupFirsts.get(openGId);
    if (first) groupFirsts.set(openGId, first);
  }
  const before = isNew ? undefined : earlierUser(openid);
  const plan = planBatch(timed, { identity: { openid, appid: APP }, now, sharePrefix: sharePrefix(SECRET, openid) }, { userDays: new Map(), userRead: true, ...(before ? { user: before } : {}), shares, groups, groupFirsts });
  const user = plan.user?.kind === 'create' ? plan.user.doc : before;
  if (!user) throw new Error(`track planned no user for ${openid}`);
  recorded.add(plan.events);
  // no user-day was there before the batch: each write is the whole document
  return { events: plan.events, user, userDays: plan.userDays.map((write) => write.doc) };
}

/**
 * The day's users, one at a time, until `events` events are made (the last user's day cut there):
 * the cost bench's day planned SLICE users at a time, each slice with a seed of its own.
 */
export function* storedDay(events: number): Generator<StoredUser> {
  const recorded = new Recorded();
  let made = 0;
  for (let slice = 0; made < events; slice++) {
    const day = planDay({ ...DAY, users: SLICE, seed: DAY.seed + slice });
    const steps = new Map<number, Step[]>();
    for (const step of day.steps) {
      const ofUser = steps.get(step.user);
      if (ofUser) ofUser.push(step);
      else steps.set(step.user, [step]);
    }
    for (const [index, ofUser] of steps) {
      const user = slice * SLICE + index;
      const phone: Phone = { openid: openidOf(user), seq: 1, inputs: [], enteredAt: 0, detailId: '1' };
      for (const step of ofUser) send(phone, step, slice, day.users[index].oldBaseLibrary, recorded);
      const inputs = phone.inputs.slice(0, events - made);
      if (inputs.length === 0) continue;
      made += inputs.length;
      yield planUser(phone.openid, inputs, user % 3 === 0, recorded);
      if (made >= events) return;
    }
  }
}
