/**
 * What a `track` batch changes, computed without any I/O: from the validated events, the caller
 * WeChat vouched for, the server time, the caller's share prefix and what was read beforehand
 * (the caller's user-days of the batch's days, their `users` document when needed, the shares
 * referenced, the group cloudIDs resolved), build every document to write.
 *
 * Time: every event gets its event time (`eventTime`: the phone's `at` corrected by the batch's
 * `sentAt`), and its `day` is the China day of that time.
 *
 * Counting: entries and shares are counted into their day's user-day (`shared/user-days.ts`),
 * which remembers the ids it counted: an event a user-day counted is not counted again, and is
 * stored again only if a crash kept it from being stored. Page views and hides are only stored.
 *
 * Goals: each goal event is merged into its goal's document (`shared/goal-plan.ts`: one goal per
 * user, name and goalId, verified when a cloud function called `track`), and the goal is held,
 * credited under every model (`shared/attribution.ts`), by the user-day of its day; the goals a
 * written user-day holds are credited again with the batch's entries. An entry naming a message
 * or card that it opened (`openOf`) carries the template or rule goals credit.
 *
 * Share rules (the verified share graph):
 * - A `share` event records the share when its id carries the caller's share prefix (issued to
 *   them, see `shared/ids.ts`) and nobody recorded it yet: the id belongs to the caller, with a
 *   depth and root taken from how they arrived (their latest entry before it). Arriving through
 *   someone else's card makes the new share a child (depth + 1, same root); through one's own
 *   card, a sibling of that card (same depth, root and parent); any other arrival, a root
 *   (depth 1). An id not issued to the caller is kept as a share intent with a warning and
 *   recorded for no one.
 * - An `enter` with `rk_sh` is attributed to that share: sharer, the depth of the card opened
 *   (1 for a root share's card), root. A share id nobody recorded is kept as unverified and
 *   credits no one; opening one's own card is not a return; re-opens from favourites or a Moments
 *   snapshot never count as share returns; the same card opened again in the same session
 *   (`shared/session.ts`) is an entry but not another return.
 *
 * Groups: an entry from a group chat earlier than every entry of that group stored before is
 * marked `groupFirst`; the group's record is its earliest such entry (no document per group).
 *
 * Retention (`shared/retention.ts`) reads what the user-days carry: the first touch's keys (copied
 * from `users` like the first day), the day's earliest entry's keys (its message or card as its
 * event carries them, `openOf`: the same open goals credit), and the user's previous day with an entry (read
 * with the day's first entry, `priorDaysBefore`). When the first touch moves, or a day gets its
 * first entry before days that already have theirs (an offline phone), the user's other user-days
 * are written too (`LaterDayFix`).
 *
 * @example
 * const timed = timedEvents(batch, now);
 * // … the store reads the user-days of batchDays(timed), then what followUps() asks for …
 * const plan = planBatch(timed, { identity, now, sharePrefix }, lookups);
 * // plan.laterDays, plan.user, plan.goals, plan.userDays, plan.events: what to write, in that order
 */
import { entryTouch, firstTouch, keepHeldTouches, NON_DIRECT_WINDOW_MS, recredit, type EntryTouch } from './attribution';
import { dayGoalFields, sameGoals, withGoal, withoutGoal, type DayGoalFields } from './day-goals';
import { parseEntry, type Entry } from './entry';
import { entryKeys } from './entry-keys';
import { planGoals, type GoalWrite, type PlacedGoal } from './goal-plan';
import { goalDocId } from './goals';
import { isRecord } from './input';
import { eventDocId, issuedWith } from './ids';
import type { EnterEvent, EventBase, GoalDoc, GoalEvent, ShareAttribution, ShareEvent, ShareRecord, StoredEvent, Touch, UserDayDoc, UserDoc } from './model';
import type { EnterInput, TrackEventInput } from './schemas';
import { openOf, type SentRecord } from './sends';
import { countOncePerSession } from './session';
import { chinaDay, chinaDayEnd, chinaDayStart, DAY_MS, eventTime, MAX_EVENT_AGE_MS } from './time';
import { countEvent, emptyCount, nextUserDay, sessionEntriesOf, type DayCount, type FirstCopies } from './user-days';

export interface Identity {
  openid: string;
  appid: string;
  unionid?: string;
}

/** What WeChat said about one group cloudID: the group, or why it could not be read. */
export type GroupResolution = { openGId: string; chatType?: number } | { error: string };

/** A validated batch: its events and the phone's clock when it sent them. */
export interface Batch {
  events: readonly TrackEventInput[];
  sentAt?: number;
}

export interface TrackContext {
  identity: Identity;
  /** When the server received the batch. */
  now: Date;
  /** The caller's share prefix (`sharePrefix`); absent when no share secret is configured. */
  sharePrefix?: string;
  /** A cloud function called `track` (`isFunctionCall`): its goals are verified. */
  byFunction?: boolean;
}

