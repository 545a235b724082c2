/**
 * The `track` input contract, as JSON schemas that the build compiles with ajv (`VALIDATORS`
 * below, into `dist/validators/schemas.ts`). Nothing about who the caller
 * is may travel in the payload: every object is closed (`additionalProperties: false`), so an
 * `openid` or `unionid` sent by a client is an unknown field and the event is rejected.
 *
 * A batch is `{ "v": 1, "sentAt": <the phone's epoch ms when it sent the batch>, "events": [ … ] }`
 * with 1 to 50 events; `sentAt` is optional (older clients), and lets `track` correct the phone's
 * clock (`eventTime` in `shared/time.ts`). Events are validated one by one:
 * a bad event is answered `{ id, code: 'INVALID_INPUT', message }` and the good ones go on; only
 * a batch that is not such an object at all is refused whole (a `ValidationError`).
 *
 * @example
 * const { events, rejected } = validateBatch({ v: 1, events: [{ id: 'e-00000001', seq: 0, at: Date.now(), type: 'page', path: 'pages/a/a' }] });
 */
import * as compiled from '../dist/validators/schemas';
import { LIMITS, type Entry } from './entry';
import { ValidationError } from './errors';
import { GOAL_ID_LENGTH, GOAL_NAME_PATTERN, MAX_GOAL_VALUE } from './goals';
import { describeErrors, isRecord, nestsWithin, textProblem, type Validator } from './input';
import { BUCKETS } from './scenes';

export const TRACK_VERSION = 1;
export const MAX_EVENTS_PER_BATCH = 50;
/** One event, serialised, may not exceed this: caps what the schemas cannot (extraData values). */
export const MAX_EVENT_BYTES = 8192;

export interface EnterOptionsInput {
  /** An integer, or its digits as a string as some runtimes give it (stored as the integer: `parseEntry`). */
  scene: number | string;
  path: string;
  query: Record<string, string>;
  shareTicket?: string;
  referrerInfo?: { appId?: string; extraData?: Record<string, unknown> };
  chatType?: number;
  apiCategory?: string;
}

interface EventInputBase {
  id: string;
  seq: number;
  at: number;
}

export interface EnterInput extends EventInputBase {
  type: 'enter';
  cold: boolean;
  options: EnterOptionsInput;
  /** The cloudID from `wx.getGroupEnterInfo` or `wx.getShareInfo`. */
  group?: string;
}

export interface ShareInput extends EventInputBase {
  type: 'share';
  shareId: string;
  path: string;
  to: 'chat' | 'timeline';
}

export interface PageInput extends EventInputBase {
  type: 'page';
  path: string;
}

export interface HideInput extends EventInputBase {
  type: 'hide';
  stayMs: number;
  /** The `wx` API whose system screen hid the app: a pause, not a leave. */
  pause?: string;
}

/** A goal (`shared/goals.ts`): `goalId` is the operator's key of it (an order number), `value` fen. */
export interface GoalInput extends EventInputBase {
  type: 'goal';
  name: string;
  goalId: string;
  value?: number;
}

export type TrackEventInput = EnterInput | ShareInput | PageInput | HideInput | GoalInput;
export type TrackEventType = TrackEventInput['type'];

export interface Rejection {
  /** The event's id, or null when the event has no usable id. */
  id: string | null;
  code: 'INVALID_INPUT';
  message: string;
  /** The dotted path of the field at fault in the event (`"options.path"`), when one is. */
  field?: string;
}

export interface ValidatedBatch {
  /** The phone's clock when it sent the batch, when it said. */
  sentAt?: number;
  events: TrackEventInput[];
  rejected: Rejection[];
}

/** Client event ids, share ids: what the tracker generates. */
export const ID_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } as const;
const PATH = { type: 'string', maxLength: LIMITS.pathLength } as const;
const SHORT_TEXT = { type: 'string', maxLength: 256 } as const;
/**
 * A phone's clock reading in epoch ms, whatever it says: a phone reset to 1970 or set years ahead
 * still reads whole milliseconds, and `sentAt` corrects the offset (`eventTime`), so no range is
 * refused but what a Date cannot hold (beyond ±8.64e15 ms).
 */
const EPOCH_MS = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000 } as const;

const common = {
  id: ID_SCHEMA,
  seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  at: EPOCH_MS,
} as const;

const closed = (type: TrackEventType, properties: Record<string, unknown>, required: string[]): object => ({
  type: 'object',
  properties: { ...common, type: { const: type }, ...properties },
  required: ['id', 'seq', 'at', 'type', ...required],
  additionalProperties: false,
});

