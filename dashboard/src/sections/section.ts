/**
 * A section of the dashboard: a title and how to draw its body for a range. The page (main.ts)
 * draws each one in its own panel, with its loading, empty and error states, and under each
 * section of the range the days of the range without a rollup; adding a section is adding it to
 * the list in `sections/index.ts`.
 */
import type { Admin } from '../api';
import { h } from '../dom';
import { t, type Text } from '../i18n';

export interface Range {
  from: string;
  to: string;
}

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
/** `admin` `overview`'s answer (README, `admin`). */
export interface OverviewAnswer {
  totals: Record<'entries' | 'userDays' | 'newUsers' | 'sessions', Change>;
  trend: TrendDay[];
  missingDays: string[];
  previous: Range & { missingDays: string[] };
}

export interface SectionContext {
  admin: Admin;
  /** China days, both included. */
  range: Range;
  /** The period of the same length just before `range`. */
  previous: Range;
  /** Show the previous period beside the range. */
  compare: boolean;
  /** Today, China day, as the backend's clock says. */
  today: string;
  /** Told today's day by each answer that carries it (today so far, every minute): past midnight the range bar moves on to the new day. */
  sawToday(day: string): void;
  /** `admin` `overview` of the range, asked once for the whole page (the overview and every section's days without a rollup). */
  overview(): Promise<OverviewAnswer>;
}

export interface Section {
  id: string;
  title: Text;
  /** Draws into `body` (emptied first); an AdminError it throws is shown by the panel. */
  draw(body: HTMLElement, ctx: SectionContext): Promise<void>;
  /** Drawn for the range: the page says under it which days of the range have no rollup, whether it drew something or nothing. */
  ranged: boolean;
  /** Drawn again this often while the page is open and shown (today so far). */
  refreshMs?: number;
}

/** The empty state: nothing in the range. */
export const empty = (): HTMLElement => h('p', { class: 'empty' }, t('empty'));

/** A sub-heading inside a section. */
export const subhead = (text: Text): HTMLElement => h('h3', {}, t(text));

/** Days, the first and last few when there are many. */
export const dayList = (days: string[]): string => (days.length > 6 ? `${days.slice(0, 3).join(', ')} … ${days.slice(-2).join(', ')}` : days.join(', '));

/** Days of the range with no rollup, said under what was drawn from the others. */
export function missingNote(days: string[]): HTMLElement | null {
  if (days.length === 0) return null;
  return h('p', { class: 'note', 'data-missing': String(days.length) }, t({ zh: `${days.length} 天没有日汇总（尚未汇总）：`, en: `${days.length} ${days.length === 1 ? 'day has' : 'days have'} no rollup (not rolled up yet): ` }), dayList(days));
}

/** A number card: a label, a value, and maybe its change against the previous period. */
export function stat(name: string, label: string, value: string, extra?: Node | string): HTMLElement {
  return h('div', { class: 'stat', 'data-stat': name }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), extra ? h('div', { class: 'stat-extra' }, extra) : null);
}
