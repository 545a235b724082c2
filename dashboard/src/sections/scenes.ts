/** The top entry points of the range by scene (id, both names, entries, users, new users, share), from `admin` `topEntries`. */
import { percent } from '../i18n';
import { table } from '../table';
import { empty, type Section } from './section';

export interface RankedScene {
  key: string;
  entries: number;
  userDays: number;
  newUsers: number;
  share: number;
  zh?: string;
  en?: string;
}

export const scenesSection: Section = {
  id: 'scenes',
  title: { zh: '入口场景排行', en: 'Top entry points by scene' },
  ranged: true,
  async draw(body, { admin, range }) {
    const { top } = await admin<{ top: RankedScene[] }>('topEntries', { ...range, dimension: 'scene', limit: 30 });
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
      ], top),
    );
  },
};
