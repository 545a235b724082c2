/**
 * Where a `track` batch meets the cloud: the reads the domain needs, one getOpenData call, and
 * the writes `shared/track.ts` planned.
 *
 * Cost of one batch, whatever its number of events (the README quotes this):
 * - reads, none per event: first, in parallel, the caller's user-days of the batch's days and any
 *   that counted one of its entries or shares on another day (one query, `onCountedDays`), the
 *   share events that recorded the share ids the batch names, the documents of the goals it
 *   reports, and the message and card records its entries name (which entries are opens: goals
 *   credit them, and retention counts a day under its earliest entry's keys); then, only when
 *   those leave something open (`followUps`), in parallel, the caller's `users` document (the
 *   first batch of a day, an entry that may be earlier than the user's first, or a goal: its
 *   first touch), the batch's ids in `events` (a user-day counted some of them already: a batch
 *   sent again), the user's latest entry of an earlier day (a share with nothing before it on its
 *   own day), the user's entries of the 30 days before its goals (their credits) and the
 *   user-days of its goals' days the first read left out (a goal is held by its own day's); last,
 *   in parallel, the `groupFirst` entries of the groups the batch's new entries came from, and the
 *   user's days with an entry before the days the batch gives their first entry (a known user's
 *   first batch of a day: retention's previous day). Each is skipped when there is nothing to
 *   read: a batch of page views and hides reads nothing;
 * - 1 `cloud.getOpenData` call, before that last read, for the group cloudIDs of the entries the
 *   batch stores (skipped when there are none: a batch sent again resolves nothing);
 * - writes: the user's `add` (a new user) or conditional `update` (an earlier first entry, with a
 *   `revisions` document when the first day moves, and an update of the user-days that copied the
 *   first touch before), only then; an update of the user's later user-days for each day before
 *   the receipt's that the batch gives its first entry (their previous day may be it: an offline
 *   phone, an entry just before midnight), only then; each goal document that changes, added or
 *   written over the version read; one user-day per day the batch's entries, shares and goals
 *   fall on (usually one), added or written over the version read; then one batched `add` of the
 *   events.
 *
 * The user, the goals and the user-days go first, the events last: a crash between them leaves
 * events that a user-day counted but `events` lacks, and the client's retry stores exactly those,
 * without counting them again (a goal's report it already merged places the goal on its user-day
 * again). When a concurrent delivery wins a race (the same user, goal or user-day written
 * meanwhile), the refused write shows it: the batch is planned again from fresh reads, twice at
 * most. Events are added without a read first: when some are stored already (the same batch sent
 * twice at once, page views sent again), the refused add shows it, and the others are added.
 */
import type { Caller } from './cloud';
import type { Database } from './pipeline';
import { addUnlessTaken, documentsOf, updatedCount } from './pipeline';
import { revisionOf } from '../shared/revisions';
import type { EnterEvent, GoalDoc, ShareEvent, ShareRecord, Touch, UserDayDoc, UserDoc } from '../shared/model';
import { isFunctionCall } from '../shared/goals';
import type { SentRecord } from '../shared/sends';
import {
  batchDays,
  cloudIDsOf,
  countedIds,
  eventDocIds,
  followUps,
  goalDaysToRead,
  goalDocIds,
  goalWindow,
  onCountedDays,
  planBatch,
  PRIOR_DAYS,
  priorDaysBefore,
  readGroupData,
  sendIdsToRead,
  shareIdsToRead,
  timedEvents,
  type Batch,
  type GroupResolution,
  type Identity,
  type LaterDayFix,
  type TimedEvent,
  type TrackContext,
  type TrackLookups,
  type TrackPlan,
  type UserDayWrite,
  type UserWrite,
} from '../shared/track';
import type { GoalWrite } from '../shared/goal-plan';
import { MAPS, OPTIONAL_MAPS, userDayId } from '../shared/user-days';
import { RukouError } from '../shared/errors';

/** What getOpenData answers: `list` in the order of the cloudIDs asked. */
export type OpenDataReader = (cloudIDs: string[]) => Promise<{ list?: { cloudID?: string; data?: unknown }[] }>;

export interface TrackStoreDeps {
  db: Database;
  getOpenData: OpenDataReader;
  now: () => Date;
  /** The caller's share prefix (`sharePrefix`), when share ids are issued at all. */
  sharePrefix?: string;
}

/** What a stored batch answers: which events were new. */
export interface StoredBatch {
  accepted: string[];
  duplicates: string[];
}

const MAX_IN = 1000;
/** Plans of one batch against racing deliveries of the same user before it answers UPSTREAM (the tracker sends it again). */
const ATTEMPTS = 3;