/** A batch's event with its event time and China day. */
export interface TimedEvent {
  input: TrackEventInput;
  at: Date;
  day: string;
}

export interface TrackLookups {
  /** The caller's user-days of `countedDays`, by day (a day without one has none yet). */
  userDays: ReadonlyMap<string, UserDayDoc>;
  /** Whether `users` was read (`followUps`): when not, the user-days' first-day copies stand for it. */
  userRead: boolean;
  /** The caller's `users` document, when read and there is one. */
  user?: UserDoc;
  /** Recorded shares by id: those the batch's entries and share events name. */
  shares: ReadonlyMap<string, ShareRecord>;
  /** Group cloudIDs of the batch, resolved. */
  groups: ReadonlyMap<string, GroupResolution>;
  /** For each openGId the cloudIDs resolved to, its earliest stored `groupFirst` entry's time. */
  groupFirsts: ReadonlyMap<string, Date>;
  /** The batch's client ids already in `events`, when read (`followUps`: some were counted already). */
  storedIds?: ReadonlySet<string>;
  /** The user's latest entry on a day before the batch's first share's, when read (`followUps`). */
  earlierLatest?: Touch;
  /** The records of the messages and cards the batch's entries name, by id (`sendIdsToRead`). */
  records?: { messages: ReadonlyMap<string, SentRecord>; cards: ReadonlyMap<string, SentRecord> };
  /** The stored documents of the batch's goals, by `_id` (`goalDocIds`). */
  goals?: ReadonlyMap<string, GoalDoc>;
  /** The user's stored entries around the batch's goals (`goalWindow`). */
  entries?: readonly EnterEvent[];
  /** The user's days with an entry before `priorDaysBefore`'s day, latest first, when read. */
  priorDays?: readonly string[];
}

/**
 * The `users` write a plan needs. `users` documents are versioned (`v`): every write is conditional
 * on the version the plan read, and bumps it; a refused write means another delivery came first,
 * and the batch is planned again from fresh reads.
 * - `create`: the whole document, added (refused if it exists meanwhile);
 * - `update`: the fields that change. When `first` moves to an earlier day, `revision` names the
 *   move (`fromDay` → `toDay`): the caller's user-day of `fromDay` still says they were new there.
 */
export type UserWrite =
  | { kind: 'create'; doc: UserDoc }
  | { kind: 'update'; version: number; fields: Partial<Pick<UserDoc, 'appid' | 'unionid' | 'firstDay' | 'first'>>; revision?: { fromDay: string; toDay: string } };

/**
 * A user-day write: added whole when new; else the batch's count added to it, applied only where
 * none of the counted ids is counted yet. With entries, the write also sets what depends on the
 * day as read (the latest entry, the first-day copies, which entries are repeats) and is
 * conditional on the version read too; a batch of shares only adds counts, so that a user's
 * shares never wait for each other.
 */
export type UserDayWrite =
  | { kind: 'create'; doc: UserDayDoc }
  | {
      kind: 'update';
      count: DayCount;
      /** The version read, when the count has entries or the goals change. */
      version?: number;
      /** The day's goals as this write sets them, when they change (a goal added, moved, credited again). */
      goals?: DayGoalFields;
      /** The user-day as this write leaves it, when no other write came between. */
      doc: UserDayDoc;
    };

/**
 * A write to the user's user-days of days the batch does not write (`except` are those it does),
 * made before the user's and the batch's own writes so that a retry after a crash makes it again:
 * - `first`: the first touch moved; user-days whose copy is of a later first entry take its time and
 *   keys (their `firstDay` stays as it was: the revision corrects it where it counts, on its day);
 * - `prevDay`: `after` got its first entry, and the user's later days with an entry whose previous
 *   day is earlier than it take it (only when a later day may be there: `after` is before the
 *   receipt's day).
 */
export type LaterDayFix =
  | { kind: 'first'; firsts: Required<Pick<FirstCopies, 'firstAt' | 'firstKeys'>>; except: string[] }
  | { kind: 'prevDay'; after: string; except: string[] };

export interface TrackPlan {
  /** Client event ids this batch stores, in the order received. */
  accepted: string[];
  /** Client event ids already stored for this caller (or repeated in the batch): answered, not written again. */
  duplicates: string[];
  /** The events to add; share events that record a share carry it (the share ledger). */
  events: StoredEvent[];
  user?: UserWrite;
  /** The goal documents to add or update, before the user-days that hold the goals. */
  goals: GoalWrite[];
  userDays: UserDayWrite[];
  laterDays: LaterDayFix[];
}

/** The share position a user is at when they share: where their last entry came from. */
type Arrival = { kind: 'root' } | { kind: 'child' | 'sibling'; of: ShareRecord };

const isCounted = (input: TrackEventInput): boolean => input.type === 'enter' || input.type === 'share';

