/**
 * The documents Rukou stores, one interface per collection. `track` writes them, `rollup` and
 * `admin` read them; these shapes are the contract between the two sides (and what operators see
 * in the cloud console). Times are Date instants; `day` is always the China day (UTC+8) of the
 * event time (`at`), as "YYYY-MM-DD".
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
  /**
   * Counted as a share return: verified, not self, not a re-open (favourites, Moments snapshot),
   * and not the same card opened again in the same session.
   */
  isReturn: boolean;
  /** The user already returned through this card in this session: an entry, not another return. */
  repeat?: boolean;
}

export interface EventBase {
  /** Derived from the openid and the client's id (`eventDocId`): dedupe within the caller's own events. */
  _id: string;
  /** The client's event id, as sent. */
  eventId: string;
  openid: string;
  appid: string;
  unionid?: string;
  seq: number;
  /** The event time: the phone's time corrected for its clock's offset (`eventTime`), what every count uses. */
  at: Date;
  /** The phone's own time for the event, as sent. */
  clientAt: Date;
  /** When `track` received it. */
  serverAt: Date;
  /** The China day of `at`. */
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
  /**
   * Set on an entry from a group that was earlier than any entry of that group stored before it:
   * the group's record (`GroupRecord`) is its earliest such entry. Retention keeps these entries.
   */
  groupFirst?: true;
  /**
   * The template of the subscription message (`messageOpen`) or the rule of the service card
   * (`cardOpen`) whose open this entry is (`messageId`, `cardId` naming a sent record of the
   * caller's, less than 7 days before): what goals and conversions credit. Absent otherwise.
   */
  messageOpen?: string;
  cardOpen?: string;
  warnings?: string[];
}

/**
 * Where a share sits in the verified share graph. Stored on the `share` event that recorded the
 * share id (the first one to use it): the share events are the share ledger.
 */
export interface ShareRecord {
  shareId: string;
  /** The verified sharer's openid (the event's own openid). */
  sharer: string;
  /** 1 when the sharer did not arrive through a share; parent depth + 1 otherwise. */
  depth: number;
  rootShareId: string;
  parentShareId?: string;
}

export interface ShareEvent extends EventBase {
  type: 'share';
  shareId: string;
  path: string;
  to: 'chat' | 'timeline';
  /**
   * The record this event made in the share ledger. Absent when the id was already recorded, or
   * was not issued to the sender (then `warnings` says so): ids are never reassigned.
   */
  share?: ShareRecord;
  warnings?: string[];
}

export interface PageEvent extends EventBase {
  type: 'page';
  path: string;
}

export interface HideEvent extends EventBase {
  type: 'hide';
  /** Time in the foreground (and in system screens the app opened) since the visit's entry. */
  stayMs: number;
  /** The `wx` API whose system screen hid the app (`previewImage`, `share` …): a pause, not a leave. */
  pause?: string;
}

/** A goal reported by the Mini Program, or by the operator's own cloud function (`verified`). */
export interface GoalEvent extends EventBase {
  type: 'goal';
  name: string;
  goalId: string;
  value?: number;
  /** `track` was called by a cloud function (SOURCE ends in `scf`), not by the Mini Program. */
  verified: boolean;
}

export type StoredEvent = EnterEvent | ShareEvent | PageEvent | HideEvent | GoalEvent;

/**
 * `revisions`: a user's first day moved earlier (an offline phone delivered an older entry). Their
 * user-day of `fromDay` may still say they were new there, so the rollup of `fromDay` reads this and
 * counts them as not new, and the daily run rolls `fromDay` again when one is written after its
 * rollup. `_id` is derived from (openid, fromDay, toDay): written twice, it is one document.
 */
export interface RevisionDoc {
  _id: string;
  openid: string;
  fromDay: string;
  toDay: string;
  /** When it was written (server time). */
  at: Date;
}

export interface Touch {
  day: string;
  /** Event time of the entry. */
  at: Date;
  scene: number;
  category: string;
  bucket: Bucket;
  channel?: string;
  /** The entry path: retention's `page`. */
  path?: string;
  /** The verified share whose card the entry opened (not a re-open): what a share that follows builds on. */
  card?: ShareRecord;
  /** The verified share whose card's page the entry re-opened (favourites, the floating window …): no return, but a share that follows builds on it too. */
  reopened?: ShareRecord;
  /** openGId of the group chat the entry came from. */
  groupId?: string;
  /**
   * The template of the subscription message (`messageOpen`) or the rule of the service card
   * (`cardOpen`) the entry opened (`shared/sends.ts`: a sent message, its recipient, within 7 days),
   * as on its event: what retention and goals count it under. Absent from touches written before them.
   */
  messageOpen?: string;
  cardOpen?: string;
}

