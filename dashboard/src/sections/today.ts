/** Today so far (Beijing time), from `admin` `today`: drawn again every minute while the page is open. */
import { h } from '../dom';
import { num, percent, t } from '../i18n';
import { table } from '../table';
import { stat, subhead, type Section } from './section';

export const todaySection: Section = {
  id: 'today',
  title: { zh: '今日实时', en: 'Today so far' },
  ranged: false,
  refreshMs: 60_000,
  async draw(body, { todaySoFar, sawToday }) {
    const { asOf, rollup } = await todaySoFar();
    sawToday(rollup._id);
    const { totals } = rollup;
    const time = new Date(asOf).toLocaleTimeString(t({ zh: 'zh-CN', en: 'en-GB' }), { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit' });
    body.append(
      h('p', { class: 'note' }, `${rollup._id} · ${t('asOf')} ${time}${t('refreshes')}`),
      h(
        'div',
        { class: 'stats' },
        stat('today-entries', t('entries'), num(totals.entries)),
        stat('today-users', t('users'), num(totals.users)),
        stat('today-newUsers', t('newUsers'), num(totals.newUsers)),
        stat('today-sessions', t('sessions'), num(totals.sessions)),
        stat('today-shares', t({ zh: '分享 → 回流', en: 'Shares → returns' }), `${num(rollup.shares.intents)} → ${num(rollup.shares.returnOpens)}`),
      ),
    );
    const scenes = Object.entries(rollup.byScene)
      .map(([scene, counts]) => ({ scene, ...counts }))
      .sort((a, b) => b.entries - a.entries)
      .slice(0, 5);
    if (scenes.length === 0) return;
    body.append(
      subhead({ zh: '今日主要入口', en: "Today's top entry points" }),
      table('today-scenes', [
        { label: { zh: '场景值', en: 'Scene' }, value: (row) => row.scene },
        { label: { zh: '入口', en: 'Entry point' }, value: (row) => t({ zh: row.zh, en: row.en }), raw: true },
        { label: 'entries', value: (row) => row.entries, numeric: true },
        { label: 'users', value: (row) => row.users, numeric: true },
        { label: 'share', value: (row) => percent(totals.entries > 0 ? row.entries / totals.entries : 0), numeric: true },
      ], scenes),
    );
  },
};
