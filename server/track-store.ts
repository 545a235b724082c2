/**
 * Where a `track` batch meets the cloud: the reads the domain needs, one getOpenData call, and
 * the writes `shared/track.ts` planned.
 *
 * Cost of one batch, whatever its number of events (the README quotes this):
 * - reads, at most 4, none per event: `events` ids of the batch (one `_id in` query: the dedupe),
 *   the caller's `users` document (these two in parallel), then the `shares` the batch names and
 *   the `groups` its cloudIDs resolved to (in parallel; each skipped when there is nothing to read);
 * - 1 `cloud.getOpenData` call for all the batch's group cloudIDs (skipped when there are none);
 * - writes, at most 3 plus one per distinct group the batch's entries came from: one batched `add`
 *   of the new events, one batched `add` of the new shares, one `set`/`update` of the user (each
 *   skipped when there is nothing to write), and one `set`/`update` per group (a batch from one
 *   user rarely holds entries from more than one group; a batch with no group entry writes none).
 * When a concurrent delivery of the same events wins the race between the dedupe read and the
 * `add`, the add is refused for a duplicate `_id`; the batch is then planned again from fresh
 * reads, once (at most 4 more reads; the writes stay as above).
 */
import type { Caller } from './cloud';
import type { Database } from './pipeline';
import { documentsOf } from './pipeline';
import type { GroupDoc, ShareDoc, UserDoc } from '../shared/model';
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

async function readLookups(deps: TrackStoreDeps, events: TrackEventInput[], caller: Caller, groups: Map<string, GroupResolution>): Promise<TrackLookups> {
  const { db } = deps;
  const [stored, users] = await Promise.all([
    byIds<{ _id: string }>(db, 'events', [...new Set(events.map((event) => event.id))], { _id: true }),
    byIds<UserDoc>(db, 'users', [caller.openid]),
  ]);
  const user = users[0];
  const openGIds = [...new Set([...groups.values()].flatMap((group) => ('openGId' in group ? [group.openGId] : [])))];
  const [shares, groupDocs] = await Promise.all([byIds<ShareDoc>(db, 'shares', shareIdsToRead(events, user)), byIds<GroupDoc>(db, 'groups', openGIds)]);
  return {
    storedIds: new Set(stored.map((doc) => doc._id)),
    user,
    shares: new Map(shares.map((share) => [share._id, share])),
    groups,
    groupDocs: new Map(groupDocs.map((group) => [group._id, group])),
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

async function writePlan(db: Database, plan: TrackPlan, caller: Caller): Promise<void> {
  const _ = db.command;
  // the SDK types each write as `string | void | Promise`: awaited together all the same
  const writes: unknown[] = [];
  if (plan.shares.length > 0) writes.push(db.collection('shares').add({ data: plan.shares }));
  if (plan.user) {
    const users = db.collection('users').doc(caller.openid);
    if ('create' in plan.user) writes.push(users.set({ data: withoutId(plan.user.create) }));
    else {
      const { latest, appid, unionid } = plan.user.update;
      writes.push(users.update({ data: unionid ? { latest: _.set(latest), appid, unionid } : { latest: _.set(latest), appid } }));
    }
  }
  for (const group of plan.groups) {
    if ('create' in group) writes.push(db.collection('groups').doc(group.create._id).set({ data: withoutId(group.create) }));
    else {
      const { _id, opens, newOpener, shareIds, lastSeen } = group.update;
      const data: Record<string, unknown> = { opens: _.inc(opens), lastSeen };
      if (shareIds.length > 0) data.shareIds = _.addToSet({ $each: shareIds });
      if (newOpener) Object.assign(data, { openers: _.addToSet(newOpener), openerCount: _.inc(1) });
      writes.push(db.collection('groups').doc(_id).update({ data }));
    }
  }
  await Promise.all(writes);
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
  let plan = planBatch(events, identity, now, await readLookups(deps, events, caller, groups));
  if (plan.events.length === 0) return { accepted: [], duplicates: plan.duplicates };
  try {
    await db.collection('events').add({ data: plan.events });
  } catch (error) {
    if (!isDuplicateKey(error)) throw new RukouError('UPSTREAM', `the events could not be stored: ${error instanceof Error ? error.message : String(error)}`);
    plan = planBatch(events, identity, now, await readLookups(deps, events, caller, groups));
    if (plan.events.length > 0) await db.collection('events').add({ data: plan.events });
  }
  await writePlan(db, plan, caller);
  return { accepted: plan.accepted, duplicates: plan.duplicates };
}
