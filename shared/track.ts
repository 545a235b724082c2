/**
 * What a `track` batch changes, computed without any I/O: from the validated events, the caller
 * WeChat vouched for, the server time and what was read beforehand (stored event ids, the user,
 * the shares referenced, the group cloudIDs resolved), build every document to write.
 *
 * Share rules (the verified share graph):
 * - A `share` event records the share: its id belongs to the verified sharer (the caller), with a
 *   depth and root taken from how the sharer arrived. Arriving through someone else's share card
 *   makes the new share a child (depth + 1, same root); arriving through one's own card makes it a
 *   sibling of that card (same depth, root and parent); any other arrival makes a root (depth 1).
 * - An `enter` with `rk_sh` is attributed to that share: sharer, the depth of the card opened
 *   (1 for a root share's card), root. A share id nobody recorded is kept as unverified and
 *   credits no one; opening one's own card is not a return; re-opens from favourites or a Moments
 *   snapshot never count as share returns.
 *
 * @example
 * const needs = { shareIds: shareIdsToRead(events, user), cloudIDs: cloudIDsOf(events) };
 * // … the store reads those …
 * const plan = planBatch(events, caller, new Date(), lookups);
 * // plan.user, plan.groups, plan.events: what to write
 */
import { parseEntry, type Entry } from './entry';
import type { EnterEvent, GroupDoc, ShareAttribution, ShareRecord, StoredEvent, Touch, UserDoc } from './model';
import type { EnterInput, TrackEventInput } from './schemas';
import { chinaDay } from './time';

export interface Identity {
  openid: string;
  appid: string;
  unionid?: string;
}

/** What WeChat said about one group cloudID: the group, or why it could not be read. */
export type GroupResolution = { openGId: string; chatType?: number } | { error: string };

export interface TrackLookups {
  /** Ids of this batch's events that are already stored. */
  storedIds: ReadonlySet<string>;
  /** The caller's `users` document, when there is one. */
  user?: UserDoc;
  /** Recorded shares by id: those the batch's entries and share events name, and the user's latest arrival. */
  shares: ReadonlyMap<string, ShareRecord>;
  /** Group cloudIDs of the batch, resolved. */
  groups: ReadonlyMap<string, GroupResolution>;
  /** openGIds already in `groups`, among those the cloudIDs resolved to. */
  knownGroups: ReadonlySet<string>;
}

/** A `users` write: a whole new document, or the fields that change on an existing one. */
export type UserWrite = { create: UserDoc } | { update: { latest: Touch; appid: string; unionid?: string } };

export interface TrackPlan {
  /** Event ids written by this batch, in the order received. */
  accepted: string[];
  /** Event ids already stored (or repeated in the batch): answered, not written again. */
  duplicates: string[];
  /** The new events; share events that record a share carry it (the share ledger). */
  events: StoredEvent[];
  user?: UserWrite;
  /** Groups seen for the first time. */
  groups: GroupDoc[];
}

/** The share position a user is at when they share: where their last entry came from. */
type Arrival = { kind: 'root' } | { kind: 'child' | 'sibling'; of: ShareRecord };

const enters = (events: readonly TrackEventInput[]): EnterInput[] => events.filter((event): event is EnterInput => event.type === 'enter');

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
  const touch: Touch = { day: event.day, at: event.serverAt, scene: event.scene, category: event.category, bucket: event.bucket };
  if (event.channel) touch.channel = event.channel;
  // only a verified card that was really opened is an arrival the user's next share can build on
  if (event.share?.verified && !event.reopen) touch.shareId = event.share.shareId;
  return touch;
}

function enterEvent(input: EnterInput, base: Omit<StoredEvent, 'type'>, identity: Identity, lookups: TrackLookups, shares: ReadonlyMap<string, ShareRecord>): EnterEvent {
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
  const group: GroupDoc = { _id: event.groupId, firstSeen: event.serverAt, firstDay: event.day, firstOpener: event.openid };
  if (event.chatType !== undefined) group.chatType = event.chatType;
  if (event.share?.verified) group.firstShareId = event.share.shareId;
  return group;
}

/**
 * Builds everything a batch writes. Events are taken in `seq` order (the order they happened on
 * the device), so a share follows the entry it came after; answers keep the order received.
 */
export function planBatch(events: readonly TrackEventInput[], identity: Identity, now: Date, lookups: TrackLookups): TrackPlan {
  const plan: TrackPlan = { accepted: [], duplicates: [], events: [], groups: [] };
  const seen = new Set<string>();
  const fresh: TrackEventInput[] = [];
  for (const event of events) {
    if (lookups.storedIds.has(event.id) || seen.has(event.id)) plan.duplicates.push(event.id);
    else {
      plan.accepted.push(event.id);
      fresh.push(event);
    }
    seen.add(event.id);
  }

  const shares = new Map(lookups.shares);
  const latest = lookups.user?.latest;
  const latestShare = latest?.shareId ? shares.get(latest.shareId) : undefined;
  let arrival: Arrival = latestShare ? { kind: latestShare.sharer === identity.openid ? 'sibling' : 'child', of: latestShare } : { kind: 'root' };
  const day = chinaDay(now);
  const identityFields = identity.unionid ? { openid: identity.openid, appid: identity.appid, unionid: identity.unionid } : { openid: identity.openid, appid: identity.appid };
  // a user without a document gets one from this batch's first entry, whose day is today
  const firstDay = lookups.user?.firstDay ?? day;
  const stored = new Map<string, StoredEvent>();
  const touches: Touch[] = [];
  const newGroups = new Map<string, GroupDoc>();

  for (const input of [...fresh].sort((a, b) => a.seq - b.seq)) {
    const base = { _id: input.id, ...identityFields, seq: input.seq, clientAt: new Date(input.at), serverAt: now, day, firstDay };
    let event: StoredEvent;
    if (input.type === 'enter') {
      const enter = enterEvent(input, base, identity, lookups, shares);
      arrival = arrivalFrom(enter.share, enter.reopen, shares);
      touches.push(touchOf(enter));
      const { groupId } = enter;
      if (groupId && !lookups.knownGroups.has(groupId) && !newGroups.has(groupId)) newGroups.set(groupId, groupDoc({ ...enter, groupId }));
      event = enter;
    } else if (input.type === 'share') {
      event = { ...base, type: 'share', shareId: input.shareId, path: input.path, to: input.to };
      // a share id already recorded (by anyone) keeps its first owner: ids are not reassigned
      if (!shares.has(input.shareId)) {
        const share = shareRecord(input.shareId, identity.openid, arrival);
        shares.set(share.shareId, share);
        event.share = share;
      }
    } else if (input.type === 'page') event = { ...base, type: 'page', path: input.path };
    else event = { ...base, type: 'hide', stayMs: input.stayMs };
    stored.set(input.id, event);
  }
  plan.events = plan.accepted.map((id) => stored.get(id) as StoredEvent);

  if (touches.length > 0) {
    const newest = touches[touches.length - 1];
    const who = identity.unionid ? { appid: identity.appid, unionid: identity.unionid } : { appid: identity.appid };
    plan.user = lookups.user
      ? { update: { latest: newest, ...who } }
      : { create: { _id: identity.openid, ...who, firstDay: touches[0].day, first: touches[0], latest: newest } };
  }
  plan.groups = [...newGroups.values()];
  return plan;
}