/** Each event of a batch with its event time and day, in the order received. */
export function timedEvents(batch: Batch, now: Date): TimedEvent[] {
  return batch.events.map((input) => {
    const at = new Date(eventTime(input.at, batch.sentAt, now.getTime()));
    return { input, at, day: chinaDay(at) };
  });
}

/** The days of the batch's entries and shares: the user-days it counts into. */
export function countedDays(timed: readonly TimedEvent[]): string[] {
  return [...new Set(timed.filter((event) => isCounted(event.input)).map((event) => event.day))].sort();
}

/** The days whose user-days the batch reads first: its entries' and shares', and its goals' (a goal is held by the user-day of its day). */
export function batchDays(timed: readonly TimedEvent[]): string[] {
  return [...new Set([...countedDays(timed), ...timed.filter((event) => event.input.type === 'goal').map((event) => event.day)])].sort();
}

const goalsOf = (timed: readonly TimedEvent[]): (TimedEvent & { input: Extract<TrackEventInput, { type: 'goal' }> })[] =>
  timed.filter((event): event is TimedEvent & { input: Extract<TrackEventInput, { type: 'goal' }> } => event.input.type === 'goal');

/** The `_id`s of the goals the batch reports: their documents are read first. */
export function goalDocIds(timed: readonly TimedEvent[], openid: string): string[] {
  return [...new Set(goalsOf(timed).map(({ input }) => goalDocId(openid, input.name, input.goalId)))];
}

/**
 * The user's entries a batch's goals are credited from: from 30 days before the earliest goal (a
 * last non-direct touch) to the latest one, counting the goals' stored times, which an earlier
 * report may have set. Undefined for a batch without goals.
 */
export function goalWindow(timed: readonly TimedEvent[], stored: ReadonlyMap<string, GoalDoc>, openid: string): { from: Date; to: Date } | undefined {
  const times = goalsOf(timed).flatMap(({ input, at }) => {
    const doc = stored.get(goalDocId(openid, input.name, input.goalId));
    return doc ? [at.getTime(), new Date(doc.at).getTime()] : [at.getTime()];
  });
  if (times.length === 0) return undefined;
  return { from: new Date(Math.min(...times) - NON_DIRECT_WINDOW_MS), to: new Date(Math.max(...times)) };
}

/** The days of the batch's stored goals that the first read left out: a goal's user-day is written whatever report moves it. */
export function goalDaysToRead(stored: ReadonlyMap<string, GoalDoc>, read: readonly string[]): string[] {
  return [...new Set([...stored.values()].map((doc) => doc.day))].filter((day) => !read.includes(day)).sort();
}

/** The message and card ids the batch's entries name: their records tell which entries are opens. */
export function sendIdsToRead(events: readonly TrackEventInput[]): { messages: string[]; cards: string[] } {
  const messages = new Set<string>();
  const cards = new Set<string>();
  for (const event of events) {
    if (event.type !== 'enter') continue;
    const { messageId, cardId } = parseEntry(event.options, event.cold);
    if (messageId) messages.add(messageId);
    if (cardId) cards.add(cardId);
  }
  return { messages: [...messages], cards: [...cards] };
}

/** The client ids of the batch's entries and shares: what user-days count. */
export function countedIds(timed: readonly TimedEvent[]): string[] {
  return timed.filter((event) => isCounted(event.input)).map((event) => event.input.id);
}

/**
 * The batch's events, each one a user-day counted put on that user-day's day. An event's time is
 * recomputed at each delivery (`eventTime`: the receipt less the batch's `sentAt`, clamped to 7
 * days), so a batch sent again after a lost answer, with another network delay or later past the
 * clamp, can move an event counted on one day to the next: it keeps the day it was counted on, its
 * time moved into that day.
 */
export function onCountedDays(timed: readonly TimedEvent[], userDays: readonly UserDayDoc[]): TimedEvent[] {
  const countedOn = new Map<string, string>();
  for (const doc of userDays) for (const id of doc.counted) countedOn.set(id, doc.day);
  return timed.map((event) => {
    const day = isCounted(event.input) ? countedOn.get(event.input.id) : undefined;
    if (day === undefined || day === event.day) return event;
    const at = Math.min(Math.max(event.at.getTime(), chinaDayStart(day).getTime()), chinaDayEnd(day).getTime() - 1);
    return { ...event, at: new Date(at), day };
  });
}

/** The stored `_id`s of the batch's events. */
export function eventDocIds(timed: readonly TimedEvent[], openid: string): string[] {
  return [...new Set(timed.map((event) => eventDocId(openid, event.input.id)))];
}

/** Every share id the batch names: its share events' and its entries' cards. */
export function shareIdsToRead(events: readonly TrackEventInput[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.type === 'share') ids.add(event.shareId);
    if (event.type === 'enter') {
      const shareId = parseEntry(event.options, event.cold).shareId;
      if (shareId) ids.add(shareId);
    }
  }
  return [...ids];
}

