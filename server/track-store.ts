/**
 * Where a `track` batch meets the cloud: the reads the domain needs, one getOpenData call, and
 * the writes `shared/track.ts` planned.
 *
 * Cost of one batch, whatever its number of events (the README quotes this):
 * - reads, at most 4, none per event: the batch's event ids in `events` (one `_id in` query: the
 *   dedupe) and the caller's `users` document, in parallel; then the share events that recorded
 *   the share ids the batch names and the `groups` its cloudIDs resolved to, in parallel (each
 *   skipped when there is nothing to read);
 * - 1 `cloud.getOpenData` call for all the batch's group cloudIDs (skipped when there are none);
 * - writes, usually at most 3: the user's (an `add` when new, else a conditional `update` of the
 *   latest entry) and one batched `add` of the groups seen for the first time, in parallel; then
 *   one batched `add` of the new events. Each is skipped when there is nothing to write.
 * Rarer cases cost more, and are counted in the README: a batch with an entry earlier than the
 * user's stored first one updates `first` too (1 write) and, when that moves the user's first day,
 * adds a `revisions` document (1 write); card opens older than the user's latest entry read that
 * day's stored entries (1 read, with the second pair of reads).
 *
 * The user goes first because the events carry the user's first day, and the events go last
 * because they are what makes a delivery count: if the function dies before, the client's retry
 * plans the batch again and rewrites the same facts. When a concurrent delivery wins a race (the
 * same user created meanwhile, an earlier first entry stored meanwhile, the same events or a
 * group's first open), the refused write shows it: the batch is planned again from fresh reads
 * and the write is retried, once (at most 4 more reads for each).
 */
import type { Caller } from './cloud';
import type { Database } from './pipeline';
import { documentsOf, isDuplicateKey, updatedCount } from './pipeline';
import { countUserDays } from './user-days';
import { revisionOf } from '../shared/revisions';
import type { EnterEvent, GroupDoc, ShareEvent, ShareRecord, UserDoc } from '../shared/model';
import type { KnownEntry } from '../shared/session';
import { cloudIDsOf, daysToRead, eventDocIds, planBatch, readGroupData, shareIdsToRead, userWrite, type Batch, type GroupResolution, type Identity, type TrackContext, type TrackLookups, type TrackPlan, type UserWrite } from '../shared/track';
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
const USER_ATTEMPTS = 3;

async function byIds<T>(db: Database, collection: string, ids: string[], fields?: Record<string, boolean>): Promise<T[]> {
  if (ids.length === 0) return [];
  const _ = db.command;
  let query = db.collection(collection).where({ _id: _.in(ids) });
  if (fields) query = query.field(fields);
  return documentsOf<T>(await query.limit(MAX_IN).get(), collection);
}

