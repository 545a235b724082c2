/**
 * The documents Rukou stores, one interface per collection. `track` writes them, `rollup` and
 * `admin` read them; these shapes are the contract between the two sides (and what operators see
 * in the cloud console). Times are Date instants; `day` is always the China day (UTC+8) of the
 * server time, as "YYYY-MM-DD".
 */

export type Bucket = 'offline-qr' | 'in-wechat' | 'external';

/** How an entry was attributed to a share (`rk_sh` in the entry's query). */
export interface ShareAttribution {
  shareId: string;
  /** The share was recorded by a `share` event of a verified user; unverified shares credit no one. */
  verified: boolean;
  /** The sharer's openid, only when verified. */
  sharer?: string;
  /** 1 for an open of a root share's card, 2 for a card shared on by someone who came through depth 1 … */
  depth?: number;
  rootShareId?: string;
  /** The user opened their own card: not a return. */
  self: boolean;
  /** Counted as a share return: verified, not self, not a re-open (favourites, Moments snapshot). */
  isReturn: boolean;
}

interface EventBase {
  /** The client's event id: the dedupe key. */
  _id: string;
  openid: string;
  appid: string;
  unionid?: string;
  seq: number;
  clientAt: Date;
  serverAt: Date;
  day: string;
}

export interface EnterEvent extends EventBase {
  type: 'enter';
  cold: boolean;
  scene: number;
  category: string;
  bucket: Bucket;
  path: string;
  query: Record<string, string>;
  channel?: string;
  campaign?: { source?: string; medium?: string; campaign?: string };
  shareId?: string;
  messageId?: string;
  cardId?: string;
  referrerAppId?: string;
  chatType?: number;
  apiCategory?: string;
  /** Favourites (1010) or a Moments snapshot (1154/browseOnly): never a share return. */
  reopen: boolean;
  share?: ShareAttribution;
  /** openGId of the group the entry came from, when a cloudID resolved. */
  groupId?: string;
  warnings?: string[];
}

export interface ShareEvent extends EventBase {
  type: 'share';
  shareId: string;
  path: string;
  to: 'chat' | 'timeline';
}

export interface PageEvent extends EventBase {
  type: 'page';
  path: string;
}

export interface HideEvent extends EventBase {
  type: 'hide';
  stayMs: number;
}

export type StoredEvent = EnterEvent | ShareEvent | PageEvent | HideEvent;

export interface Touch {
  day: string;
  at: Date;
  scene: number;
  category: string;
  bucket: Bucket;
  channel?: string;
  shareId?: string;
}

/** `users`, `_id` = openid. */
export interface UserDoc {
  _id: string;
  appid: string;
  unionid?: string;
  /** China day of the first entry ever: the user is new on that day. */
  firstDay: string;
  first: Touch;
  latest: Touch;
}

/** `shares`, `_id` = the share id the client generated (`rk_sh`). */
export interface ShareDoc {
  _id: string;
  sharer: string;
  path: string;
  to: 'chat' | 'timeline';
  at: Date;
  day: string;
  /** 1 when the sharer did not arrive through a share; parent depth + 1 otherwise. */
  depth: number;
  rootShareId: string;
  parentShareId?: string;
}

/** `groups`, `_id` = openGId. */
export interface GroupDoc {
  _id: string;
  firstSeen: Date;
  firstDay: string;
  opens: number;
  openers: string[];
  openerCount: number;
  shareIds: string[];
  lastSeen: Date;
}
