/** The group chats that brought most entries over the range (`admin` `topGroups`, from raw events: within retention). */
import { table } from '../table';
import { empty, type Section } from './section';

export const groupsSection: Section = {
  id: 'groups',
  title: { zh: '群聊', en: 'Groups' },
  async draw(body, { admin, range }) {
    const { groups } = await admin<{ groups: { groupId: string; opens: number; openers: number }[] }>('topGroups', { ...range, limit: 20 });
    if (groups.length === 0) return void body.append(empty());
    body.append(
      table('groups', [
        { label: { zh: '群（openGId）', en: 'Group (openGId)' }, value: (row) => row.groupId },
        { label: { zh: '打开次数', en: 'Opens' }, value: (row) => row.opens, numeric: true },
        { label: { zh: '打开者', en: 'Openers' }, value: (row) => row.openers, numeric: true },
      ], groups),
    );
  },
};