/** Every distinct group cloudID in the batch: resolved together in one getOpenData call. */
export function cloudIDsOf(events: readonly TrackEventInput[]): string[] {
  return [...new Set(events.flatMap((event) => (event.type === 'enter' && event.group ? [event.group] : [])))];
}

/** What the store reads after the user-days, when they leave something open. */
export interface FollowUps {
  /** The `users` document: a day has no user-day yet, or an entry may be earlier than the user's first. */
  user: boolean;
  /** The batch's ids in `events`: a user-day counted some of its events already (a batch sent again, or a crash before they were stored). */
  storedIds: boolean;
  /** The user's latest entry before this day: the batch's first share has nothing on its own day to build on. */
  latestBefore?: string;
}

/** The batch's entries no user-day counted yet. */
const newEntries = (timed: readonly TimedEvent[], userDays: ReadonlyMap<string, UserDayDoc>): TimedEvent[] => {
  const counted = new Set([...userDays.values()].flatMap((doc) => doc.counted));
  return timed.filter((event) => event.input.type === 'enter' && !counted.has(event.input.id));
};

/**
 * How many of the user's days with an entry `priorDaysBefore` reads: the days a batch gives their
 * first entry are within the 7 days before its receipt (event times are clamped), so the days
 * between them and the latest day before the earliest of them are at most 8.
 */
export const PRIOR_DAYS = MAX_EVENT_AGE_MS / DAY_MS + 1;

/** The days the batch gives their first entry: no stored user-day with an entry yet. */
function openedDays(timed: readonly TimedEvent[], userDays: ReadonlyMap<string, UserDayDoc>): string[] {
  return [...new Set(newEntries(timed, userDays).map((event) => event.day))].filter((day) => !(userDays.get(day)?.entries ?? 0)).sort();
}

/**
 * The day before which the store reads the user's days with an entry (`TrackLookups.priorDays`),
 * when the batch gives a day its first entry and the user had an entry before it (`firstDay`, from
 * `users` or the user-days' copies, is earlier): the latest of those days. Read after `users`.
 */
export function priorDaysBefore(timed: readonly TimedEvent[], userDays: ReadonlyMap<string, UserDayDoc>, firstDay: string | undefined): string | undefined {
  const opened = openedDays(timed, userDays);
  const last = opened[opened.length - 1];
  return last !== undefined && firstDay !== undefined && firstDay < last ? last : undefined;
}

export function followUps(timed: readonly TimedEvent[], userDays: ReadonlyMap<string, UserDayDoc>): FollowUps {
  const counted = new Set([...userDays.values()].flatMap((doc) => doc.counted));
  // a goal is credited to the user's first touch
  const user = goalsOf(timed).length > 0 || timed.some(({ input, at, day }) => {
    if (!isCounted(input)) return false;
    const stored = userDays.get(day);
    if (!stored) return true;
    return input.type === 'enter' && !counted.has(input.id) && at.getTime() < (stored.firstAt ? new Date(stored.firstAt).getTime() : Infinity);
  });
  const inOrder = [...timed].sort((a, b) => a.input.seq - b.input.seq);
  const firstShare = inOrder.findIndex((event) => event.input.type === 'share');
  const enteredBefore = inOrder.slice(0, Math.max(firstShare, 0)).some((event) => event.input.type === 'enter');
  const follow: FollowUps = { user, storedIds: timed.some(({ input }) => isCounted(input) && counted.has(input.id)) };
  if (firstShare >= 0 && !enteredBefore && !userDays.get(inOrder[firstShare].day)?.latest) follow.latestBefore = inOrder[firstShare].day;
  return follow;
}

/** Why WeChat decrypted nothing, with its code when it gave one (-601005 invalid, -601006 expired, -601007 another user's): a forged cloudID and an offline phone's old one read apart. */
function openDataRefusal(fields: Record<string, unknown>, fallback: string): string {
  const message = typeof fields.errMsg === 'string' ? fields.errMsg : typeof fields.errmsg === 'string' ? fields.errmsg : fallback;
  const code = typeof fields.errCode === 'number' ? fields.errCode : typeof fields.errcode === 'number' ? fields.errcode : undefined;
  return code === undefined ? message : `${message} (errCode ${code})`;
}

/**
 * Reads one item of getOpenData's list for a group cloudID: its decrypted `data`, in either shape
 * WeChat uses (`{ openGId }` from wx.getShareInfo, `{ opengid, chat_type }` from
 * wx.getGroupEnterInfo), or why there is none (the item's, or the data's, errCode and errMsg).
 */
export function readGroupData(item: unknown): GroupResolution {
  if (!isRecord(item)) return { error: 'WeChat answered nothing for this cloudID' };
  if (!isRecord(item.data)) return { error: openDataRefusal(item, 'WeChat answered no open data for this cloudID') };
  const fields = item.data;
  const openGId = typeof fields.openGId === 'string' ? fields.openGId : typeof fields.opengid === 'string' ? fields.opengid : '';
  if (openGId === '') return { error: openDataRefusal(fields, 'no openGId in the open data') };
  return typeof fields.chat_type === 'number' ? { openGId, chatType: fields.chat_type } : { openGId };
}

