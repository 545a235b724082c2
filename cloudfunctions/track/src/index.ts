import { getCloud, userCaller } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler } from '../../../server/handler';
import { payloadOf } from '../../../server/http-access';
import { storeBatch, type StoredBatch } from '../../../server/track-store';
import { sharePrefix, usableSecret } from '../../../shared/ids';
import { validateBatch, type Rejection } from '../../../shared/schemas';

export interface TrackAnswer extends StoredBatch {
  rejected: Rejection[];
  /** The caller's share prefix; absent only when the function has no usable RUKOU_SHARE_SECRET. */
  sharePrefix?: string;
}

const config = serverConfig();
// said once per container: without it no share is ever credited
if (!usableSecret(config.shareSecret)) console.warn(JSON.stringify({ warning: 'RUKOU_SHARE_SECRET is missing or shorter than 16 characters: share ids are not issued, and no share is credited' }));

/**
 * `track`: the Mini Program's entries, page views, hides and shares. Validate the batch, take the
 * caller from WeChat, record what is new; the answer also carries the caller's share prefix, from
 * which the tracker builds share ids that only this user can record.
 *
 * @example
 * wx.cloud.callFunction({ name: 'track', data: { v: 1, sentAt: Date.now(), events: [{ id, seq, at, type: 'page', path }] } })
 * // → { result: { accepted: [id], duplicates: [], rejected: [], sharePrefix: 'Xk3…' } }
 */
export const main = handler(async (event): Promise<TrackAnswer> => {
  // over HTTP access the batch is the request's body, and no WeChat user calls: NO_IDENTITY
  const { events, sentAt, rejected } = validateBatch(payloadOf(event));
  const caller = userCaller();
  const prefix = usableSecret(config.shareSecret) ? { sharePrefix: sharePrefix(config.shareSecret, caller.openid) } : {};
  if (events.length === 0) return { accepted: [], duplicates: [], rejected, ...prefix };
  const cloud = getCloud();
  const stored = await storeBatch(
    { db: cloud.database(), getOpenData: async (list) => await cloud.getOpenData({ list }), now: () => new Date(), ...prefix },
    sentAt === undefined ? { events } : { events, sentAt },
    caller,
  );
  return { ...stored, rejected, ...prefix };
});
