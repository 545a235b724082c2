/**
 * Where a `track` batch meets the cloud: the reads the domain needs, one getOpenData call, and
 * the writes `shared/track.ts` planned.
 *
 * Cost of one batch, whatever its number of events (the README quotes this):
 * - reads, at most 4, none per event: the batch's ids in `events` (one `_id in` query: the
 *   dedupe) and the caller's `users` document, in parallel; then the share events that recorded
 *   the share ids the batch names and the `groups` its cloudIDs resolved to, in parallel (each
 *   skipped when there is nothing to read);
 * - 1 `cloud.getOpenData` call for all the batch's group cloudIDs (skipped when there are none);
 * - writes, at most 3: the user's `set` (new) or `update` (latest touch) and one batched `add` of
 *   the groups seen for the first time, in parallel; then one batched `add` of the new events.
 *   Each is skipped when there is nothing to write.
 * The events go last because they are what makes a delivery count: if the function dies before,
 * the client's retry plans the batch again and rewrites the same user and group facts. When a
 * concurrent delivery of the same events or a first open of the same group wins a race, the
 * `add` is refused for a duplicate `_id`; the batch is planned again from fresh reads and the
 * refused add is retried, once (at most 4 more reads and 1 more write for each).
 */
import type { Caller } from './cloud';
import type { Database } from './pipeline';
import { documentsOf } from './pipeline';
import type { GroupDoc, ShareEvent, ShareRecord, UserDoc } from '../shared/model';
import type { TrackEventInput } from '../shared/schemas';
import { cloudIDsOf, planBatch, readGroupData, shareIdsToRead, type GroupResolution, type TrackLookups, type TrackPlan } from '../shared/track';
import { RukouError } from '../shared/errors';

/** What getOpenData answers: `list` in the order of the cloudIDs asked. */
export type OpenDataReader = (cloudIDs: string[]) => Promise<{ list?: { cloudID?: string; data?: unknown }[] }>;

export interface TrackStoreDeps {
  db: Database;
  getOpenData: OpenDataReader;
  now: () => Date;
}

const MAX_IN = 1000;

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

async function readLookups(deps: TrackStoreDeps, events: TrackEventInput[], caller: Caller, groups: Map<string, GroupResolution>): Promise<TrackLookups> {
  const { db } = deps;
  const [stored, users] = await Promise.all([
    byIds<{ _id: string }>(db, 'events', [...new Set(events.map((event) => event.id))], { _id: true }),
    byIds<UserDoc>(db, 'users', [caller.openid]),
  ]);
  const user = users[0];
  const openGIds = [...new Set([...groups.values()].flatMap((group) => ('openGId' in group ? [group.openGId] : [])))];
  const [shares, known] = await Promise.all([sharesByIds(db, shareIdsToRead(events, user)), byIds<Pick<GroupDoc, '_id'>>(db, 'groups', openGIds, { _id: true })]);
  return {
    storedIds: new Set(stored.map((doc) => doc._id)),
    user,
    shares: new Map(shares.map((share) => [share.shareId, share])),
    groups,
    knownGroups: new Set(known.map((group) => group._id)),
  };
}

/** Whether a database refusal says an `_id` is already taken. */
function isDuplicateKey(error: unknown): boolean {
  const text = error instanceof Error ? `${(error as { code?: unknown }).code ?? ''} ${error.message}` : String(error);
  return /duplicate|E11000|already exists/i.test(text);
}

/** `set` refuses an `_id` in its data: the id travels in `doc(id)`. */
function withoutId(doc: { _id: string }): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...doc };
  delete rest._id;
  return rest;
}

/** Adds documents in one request; a refusal for a duplicate `_id` is told apart from any other. */
async function addAll(db: Database, collection: string, docs: object[]): Promise<'added' | 'duplicate'> {
  if (docs.length === 0) return 'added';
  try {
    await db.collection(collection).add({ data: docs });
    return 'added';
  } catch (error) {
    if (isDuplicateKey(error)) return 'duplicate';
    throw new RukouError('UPSTREAM', `the ${collection} could not be stored: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function writeUser(db: Database, plan: TrackPlan, caller: Caller): Promise<void> {
  if (!plan.user) return;
  const users = db.collection('users').doc(caller.openid);
  if ('create' in plan.user) {
    await users.set({ data: withoutId(plan.user.create) });
    return;
  }
  const { latest, appid, unionid } = plan.user.update;
  const _ = db.command;
  await users.update({ data: unionid ? { latest: _.set(latest), appid, unionid } : { latest: _.set(latest), appid } });
}

/**
 * Records a validated batch for a verified caller and answers which events were written and
 * which were duplicates.
 */
export async function storeBatch(deps: TrackStoreDeps, events: TrackEventInput[], caller: Caller): Promise<Pick<TrackPlan, 'accepted' | 'duplicates'>> {
  const { db } = deps;
  const identity = caller.unionid ? { openid: caller.openid, appid: caller.appid, unionid: caller.unionid } : { openid: caller.openid, appid: caller.appid };
  const groups = await resolveGroups(deps.getOpenData, cloudIDsOf(events));
  const now = deps.now();
  const plan = async (): Promise<TrackPlan> => planBatch(events, identity, now, await readLookups(deps, events, caller, groups));
  let current = await plan();
  if (current.events.length === 0) return { accepted: [], duplicates: current.duplicates };
  const [, groupsAdded] = await Promise.all([writeUser(db, current, caller), addAll(db, 'groups', current.groups)]);
  if (groupsAdded === 'duplicate') await addAll(db, 'groups', (await plan()).groups);
  if ((await addAll(db, 'events', current.events)) === 'duplicate') {
    current = await plan();
    if ((await addAll(db, 'events', current.events)) === 'duplicate') throw new RukouError('UPSTREAM', 'the events were being stored by another delivery at the same time; retry');
  }
  return { accepted: current.accepted, duplicates: current.duplicates };
}