/** Where an entry leaves its user: on its card (their own, or someone else's), or at the root. */
function arrivalAt(touch: Touch | undefined, openid: string): Arrival {
  const card = touch?.card ?? touch?.reopened;
  return card ? { kind: card.sharer === openid ? 'sibling' : 'child', of: card } : { kind: 'root' };
}

function shareRecord(shareId: string, sharer: string, arrival: Arrival): ShareRecord {
  const base = { shareId, sharer };
  if (arrival.kind === 'root') return { ...base, depth: 1, rootShareId: shareId };
  const { of } = arrival;
  if (arrival.kind === 'child') return { ...base, depth: of.depth + 1, rootShareId: of.rootShareId, parentShareId: of.shareId };
  return of.parentShareId === undefined
    ? { ...base, depth: of.depth, rootShareId: of.rootShareId }
    : { ...base, depth: of.depth, rootShareId: of.rootShareId, parentShareId: of.parentShareId };
}

function attribute(entry: Entry, openid: string, shares: ReadonlyMap<string, ShareRecord>): ShareAttribution | undefined {
  if (!entry.shareId) return undefined;
  const share = shares.get(entry.shareId);
  if (!share) return { shareId: entry.shareId, verified: false, self: false, isReturn: false };
  const self = share.sharer === openid;
  return { shareId: share.shareId, verified: true, sharer: share.sharer, depth: share.depth, rootShareId: share.rootShareId, self, isReturn: !self && !entry.reopen };
}

function touchOf(event: EnterEvent, shares: ReadonlyMap<string, ShareRecord>): Touch {
  const touch: Touch = { day: event.day, at: event.at, scene: event.scene, category: event.category, bucket: event.bucket, path: event.path };
  if (event.channel) touch.channel = event.channel;
  // a verified card is an arrival the user's next share builds on, re-opened too (from favourites,
  // the floating window …: the user came through that card before), though a re-open is no return
  const card = event.share?.verified ? shares.get(event.share.shareId) : undefined;
  if (card) touch[event.reopen ? 'reopened' : 'card'] = card;
  // the group, and the message or card the entry opened (its event says): what retention and goals count it under
  for (const key of ['groupId', 'messageOpen', 'cardOpen'] as const) if (event[key] !== undefined) touch[key] = event[key];
  return touch;
}

