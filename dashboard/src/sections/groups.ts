/**
 * The group chats that brought most entries over the range (`admin` `topGroups`, from raw events:
 * within retention), each opening its record and activity (`admin` `group`).
 */
import type { Admin } from '../api';
import { h, raw } from '../dom';
import { failure } from '../failure';
import { num, t } from '../i18n';
import { table } from '../table';
import type { Answers } from '../answers';
import { empty, pastRetentionNote, stat, type Section } from './section';
import { chinaDay } from '../../../shared/time';
import { newestOnly } from '../newest';

/** Draws a group's record and activity into `box`, when its answer is the newest `newest` was given. */
async function drawGroup(box: HTMLElement, admin: Admin, newest: ReturnType<typeof newestOnly>, groupId: string): Promise<void> {
  box.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  const { group, activity } = await newest(admin<Answers['group']>('group', { groupId }));
  // an instant's China day, not its UTC one (the ISO text's first ten characters)
  const day = (at: string | null): string => (at ? chinaDay(Date.parse(at)) : '—');
  box.replaceChildren(
    h(
      'p',
      { class: 'note', 'data-group': groupId },
      t({ zh: '群 ', en: 'Group ' }),
      raw(groupId),
      t({ zh: `：${group.firstDay} 首次有人从这里进入（`, en: `: first entered from on ${group.firstDay} (by ` }),
      raw(group.firstOpener),
      t({ zh: '）', en: ')' }),
      ...(group.firstShareId ? [t({ zh: '，通过分享 ', en: ', through share ' }), raw(group.firstShareId)] : []),
      t({ zh: '。', en: '.' }),
    ),
    h(
      'div',
      { class: 'stats' },
      stat('group-opens', t({ zh: '打开次数', en: 'Opens' }), num(activity.opens)),
      stat('group-openers', t({ zh: '打开者', en: 'Openers' }), num(activity.openers)),
      stat('group-shares', t({ zh: '带来打开的分享', en: 'Shares that reached it' }), num(activity.shareIds.length)),
      stat('group-span', t({ zh: '首次 / 最近打开', en: 'First / last open' }), `${day(activity.firstOpen)} / ${day(activity.lastOpen)}`),
    ),
  );
}

export const groupsSection: Section = {
  id: 'groups',
  title: { zh: '群聊', en: 'Groups' },
  ranged: true,
  async draw(body, { admin, range }) {
    const { groups, rawEventsFrom } = await admin<Answers['topGroups']>('topGroups', { ...range, limit: 20 });
    if (groups.length === 0) return void body.append(empty(), pastRetentionNote(range, rawEventsFrom));
    const detail = h('div', {});
    const newest = newestOnly();
    body.append(
      table('groups', [
        { label: { zh: '群（openGId）', en: 'Group (openGId)' }, value: (row) => row.groupId, raw: true },
        { label: { zh: '打开次数', en: 'Opens' }, value: (row) => row.opens, numeric: true },
        { label: { zh: '打开者', en: 'Openers' }, value: (row) => row.openers, numeric: true },
        {
          label: { zh: '详情', en: 'Details' },
          cell: (row) => h('button', { type: 'button', class: 'open-group', onclick: () => void drawGroup(detail, admin, newest, row.groupId).catch((error: unknown) => detail.replaceChildren(...failure(error))) }, t({ zh: '查看', en: 'Open' })),
        },
      ], groups),
      pastRetentionNote(range, rawEventsFrom),
      detail,
    );
  },
};