const enterSchema = closed(
  'enter',
  {
    cold: { type: 'boolean' },
    options: {
      type: 'object',
      properties: {
        scene: { anyOf: [{ type: 'integer', minimum: 0, maximum: LIMITS.sceneMax }, { type: 'string', pattern: '^[0-9]{1,6}$' }] },
        path: PATH,
        query: {
          type: 'object',
          maxProperties: LIMITS.queryKeys,
          propertyNames: { maxLength: LIMITS.queryKeyLength },
          additionalProperties: { type: 'string', maxLength: LIMITS.queryValueLength },
        },
        shareTicket: SHORT_TEXT,
        referrerInfo: {
          type: 'object',
          properties: {
            appId: { type: 'string', maxLength: LIMITS.appIdLength },
            extraData: { type: 'object', maxProperties: LIMITS.extraDataKeys, propertyNames: { maxLength: LIMITS.queryKeyLength } },
          },
          additionalProperties: false,
        },
        chatType: { type: 'integer', minimum: 0, maximum: LIMITS.chatTypeMax },
        apiCategory: { type: 'string', maxLength: LIMITS.apiCategoryLength },
      },
      required: ['scene', 'path', 'query'],
      additionalProperties: false,
    },
    group: { type: 'string', minLength: 1, maxLength: 2048 },
  },
  ['cold', 'options'],
);

const SCHEMAS: Record<TrackEventType, object> = {
  enter: enterSchema,
  share: closed('share', { shareId: ID_SCHEMA, path: PATH, to: { enum: ['chat', 'timeline'] } }, ['shareId', 'path', 'to']),
  page: closed('page', { path: PATH }, ['path']),
  hide: closed('hide', { stayMs: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 }, pause: { type: 'string', pattern: '^[A-Za-z]{1,32}$' } }, ['stayMs']),
  goal: closed('goal', { name: { type: 'string', pattern: GOAL_NAME_PATTERN }, goalId: { type: 'string', minLength: 1, maxLength: GOAL_ID_LENGTH }, value: { type: 'integer', minimum: 0, maximum: MAX_GOAL_VALUE } }, ['name', 'goalId']),
};

/** What `parseEntry` answers, whatever it is given. */
export const ENTRY_SCHEMA = {
  type: 'object',
  properties: {
    scene: { type: 'integer', minimum: 0 },
    category: { type: 'string', minLength: 1 },
    bucket: { enum: [...BUCKETS] },
    path: PATH,
    query: {
      type: 'object',
      maxProperties: LIMITS.queryKeys,
      propertyNames: { minLength: 1, maxLength: LIMITS.queryKeyLength, not: { pattern: '^\\$|\\.' } },
      additionalProperties: { type: 'string', maxLength: LIMITS.queryValueLength },
    },
    cold: { type: 'boolean' },
    referrerAppId: { type: 'string', minLength: 1, maxLength: LIMITS.appIdLength },
    extraDataKeys: { type: 'array', maxItems: LIMITS.extraDataKeys, items: { type: 'string', minLength: 1, maxLength: LIMITS.queryKeyLength } },
    chatType: { type: 'integer', minimum: 0 },
    apiCategory: { type: 'string', minLength: 1, maxLength: LIMITS.apiCategoryLength },
    channel: { type: 'string', minLength: 1, maxLength: LIMITS.idLength },
    channelSource: { enum: ['query', 'scene', 'qr'] },
    campaign: {
      type: 'object',
      properties: {
        source: { type: 'string', minLength: 1, maxLength: LIMITS.campaignLength },
        medium: { type: 'string', minLength: 1, maxLength: LIMITS.campaignLength },
        campaign: { type: 'string', minLength: 1, maxLength: LIMITS.campaignLength },
      },
      minProperties: 1,
      additionalProperties: false,
    },
    shareId: { type: 'string', pattern: `^[A-Za-z0-9_-]{1,${LIMITS.idLength}}$` },
    messageId: { type: 'string', pattern: `^[A-Za-z0-9_-]{1,${LIMITS.idLength}}$` },
    cardId: { type: 'string', pattern: `^[A-Za-z0-9_-]{1,${LIMITS.idLength}}$` },
    reopen: { type: 'boolean' },
  },
  required: ['scene', 'category', 'bucket', 'path', 'query', 'cold', 'reopen'],
  additionalProperties: false,
  // a channel and campaign tags never come together: campaign tags are the fallback
  not: { properties: { channel: {}, campaign: {} }, required: ['channel', 'campaign'] },
  dependencies: { channel: ['channelSource'], channelSource: ['channel'] },
} as const;

/**
 * What `scripts/build.js` compiles with ajv into `dist/validators/schemas.ts` (at build time, not
 * when a function starts: see there why), each schema under the name of its validator there, with
 * the options ajv compiles them with.
 */
export const VALIDATORS = {
  options: { allErrors: false, strict: true },
  schemas: { ...SCHEMAS, entry: ENTRY_SCHEMA, sentAt: EPOCH_MS },
} as const;

const validators: Record<TrackEventType, Validator> = { enter: compiled.enter, share: compiled.share, page: compiled.page, hide: compiled.hide, goal: compiled.goal };
const entryValidator: Validator = compiled.entry;
const isEpochMs = (value: unknown): value is number => compiled.sentAt(value);

