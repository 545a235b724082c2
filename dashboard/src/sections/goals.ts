/**
 * Goals by entry point (`admin` `goals`): one goal's totals, and its goals, value, converter-days,
 * user-days, conversion rate and median time to goal by the keys of a dimension under the chosen
 * attribution model.
 */
import { h, raw } from '../dom';
import { failure } from '../failure';
import { num, percent, t, type Text } from '../i18n';
import { DIMENSIONS, dimensionName, keyCell, keyParts, keyText, type Dimension } from '../names';
import { table } from '../table';
import type { Answers } from '../answers';
import { stat, type Section } from './section';
import { templateTitles } from './sends';
import { newestOnly } from '../newest';

const MODELS: [string, Text][] = [
  ['first', { zh: '首次触达', en: 'First touch' }],
  ['last', { zh: '末次触达', en: 'Last touch' }],
  ['lastNonDirect', { zh: '末次非直接触达', en: 'Last non-direct touch' }],
];

/** Values are kept in fen; operators read yuan. */
const yuan = (fen: number): string => `¥${num(fen / 100, 2)}`;

/** A median time to goal in the largest unit that keeps it readable. */
function duration(seconds: number): string {
  if (seconds < 60) return t({ zh: `${num(seconds)} 秒`, en: `${num(seconds)} s` });
  if (seconds < 3600) return t({ zh: `${num(seconds / 60, 1)} 分钟`, en: `${num(seconds / 60, 1)} min` });
  if (seconds < 86400) return t({ zh: `${num(seconds / 3600, 1)} 小时`, en: `${num(seconds / 3600, 1)} h` });
  return t({ zh: `${num(seconds / 86400, 1)} 天`, en: `${num(seconds / 86400, 1)} d` });
}

function draw(result: HTMLElement, answer: Answers['goals'], by: Dimension, titles: ReadonlyMap<string, string>): void {
  const backfill = answer.daysToBackfill.length > 0 ? h('p', { class: 'note' }, t({ zh: `${answer.daysToBackfill.length} 天在统计目标之前汇总，需回填后才计入。`, en: `${answer.daysToBackfill.length} days were rolled up before goals were counted: backfill them to count theirs.` })) : '';
  if (answer.totals.goals === 0) {
    return void result.append(h('p', { class: 'empty', 'data-empty': 'goals' }, t({ zh: '这段时间没有“', en: 'No "' }), raw(answer.goal), t({ zh: '”目标。', en: '" goal in this range.' })), backfill);
  }
  const { totals } = answer;
  result.append(
    h(
      'div',
      { class: 'stats' },
      stat('goal-goals', t({ zh: '目标数', en: 'Goals' }), num(totals.goals)),
      stat('goal-value', t({ zh: '价值', en: 'Value' }), yuan(totals.value)),
      stat('goal-converterDays', t({ zh: '转化用户（按天累计）', en: 'Converter-days' }), num(totals.converterDays)),
      stat('goal-verified', t({ zh: '已验证', en: 'Verified' }), num(totals.verified)),
    ),
    table('goals', [
      { label: { zh: '入口', en: 'Entry point' }, value: (row) => keyText(keyParts(by, row.key, { ...row, titles })), cell: (row) => keyCell(keyParts(by, row.key, { ...row, titles })) },
      { label: { zh: '目标数', en: 'Goals' }, value: (row) => row.goals, numeric: true },
      { label: { zh: '价值（元）', en: 'Value (yuan)' }, value: (row) => row.value / 100, digits: 2, numeric: true },
      { label: { zh: '转化用户（按天累计）', en: 'Converter-days' }, value: (row) => row.converterDays, numeric: true },
      { label: 'userDays', value: (row) => row.userDays, numeric: true },
      { label: { zh: '转化率', en: 'Conversion rate' }, value: (row) => (row.conversionRate === null ? '—' : percent(row.conversionRate)), numeric: true },
      { label: { zh: '达成时间中位数', en: 'Median time to goal' }, value: (row) => (row.medianSeconds === null ? '—' : duration(row.medianSeconds)), numeric: true },
    ], answer.keys),
    // first touch credits the touch that brought the user, often before the range
    answer.keys.some((row) => row.conversionRate === null) ? h('p', { class: 'note', 'data-no-rate': true }, t({ zh: '转化率“—”：这段时间没有用户经此入口进入，它的目标归功于这段时间之前的触达。', en: '"—" for a conversion rate: no user came in through this entry point in the range; its goals are credited to touches before it.' })) : '',
    backfill,
  );
}

export const goalsSection: Section = {
  id: 'goals',
  title: { zh: '按入口的转化目标', en: 'Goals by entry point' },
  ranged: true,
  async draw(body, context) {
    const { admin, range } = context;
    const goal = h('input', { value: 'order_paid', size: '14', 'data-control': 'goal' });
    const model = h('select', { 'data-control': 'model' }, ...MODELS.map(([value, label]) => h('option', { value }, t(label))));
    const by = h('select', { 'data-control': 'goals-by' }, ...DIMENSIONS.map((dimension) => h('option', { value: dimension }, dimensionName(dimension))));
    const result = h('div', {});
    const newest = newestOnly();
    const load = async (): Promise<void> => {
      const dimension = by.value as Dimension;
      const [answer, titles] = await newest(Promise.all([admin<Answers['goals']>('goals', { ...range, goal: goal.value.trim(), model: model.value, by: dimension }), dimension === 'message' ? templateTitles(context) : new Map<string, string>()]));
      result.replaceChildren();
      draw(result, answer, dimension, titles);
    };
    const reload = (): void => void load().catch((error: unknown) => result.replaceChildren(...failure(error)));
    for (const control of [goal, model, by]) control.addEventListener('change', reload);
    body.append(
      h(
        'div',
        { class: 'controls' },
        h('label', { class: 'control' }, t({ zh: '目标：', en: 'Goal: ' }), goal),
        h('label', { class: 'control' }, t({ zh: '归因模型：', en: 'Attribution: ' }), model),
        h('label', { class: 'control' }, t({ zh: '按入口：', en: 'By: ' }), by),
      ),
      result,
    );
    await load();
  },
};
