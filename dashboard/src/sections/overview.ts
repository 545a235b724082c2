/**
 * Totals with their change against the previous period, and traffic share by bucket and by
 * category over time (stacked, each day to 100%), from `admin` `overview`.
 */
import { chart, PALETTE } from '../charts';
import { h } from '../dom';
import { num, percent, t } from '../i18n';
import { bucketName, categoryName } from '../names';
import { empty, missingNote, stat, subhead, type Section } from './section';

interface Change {
  value: number;
  previous: number;
  change: number | null;
}
interface TrendDay {
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
}

function changeText(change: Change, compare: boolean): HTMLElement | string {
  if (!compare) return '';
  const arrow = change.change === null ? '' : change.change > 0 ? '▲ ' : change.change < 0 ? '▼ ' : '';
  const ratio = change.change === null ? '—' : percent(Math.abs(change.change));
  return h('span', { class: change.change === null || change.change === 0 ? 'flat' : change.change > 0 ? 'up' : 'down' }, `${arrow}${ratio} · ${t('previousPeriod')} ${num(change.previous)}`);
}

/** Each day's share of entries by key, stacked to 100%: the shape of traffic, whatever its size. */
function shareChart(name: string, trend: TrendDay[], pick: (day: TrendDay) => Record<string, number>, label: (key: string) => string): HTMLElement {
  const totals = new Map<string, number>();
  for (const day of trend) for (const [key, entries] of Object.entries(pick(day))) totals.set(key, (totals.get(key) ?? 0) + entries);
  const keys = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
  return chart(name, {
    color: PALETTE,
    tooltip: { trigger: 'axis', valueFormatter: (value: number) => `${num(value, 1)}%` },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: trend.map((day) => day.day.slice(5)) },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: keys.map((key) => ({
      name: label(key),
      type: 'line',
      stack: 'share',
      areaStyle: {},
      symbol: 'none',
      data: trend.map((day) => (day.entries > 0 ? Math.round(((pick(day)[key] ?? 0) / day.entries) * 1000) / 10 : 0)),
    })),
  });
}

export const overviewSection: Section = {
  id: 'overview',
  title: { zh: '总览', en: 'Overview' },
  async draw(body, { admin, range, previous, compare }) {
    const answer = await admin<OverviewAnswer>('overview', { ...range });
    const { totals, trend } = answer;
    body.append(
      h(
        'div',
        { class: 'stats' },
        stat('entries', t('entries'), num(totals.entries.value), changeText(totals.entries, compare)),
        stat('userDays', t('userDays'), num(totals.userDays.value), changeText(totals.userDays, compare)),
        stat('newUsers', t('newUsers'), num(totals.newUsers.value), changeText(totals.newUsers, compare)),
        stat('sessions', t('sessions'), num(totals.sessions.value), changeText(totals.sessions, compare)),
      ),
    );
    if (totals.entries.value === 0) {
      body.append(empty());
      return;
    }
    const earlier = compare ? (await admin<OverviewAnswer>('overview', { ...previous })).trend : [];
    body.append(
      subhead({ zh: '每日进入次数', en: 'Entries by day' }),
      chart('entries', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 30 },
        xAxis: { type: 'category', data: trend.map((day) => day.day.slice(5)) },
        yAxis: { type: 'value' },
        series: [
          { name: t('entries'), type: 'bar', data: trend.map((day) => day.entries) },
          ...(compare ? [{ name: t('previousPeriod'), type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: earlier.map((day) => day.entries) }] : []),
        ],
      }),
      subhead({ zh: '按入口大类的流量占比', en: 'Traffic share by bucket' }),
      shareChart('buckets', trend, (day) => day.byBucket, bucketName),
      subhead({ zh: '按入口类别的流量占比', en: 'Traffic share by category' }),
      shareChart('categories', trend, (day) => day.byCategory, categoryName),
      missingNote(answer.missingDays) ?? '',
    );
  },
};