function enterEvent(input: EnterInput, base: EventBase, identity: Identity, lookups: TrackLookups, shares: ReadonlyMap<string, ShareRecord>): EnterEvent {
  const entry = parseEntry(input.options, input.cold);
  const event: EnterEvent = {
    ...base,
    type: 'enter',
    cold: entry.cold,
    scene: entry.scene,
    category: entry.category,
    bucket: entry.bucket,
    path: entry.path,
    query: entry.query,
    reopen: entry.reopen,
  };
  const optional = {
    channel: entry.channel,
    campaign: entry.campaign,
    shareId: entry.shareId,
    messageId: entry.messageId,
    cardId: entry.cardId,
    referrerAppId: entry.referrerAppId,
    chatType: entry.chatType,
    apiCategory: entry.apiCategory,
    share: attribute(entry, identity.openid, shares),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(event, { [key]: value });
  const messageOpen = entry.messageId === undefined ? undefined : openOf(lookups.records?.messages.get(entry.messageId), identity.openid, base.at);
  const cardOpen = entry.cardId === undefined ? undefined : openOf(lookups.records?.cards.get(entry.cardId), identity.openid, base.at);
  if (messageOpen !== undefined) event.messageOpen = messageOpen;
  if (cardOpen !== undefined) event.cardOpen = cardOpen;
  if (input.group !== undefined) {
    const group = lookups.groups.get(input.group) ?? { error: 'the cloudID was not resolved' };
    if ('openGId' in group) {
      event.groupId = group.openGId;
      if (event.chatType === undefined && group.chatType !== undefined) event.chatType = group.chatType;
    } else {
      event.warnings = [`group cloudID not resolved (${group.error}); the entry is kept without its group`];
    }
  }
  return event;
}

const NOT_ISSUED = 'share id not issued to this user (it lacks their share prefix): kept as an intent, not recorded, its opens credit no one';
const NO_SECRET = 'share ids are not issued (the track function has no usable RUKOU_SHARE_SECRET, at least 16 characters): kept as an intent, not recorded';

/** How the plan treats each event: new, or counted by its user-day but missing from `events` (stored again, not counted). */
interface Planned extends TimedEvent {
  restored: boolean;
}

/** Splits the batch into what to store and what is a duplicate, keeping the order received. */
function sortOut(timed: readonly TimedEvent[], lookups: TrackLookups): { planned: Planned[]; duplicates: string[] } {
  const counted = new Set([...lookups.userDays.values()].flatMap((doc) => doc.counted));
  const seen = new Set<string>();
  const planned: Planned[] = [];
  const duplicates: string[] = [];
  for (const event of timed) {
    const { id } = event.input;
    if (seen.has(id) || lookups.storedIds?.has(id)) duplicates.push(id);
    else planned.push({ ...event, restored: isCounted(event.input) && counted.has(id) });
    seen.add(id);
  }
  return { planned, duplicates };
}

/**
 * Builds everything a batch writes. Events are taken in `seq` order (the order they happened on
 * the device), so a share follows the entry it came after; answers keep the order received.
 */
export function planBatch(timed: readonly TimedEvent[], context: TrackContext, lookups: TrackLookups): TrackPlan {
  const { identity, now, sharePrefix } = context;
  const { planned, duplicates } = sortOut(timed, lookups);
  const shares = new Map(lookups.shares);
  const firstShareDay = [...planned].sort((a, b) => a.input.seq - b.input.seq).find((event) => event.input.type === 'share')?.day;
  let arrival = arrivalAt((firstShareDay && lookups.userDays.get(firstShareDay)?.latest) || lookups.earlierLatest, identity.openid);
  const identityFields = identity.unionid ? { openid: identity.openid, appid: identity.appid, unionid: identity.unionid } : { openid: identity.openid, appid: identity.appid };
  const stored = new Map<string, StoredEvent>();
  const touches = new Map<string, Touch>();
  const flagged = new Map(lookups.groupFirsts);

  for (const { input, at, day } of [...planned].sort((a, b) => a.input.seq - b.input.seq)) {
    const base: EventBase = { _id: eventDocId(identity.openid, input.id), eventId: input.id, ...identityFields, seq: input.seq, at, clientAt: new Date(input.at), serverAt: now, day };
    let event: StoredEvent;
    if (input.type === 'enter') {
      const enter = enterEvent(input, base, identity, lookups, shares);
      const touch = touchOf(enter, shares);
      arrival = arrivalAt(touch, identity.openid);
      touches.set(input.id, touch);
      event = enter;
    } else if (input.type === 'share') {
      const share: ShareEvent = { ...base, type: 'share', shareId: input.shareId, path: input.path, to: input.to };
      if (sharePrefix === undefined || !issuedWith(sharePrefix, input.shareId)) share.warnings = [sharePrefix === undefined ? NO_SECRET : NOT_ISSUED];
      else if (!shares.has(input.shareId)) {
        // an id already recorded keeps its record: ids are not reassigned
        share.share = shareRecord(input.shareId, identity.openid, arrival);
        shares.set(input.shareId, share.share);
      }
      event = share;
    } else if (input.type === 'page') event = { ...base, type: 'page', path: input.path };
    else if (input.type === 'goal') {
      const goal: GoalEvent = { ...base, type: 'goal', name: input.name, goalId: input.goalId, verified: context.byFunction === true };
      if (input.value !== undefined) goal.value = input.value;
      event = goal;
    } else event = input.pause === undefined ? { ...base, type: 'hide', stayMs: input.stayMs } : { ...base, type: 'hide', stayMs: input.stayMs, pause: input.pause };
    stored.set(input.id, event);
  }

  const entries = planned.flatMap(({ input }) => {
    const event = stored.get(input.id);
    return event?.type === 'enter' ? [event] : [];
  });
  // a group's record is its earliest entry, whatever order the entries arrive in
  for (const entry of [...entries].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const known = entry.groupId === undefined ? undefined : flagged.get(entry.groupId);
    if (entry.groupId === undefined || (known && known.getTime() <= entry.at.getTime())) continue;
    entry.groupFirst = true;
    flagged.set(entry.groupId, entry.at);
  }
  const restored = new Set(planned.filter((event) => event.restored).map((event) => event.input.id));
  countCardsOncePerSession(entries, lookups.userDays, restored);

  const user = userWrite(lookups, [...touches.values()], identity);
  const after = userAfter(lookups, user);
  const first = after && firstTouch(after.first, identity.openid);
  const fresh = entries.map(entryTouch);
  const goalEvents = [...planned].sort((a, b) => a.input.seq - b.input.seq).flatMap(({ input }) => {
    const event = stored.get(input.id);
    return event?.type === 'goal' ? [event] : [];
  });
  const goals = goalEvents.length === 0 ? { writes: [], placed: [] } : planGoals(goalEvents, identity, { goals: lookups.goals ?? new Map(), ...(first ? { first } : {}), entries: [...(lookups.entries ?? []).map(entryTouch), ...fresh] }, now);
  // goals already held are credited again with the batch's entries, and with a first touch this batch moved
  const moved = user && (user.kind === 'create' || user.fields.first) ? first : undefined;
  const credit = { entries: fresh, ...(moved ? { first: moved } : {}) };
  const userDays = userDayWrites(planned, stored, touches, lookups, { copies: firstCopies(after, lookups.userRead, identity.openid), placed: goals.placed, credit }, identity.openid, now);
  return {
    accepted: planned.map((event) => event.input.id),
    duplicates,
    events: planned.map((event) => stored.get(event.input.id) as StoredEvent),
    ...(user ? { user } : {}),
    goals: goals.writes,
    userDays,
    laterDays: laterDayFixes(user, userDays, lookups, identity.openid, now),
  };
}

/**
 * Marks the entries that return through a card already returned through in their session as
 * repeats (`shared/session.ts`), day by day, against the day's stored entries (less those being
 * stored again, which must not meet themselves).
 */
function countCardsOncePerSession(entries: EnterEvent[], userDays: ReadonlyMap<string, UserDayDoc>, restored: ReadonlySet<string>): void {
  const byDay = new Map<string, EnterEvent[]>();
  for (const entry of entries) byDay.set(entry.day, [...(byDay.get(entry.day) ?? []), entry]);
  for (const [day, ofDay] of byDay) {
    const cardOf = (entry: EnterEvent): string | undefined => (entry.share?.isReturn ? entry.share.shareId : undefined);
    const again = ofDay.filter((entry) => restored.has(entry.eventId)).map((entry) => ({ at: entry.at, card: cardOf(entry) }));
    const repeats = countOncePerSession(
      sessionEntriesOf(userDays.get(day), again),
      ofDay.map((entry) => ({ at: entry.at.getTime(), card: cardOf(entry) })),
    );
    ofDay.forEach((entry, index) => {
      if (repeats[index] && entry.share) entry.share = { ...entry.share, isReturn: false, repeat: true };
    });
  }
}

const earlier = (a: Touch, b: Touch): Touch => (new Date(b.at).getTime() < new Date(a.at).getTime() ? b : a);

/** The `users` write the batch's entries need, if any: only when `users` was read (`followUps` says when). */
function userWrite(lookups: TrackLookups, touches: Touch[], identity: Identity): UserWrite | undefined {
  const { user } = lookups;
  if (!lookups.userRead) return undefined;
  const first = touches.reduce<Touch | undefined>((a, b) => (a ? earlier(a, b) : b), undefined);
  const who = identity.unionid ? { appid: identity.appid, unionid: identity.unionid } : { appid: identity.appid };
  if (!user) return first ? { kind: 'create', doc: { _id: identity.openid, ...who, firstDay: first.day, first, v: 1 } } : undefined;
  const fields: Extract<UserWrite, { kind: 'update' }>['fields'] = {};
  if (user.appid !== who.appid || (who.unionid !== undefined && user.unionid !== who.unionid)) Object.assign(fields, who);
  let revision: { fromDay: string; toDay: string } | undefined;
  if (first && first.at.getTime() < new Date(user.first.at).getTime()) {
    Object.assign(fields, { first, firstDay: first.day });
    if (first.day < user.firstDay) revision = { fromDay: user.firstDay, toDay: first.day };
  }
  if (Object.keys(fields).length === 0) return undefined;
  return revision ? { kind: 'update', version: user.v, fields, revision } : { kind: 'update', version: user.v, fields };
}

/** `users` as this batch leaves it, when read and there is one. */
function userAfter(lookups: TrackLookups, write: UserWrite | undefined): UserDoc | undefined {
  if (!lookups.userRead) return undefined;
  return write?.kind === 'create' ? write.doc : lookups.user && { ...lookups.user, ...(write?.kind === 'update' ? write.fields : {}) };
}

/** The first-day copies the batch's user-days take: from `users` as this batch leaves it, when read. */
function firstCopies(after: UserDoc | undefined, userRead: boolean, openid: string): ((day: string) => FirstCopies) | undefined {
  if (!userRead) return undefined;
  // a user with no entry yet (only shares): their first day is unknown, and no entry of theirs is counted as new
  return (day) => (after ? { firstDay: after.firstDay, firstAt: new Date(after.first.at), firstKeys: entryKeys(after.first, openid) } : { firstDay: day });
}

/**
 * Each written day's previous day with an entry, where the batch sets it: a day given its first
 * entry takes the latest day with an entry before it (stored, read, or of this batch; `''` when
 * there is none); a day that had its first entry already moves only to a day of this batch that
 * comes between (an offline phone's).
 */
function previousDays(counts: readonly DayCount[], lookups: TrackLookups): Map<string, string> {
  const stored = [...lookups.userDays.values()].filter((doc) => doc.entries > 0);
  const opened = counts.filter((count) => count.entries > 0 && !stored.some((doc) => doc.day === count.day)).map((count) => count.day);
  const active = [...new Set([...(lookups.priorDays ?? []), ...stored.map((doc) => doc.day), ...opened])].sort();
  const latestBefore = (day: string, among: readonly string[]): string => among.filter((other) => other < day).pop() ?? '';
  const previous = new Map<string, string>();
  for (const count of counts) {
    if (count.entries === 0) continue;
    const known = stored.find((doc) => doc.day === count.day);
    if (!known) previous.set(count.day, latestBefore(count.day, active));
    else {
      const between = latestBefore(count.day, opened);
      if (between > (known.prevDay ?? '')) previous.set(count.day, between);
    }
  }
  return previous;
}

/** What the batch writes to the user's other user-days (see `LaterDayFix`). */
function laterDayFixes(user: UserWrite | undefined, writes: readonly UserDayWrite[], lookups: TrackLookups, openid: string, now: Date): LaterDayFix[] {
  const except = writes.map((write) => write.doc._id);
  const fixes: LaterDayFix[] = [];
  const first = user?.kind === 'update' ? user.fields.first : undefined;
  if (first) fixes.push({ kind: 'first', firsts: { firstAt: new Date(first.at), firstKeys: entryKeys(first, openid) }, except });
  const today = chinaDay(now);
  for (const write of writes) {
    const { day } = write.doc;
    const hadEntry = (lookups.userDays.get(day)?.entries ?? 0) > 0;
    if (!hadEntry && write.doc.entries > 0 && day < today) fixes.push({ kind: 'prevDay', after: day, except });
  }
  return fixes;
}

/** What the batch's user-days take beside its counts: first-day copies, its goals, and what credits the goals they hold again. */
interface DayChanges {
  copies: ((day: string) => FirstCopies) | undefined;
  placed: readonly PlacedGoal[];
  credit: { entries: readonly EntryTouch[]; first?: EntryTouch };
}

/** A day's goals after the batch: those that left it gone, the batch's placed (keeping the touches held), the others credited again. */
function goalsAfter(day: string, current: UserDayDoc | undefined, changes: DayChanges): UserDayDoc['goals'] {
  let goals = (current?.goals ?? []).map((goal) => recredit(goal, changes.credit.entries, changes.credit.first));
  for (const { leaves, goal } of changes.placed) if (leaves === day) goals = withoutGoal(goals, goal.id);
  for (const placed of changes.placed) {
    if (placed.day === day) goals = withGoal(goals, keepHeldTouches(placed.goal, goals.find((held) => held.id === placed.goal.id)));
  }
  return goals;
}

function userDayWrites(
  planned: readonly Planned[],
  stored: ReadonlyMap<string, StoredEvent>,
  touches: ReadonlyMap<string, Touch>,
  lookups: TrackLookups,
  changes: DayChanges,
  openid: string,
  now: Date,
): UserDayWrite[] {
  const counts = new Map<string, DayCount>();
  for (const { input, day, restored } of planned) {
    const event = stored.get(input.id);
    if (restored || !event || (event.type !== 'enter' && event.type !== 'share')) continue;
    const count = counts.get(day) ?? emptyCount(day);
    countEvent(count, event, touches.get(input.id));
    counts.set(day, count);
  }
  const goalDays = changes.placed.flatMap((placed) => (placed.leaves ? [placed.day, placed.leaves] : [placed.day]));
  const days = [...new Set([...counts.keys(), ...goalDays])].sort();
  const previous = previousDays(
    days.flatMap((day) => counts.get(day) ?? []),
    lookups,
  );
  const writes: UserDayWrite[] = [];
  for (const day of days) {
    const count = counts.get(day) ?? emptyCount(day);
    const current = lookups.userDays.get(day);
    const goals = goalsAfter(day, current, changes) ?? [];
    const goalsChanged = !sameGoals(goals, current?.goals ?? []);
    if (count.counted.length === 0 && !goalsChanged) continue;
    // without `users` read, every day has its user-day (`followUps`), whose copies stand
    const firsts = changes.copies?.(day) ?? (current ? { firstDay: current.firstDay, ...(current.firstAt ? { firstAt: current.firstAt } : {}) } : { firstDay: day });
    const fields = goalsChanged ? dayGoalFields(goals, now) : undefined;
    const next = nextUserDay(current, count, firsts, openid, now, previous.get(day));
    const kept = current?.goals ? { goals: current.goals, goalKeys: current.goalKeys, goalNames: current.goalNames, goalCount: current.goalCount, goalsAt: current.goalsAt } : {};
    // goals set whole are set over the version read, which their write bumps
    const doc: UserDayDoc = { ...next, ...kept, ...fields, ...(fields && current && count.entries === 0 ? { v: current.v + 1 } : {}) };
    if (!current) writes.push({ kind: 'create', doc });
    else if (count.entries > 0 || fields) writes.push({ kind: 'update', count, version: current.v, ...(fields ? { goals: fields } : {}), doc });
    else writes.push({ kind: 'update', count, doc });
  }
  return writes;
}