/**
 * What retention counts one entry under (`shared/entry-keys.ts`): the keys of a user's first touch,
 * copied onto each of their user-days, and of the entry that brought them on a day. The names are
 * the dimensions of `admin` `retention`; values as sent (rollup maps escape them).
 */
export interface EntryKeys {
  bucket: string;
  category: string;
  /** The scene id, as rollup maps key it. */
  scene: string;
  channel?: string;
  page?: string;
  /** The depth of the card the entry was a share return through ("1", "2" …). */
  share?: string;
  /** The entry came from a group chat (a group card): the key is `group`. */
  group?: true;
  /** The template of the subscription message it opened. */
  message?: string;
  /** The rule of the service card it opened. */
  card?: string;
}

/**
 * `users`, `_id` = openid: the user's first touch. Written when the user first enters, and again
 * only when an entry earlier than the stored first one arrives (an offline phone); the latest touch
 * of each day is on that day's user-day.
 */
export interface UserDoc {
  _id: string;
  appid: string;
  unionid?: string;
  /** China day of the first entry ever: the user is new on that day. */
  firstDay: string;
  /** The earliest entry by event time, whatever order the batches arrived in. */
  first: Touch;
  /** Bumped by every write; each write is conditional on the version its plan read. */
  v: number;
}

/**
 * `user_days`, `_id` = `userDayId(openid, day)`: one user's China day, as `track` counts it (see
 * `shared/user-days.ts`). What the rollup reads: its groups hold keys, never (user, key) pairs.
 * Map keys are escaped (`shared/keys.ts`).
 */
export interface UserDayDoc {
  _id: string;
  openid: string;
  day: string;
  /**
   * The user's first day and first entry's time as known when it was written. When an older entry
   * moves the first touch, `firstAt` moves on every user-day (retention reads the cohort from it),
   * and `firstDay` is corrected on the day it moved from by the revision, where `newUsers` reads it.
   */
  firstDay: string;
  firstAt?: Date;
  /**
   * The keys of the user's first touch (`users.first`), copied and moved like `firstAt`: a day's
   * rollup counts the day's returning users under their cohort's keys without a join.
   */
  firstKeys?: EntryKeys;
  /** The keys of the day's earliest entry (what brought the user that day), with its event time. */
  dayFirst?: EntryKeys & { at: Date };
  /**
   * The user's previous day with an entry before this one, `''` when none is kept: set with the
   * day's first entry, and moved later when an earlier day gets its first entry after this one
   * (an offline phone). Retention reads "returned" and "reactivated" from it.
   */
  prevDay?: string;
  /** Entries (cold and hot starts) and, of those, cold starts. */
  entries: number;
  cold: number;
  /** The entries' event times, ascending: the day's sessions are counted from them. */
  times: Date[];
  byBucket: Record<string, number>;
  byCategory: Record<string, number>;
  byScene: Record<string, number>;
  byChannel: Record<string, number>;
  byPage: Record<string, number>;
  /** `share` events: taps on share. */
  shareIntents: number;
  /** Entries that were share returns, and how many by the depth of the card ("1", "2" … or "unknown"). */
  returns: number;
  returnDepths: Record<string, number>;
  /** The share returns' times and cards: a card counts once per session. */
  cards: { at: Date; shareId: string }[];
  /** Entries from each group chat, by openGId. */
  groupOpens: Record<string, number>;
  /** The day's latest entry by event time. */
  latest?: Touch;
  /**
   * Entries by the sharer whose card they came through (share returns and repeats), and by the
   * template or card rule they opened: present once the day has one. Goals divide by them.
   */
  bySharer?: Record<string, number>;
  byMessage?: Record<string, number>;
  byCard?: Record<string, number>;
  /**
   * The goals that happened on this day (`shared/day-goals.ts`), each credited under every model;
   * `goalKeys` and `goalNames` are their sums per (goal, model, dimension, key) and per goal, one row
   * each, which the rollup adds up; `goalsAt` is when they last changed. Absent from a day without goals.
   */
  goals?: DayGoal[];
  goalKeys?: GoalKeyRow[];
  goalNames?: GoalNameRow[];
  goalCount?: number;
  goalsAt?: Date;
  /** The client ids (`eventId`) of the entries and shares counted: a batch sent again counts once. */
  counted: string[];
  /** Bumped by every write; each write is conditional on the version its plan read. */
  v: number;
  /** When it was last written (server time). */
  at: Date;
  /** When a batch of another day last moved its first touch's time and keys or its previous day: its day's rollup is stale. */
  movedAt?: Date;
}

