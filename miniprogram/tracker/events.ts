/**
 * The events the tracker sends to the `track` cloud function: `{ v: 1, events: [ … ] }`, the
 * contract written down in `shared/schemas.ts` and the README. Nothing about who the user is
 * travels here; the function takes identity from WeChat.
 */

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
  );

/** Distributes over the union, so each event kind keeps its own fields. */
type WithoutBase<T> = T extends unknown ? Omit<T, keyof Base> : never;
export type EventBody = WithoutBase<TrackEvent>;

/** What `track` answers a batch it read. */
export interface TrackAnswer {
  accepted: string[];
  duplicates: string[];
  rejected: { id: string | null; code: string; message: string }[];
}

/** The server's caps (`LIMITS` in `shared/entry.ts`; a test keeps the two equal). */
export const CAPS = {
  queryKeys: 30,
  queryKeyLength: 64,
  queryValueLength: 1024,
  pathLength: 512,
  extraDataKeys: 20,
  apiCategoryLength: 32,
  appIdLength: 64,
  eventBytes: 8192,
  batchEvents: 50,
} as const;

/** A client-made id (events, shares): time first so ids sort roughly by creation, then 12 random base-36 digits. */
export function newId(now: number, random: () => number): string {
  let id = now.toString(36);
  for (let i = 0; i < 12; i++) id += Math.floor(random() * 36).toString(36);
  return id;
}
