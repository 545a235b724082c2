/**
 * What operators may ask the `admin` and `rollup` functions, as JSON schemas that the build
 * compiles with ajv (`VALIDATORS` below, into `dist/validators/stats-input.ts`). Nothing a caller
 * sends is used as a field or operator name: dimensions are picked from a fixed list.
 */
import type { JSONSchemaType } from 'ajv';
import * as compiled from '../dist/validators/stats-input';
import { ValidationError, LimitError } from './errors';
import { GOAL_DIMENSIONS, GOAL_MODELS, GOAL_NAME_PATTERN } from './goals';
import type { GoalDimension, GoalModel } from './model';
import { describeErrors, type Validator } from './input';
import { RETENTION_DAYS, RETENTION_DIMENSIONS, type RetentionDimension } from './retention';
import { MAX_BACKFILL_DAYS } from './rollup';
import { MAX_RANGE_DAYS } from './stats';
import { daysBetween, isChinaDay } from './time';

export interface RangeInput {
  action: string;
  from: string;
  to: string;
}

/** An optional field sent as null is as if it were not sent: a limit of null is the default 20. */
export interface LimitInput extends RangeInput {
  limit?: number | null;
}

export interface RankInput extends LimitInput {
  dimension?: 'scene' | 'category' | 'bucket' | 'page' | null;
}

/**
 * The most rows `channels` answers in each of its lists (`limit`), where other actions answer 100:
 * enough for an operator's spreadsheet of every channel that brought an entry, and an answer that
 * stays within the 6 MiB of JSON the CloudBase runtime lets a function return (`maxRetMsgLen`,
 * Platform sources §F.2; the cloud documents no figure of its own) with every list full and
 * every name, group, tag and page at its longest (4.6 MB: test/functions/channel-totals.test.ts).
 */
export const MAX_CHANNEL_ROWS = 1000;

/** `channels`: `limit` the rows of each list (at most `MAX_CHANNEL_ROWS`), `series` how many channels the first-touch series follows (default 5). */
export interface ChannelsInput extends LimitInput {
  series?: number | null;
}

/**
 * `retention`: `from`/`to` bound the cohort days; `by` a dimension of the first touch (none: the
 * cohorts' totals only); `days` the day-N values answered (of `RETENTION_DAYS`; default all);
 * `limit` the keys answered (default 20).
 */
export interface RetentionInput extends LimitInput {
  by?: RetentionDimension | null;
  days?: number[] | null;
}

/** `goals`: one goal by the keys of one dimension under one model. */
export interface GoalsInput extends LimitInput {
  goal: string;
  model: GoalModel;
  by: GoalDimension;
}

export interface ShareTreeInput {
  action: string;
  rootShareId: string;
}

export interface ActionOnly {
  action: string;
}

const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

const rangeSchema: JSONSchemaType<RangeInput> = {
  type: 'object',
  properties: { action: { type: 'string' }, from: DAY, to: DAY },
  required: ['action', 'from', 'to'],
  additionalProperties: false,
};

const rankSchema: JSONSchemaType<RankInput> = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    from: DAY,
    to: DAY,
    limit: { type: 'integer', minimum: 1, maximum: 100, nullable: true },
    // ajv checks `enum` on null too: nullable alone would still refuse it
    dimension: { type: 'string', enum: ['scene', 'category', 'bucket', 'page', null], nullable: true },
  },
  required: ['action', 'from', 'to'],
  additionalProperties: false,
};

const limitSchema: JSONSchemaType<LimitInput> = {
  type: 'object',
  properties: { action: { type: 'string' }, from: DAY, to: DAY, limit: { type: 'integer', minimum: 1, maximum: 100, nullable: true } },
  required: ['action', 'from', 'to'],
  additionalProperties: false,
};

const channelsSchema: JSONSchemaType<ChannelsInput> = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    from: DAY,
    to: DAY,
    limit: { type: 'integer', minimum: 1, maximum: MAX_CHANNEL_ROWS, nullable: true },
    series: { type: 'integer', minimum: 1, maximum: 20, nullable: true },
  },
  required: ['action', 'from', 'to'],
  additionalProperties: false,
};

const retentionSchema: JSONSchemaType<RetentionInput> = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    from: DAY,
    to: DAY,
    limit: { type: 'integer', minimum: 1, maximum: 100, nullable: true },
    by: { type: 'string', enum: [...RETENTION_DIMENSIONS, null], nullable: true },
    days: { type: 'array', items: { type: 'integer', enum: [...RETENTION_DAYS] }, minItems: 1, maxItems: RETENTION_DAYS.length, uniqueItems: true, nullable: true },
  },
  required: ['action', 'from', 'to'],
  additionalProperties: false,
};

