/** The top entry points of the range by scene (id, both names, entries, users, new users, share), from `admin` `topEntries`. */
import { h } from '../dom';
import { percent, t } from '../i18n';
import { table } from '../table';
import type { Answers } from '../answers';
import { empty, type Section } from './section';

/** The scenes drawn, and those the CSV holds (`topEntries`' most). */
const SHOWN = 30;
const ASKED = 100;

export const scenesSection: Section = {
  id: 'scenes',
  title: { zh: '入口场景排行', en: 'Top entry points by scene' },
  ranged: true,
  async draw(body, { admin, range }) {
    const { top, keys } = await admin<Answers['topEntries']>('topEntries', { ...range, dimension: 'scene', limit: ASKED });
    if (top.length === 0) return void body.append(empty());
    body.append(
      table('scenes', [
        { label: { zh: '场景值', en: 'Scene' }, value: (row) => row.key },
        // the catalog's names, both shown in either language
        { label: { zh: '中文名', en: 'Chinese name' }, value: (row) => row.zh ?? '', raw: true },
        { label: { zh: '英文名', en: 'English name' }, value: (row) => row.en ?? '', raw: true },
        { label: 'entries', value: (row) => row.entries, numeric: true },
        { label: 'userDays', value: (row) => row.userDays, numeric: true },
        { label: 'newUsers', value: (row) => row.newUsers, numeric: true },
        { label: 'share', value: (row) => percent(row.share), numeric: true },
      ], top, { shown: SHOWN, total: keys }),
      // a new user back the same day through the pull-down bar reads as a new user of 1089: say why
      h('p', { class: 'note', 'data-new-users-note': true }, t({ zh: '新用户：首日经此场景进入的新用户，首日多次进入的在每个经过的场景都计入；首次进入的场景见“按入口的留存”。', en: "New users: new users who came in through the scene on their first day, counted under each scene they came through that day; the scene of their very first entry is in Retention by entry point." })),
    );
  },
};
