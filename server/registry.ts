import { MAX_CHANNELS } from '../shared/channel-rollup';
import type { ChannelDoc } from '../shared/model';
import { documentsOf, type Database, type RequestCounter } from './pipeline';

/** Channels per request: as many as a `get()` answers. */
const PAGE = 1000;

/**
 * The operator's registry of channels (`channels`), by key, at most `MAX_CHANNELS` of them: one
 * request per 1,000, each going on after the last key read (no `skip`, which the database would
 * walk again each time). `fields`: only those of each document (and `_id`), where the whole
 * document is not needed.
 */
export async function readRegistry<F extends keyof ChannelDoc>(db: Database, counter: RequestCounter, fields?: readonly F[]): Promise<Pick<ChannelDoc, '_id' | F>[]> {
  const _ = db.command;
  const channels: Pick<ChannelDoc, '_id' | F>[] = [];
  while (channels.length < MAX_CHANNELS) {
    const after = channels.at(-1)?._id;
    let query = db
      .collection('channels')
      .where(after === undefined ? {} : { _id: _.gt(after) })
      .orderBy('_id', 'asc')
      .limit(Math.min(PAGE, MAX_CHANNELS - channels.length));
    if (fields) query = query.field(Object.fromEntries(fields.map((field) => [field, true])));
    counter.count += 1;
    const page = documentsOf<Pick<ChannelDoc, '_id' | F>>(await query.get(), 'channels');
    channels.push(...page);
    if (page.length < PAGE) break;
  }
  return channels;
}