/** Whether a value is a valid parsed entry; the errors say why not. */
export function validateEntry(entry: unknown): entry is Entry {
  return entryValidator(entry);
}
export const entryErrors = (): string => describeErrors(entryValidator.errors).message;

/** Its keys are checked, never its values: they belong to the Mini Program that sent the user, and Rukou reads only the keys. */
const OPAQUE = 'options.referrerInfo.extraData';

/**
 * The first text of an event (a value or a key, at any depth) that is not clean (`textProblem`:
 * a control character or a lone surrogate), named by its dotted path; a key is named by the field
 * that holds it. Such text has no use in a path, key or id, and one NUL in a page path used to make
 * the day's rollup unreadable for every stats answer.
 */
function uncleanText(value: unknown, path: string[]): { message: string; field: string } | undefined {
  const field = path.join('.');
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem === undefined ? undefined : { message: `field "${field}" ${problem}: send the text without it`, field };
  }
  if (!isRecord(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = textProblem(key);
    if (problem !== undefined) return { message: `a key of field "${field}" ${problem}: send the key without it`, field };
    const found = field === OPAQUE ? undefined : uncleanText(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const BATCH_FIELDS = ['v', 'sentAt', 'events'];

/** What is wrong with one event, or undefined when nothing is. */
/** Fields a client may send to pass for someone, or for a cloud function: refused with the reason. */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['openid', 'unionid', 'appid', 'verified', 'userInfo', 'OPENID', 'UNIONID', 'APPID']);

/** No event of the contract nests deeper; another app's `extraData` could, and is then refused before anything walks it. */
const MAX_EVENT_DEPTH = 16;

function checkEvent(event: unknown): { message: string; field?: string } | undefined {
  if (!isRecord(event)) return { message: 'an event must be an object' };
  if (!nestsWithin(event, MAX_EVENT_DEPTH)) return { message: `the event nests objects or arrays more than ${MAX_EVENT_DEPTH} levels deep` };
  const type = event.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) return { message: `field "type" must be one of ${Object.keys(validators).join(', ')}`, field: 'type' };
  const validate = validators[type as TrackEventType];
  if (!validate(event)) {
    const problem = describeErrors(validate.errors);
    if (validate.errors?.[0]?.keyword !== 'additionalProperties') return problem;
    // a field naming a user says why it can never be taken; any other is simply not the contract's
    const named = String(problem.field ?? '').split('.').pop() ?? '';
    return { ...problem, message: `${problem.message}: remove it${IDENTITY_FIELDS.has(named) ? ' (identity comes from WeChat, never from the payload)' : ''}` };
  }
  const unclean = uncleanText(event, []);
  if (unclean) return unclean;
  const bytes = Buffer.byteLength(JSON.stringify(event));
  if (bytes > MAX_EVENT_BYTES) return { message: `the event is ${bytes} bytes; at most ${MAX_EVENT_BYTES} are accepted` };
  return undefined;
}

/**
 * Checks a `track` batch. Throws a ValidationError when the batch as a whole is unusable; answers
 * the valid events and a rejection per invalid one otherwise.
 */
export function validateBatch(input: unknown): ValidatedBatch {
  if (!isRecord(input)) throw new ValidationError('A track batch must be an object: { "v": 1, "events": [ … ] }.');
  const unknown = Object.keys(input).filter((key) => !BATCH_FIELDS.includes(key));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 64)));
    throw new ValidationError(`Unknown batch field(s) ${named.join(', ')}: a batch has only "v", "sentAt" and "events".`, unknown.length === 1 ? unknown[0] : undefined);
  }
  if (input.v !== TRACK_VERSION) {
    const sent = input.v === undefined ? 'none' : String(JSON.stringify(input.v)).slice(0, 64);
    throw new ValidationError(`Unsupported batch version ${sent}: send "v": ${TRACK_VERSION}.`, 'v');
  }
  const { sentAt } = input;
  if (sentAt !== undefined && !isEpochMs(sentAt)) throw new ValidationError('"sentAt" must be the phone\'s clock in epoch milliseconds (an integer) when it sent the batch.', 'sentAt');
  const events = input.events;
  if (!Array.isArray(events) || events.length === 0) throw new ValidationError('A track batch needs "events": an array of 1 to 50 events.', 'events');
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw new ValidationError(`A track batch holds at most ${MAX_EVENTS_PER_BATCH} events; this one has ${events.length}: split it.`, 'events');
  }
  const result: ValidatedBatch = sentAt === undefined ? { events: [], rejected: [] } : { sentAt, events: [], rejected: [] };
  for (const event of events) {
    const problem = checkEvent(event);
    if (problem === undefined) result.events.push(event as TrackEventInput);
    else {
      const id = isRecord(event) && typeof event.id === 'string' ? event.id.slice(0, 64) : null;
      result.rejected.push({ id, code: 'INVALID_INPUT', ...problem });
    }
  }
  return result;
}
