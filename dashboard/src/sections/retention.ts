/**
 * Retention by entry point (`admin` `retention`): the cohorts of the range by a first-touch
 * dimension, as a table whose rate cells are shaded by the rate (a heat map), and the users
 * reactivated on the range's days.
 */
import { h } from '../dom';
import { failure } from '../failure';
import { num, percent, t, type Text } from '../i18n';
import { DIMENSIONS, dimensionName, entryKeyParts, keyCell, keyText, type Dimension, type KeyParts } from '../names';
import { table, type Column } from '../table';
import type { Answers, RetentionKeyRow as KeyRow, RetentionRow, RetentionValue } from '../answers';
import { empty, stat, subhead, type Section } from './section';
import { templateTitles } from './sends';
import { newestOnly } from '../newest';

const DAYS = [1, 2, 3, 7, 14, 30];

/** Light at 0, deep blue at 1, so that dark text stays readable on every cell. */
const heat = (rate: number): string => `rgba(22, 93, 255, ${(0.06 + 0.6 * Math.min(1, rate)).toFixed(3)})`;

/** A rate column: its percentage, or "—" while unknown, on its heat colour. */
function rateColumn(label: Text, value: (row: RetentionRow) => RetentionValue | null): Column<KeyRow> {
  return {
    label,
    value: (row) => {
      const known = value(row);
      return known ? percent(known.rate) : '—';
    },
    background: (row) => {
      const known = value(row);
      return known ? heat(known.rate) : undefined;
    },
    numeric: true,
  };
}

function draw(result: HTMLElement, answer: Answers['retention'], by: Dimension, titles: ReadonlyMap<string, string>): void {
  if (answer.total.users === 0) return void result.append(empty());
  const totals: KeyRow = { key: '', ...answer.total };
  const parts = (row: KeyRow): KeyParts => (row === totals ? [t({ zh: '全部', en: 'All' }), ''] : entryKeyParts(by, row.key, { ...row, titles }));
  const columns: Column<KeyRow>[] = [
    { label: { zh: '首次触达', en: 'First touch' }, value: (row) => keyText(parts(row)), cell: (row) => keyCell(parts(row)) },
    { label: { zh: '新用户（同期群）', en: 'Cohort users' }, value: (row) => row.users, numeric: true },
    ...answer.days.map((n) => rateColumn({ zh: `第 ${n} 天`, en: `Day ${n}` }, (row) => row.days[String(n)])),
    ...answer.returned.map((n) => rateColumn({ zh: `${n} 天内回访`, en: `Back within ${n} d` }, (row) => row.returned[String(n)])),
  ];
  const backfill = answer.daysToBackfill.length > 0 ? h('p', { class: 'note' }, t({ zh: `${answer.daysToBackfill.length} 天在统计留存之前汇总，需回填后才计入。`, en: `${answer.daysToBackfill.length} days were rolled up before retention was counted: backfill them to count it.` })) : '';
  result.append(
    table('retention', columns, [totals, ...answer.keys]),
    h('p', { class: 'note' }, t({ zh: '“—”：尚无法得知（那一天还没到或还没汇总）。', en: '"—": not known yet (that day has not come or is not rolled up).' })),
    backfill,
    subhead({ zh: '回流用户（超过 30 天未进入后再次进入）', en: 'Reactivated users (back after more than 30 days away)' }),
    h('div', { class: 'stats' }, stat('reactivated', t({ zh: '回流用户（按天累计）', en: 'Reactivated (user-days)' }), num(answer.reactivated.users))),
    answer.reactivated.keys.length > 0
      ? table('reactivated', [
          { label: { zh: '带回他们的入口', en: 'Entry that brought them back' }, value: (row) => keyText(entryKeyParts(by, row.key, { titles })), cell: (row) => keyCell(entryKeyParts(by, row.key, { titles })) },
          { label: 'users', value: (row) => row.users, numeric: true },
        ], answer.reactivated.keys)
      : '',
  );
}

export const retentionSection: Section = {
  id: 'retention',
  title: { zh: '按入口的留存', en: 'Retention by entry point' },
  ranged: true,
  async draw(body, context) {
    const { admin, range } = context;
    const by = h('select', { 'data-control': 'retention-by' }, ...DIMENSIONS.map((dimension) => h('option', { value: dimension }, dimensionName(dimension))));
    const result = h('div', {});
    const newest = newestOnly();
    const load = async (): Promise<void> => {
      const dimension = by.value as Dimension;
      const [answer, titles] = await newest(Promise.all([admin<Answers['retention']>('retention', { ...range, by: dimension, days: DAYS }), dimension === 'message' ? templateTitles(context) : new Map<string, string>()]));
      result.replaceChildren();
      draw(result, answer, dimension, titles);
    };
    by.addEventListener('change', () => void load().catch((error: unknown) => result.replaceChildren(...failure(error))));
    body.append(h('label', { class: 'control' }, t({ zh: '按首次触达：', en: 'By first touch: ' }), by), result);
    await load();
  },
};
