import { getCloud, userCaller } from '../../../server/cloud';
import { handler } from '../../../server/handler';
import { storeBatch } from '../../../server/track-store';
import { validateBatch, type Rejection } from '../../../shared/schemas';

export interface TrackAnswer {
  accepted: string[];
  duplicates: string[];
  rejected: Rejection[];
}

/**
 * `track`: the Mini Program's entries, page views, hides and shares. Validate the batch, take the
 * caller from WeChat, record what is new.
 *
 * @example
 * wx.cloud.callFunction({ name: 'track', data: { v: 1, events: [{ id, seq, at, type: 'page', path }] } })
 * // → { result: { accepted: [id], duplicates: [], rejected: [] } }
 */
export const main = handler(async (event): Promise<TrackAnswer> => {
  const { events, rejected } = validateBatch(event);
  const caller = userCaller();
  if (events.length === 0) return { accepted: [], duplicates: [], rejected };
  const cloud = getCloud();
  const { accepted, duplicates } = await storeBatch(
    { db: cloud.database(), getOpenData: async (list) => await cloud.getOpenData({ list }), now: () => new Date() },
    events,
    caller,
  );
  return { accepted, duplicates, rejected };
});

