/**
 * The rollup's pipelines as they were before issue 9 (`shared/rollup.ts` at commit fda295d), the
 * rollup bench's baseline: they group the day's events by (user, key) pairs, where today's group
 * user-days by key. Kept here as they were, but for the type they share with today's and
 * `latePipeline`, which did not change, so that the bench measures both over the same day in the
 * same run. One difference in what they count: they read whether a user is new from each entry's
 * `firstDay`, which `track` stopped writing on events with the user-days, so their new users are 0.
 */
import { latePipeline, sessionsOf, TOP_GROUPS, TOP_KEYS, type dayPipelines, type Dimension, type Pipeline, type Stage } from '../../shared/rollup';
import { sendsPipeline } from '../../shared/sends';

const DIMENSION_FIELDS: Record<Dimension, string> = { bucket: 'bucket', category: 'category', scene: 'scene', channel: 'channel', page: 'path' };

const enteredOn = (day: string): Stage => ({ $match: { day, type: 'enter' } });

const isNewOn = (day: string): Stage => ({ $cond: [{ $eq: ['$firstDay', day] }, 1, 0] });

function totalsPipeline(day: string): Pipeline {
  return {
    collection: 'events',
    stages: [
      enteredOn(day),
      { $sort: { at: 1 } },
      { $group: { _id: '$openid', entries: { $sum: 1 }, cold: { $sum: { $cond: ['$cold', 1, 0] } }, isNew: { $max: isNewOn(day) }, times: { $push: '$at' } } },
      { $project: { entries: 1, cold: 1, isNew: 1, sessions: sessionsOf } },
      { $group: { _id: null, entries: { $sum: '$entries' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' }, sessions: { $sum: '$sessions.n' }, cold: { $sum: '$cold' } } },
      { $project: { _id: 0 } },
    ],
  };
}

function dimensionPipeline(day: string, dimension: Dimension): Pipeline {
  return {
    collection: 'events',
    stages: [
      enteredOn(day),
      { $group: { _id: { o: '$openid', k: `$${DIMENSION_FIELDS[dimension]}` }, entries: { $sum: 1 }, isNew: { $max: isNewOn(day) } } },
      { $group: { _id: '$_id.k', entries: { $sum: '$entries' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
      { $sort: { entries: -1, _id: 1 } },
      { $limit: TOP_KEYS },
    ],
  };
}

const shareReturnsOn = (day: string): Stage => ({ $match: { day, type: 'enter', 'share.isReturn': true } });

const groupOpens = (day: string): Stage[] => [
  { $match: { day, type: 'enter', groupId: { $exists: true } } },
  { $group: { _id: { g: '$groupId', o: '$openid' }, opens: { $sum: 1 } } },
  { $group: { _id: '$_id.g', opens: { $sum: '$opens' }, openers: { $sum: 1 } } },
];

/** Every pipeline of a day, as the rollup ran them: twelve, in the rollup's order (`computeDay`). */
export function eventPipelines(day: string): ReturnType<typeof dayPipelines> {
  return {
    dimensions: {
      bucket: dimensionPipeline(day, 'bucket'),
      category: dimensionPipeline(day, 'category'),
      scene: dimensionPipeline(day, 'scene'),
      channel: dimensionPipeline(day, 'channel'),
      page: dimensionPipeline(day, 'page'),
    },
    totals: totalsPipeline(day),
    shareIntents: {
      collection: 'events',
      stages: [
        { $match: { day, type: 'share' } },
        { $group: { _id: '$openid', n: { $sum: 1 } } },
        { $group: { _id: null, intents: { $sum: '$n' }, sharers: { $sum: 1 } } },
        { $project: { _id: 0 } },
      ],
    },
    shareReturns: {
      collection: 'events',
      stages: [
        shareReturnsOn(day),
        { $group: { _id: '$openid', opens: { $sum: 1 }, isNew: { $max: isNewOn(day) } } },
        { $group: { _id: null, returnOpens: { $sum: '$opens' }, openers: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
        { $project: { _id: 0 } },
      ],
    },
    shareDepths: { collection: 'events', stages: [shareReturnsOn(day), { $group: { _id: '$share.depth', opens: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $limit: TOP_KEYS }] },
    groupTotals: { collection: 'events', stages: [...groupOpens(day), { $group: { _id: null, reached: { $sum: 1 }, opens: { $sum: '$opens' } } }, { $project: { _id: 0 } }] },
    topGroups: { collection: 'events', stages: [...groupOpens(day), { $sort: { opens: -1, openers: -1, _id: 1 } }, { $limit: TOP_GROUPS }] },
    // the same as the rollup's: sends are read from their records, not from user-days
    messages: sendsPipeline('messages', day),
    cards: sendsPipeline('cards', day),
    late: latePipeline(day),
  };
}