/**
 * A group chat's record, as the admin `group` action answers it: from the group's earliest
 * `groupFirst` entry. How many opens, openers and shares a group has is counted from the events.
 */
export interface GroupRecord {
  groupId: string;
  firstSeen: Date;
  firstDay: string;
  firstOpener: string;
  chatType?: number;
  /** The verified share whose card brought the first entry, when one did. */
  firstShareId?: string;
}

/** How a channel reaches people: a Mini Program code, a URL scheme, a URL link, or a plain-text scheme (Platform sources §E). */
export type ChannelKind = 'wxacode' | 'urlscheme' | 'urllink' | 'plainscheme';

/**
 * `channels`, `_id` = the channel's key: one of the operator's own QR codes or links. The key is
 * what entries carry (`rk_ch`, or the code's bare `scene`); it never changes once created, so that
 * every printed code keeps counting for the same channel. Written by `admin` only.
 */
export interface ChannelDoc {
  _id: string;
  name: string;
  kind: ChannelKind;
  /** The landing page's route, without a query or a leading slash. */
  page: string;
  /** Campaign tags, for the operator's own filtering. */
  tags: string[];
  /** A store, region or staff member: channels roll up by group. */
  group?: string;
  /** Archived channels stay counted (old posters are still scanned) but are not renewed or listed as dead. */
  archived: boolean;
  /** `wxacode`: the PNG in cloud storage. */
  fileID?: string;
  /** `urlscheme`, `urllink`, `plainscheme`: what people open (weixin://dl/business/?t=…, https://wxaurl.cn/…). */
  url?: string;
  /** `urlscheme`, `urllink`: when WeChat stops opening the url (at most 30 days after it was generated). */
  expiresAt?: Date;
  /** `urlscheme`, `urllink`: the days each url is generated for (1–30, the operator's choice at creation); renewals keep it. */
  expireDays?: number;
  envVersion: 'release' | 'trial' | 'develop';
  createdAt: Date;
  updatedAt: Date;
  /** Bumped by every write; each write is conditional on the version it read. */
  v: number;
}

/** The attribution models: the user's first entry ever, the entry of the goal's session, the last entry within 30 days that was not a Quick entry. */
export type GoalModel = 'first' | 'last' | 'lastNonDirect';

/** What a goal is credited to: the names `admin` `topEntries` uses, and share (the sharer), group (the chat), message (the template) and card (the rule). */
export type GoalDimension = 'bucket' | 'category' | 'scene' | 'channel' | 'page' | 'share' | 'group' | 'message' | 'card';

/** The entry a goal is credited to under one model. */
export interface Credit {
  /** The entry's event time. */
  at: Date;
  /** Whole seconds from the entry to the goal, and their bucket (`shared/goal-times.ts`). */
  s: number;
  b: number;
  /** The entry's key in each dimension it has, escaped as map keys are (`shared/keys.ts`). */
  keys: Partial<Record<GoalDimension, string>>;
}

/** A goal as the user-day of its day holds it. */
export interface DayGoal {
  /** The `_id` of its `goals` document. */
  id: string;
  name: string;
  at: Date;
  /** Fen; 0 when no report gave one. */
  value: number;
  verified: boolean;
  credit: Partial<Record<GoalModel, Credit>>;
}

/** A user-day's goals of one name credited to one key under one model: one row, whatever their number. */
export interface GoalKeyRow {
  n: string;
  m: GoalModel;
  d: GoalDimension;
  k: string;
  goals: number;
  value: number;
}

/** A user-day's goals of one name. */
export interface GoalNameRow {
  n: string;
  goals: number;
  value: number;
  verified: number;
}

/** One report of a goal: by the Mini Program, or verified (the operator's cloud function). */
export interface GoalReport {
  /** The client id of the event that reported it. */
  eventId: string;
  verified: boolean;
  /** The report's event time. */
  at: Date;
  value?: number;
}

/**
 * `goals`, `_id` = `goalDocId(openid, name, goalId)`: one goal of one user, whoever reported it and
 * however often. Its time is its earliest report's, its value the verified report's when one has
 * a value; `track` keeps the user-day of its day in step (`DayGoal`), which the rollup reads.
 */
export interface GoalDoc {
  _id: string;
  openid: string;
  appid: string;
  unionid?: string;
  name: string;
  goalId: string;
  at: Date;
  day: string;
  value?: number;
  verified: boolean;
  reports: GoalReport[];
  /** Bumped by every write; each write is conditional on the version its plan read. */
  v: number;
  /** When it was last written (server time). */
  updatedAt: Date;
}
