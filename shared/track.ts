/**
 * What a `track` batch changes, computed without any I/O: from the validated events, the caller
 * WeChat vouched for, the server time, the caller's share prefix and what was read beforehand
 * (stored event ids, the user, the shares referenced, the group cloudIDs resolved), build every
 * document to write.
 *
 * Time: every event gets its event time (`eventTime`: the phone's `at` corrected by the batch's
 * `sentAt`), and its `day` is the China day of that time.
 *
 * Share rules (the verified share graph):
 * - A `share` event records the share when its id carries the caller's share prefix (issued to
 *   them, see `shared/ids.ts`) and nobody recorded it yet: the id belongs to the caller, with a
 *   depth and root taken from how they arrived. Arriving through someone else's card makes the
 *   new share a child (depth + 1, same root); through one's own card, a sibling of that card
 *   (same depth, root and parent); any other arrival, a root (depth 1). An id not issued to the
 *   caller is kept as a share intent with a warning and recorded for no one.
 * - An `enter` with `rk_sh` is attributed to that share: sharer, the depth of the card opened
 *   (1 for a root share's card), root. A share id nobody recorded is kept as unverified and
 *   credits no one; opening one's own card is not a return; re-opens from favourites or a Moments
 *   snapshot never count as share returns; the same card opened again in the same session
 *   (`shared/session.ts`) is an entry but not another return.
 *
 * @example
 * const needs = { ids: eventDocIds(events, openid), shareIds: shareIdsToRead(events, user), cloudIDs: cloudIDsOf(events) };
 * // … the store reads those …
 * const plan = planBatch({ events, sentAt }, { identity, now: new Date(), sharePrefix }, lookups);
 * // plan.events, plan.groups and userWrite(lookups.user, plan, identity): what to write
 */
import { parseEntry, type Entry } from './entry';
import { eventDocId, issuedWith } from './ids';
import type { EnterEvent, EventBase, GroupDoc, ShareAttribution, ShareEvent, ShareRecord, StoredEvent, Touch, UserDoc } from './model';
import type { EnterInput, TrackEventInput } from './schemas';
import { countOncePerSession, type KnownEntry } from './session';
import { chinaDay, eventTime } from './time';

export interface Identity {
  openid: string;
  appid: string;
  unionid?: string;
}

/** What WeChat said about one group cloudID: the group, or why it could not be read. */
export type GroupResolution = { openGId: string; chatType?: number } | { error: string };

export interface TrackLookups {
  /** Stored `_id`s (`eventDocId`) of this batch's events that are already stored. */
  storedIds: ReadonlySet<string>;
  /** The caller's `users` document, when there is one. */
  user?: UserDoc;
  /** Recorded shares by id: those the batch's entries and share events name, and the user's latest arrival. */
  shares: ReadonlyMap<string, ShareRecord>;
  /** Group cloudIDs of the batch, resolved. */
  groups: ReadonlyMap<string, GroupResolution>;
  /** openGIds already in `groups`, among those the cloudIDs resolved to, with when each was first seen. */
  knownGroups: ReadonlyMap<string, Date>;
  /**
   * The caller's stored entries on the days `daysToRead` named (days of card opens older than the
   * user's latest entry, which only the stored day can place in their session).
   */
  dayEntries?: ReadonlyMap<string, KnownEntry[]>;
}

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
}

export interface TrackPlan {
  /** Client event ids written by this batch, in the order received. */
  accepted: string[];
  /** Client event ids already stored for this caller (or repeated in the batch): answered, not written again. */
  duplicates: string[];
  /** The new events; share events that record a share carry it (the share ledger). */
  events: StoredEvent[];
  /** The batch's earliest and latest entries by event time; absent when it has none. */
  touches?: { first: Touch; latest: Touch };
  /** The cards of the session of the user's stored latest entry once this batch is counted, when the batch has entries on its day. */
  storedLatestReturns?: string[];
  /** Groups seen for the first time. */
  groups: GroupDoc[];
  /** Groups already recorded that this batch saw earlier than their record says (an offline phone): their first fields, to replace. */
  earlierGroups: GroupDoc[];
}

/** The share position a user is at when they share: where their last entry came from. */
type Arrival = { kind: 'root' } | { kind: 'child' | 'sibling'; of: ShareRecord };