/** Resolves every cloudID in one call; a failed call or item is a reason, never a throw. */
async function resolveGroups(getOpenData: OpenDataReader, cloudIDs: string[]): Promise<Map<string, GroupResolution>> {
  const resolved = new Map<string, GroupResolution>();
  if (cloudIDs.length === 0) return resolved;
  try {
    const answer = await getOpenData(cloudIDs);
    const list = answer.list ?? [];
    cloudIDs.forEach((cloudID, index) => {
      const item = list.find((entry) => entry.cloudID === cloudID) ?? list[index];
      resolved.set(cloudID, readGroupData(item?.data));
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
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

async function readLookups(deps: TrackStoreDeps, batch: Batch, openid: string, groups: Map<string, GroupResolution>): Promise<TrackLookups> {
  const { db } = deps;
  const [stored, users] = await Promise.all([
    byIds<{ _id: string }>(db, 'events', eventDocIds(batch.events, openid), { _id: true }),
    byIds<UserDoc>(db, 'users', [openid]),
  ]);
  const user = users[0];
  const openGIds = [...new Set([...groups.values()].flatMap((group) => ('openGId' in group ? [group.openGId] : [])))];
  const [shares, known, dayEntries] = await Promise.all([
    sharesByIds(db, shareIdsToRead(batch.events, user)),
    byIds<Pick<GroupDoc, '_id' | 'firstSeen'>>(db, 'groups', openGIds, { _id: true, firstSeen: true }),
    entriesOfDays(db, openid, daysToRead(batch, user, deps.now())),
  ]);
  return {
    storedIds: new Set(stored.map((doc) => doc._id)),
    user,
    shares: new Map(shares.map((share) => [share.shareId, share])),
    groups,
    knownGroups: new Map(known.map((group) => [group._id, new Date(group.firstSeen)])),
    ...(dayEntries ? { dayEntries } : {}),
  };
}

/** The caller's stored entries on those days, as sessions need them (one read, only for an offline phone's card opens). */
async function entriesOfDays(db: Database, openid: string, days: string[]): Promise<Map<string, KnownEntry[]> | undefined> {
  if (days.length === 0) return undefined;
  const _ = db.command;
  const answer = await db.collection('events').where({ openid, type: 'enter', day: _.in(days) }).field({ day: true, at: true, share: true }).limit(MAX_IN).get();
  const entries = new Map<string, KnownEntry[]>(days.map((day) => [day, []]));
  for (const event of documentsOf<Pick<EnterEvent, 'day' | 'at' | 'share'>>(answer, 'events')) {
    entries.get(event.day)?.push({ at: new Date(event.at).getTime(), cards: event.share?.isReturn ? [event.share.shareId] : [] });
  }
  return entries;
}

/** A database refusal: logged with its details, answered without them (they are the database's internals). */
function failure(what: string, error: unknown): RukouError {
  console.error(JSON.stringify({ upstream: `storing ${what}`, error: error instanceof Error ? error.message : String(error) }));
  return new RukouError('UPSTREAM', `the ${what} could not be stored just now; send the batch again`);
}

/** Adds documents in one request; a refusal for a duplicate `_id` is told apart from any other. */
async function addAll(db: Database, collection: string, docs: object[]): Promise<'added' | 'duplicate'> {
  if (docs.length === 0) return 'added';
  try {
    await db.collection(collection).add({ data: docs });
    return 'added';
  } catch (error) {
    if (isDuplicateKey(error)) return 'duplicate';
    throw failure(collection, error);
  }
}


/**
 * Applies the user write, conditional on the version the plan read. Answers false when another
 * write came first (the user created, or their document changed, meanwhile): plan again.
 */
async function writeUser(db: Database, write: UserWrite | undefined, openid: string, now: Date): Promise<boolean> {
  if (!write) return true;
  if (write.kind === 'create') return (await addAll(db, 'users', [write.doc])) === 'added';
  const _ = db.command;
  // the revision goes first: written twice it is one document, and a crash between the two leaves
  // a retry that finds the first day still to move, never a moved day without its revision
  if (write.revision) await addAll(db, 'revisions', [revisionOf(openid, write.revision.fromDay, write.revision.toDay, now)]);
  const { first, latest, ...plain } = write.fields;
  const data = { ...plain, ...(first ? { first: _.set(first) } : {}), ...(latest ? { latest: _.set(latest) } : {}), v: _.inc(1) };
  const version = write.version === undefined ? _.exists(false) : write.version;
  const answer = await db.collection('users').where({ _id: openid, v: version }).update({ data });
  return updatedCount(answer) === 1;
}

/** Records a validated batch for a verified caller and answers which events were written and which were duplicates. */
export async function storeBatch(deps: TrackStoreDeps, batch: Batch, caller: Caller): Promise<StoredBatch> {
  const { db } = deps;
  const identity: Identity = caller.unionid ? { openid: caller.openid, appid: caller.appid, unionid: caller.unionid } : { openid: caller.openid, appid: caller.appid };
  const answer = (plan: TrackPlan): StoredBatch => ({ accepted: plan.accepted, duplicates: plan.duplicates });
  const groups = await resolveGroups(deps.getOpenData, cloudIDsOf(batch.events));
  const now = deps.now();
  const context: TrackContext = deps.sharePrefix ? { identity, now, sharePrefix: deps.sharePrefix } : { identity, now };
  const plan = async (): Promise<{ lookups: TrackLookups; plan: TrackPlan }> => {
    const lookups = await readLookups(deps, batch, identity.openid, groups);
    return { lookups, plan: planBatch(batch, context, lookups) };
  };
  let current = await plan();
  if (current.plan.events.length === 0) return answer(current.plan);
  const user = (attempt: typeof current): Promise<boolean> => writeUser(db, userWrite(attempt.lookups.user, attempt.plan, identity), identity.openid, now);
  const [userWritten, groupsAdded] = await Promise.all([user(current), addAll(db, 'groups', current.plan.groups)]);
  // another delivery for this user came first: plan again from what it left, a few times
  for (let attempt = 1; !userWritten; attempt++) {
    current = await plan();
    if (await user(current)) break;
    if (attempt === USER_ATTEMPTS) throw new RukouError('UPSTREAM', 'the user was being recorded by other deliveries at the same time; send the batch again');
  }
  // the groups another delivery added meanwhile are left out (planning again after our own user write would read it back)
  if (groupsAdded === 'duplicate') {
    const known = new Set((await byIds<Pick<GroupDoc, '_id'>>(db, 'groups', current.plan.groups.map((group) => group._id), { _id: true })).map((group) => group._id));
    await addAll(db, 'groups', current.plan.groups.filter((group) => !known.has(group._id)));
  }
  const planned = current.plan;
  const known = current.lookups.user;
  // a day after the user's latest entry has no user-day yet: add it rather than try an update first
  await countUserDays(db, planned.events, (day) => !known || day > known.latest.day, now);
  for (const { _id, ...first } of planned.earlierGroups) {
    const _ = db.command;
    // conditional: a still earlier entry stored meanwhile keeps its place
    const data = { chatType: _.remove(), firstShareId: _.remove(), ...first };
    await db.collection('groups').where({ _id, firstSeen: _.gt(first.firstSeen) }).update({ data });
  }
  if ((await addAll(db, 'events', planned.events)) === 'duplicate') {
    // the same events delivered twice at once: the other delivery's copies stand, ours are duplicates
    const stored = new Set((await byIds<{ _id: string }>(db, 'events', planned.events.map((event) => event._id), { _id: true })).map((event) => event._id));
    const fresh = planned.events.filter((event) => !stored.has(event._id));
    if ((await addAll(db, 'events', fresh)) === 'duplicate') throw new RukouError('UPSTREAM', 'the events were being stored by another delivery at the same time; send the batch again');
    const freshIds = new Set(fresh.map((event) => event.eventId));
    return { accepted: planned.accepted.filter((id) => freshIds.has(id)), duplicates: [...planned.duplicates, ...planned.accepted.filter((id) => !freshIds.has(id))] };
  }
  return answer(planned);
}
