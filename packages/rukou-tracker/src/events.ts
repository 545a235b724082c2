/**
 * The events the tracker sends to the `track` cloud function: `{ v: 1, events: [ … ] }`, the
 * contract written down in `shared/schemas.ts` and the README. Nothing about who the user is
 * travels here; the function takes identity from WeChat.
 */
import type { Clock } from './host';

export interface EnterPayload {
  scene: number;
  path: string;
  query: Record<string, string>;
  shareTicket?: string;
  referrerInfo?: { appId?: string; extraData?: Record<string, unknown> };
  chatType?: number;
  apiCategory?: string;
}

interface Base {
  id: string;
  seq: number;
  at: number;
}

export type TrackEvent = Base &
  (
    | { type: 'enter'; cold: boolean; options: EnterPayload; group?: string }
    | { type: 'share'; shareId: string; path: string; to: 'chat' | 'timeline' }
    | { type: 'page'; path: string }
    | { type: 'hide'; stayMs: number; pause?: string }
    | { type: 'goal'; name: string; goalId: string; value?: number }
  );

/** Distributes over the union, so each event kind keeps its own fields. */
type WithoutBase<T> = T extends unknown ? Omit<T, keyof Base> : never;
export type EventBody = WithoutBase<TrackEvent>;

/**
 * The server's caps (`LIMITS` in `shared/entry.ts`; a test keeps the two equal). Plain constants,
 * which the bundler inlines, rather than one object whose property names would ship in the tracker.
 */
export const QUERY_KEYS = 30;
export const QUERY_KEY_LENGTH = 64;
export const QUERY_VALUE_LENGTH = 1024;
export const PATH_LENGTH = 512;
export const EXTRA_DATA_KEYS = 20;
export const API_CATEGORY_LENGTH = 32;
export const APP_ID_LENGTH = 64;
export const SCENE_MAX = 999_999;
export const CHAT_TYPE_MAX = 99;
export const EVENT_BYTES = 8192;
export const BATCH_EVENTS = 50;

export const CAPS = {
  queryKeys: QUERY_KEYS,
  queryKeyLength: QUERY_KEY_LENGTH,
  queryValueLength: QUERY_VALUE_LENGTH,
  pathLength: PATH_LENGTH,
  extraDataKeys: EXTRA_DATA_KEYS,
  apiCategoryLength: API_CATEGORY_LENGTH,
  appIdLength: APP_ID_LENGTH,
  sceneMax: SCENE_MAX,
  chatTypeMax: CHAT_TYPE_MAX,
  eventBytes: EVENT_BYTES,
  batchEvents: BATCH_EVENTS,
} as const;

/** A client-made id (events, shares): time first so ids sort roughly by creation, then random base-36 digits, 20 characters in all. */
export function newId(clock: Pick<Clock, 'now' | 'random'>): string {
  let id = clock.now().toString(36);
  while (id.length < 20) id += clock.random().toString(36).slice(2);
  return id.slice(0, 20);
}

/**
 * A number option's value: a whole number above 0, else its default. A `maxQueue` of "500" or -5
 * kept nothing, and a `retryBaseMs` of "2s" retried without a pause; a value the tracker cannot
 * use is taken as left out (README, the `createTracker` options), for fewer bytes than a check
 * that throws: every byte ships in every user's package.
 */
export const positive = (value: unknown, fallback: number): number => (Number.isInteger(value) && (value as number) > 0 ? (value as number) : fallback);

/** `text` cut to `length` UTF-16 units, never between the halves of a surrogate pair (the server refuses a lone one). */
export const clip = (text: string, length: number): string => (text.length > length ? text.slice(0, length - +(text.charCodeAt(length - 1) >> 10 === 0x36)) : text);