const enters = (events: readonly TrackEventInput[]): EnterInput[] => events.filter((event): event is EnterInput => event.type === 'enter');

/** The stored `_id`s of the batch's events: what the dedupe reads. */
export function eventDocIds(events: readonly TrackEventInput[], openid: string): string[] {
  return [...new Set(events.map((event) => eventDocId(openid, event.id)))];
}

/** The event time of a batch's event (epoch ms). */
const timeOf = (batch: Batch, event: TrackEventInput, now: Date): number => eventTime(event.at, batch.sentAt, now.getTime());

/**
 * The days whose stored entries the plan needs: those of card opens older than the user's latest
 * entry (an offline phone's), whose session only the stored day can tell. Opens after it continue
 * from what the latest entry remembers (`latest.returns`), so most batches need none.
 */
export function daysToRead(batch: Batch, user: UserDoc | undefined, now: Date): string[] {
  if (!user) return [];
  const latest = new Date(user.latest.at).getTime();
  const days = new Set<string>();
  for (const event of batch.events) {
    if (event.type !== 'enter' || !parseEntry(event.options, event.cold).shareId) continue;
    const at = timeOf(batch, event, now);
    if (at < latest) days.add(chinaDay(at));
  }
  return [...days];
}

/** Every share id the plan needs to look up, given the events and the caller's stored user. */
export function shareIdsToRead(events: readonly TrackEventInput[], user: UserDoc | undefined): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.type === 'share') ids.add(event.shareId);
    if (event.type === 'enter') {
      const shareId = parseEntry(event.options, event.cold).shareId;
      if (shareId) ids.add(shareId);
    }
  }
  if (user?.latest.shareId) ids.add(user.latest.shareId);
  return [...ids];
}

/** Every distinct group cloudID in the batch: resolved together in one getOpenData call. */
export function cloudIDsOf(events: readonly TrackEventInput[]): string[] {
  return [...new Set(enters(events).flatMap((event) => (event.group ? [event.group] : [])))];
}

/**
 * Reads what getOpenData decrypted for a group cloudID. Both shapes WeChat uses are understood:
 * `{ openGId }` (wx.getShareInfo) and `{ opengid, chat_type }` (wx.getGroupEnterInfo).
 */
export function readGroupData(data: unknown): GroupResolution {
  if (typeof data !== 'object' || data === null) return { error: 'WeChat answered no open data for this cloudID' };
  const fields = data as Record<string, unknown>;
  const openGId = typeof fields.openGId === 'string' ? fields.openGId : typeof fields.opengid === 'string' ? fields.opengid : '';
  if (openGId === '') {
    const reason = typeof fields.errMsg === 'string' ? fields.errMsg : typeof fields.errmsg === 'string' ? fields.errmsg : 'no openGId in the open data';
    return { error: reason };
  }
  return typeof fields.chat_type === 'number' ? { openGId, chatType: fields.chat_type } : { openGId };
}

