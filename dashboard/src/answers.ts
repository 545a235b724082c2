/**
 * What the page reads of `admin`'s answers (README, `admin`), one shape per action in `Answers`.
 * Only the fields the page uses: an answer may carry more. Types only, no DOM, so that the root
 * typecheck can hold them against the server's own answers (`test/dashboard/answers.check.ts`):
 * a field the server renames or drops fails `npm run typecheck`, not the page in a browser.
 */

export interface Change {
  value: number;
  previous: number;
  change: number | null;
}

export interface TrendDay {
  day: string;
  missing: boolean;
  entries: number;
  byBucket: Record<string, number>;
  byCategory: Record<string, number>;
}

export interface OverviewAnswer {
  totals: Record<'entries' | 'userDays' | 'newUsers' | 'sessions', Change>;
  trend: TrendDay[];
  missingDays: string[];
  previous: { from: string; to: string; missingDays: string[] };
}

interface DayCounts {
  entries: number;
  users: number;
  newUsers: number;
}

export interface TodayAnswer {
  asOf: string;
  rollup: {
    _id: string;
    totals: DayCounts & { sessions: number };
    byScene: Record<string, DayCounts & { zh: string; en: string }>;
    shares: { intents: number; returnOpens: number };
  };
}

export interface RankedScene {
  key: string;
  entries: number;
  userDays: number;
  newUsers: number;
  share: number;
  zh?: string;
  en?: string;
}

/** A registered channel as `listChannels` answers it (`tempFileURL`: a code's picture) and as `channels` joins it to a key. */
export interface ChannelDoc {
  key: string;
  name: string;
  kind: string;
  group?: string;
  createdAt?: string;
  tempFileURL?: string;
  url?: string;
}

export interface ChannelRow {
  key: string;
  entries: number;
  userDays: number;
  newUsers: number;
  firstTouch: number;
  share: number;
  channel: Omit<ChannelDoc, 'key' | 'tempFileURL'> | null;
}

export interface ChannelsAnswer {
  keys: number;
  channels: ChannelRow[];
  unknown: { keys: number; entries: number };
  byKind: { kind: string; entries: number; userDays: number; newUsers: number; firstTouch: number; channels: number }[];
  firstTouchSeries: { days: string[]; channels: { key: string; name?: string; daily: number[] }[]; others: number[] };
  dead: { from: string; to: string; total: number; channels: Omit<ChannelDoc, 'tempFileURL'>[]; missingDays: string[] };
}

export interface GoalKey {
  key: string;
  goals: number;
  value: number;
  converterDays: number;
  userDays: number;
  conversionRate: number | null;
  medianSeconds: number | null;
  zh?: string;
  en?: string;
}

export interface GoalsAnswer {
  goal: string;
  totals: { goals: number; value: number; converterDays: number; verified: number };
  keys: GoalKey[];
  daysToBackfill: string[];
}

export interface RetentionValue {
  users: number;
  cohort: number;
  rate: number;
}

export interface RetentionRow {
  users: number;
  days: Record<string, RetentionValue | null>;
  returned: Record<string, RetentionValue | null>;
}

export type RetentionKeyRow = RetentionRow & { key: string; zh?: string; en?: string };

export interface RetentionAnswer {
  days: number[];
  returned: number[];
  total: RetentionRow;
  keys: RetentionKeyRow[];
  reactivated: { users: number; keys: { key: string; users: number }[] };
  daysToBackfill: string[];
}

export interface Funnel {
  intents: number;
  sharerDays: number;
  returnOpens: number;
  openerDays: number;
  newUsers: number;
  /** null without intents, or without sharers: no ratio. */
  returnRatio: number | null;
  kFactor: number | null;
  depth: Record<string, number>;
}

export interface ShareDay {
  day: string;
  missing: boolean;
  kFactor: number | null;
}

export interface ShareNode {
  shareId: string;
  sharer: string;
  depth: number;
  day: string;
  opens: number;
  openers: number;
  children: ShareNode[];
}

export interface TopShare {
  rootShareId: string;
  opens: number;
  openers: number;
}

export interface GroupAnswer {
  group: { groupId: string; firstDay: string; firstOpener: string; chatType?: number; firstShareId?: string };
  activity: { opens: number; openers: number; shareIds: string[]; firstOpen: string | null; lastOpen: string | null };
}

export interface SendCounts {
  sent: number;
  fates: Record<string, number>;
  opened: number;
  opens: number;
  /** null when nothing was sent. */
  openRate: number | null;
  returns24h: number;
  newUsers: number;
}

export type TemplateSends = SendCounts & { templateId: string; title?: string };
export type RuleSends = SendCounts & { rule: string };

/** Each action the page asks, and what it reads of the answer. */
export interface Answers {
  overview: OverviewAnswer;
  today: TodayAnswer;
  topEntries: { top: RankedScene[]; keys: number };
  listChannels: { channels: ChannelDoc[]; next?: string };
  channels: ChannelsAnswer;
  goals: GoalsAnswer;
  retention: RetentionAnswer;
  shareFunnel: { funnel: Funnel; daily: ShareDay[] };
  topShares: { shares: TopShare[]; rawEventsFrom: string };
  shareTree: { tree: ShareNode | null; shares: number; truncated: boolean };
  topGroups: { groups: { groupId: string; opens: number; openers: number }[]; rawEventsFrom: string };
  group: GroupAnswer;
  messages: { total: SendCounts; settlingDays: string[]; templates: TemplateSends[] };
  cards: { total: SendCounts; settlingDays: string[]; rules: RuleSends[] };
}
