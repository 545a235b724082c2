/**
 * Totals with their change against the previous period, and traffic share by bucket and by
 * category over time (stacked, each day to 100%), from `admin` `overview`. A change against a
 * previous period with days missing their rollup says it is incomplete, and which days.
 */
import { chart, PALETTE } from '../charts';
import { h } from '../dom';
import { num, percent, t } from '../i18n';
import { bucketName, categoryName } from '../names';
import { dayShares, markIsolated } from './day-shares';
import type { Answers, Change, OverviewAnswer, TrendDay } from '../answers';
import { dayList, empty, stat, subhead, type Section } from './section';

/**
 * The change of one total, or why there is none to show; `partial` when either period lacks some
 * days (the range's are named under the section, the previous period's under the totals).
 */
function changeText(change: Change, answer: OverviewAnswer, length: number): HTMLElement {
  const { previous } = answer;
  if (previous.missingDays.length === length) return h('span', { class: 'flat', 'data-compare': 'none' }, t({ zh: '上一周期没有日汇总，无从对比', en: 'the previous period has no rollup to compare with' }));
  const partial = previous.missingDays.length > 0 || answer.missingDays.length > 0;
  const arrow = change.change === null ? '' : change.change > 0 ? '▲ ' : change.change < 0 ? '▼ ' : '';
  const ratio = change.change === null ? '—' : percent(Math.abs(change.change));
  const trend = change.change === null || change.change === 0 ? 'flat' : change.change > 0 ? 'up' : 'down';
  return h(
    'span',
    { class: partial ? `${trend} partial` : trend, 'data-compare': partial ? 'partial' : 'full' },
    `${arrow}${ratio} · ${t('previousPeriod')} ${num(change.previous)}${partial ? t('incomplete') : ''}`,
  );
}

const days = (n: number): string => (n === 1 ? '1 day' : `${n} days`);

/** Which days of the previous period the change leaves out, when it leaves any out. */
function previousNote(previous: OverviewAnswer['previous'], length: number): HTMLElement | null {
  const missing = previous.missingDays.length;
  if (missing === 0) return null;
  const { from, to } = previous;
  return h(
    'p',
    { class: 'note', 'data-previous-missing': String(missing) },
    t({
      zh: `上一周期（${from} 至 ${to}）有 ${missing} 天没有日汇总${missing < length ? `，变化只与其余 ${length - missing} 天相比` : ''}：${dayList(previous.missingDays)}`,
      en: `The previous period (${from} to ${to}) has ${days(missing)} without a rollup${missing < length ? `: the change compares with its other ${days(length - missing)} only` : ''}: ${dayList(previous.missingDays)}`,
    }),
  );
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
      data: markIsolated(dayShares(trend, pick, key)),
    })),
  });
}

export const overviewSection: Section = {
  id: 'overview',
  title: { zh: '总览', en: 'Overview' },
  ranged: true,
  async draw(body, { admin, overview, previous, compare }) {
    const answer = await overview();
    const { totals, trend } = answer;
    const extra = (change: Change): HTMLElement | string => (compare ? changeText(change, answer, trend.length) : '');
    body.append(
      h(
        'div',
        { class: 'stats' },
        stat('entries', t('entries'), num(totals.entries.value), extra(totals.entries)),
        stat('userDays', t('userDays'), num(totals.userDays.value), extra(totals.userDays)),
        stat('newUsers', t('newUsers'), num(totals.newUsers.value), extra(totals.newUsers)),
        stat('sessions', t('sessions'), num(totals.sessions.value), extra(totals.sessions)),
      ),
      (compare && previousNote(answer.previous, trend.length)) || '',
    );
    if (totals.entries.value === 0) return void body.append(empty());
    const earlier = compare ? (await admin<Answers['overview']>('overview', { ...previous })).trend : [];
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
          // a day without a rollup, in either period, is a gap, not a zero
          { name: t('entries'), type: 'bar', data: trend.map((day) => (day.missing ? null : day.entries)) },
          ...(compare ? [{ name: t('previousPeriod'), type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: earlier.map((day) => (day.missing ? null : day.entries)) }] : []),
        ],
      }),
      subhead({ zh: '按入口大类的流量占比', en: 'Traffic share by bucket' }),
      shareChart('buckets', trend, (day) => day.byBucket, bucketName),
      subhead({ zh: '按入口类别的流量占比', en: 'Traffic share by category' }),
      shareChart('categories', trend, (day) => day.byCategory, categoryName),
    );
  },
};