function arrivalFrom(attribution: ShareAttribution | undefined, reopen: boolean, shares: ReadonlyMap<string, ShareRecord>): Arrival {
  if (!attribution?.verified || reopen) return { kind: 'root' };
  const share = shares.get(attribution.shareId);
  if (!share) return { kind: 'root' };
  return { kind: attribution.self ? 'sibling' : 'child', of: share };
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

function touchOf(event: EnterEvent): Touch {
  const touch: Touch = { day: event.day, at: event.at, scene: event.scene, category: event.category, bucket: event.bucket };
  if (event.channel) touch.channel = event.channel;
  // only a verified card that was really opened is an arrival the user's next share can build on
  if (event.share?.verified && !event.reopen) touch.shareId = event.share.shareId;
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

function groupDoc(event: EnterEvent & { groupId: string }): GroupDoc {
  const group: GroupDoc = { _id: event.groupId, firstSeen: event.at, firstDay: event.day, firstOpener: event.openid };
  if (event.chatType !== undefined) group.chatType = event.chatType;
  if (event.share?.verified) group.firstShareId = event.share.shareId;
  return group;
}

const NOT_ISSUED = 'share id not issued to this user (it lacks their share prefix): kept as an intent, not recorded, its opens credit no one';
const NO_SECRET = 'share ids are not issued (the track function has no usable RUKOU_SHARE_SECRET, at least 16 characters): kept as an intent, not recorded';

/**
 * Builds everything a batch writes. Events are taken in `seq` order (the order they happened on
 * the device), so a share follows the entry it came after; answers keep the order received.
 */
export function planBatch(batch: Batch, context: TrackContext, lookups: TrackLookups): TrackPlan {
  const { identity, now, sharePrefix } = context;
  const plan: TrackPlan = { accepted: [], duplicates: [], events: [], groups: [], earlierGroups: [] };
  const seen = new Set<string>();
  const fresh: { input: TrackEventInput; docId: string; at: Date }[] = [];
  for (const input of batch.events) {
    const docId = eventDocId(identity.openid, input.id);
    if (lookups.storedIds.has(docId) || seen.has(docId)) plan.duplicates.push(input.id);
    else {
      plan.accepted.push(input.id);
      fresh.push({ input, docId, at: new Date(timeOf(batch, input, now)) });
    }
    seen.add(docId);
  }

  const shares = new Map(lookups.shares);
  const { user } = lookups;
  const latestShare = user?.latest.shareId ? shares.get(user.latest.shareId) : undefined;
  let arrival: Arrival = latestShare ? { kind: latestShare.sharer === identity.openid ? 'sibling' : 'child', of: latestShare } : { kind: 'root' };
  const identityFields = identity.unionid ? { openid: identity.openid, appid: identity.appid, unionid: identity.unionid } : { openid: identity.openid, appid: identity.appid };
  // the user's first day is their earliest entry's, whether stored or in this batch
  const entryDays = fresh.filter(({ input }) => input.type === 'enter').map(({ at }) => chinaDay(at));
  const firstDay = [...(user ? [user.firstDay] : []), ...entryDays].sort()[0];
  const stored = new Map<string, StoredEvent>();
  const touches: Touch[] = [];
  const newGroups = new Map<string, GroupDoc>();

  for (const { input, docId, at } of [...fresh].sort((a, b) => a.input.seq - b.input.seq)) {
    const day = chinaDay(at);
    const base: EventBase = { _id: docId, eventId: input.id, ...identityFields, seq: input.seq, at, clientAt: new Date(input.at), serverAt: now, day, firstDay: firstDay ?? day };
    let event: StoredEvent;
    if (input.type === 'enter') {
      const enter = enterEvent(input, base, identity, lookups, shares);
      arrival = arrivalFrom(enter.share, enter.reopen, shares);
      touches.push(touchOf(enter));
      const { groupId } = enter;
      // a group's first fields are its earliest entry's, whatever order they arrive in
      const seen = groupId && (newGroups.get(groupId)?.firstSeen ?? lookups.knownGroups.get(groupId));
      if (groupId && (!seen || enter.at.getTime() < new Date(seen).getTime())) newGroups.set(groupId, groupDoc({ ...enter, groupId }));
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
    else event = input.pause === undefined ? { ...base, type: 'hide', stayMs: input.stayMs } : { ...base, type: 'hide', stayMs: input.stayMs, pause: input.pause };
    stored.set(input.id, event);
  }
  plan.events = plan.accepted.map((id) => stored.get(id) as StoredEvent);
  plan.groups = [...newGroups.values()].filter((group) => !lookups.knownGroups.has(group._id));
  plan.earlierGroups = [...newGroups.values()].filter((group) => lookups.knownGroups.has(group._id));
  const sessionCards = countCardsOncePerSession(plan.events.filter((event): event is EnterEvent => event.type === 'enter'), user, lookups.dayEntries);
  if (touches.length > 0) {
    const byTime = [...touches].sort((a, b) => a.at.getTime() - b.at.getTime());
    const latest = { ...byTime[byTime.length - 1] };
    const cards = sessionCards.get(latest.at.getTime());
    if (cards && cards.length > 0) latest.returns = cards;
    plan.touches = { first: byTime[0], latest };
    const storedLatest = user && sessionCards.get(new Date(user.latest.at).getTime());
    if (storedLatest) plan.storedLatestReturns = storedLatest;
  }
  return plan;
}

/**
 * Marks the entries that return through a card already returned through in their session as
 * repeats (`shared/session.ts`), day by day: a day's stored entries come from `dayEntries` when the
 * store read them, else from what the user's latest entry remembers. Answers each entry's session
 * cards by its event time, for the latest entry to remember.
 */
function countCardsOncePerSession(entries: EnterEvent[], user: UserDoc | undefined, dayEntries: ReadonlyMap<string, KnownEntry[]> | undefined): Map<number, string[]> {
  const cardsAt = new Map<number, string[]>();
  const byDay = new Map<string, EnterEvent[]>();
  for (const entry of entries) byDay.set(entry.day, [...(byDay.get(entry.day) ?? []), entry]);
  for (const [day, ofDay] of byDay) {
    const latest = user?.latest;
    const latestAt = latest && latest.day === day ? new Date(latest.at).getTime() : undefined;
    // the user's latest entry remembers its session's cards even before the events that made them are stored
    const remembered = latestAt !== undefined ? [{ at: latestAt, cards: latest?.returns ?? [] }] : [];
    const known = [...(dayEntries?.get(day) ?? []), ...remembered];
    const fresh = ofDay.map((entry) => ({ at: entry.at.getTime(), card: entry.share?.isReturn ? entry.share.shareId : undefined }));
    // the stored latest entry as one more moment without a card: what its session holds once the batch is counted
    const counts = countOncePerSession(known, latestAt === undefined ? fresh : [...fresh, { at: latestAt }]);
    ofDay.forEach((entry, index) => {
      if (counts[index].repeat && entry.share) entry.share = { ...entry.share, isReturn: false, repeat: true };
      cardsAt.set(entry.at.getTime(), counts[index].sessionCards);
    });
    if (latestAt !== undefined) cardsAt.set(latestAt, counts[fresh.length].sessionCards);
  }
  return cardsAt;
}

/**
 * The `users` write a plan needs. `users` documents are versioned (`v`): every write is conditional
 * on the version the plan read, and bumps it, so that batches arriving together or out of order
 * (two devices, retries, an offline phone) are planned one after the other — a refused write means
 * another came first, and the batch is planned again from fresh reads. Between them they leave the
 * earliest entry as `first`, the latest as `latest`, and the cards of the latest session, each once.
 * - `create`: the whole document, added (refused if it exists meanwhile);
 * - `update`: the fields that change. When `first` moves to an earlier day, `revision` names the
 *   move (`fromDay` → `toDay`): the caller's events stored on `fromDay` still say they were new there.
 */
export type UserWrite =
  | { kind: 'create'; doc: UserDoc }
  | { kind: 'update'; version: number | undefined; fields: Partial<Pick<UserDoc, 'appid' | 'unionid' | 'firstDay' | 'first' | 'latest'>>; revision?: { fromDay: string; toDay: string } };

const sameCards = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((card) => b.includes(card));

/** The `users` write a plan needs, given the stored document (read before planning); none when nothing changes. */
export function userWrite(stored: UserDoc | undefined, plan: Pick<TrackPlan, 'touches' | 'storedLatestReturns'>, identity: Identity): UserWrite | undefined {
  const { touches } = plan;
  if (!touches) return undefined;
  const who = identity.unionid ? { appid: identity.appid, unionid: identity.unionid } : { appid: identity.appid };
  if (!stored) return { kind: 'create', doc: { _id: identity.openid, ...who, firstDay: touches.first.day, first: touches.first, latest: touches.latest, v: 1 } };
  const fields: Extract<UserWrite, { kind: 'update' }>['fields'] = {};
  if (touches.latest.at.getTime() > new Date(stored.latest.at).getTime()) Object.assign(fields, who, { latest: touches.latest });
  else if (plan.storedLatestReturns && !sameCards(plan.storedLatestReturns, stored.latest.returns ?? [])) fields.latest = { ...stored.latest, returns: plan.storedLatestReturns };
  let revision: { fromDay: string; toDay: string } | undefined;
  if (touches.first.at.getTime() < new Date(stored.first.at).getTime()) {
    Object.assign(fields, { first: touches.first, firstDay: touches.first.day });
    if (touches.first.day < stored.firstDay) revision = { fromDay: stored.firstDay, toDay: touches.first.day };
  }
  if (Object.keys(fields).length === 0) return undefined;
  return revision ? { kind: 'update', version: stored.v, fields, revision } : { kind: 'update', version: stored.v, fields };
}
