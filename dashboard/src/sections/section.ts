/**
 * A section of the dashboard: a title and how to draw its body for a range. The page (main.ts)
 * draws each one in its own panel, with its loading, empty and error states, and under each
 * section of the range the days of the range without a rollup; adding a section is adding it to
 * the list in `sections/index.ts`.
 */
import type { Admin } from '../api';
import { h } from '../dom';
import type { OverviewAnswer, TodayAnswer } from '../answers';
import { t, type Text } from '../i18n';

export interface Range {
  from: string;
  to: string;
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
  /** `admin` `today`: the page's first drawing reuses the answer its start learned today from. */
  todaySoFar(): Promise<TodayAnswer>;
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

/**
 * What a table read from raw events says when its range starts before the raw events retention
 * keeps (`rawEventsFrom`): the days before count only the share records and groups' first entries.
 */
export const pastRetentionNote = (range: Range, rawEventsFrom: string): HTMLElement | string =>
  range.from < rawEventsFrom
    ? h('p', { class: 'note', 'data-past-retention': true }, t({ zh: `${rawEventsFrom} 之前的原始事件已按保留期删除：下表只计入之后的打开。`, en: `Raw events before ${rawEventsFrom} are past retention: this table counts the opens after it only.` }))
    : '';

/** Days, the first and last few when there are many. */
export const dayList = (days: string[]): string => (days.length > 6 ? `${days.slice(0, 3).join(', ')} … ${days.slice(-2).join(', ')}` : days.join(', '));

const days = (n: number): string => (n === 1 ? '1 day' : `${n} days`);

/**
 * The range's days without a rollup, said under what was drawn from the others; those before the
 * data begins said apart, as no loss: the range's first days, when neither they nor the whole
 * period before the range have a rollup and a later day of the range has one (the days before a
 * deployment, which a 45- or 90-day preset reaches). Told from the range's `overview` alone.
 */
export function missingNotes(overview: OverviewAnswer): HTMLElement[] {
  const { trend, previous } = overview;
  const first = trend.findIndex((day) => !day.missing);
  const before = first > 0 && previous.missingDays.length === trend.length ? trend.slice(0, first).map((day) => day.day) : [];
  const missing = overview.missingDays.filter((day) => !before.includes(day));
  const notes: HTMLElement[] = [];
  if (before.length > 0) {
    const n = before.length;
    const { day } = trend[first];
    notes.push(h('p', { class: 'note', 'data-before-data': String(n) }, t({ zh: `${n} 天早于数据的开始（${previous.from} 以来第一份日汇总是 ${day}）：`, en: `${days(n)} before the data begins (the first rollup since ${previous.from} is ${day}): ` }), dayList(before)));
  }
  if (missing.length > 0) notes.push(h('p', { class: 'note', 'data-missing': String(missing.length) }, t({ zh: `${missing.length} 天没有日汇总（尚未汇总）：`, en: `${missing.length} ${missing.length === 1 ? 'day has' : 'days have'} no rollup (not rolled up yet): ` }), dayList(missing)));
  return notes;
}

/** A number card: a label, a value, and maybe its change against the previous period. */
export function stat(name: string, label: string, value: string, extra?: Node | string): HTMLElement {
  return h('div', { class: 'stat', 'data-stat': name }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), extra ? h('div', { class: 'stat-extra' }, extra) : null);
}