async function byIds<T>(db: Database, collection: string, ids: string[], fields?: Record<string, boolean>): Promise<T[]> {
  if (ids.length === 0) return [];
  const _ = db.command;
  let query = db.collection(collection).where({ _id: _.in(ids) });
  if (fields) query = query.field(fields);
  return documentsOf<T>(await query.limit(MAX_IN).get(), collection);
}

/**
 * getOpenData failures that pass: WeChat busy (-1), the cloud's system error (-501001), the SDK's
 * WeChat system error (-601001) and a call that got no answer at all (no errcode: the network, a
 * timeout). Others (no permission, a quota for the day) would fail every retry within a cloudID's life.
 */
const PASSING_FAILURES: ReadonlySet<unknown> = new Set([-1, -501001, -601001, undefined]);

/**
 * Resolves every cloudID in one call; a failed item is a reason, and so is a failed call that no
 * retry would cure (no permission …). A call that failed for a moment throws UPSTREAM, before
 * anything is stored, so that the phone's retry resolves the groups: a cloudID lives 5 minutes
 * (§C), after which its item fails alone and its entry is kept without the group.
 */
async function resolveGroups(getOpenData: OpenDataReader, cloudIDs: string[]): Promise<Map<string, GroupResolution>> {
  const resolved = new Map<string, GroupResolution>();
  if (cloudIDs.length === 0) return resolved;
  try {
    const answer = await getOpenData(cloudIDs);
    const list = answer.list ?? [];
    cloudIDs.forEach((cloudID, index) => {
      const item = list.find((entry) => entry.cloudID === cloudID) ?? list[index];
      resolved.set(cloudID, readGroupData(item));
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String((error as { errMsg?: unknown })?.errMsg ?? error);
    const code = (error as { errCode?: unknown } | undefined)?.errCode;
    if (PASSING_FAILURES.has(typeof code === 'number' ? code : undefined)) throw new RukouError('UPSTREAM', `WeChat did not resolve the group cloudIDs just now (getOpenData: ${reason}): nothing was stored; send the batch again`);
    for (const cloudID of cloudIDs) resolved.set(cloudID, { error: reason });
  }
  return resolved;
}

/** The share records of the given ids, from the share events that recorded them (the share ledger). */
async function sharesByIds(db: Database, shareIds: string[]): Promise<ShareRecord[]> {
  if (shareIds.length === 0) return [];
  const _ = db.command;
  const answer = await db
    .collection('events')
    .where({ type: 'share', 'share.shareId': _.in(shareIds) })
    .field({ share: true })
    .limit(MAX_IN)
    .get();
  return documentsOf<Pick<ShareEvent, 'share'>>(answer, 'events').flatMap((event) => (event.share ? [event.share] : []));
}

/** Each group's earliest stored `groupFirst` entry time. */
async function groupFirstsOf(db: Database, openGIds: string[]): Promise<Map<string, Date>> {
  const firsts = new Map<string, Date>();
  if (openGIds.length === 0) return firsts;
  const _ = db.command;
  const answer = await db.collection('events').where({ groupId: _.in(openGIds), groupFirst: true }).field({ groupId: true, at: true }).limit(MAX_IN).get();
  for (const { groupId, at } of documentsOf<Pick<EnterEvent, 'groupId' | 'at'>>(answer, 'events')) {
    const known = groupId === undefined ? undefined : firsts.get(groupId);
    if (groupId !== undefined && (!known || new Date(at) < known)) firsts.set(groupId, new Date(at));
  }
  return firsts;
}

/** The user's latest `limit` user-days with an entry before `day`, latest first, with `fields`. */
async function daysWithEntryBefore<T>(db: Database, openid: string, day: string, limit: number, fields: Record<string, boolean>): Promise<T[]> {
  const _ = db.command;
  const answer = await db.collection('user_days').where({ openid, day: _.lt(day), entries: _.gt(0) }).orderBy('day', 'desc').limit(limit).field(fields).get();
  return documentsOf<T>(answer, 'user_days');
}

/** The user's latest entry on a day before `day`. */
async function latestBefore(db: Database, openid: string, day: string): Promise<Touch | undefined> {
  return (await daysWithEntryBefore<Pick<UserDayDoc, 'latest'>>(db, openid, day, 1, { latest: true }))[0]?.latest;
}

/** The caller's user-days of the batch's days, and those that counted any of its events (on another day, `onCountedDays`). */
async function userDaysOf(db: Database, timed: readonly TimedEvent[], openid: string): Promise<UserDayDoc[]> {
  const days = batchDays(timed);
  if (days.length === 0) return [];
  const _ = db.command;
  const query = _.or([{ _id: _.in(days.map((day) => userDayId(openid, day))) }, { openid, counted: _.in(countedIds(timed)) }]);
  return documentsOf<UserDayDoc>(await db.collection('user_days').where(query).limit(MAX_IN).get(), 'user_days');
}

/** The records of the messages and cards the batch's entries name, each read as a `SentRecord` (its template or rule as `key`). */
async function sentRecords(db: Database, collection: 'messages' | 'cards', ids: string[]): Promise<Map<string, SentRecord>> {
  const key = collection === 'messages' ? 'templateId' : 'rule';
  const docs = await byIds<Record<string, unknown>>(db, collection, ids, { openid: true, [key]: true, fate: true, sentAt: true });
  return new Map(docs.map((doc) => [String(doc._id), { _id: String(doc._id), openid: String(doc.openid), key: String(doc[key]), fate: String(doc.fate), ...(doc.sentAt ? { sentAt: new Date(doc.sentAt as Date) } : {}) }]));
}

/** The user's entries in a goals' window, latest first: what their credits are chosen from. */
async function entriesBetween(db: Database, openid: string, window: { from: Date; to: Date }): Promise<EnterEvent[]> {
  const _ = db.command;
  const fields = { eventId: true, at: true, bucket: true, category: true, scene: true, path: true, channel: true, share: true, reopen: true, groupId: true, messageOpen: true, cardOpen: true };
  const answer = await db.collection('events').where({ openid, type: 'enter', at: _.gte(window.from).and(_.lte(window.to)) }).orderBy('at', 'desc').limit(MAX_IN).field(fields).get();
  return documentsOf<EnterEvent>(answer, 'events');
}

/** What the plan reads, and the batch's events on the days their user-days counted them. */
async function readLookups(db: Database, received: readonly TimedEvent[], openid: string, groups: Map<string, GroupResolution>, getOpenData: OpenDataReader): Promise<{ timed: TimedEvent[]; lookups: TrackLookups }> {
  const sends = sendIdsToRead(received.map((event) => event.input));
  const [userDays, shares, goalDocs, messages, cards] = await Promise.all([
    userDaysOf(db, received, openid),
    sharesByIds(db, shareIdsToRead(received.map((event) => event.input))),
    byIds<GoalDoc>(db, 'goals', goalDocIds(received, openid)),
    sends.messages.length > 0 ? sentRecords(db, 'messages', sends.messages) : new Map<string, SentRecord>(),
    sends.cards.length > 0 ? sentRecords(db, 'cards', sends.cards) : new Map<string, SentRecord>(),
  ]);
  const timed = onCountedDays(received, userDays);
  const goals = new Map(goalDocs.map((doc) => [doc._id, doc]));
  const window = goalWindow(timed, goals, openid);
  const follow = followUps(timed, new Map(userDays.map((doc) => [doc.day, doc])));
  const [users, stored, earlierLatest, entries, goalDays] = await Promise.all([
    follow.user ? byIds<UserDoc>(db, 'users', [openid]) : [],
    follow.storedIds ? byIds<{ eventId: string }>(db, 'events', eventDocIds(timed, openid), { eventId: true }) : undefined,
    follow.latestBefore ? latestBefore(db, openid, follow.latestBefore) : undefined,
    window ? entriesBetween(db, openid, window) : undefined,
    // a stored goal is held by the user-day of its own day, which the batch's days may not include
    byIds<UserDayDoc>(db, 'user_days', goalDaysToRead(goals, userDays.map((doc) => doc.day)).map((day) => userDayId(openid, day))),
  ]);
  const byDay = new Map([...userDays, ...goalDays].map((doc) => [doc.day, doc]));
  const storedIds = stored && new Set(stored.map((doc) => doc.eventId));
  // the groups of the entries this batch stores: a batch sent again resolves none; `groups` keeps them for the batch's next plan
  const cloudIDs = cloudIDsOf(timed.filter((event) => !storedIds?.has(event.input.id)).map((event) => event.input));
  for (const [cloudID, group] of await resolveGroups(getOpenData, cloudIDs.filter((cloudID) => !groups.has(cloudID)))) groups.set(cloudID, group);
  const openGIds = cloudIDs.flatMap((cloudID) => {
    const group = groups.get(cloudID);
    return group && 'openGId' in group ? [group.openGId] : [];
  });
  // without `users` read, the user-days' copies say the first day
  const firstDay = follow.user ? users[0]?.firstDay : [...byDay.values()].map((doc) => doc.firstDay).sort()[0];
  const before = priorDaysBefore(timed, byDay, firstDay);
  const [groupFirsts, priorDays] = await Promise.all([
    groupFirstsOf(db, [...new Set(openGIds)]),
    before ? daysWithEntryBefore<Pick<UserDayDoc, 'day'>>(db, openid, before, PRIOR_DAYS, { day: true }) : undefined,
  ]);
  const lookups: TrackLookups = {
    userDays: byDay,
    userRead: follow.user,
    ...(users[0] ? { user: users[0] } : {}),
    shares: new Map(shares.map((share) => [share.shareId, share])),
    groups,
    groupFirsts,
    ...(storedIds ? { storedIds } : {}),
    ...(earlierLatest ? { earlierLatest } : {}),
    ...(messages.size + cards.size > 0 ? { records: { messages, cards } } : {}),
    ...(goals.size > 0 || window ? { goals, entries: entries ?? [] } : {}),
    ...(priorDays ? { priorDays: priorDays.map((doc) => doc.day) } : {}),
  };
  return { timed, lookups };
}

/** A database refusal: logged with its details, answered without them (they are the database's internals). */
function failure(what: string, error: unknown): RukouError {
  console.error(JSON.stringify({ upstream: `storing ${what}`, error: error instanceof Error ? error.message : String(error) }));
  return new RukouError('UPSTREAM', `the ${what} could not be stored just now; send the batch again`);
}

/** Adds documents in one request; a refusal for a duplicate `_id` is told apart from any other. */
async function addAll(db: Database, collection: string, docs: object[]): Promise<'added' | 'duplicate'> {
  try {
    return await addUnlessTaken(db, collection, docs);
  } catch (error) {
    throw failure(collection, error);
  }
}

/** Applies the user write, conditional on the version the plan read. False when another write came first: plan again. */
async function writeUser(db: Database, write: UserWrite | undefined, openid: string, now: Date): Promise<boolean> {
  if (!write) return true;
  if (write.kind === 'create') return (await addAll(db, 'users', [write.doc])) === 'added';
  const _ = db.command;
  // the revision goes first: written twice it is one document, and a crash between the two leaves
  // a retry that finds the first day still to move, never a moved day without its revision
  if (write.revision) await addAll(db, 'revisions', [revisionOf(openid, write.revision.fromDay, write.revision.toDay, now)]);
  const { first, ...plain } = write.fields;
  const data = { ...plain, ...(first ? { first: _.set(first) } : {}), v: _.inc(1) };
  return updatedCount(await db.collection('users').where({ _id: openid, v: write.version }).update({ data })) === 1;
}

/**
 * Applies a user-day write (see `UserDayWrite`). False when another write came first (the day
 * added meanwhile, a version moved on, some of the events counted meanwhile): plan again.
 */
async function writeUserDay(db: Database, write: UserDayWrite): Promise<boolean> {
  if (write.kind === 'create') return (await addAll(db, 'user_days', [write.doc])) === 'added';
  const _ = db.command;
  const { count, doc } = write;
  const counters: Record<string, unknown> = { entries: _.inc(count.entries), cold: _.inc(count.cold), shareIntents: _.inc(count.shareIntents), returns: _.inc(count.returns) };
  for (const map of MAPS) for (const [key, n] of Object.entries(count.maps[map])) counters[`${map}.${key}`] = _.inc(n);
  for (const map of OPTIONAL_MAPS) for (const [key, n] of Object.entries(count.optionalMaps[map])) counters[`${map}.${key}`] = _.inc(n);
  const pushes = { times: _.push({ each: count.times, sort: 1 }), cards: _.push({ each: count.cards }), counted: _.push({ each: count.counted }) };
  // set whole (the SDK would merge an object field by field), as the plan computed them from the version read
  const goals = write.goals ? { goals: _.set(write.goals.goals), goalKeys: _.set(write.goals.goalKeys), goalNames: _.set(write.goals.goalNames), goalCount: write.goals.goalCount, goalsAt: write.goals.goalsAt } : {};
  // what depends on the day as read: set as the plan computed it, under the version it read
  const planned =
    write.version === undefined
      ? {}
      : {
          firstDay: doc.firstDay,
          ...(doc.firstAt ? { firstAt: doc.firstAt } : {}),
          ...(doc.firstKeys ? { firstKeys: _.set(doc.firstKeys) } : {}),
          ...(doc.latest ? { latest: _.set(doc.latest) } : {}),
          ...(doc.dayFirst ? { dayFirst: _.set(doc.dayFirst) } : {}),
          ...(doc.prevDay !== undefined ? { prevDay: doc.prevDay } : {}),
          ...goals,
          v: _.inc(1),
        };
  const where = { _id: doc._id, counted: _.nin(count.counted), ...(write.version === undefined ? {} : { v: write.version }) };
  return updatedCount(await db.collection('user_days').where(where).update({ data: { ...counters, ...pushes, ...planned, at: doc.at } })) === 1;
}

/**
 * Writes the user's other user-days the batch changes (`LaterDayFix`), each as one conditional
 * update of the days it applies to: applied again by a retry, it changes nothing more. A new
 * version, so that a delivery planned from one of them as it was plans again; `movedAt`, so that
 * the daily run rolls their days again (no event of theirs was written).
 */
async function fixLaterDays(db: Database, fixes: readonly LaterDayFix[], openid: string, now: Date): Promise<void> {
  const _ = db.command;
  for (const fix of fixes) {
    const where =
      fix.kind === 'first'
        ? { openid, firstAt: _.gt(fix.firsts.firstAt), _id: _.nin(fix.except) }
        : { openid, day: _.gt(fix.after), entries: _.gt(0), prevDay: _.lt(fix.after), _id: _.nin(fix.except) };
    const data =
      fix.kind === 'first' ? { firstAt: fix.firsts.firstAt, firstKeys: _.set(fix.firsts.firstKeys) } : { prevDay: fix.after };
    try {
      await db.collection('user_days').where(where).update({ data: { ...data, at: now, movedAt: now, v: _.inc(1) } });
    } catch (error) {
      throw failure('user_days', error);
    }
  }
}

/** Applies a goal document write: added, or written over the version read. False when another delivery came first: plan again. */
async function writeGoal(db: Database, write: GoalWrite): Promise<boolean> {
  if (write.kind === 'create') return (await addAll(db, 'goals', [write.doc])) === 'added';
  const { _id, reports, ...fields } = write.doc;
  const _ = db.command;
  return updatedCount(await db.collection('goals').where({ _id, v: write.version }).update({ data: { ...fields, reports: _.set(reports) } })) === 1;
}

/** Adds the planned events; those another delivery stored meanwhile are answered as duplicates. */
async function storeEvents(db: Database, plan: TrackPlan): Promise<StoredBatch> {
  if ((await addAll(db, 'events', plan.events)) === 'added') return { accepted: plan.accepted, duplicates: plan.duplicates };
  const stored = new Set((await byIds<{ _id: string }>(db, 'events', plan.events.map((event) => event._id), { _id: true })).map((event) => event._id));
  const fresh = plan.events.filter((event) => !stored.has(event._id));
  if ((await addAll(db, 'events', fresh)) === 'duplicate') throw new RukouError('UPSTREAM', 'the events were being stored by another delivery at the same time; send the batch again');
  const freshIds = new Set(fresh.map((event) => event.eventId));
  return { accepted: plan.accepted.filter((id) => freshIds.has(id)), duplicates: [...plan.duplicates, ...plan.accepted.filter((id) => !freshIds.has(id))] };
}

/** Records a validated batch for a verified caller and answers which events were written and which were duplicates. */
export async function storeBatch(deps: TrackStoreDeps, batch: Batch, caller: Caller): Promise<StoredBatch> {
  const { db } = deps;
  const identity: Identity = caller.unionid ? { openid: caller.openid, appid: caller.appid, unionid: caller.unionid } : { openid: caller.openid, appid: caller.appid };
  const groups = new Map<string, GroupResolution>();
  const now = deps.now();
  const timed = timedEvents(batch, now);
  const context: TrackContext = { identity, now, byFunction: isFunctionCall(caller.source), ...(deps.sharePrefix ? { sharePrefix: deps.sharePrefix } : {}) };
  for (let attempt = 1; ; attempt++) {
    const read = await readLookups(db, timed, identity.openid, groups, deps.getOpenData);
    const plan = planBatch(read.timed, context, read.lookups);
    if (plan.events.length === 0) return { accepted: plan.accepted, duplicates: plan.duplicates };
    await fixLaterDays(db, plan.laterDays, identity.openid, now);
    // another delivery for this user came first when a write is refused: plan again from what it left
    if ((await writeUser(db, plan.user, identity.openid, now)) && (await every(plan.goals, (write) => writeGoal(db, write))) && (await every(plan.userDays, (write) => writeUserDay(db, write)))) return storeEvents(db, plan);
    if (attempt === ATTEMPTS) throw new RukouError('UPSTREAM', 'the user was being recorded by other deliveries at the same time; send the batch again');
  }
}

/** Applies writes in parallel: true when every one was applied. */
async function every<W>(writes: readonly W[], apply: (write: W) => Promise<boolean>): Promise<boolean> {
  return (await Promise.all(writes.map(apply))).every(Boolean);
}