const goalsSchema: JSONSchemaType<GoalsInput> = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    from: DAY,
    to: DAY,
    goal: { type: 'string', pattern: GOAL_NAME_PATTERN },
    model: { type: 'string', enum: [...GOAL_MODELS] },
    by: { type: 'string', enum: [...GOAL_DIMENSIONS] },
    limit: { type: 'integer', minimum: 1, maximum: 100, nullable: true },
  },
  required: ['action', 'from', 'to', 'goal', 'model', 'by'],
  additionalProperties: false,
};

const shareTreeSchema: JSONSchemaType<ShareTreeInput> = {
  type: 'object',
  properties: { action: { type: 'string' }, rootShareId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['action', 'rootShareId'],
  additionalProperties: false,
};

export interface GroupInput {
  action: string;
  groupId: string;
}

const groupSchema: JSONSchemaType<GroupInput> = {
  type: 'object',
  properties: { action: { type: 'string' }, groupId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' } },
  required: ['action', 'groupId'],
  additionalProperties: false,
};

const actionOnlySchema: JSONSchemaType<ActionOnly> = {
  type: 'object',
  properties: { action: { type: 'string' } },
  required: ['action'],
  additionalProperties: false,
};

/**
 * What `scripts/build.js` compiles with ajv into `dist/validators/stats-input.ts` (at build time,
 * not when a function starts: see there why), each schema under the name of its validator there,
 * with the options ajv compiles them with: every refusal names all that is wrong (`allErrors`).
 */
export const VALIDATORS = {
  options: { allErrors: true },
  schemas: { range: rangeSchema, rank: rankSchema, limit: limitSchema, channels: channelsSchema, retention: retentionSchema, goals: goalsSchema, shareTree: shareTreeSchema, group: groupSchema, actionOnly: actionOnlySchema },
} as const;

/**
 * A parser that answers the input typed, or throws a ValidationError naming the field at fault.
 * `validate` is compiled from a `JSONSchemaType<T>` schema above, which is what makes a valid input a T.
 */
function validator<T>(validate: Validator): (input: unknown) => T {
  return (input) => {
    if (validate(input)) return input as T;
    const { message, field } = describeErrors(validate.errors);
    throw new ValidationError(`Invalid input: ${message}.`, field);
  };
}

function checkRange(from: string, to: string, maxDays: number): void {
  for (const [field, day] of [['from', from], ['to', to]] as const) {
    if (!isChinaDay(day)) throw new ValidationError(`field "${field}" is "${day}", which is not a real day written YYYY-MM-DD.`, field);
  }
  const days = daysBetween(from, to) + 1;
  if (days < 1) throw new ValidationError(`The range ends (${to}) before it starts (${from}).`);
  if (days > maxDays) throw new LimitError(`The range has ${days} days; at most ${maxDays} are allowed per call: split it.`);
}

/** An input of a range: its schema's check, then the days' (real, in order, at most `maxDays`: 366 unless said). */
function rangedInput<T extends RangeInput>(schema: Validator, maxDays = MAX_RANGE_DAYS): (input: unknown) => T {
  const parse = validator<T>(schema);
  return (input) => {
    const parsed = parse(input);
    checkRange(parsed.from, parsed.to, maxDays);
    return parsed;
  };
}

/** A stats range: real days, in order, at most 366 of them. */
export const statsRange = rangedInput<RangeInput>(compiled.range);
/** A range, how many keys to answer and of which dimension. */
export const rankInput = rangedInput<RankInput>(compiled.rank);
/** A range and how many rows to answer (at most 100). */
export const limitInput = rangedInput<LimitInput>(compiled.limit);
/** A range, how many rows of each list to answer (at most 100) and how many channels to follow day by day (at most 20). */
export const channelsInput = rangedInput<ChannelsInput>(compiled.channels);
/** A range of cohort days (at most 366), the dimension to break them down by, the day-N values and how many keys to answer. */
export const retentionInput = rangedInput<RetentionInput>(compiled.retention);
/** A range, a goal's name, a model, a dimension and how many keys to answer (at most 100). */
export const goalsInput = rangedInput<GoalsInput>(compiled.goals);

const backfillInput = rangedInput<RangeInput>(compiled.range, MAX_BACKFILL_DAYS);

/**
 * A backfill: at most 92 days per call, so that a call fits in the function's timeout, each of
 * them over: before `today` (China day, YYYY-MM-DD). A day not over has no counts to keep yet, and
 * its rollup would store the day-N retention of cohorts that have not reached day N as a known 0;
 * `today` answers today so far. Throws ValidationError (INVALID_INPUT, field `to`) for a day not over.
 */
export function backfillRange(input: unknown, today: string): RangeInput {
  const range = backfillInput(input);
  if (range.to >= today) throw new ValidationError(`field "to" is ${range.to}, a day that is not over: a backfill rolls up days before today (${today}, Beijing time); the action "today" answers today so far.`, 'to');
  return range;
}

export const shareTreeInput = validator<ShareTreeInput>(compiled.shareTree);
export const groupInput = validator<GroupInput>(compiled.group);
export const actionOnly = validator<ActionOnly>(compiled.actionOnly);
