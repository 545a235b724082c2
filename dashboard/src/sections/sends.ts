/** Subscription messages by template and service cards by rule (sent, by fate, opened, open rate, returns within 24 h, new users), by send day. */
import { h } from '../dom';
import { num, percent, t, type Text } from '../i18n';
import { fateName, keyCell, keyText, ruleParts } from '../names';
import { table, type Column } from '../table';
import type { Answers, RuleSends as Rule, SendCounts, TemplateSends as Template } from '../answers';
import { subhead, type Section, type SectionContext } from './section';

function countColumns<R extends SendCounts>(): Column<R>[] {
  return [
    { label: { zh: '已发送', en: 'Sent' }, value: (row) => row.sent, numeric: true },
    { label: { zh: '结果', en: 'Fates' }, value: (row) => Object.entries(row.fates).map(([fate, count]) => `${fateName(fate)} ${num(count)}`).join(' · ') },
    { label: { zh: '被打开', en: 'Opened' }, value: (row) => row.opened, numeric: true },
    { label: { zh: '打开率', en: 'Open rate' }, value: (row) => (row.openRate === null ? '—' : percent(row.openRate)), numeric: true },
    { label: { zh: '24 小时内回访', en: 'Returns within 24 h' }, value: (row) => row.returns24h, numeric: true },
    { label: 'newUsers', value: (row) => row.newUsers, numeric: true },
  ];
}

function block<R extends SendCounts>(name: string, title: Text, nothing: Text, first: Column<R>, answer: { settlingDays: string[] }, rows: R[]): (Node | string)[] {
  if (rows.length === 0) return [subhead(title), h('p', { class: 'empty' }, t(nothing))];
  const settling = answer.settlingDays.length > 0 ? h('p', { class: 'note' }, t({ zh: `最近 ${answer.settlingDays.length} 天的数字仍可能增长（打开会在发送后 7 天内陆续到来）。`, en: `The last ${answer.settlingDays.length} days may still grow (opens keep coming for 7 days after a send).` })) : null;
  return [subhead(title), table(name, [first, ...countColumns<R>()], rows), settling ?? ''];
}

/** `admin` `messages` of the page's range, asked once for each drawing of the page (a failure is asked again): this section's, and where retention and goals find a template's title. */
const messagesAsked = new WeakMap<SectionContext, Promise<Answers['messages']>>();
function messagesOf(context: SectionContext): Promise<Answers['messages']> {
  const asked = messagesAsked.get(context) ?? context.admin<Answers['messages']>('messages', { ...context.range });
  messagesAsked.set(context, asked);
  asked.catch(() => messagesAsked.delete(context));
  return asked;
}

/**
 * The titles of the templates sent in the page's range, by template id (`messages`' `title`, from
 * the cached template list; none for a template it does not know), or none when `messages` failed:
 * a template is then shown by its id, and this section shows the failure.
 */
export async function templateTitles(context: SectionContext): Promise<Map<string, string>> {
  const { templates } = await messagesOf(context).catch(() => ({ templates: [] as Template[] }));
  return new Map((templates ?? []).flatMap((template) => (template.title === undefined ? [] : [[template.templateId, template.title] as [string, string]])));
}

export const sendsSection: Section = {
  id: 'sends',
  title: { zh: '订阅消息与客服卡片', en: 'Messages and service cards' },
  ranged: true,
  async draw(body, context) {
    const [messages, cards] = await Promise.all([messagesOf(context), context.admin<Answers['cards']>('cards', { ...context.range })]);
    body.append(
      ...block('messages', { zh: '订阅消息（按模板）', en: 'Subscription messages by template' }, { zh: '这段时间没有发送订阅消息。', en: 'No message was sent in this range.' }, { label: { zh: '模板', en: 'Template' }, value: (row: Template) => row.title ?? row.templateId, raw: true }, messages, messages.templates ?? []),
      ...block('cards', { zh: '客服卡片（按规则）', en: 'Service cards by rule' }, { zh: '这段时间没有发出客服卡片。', en: 'No card was sent in this range.' }, { label: { zh: '规则', en: 'Rule' }, value: (row: Rule) => keyText(ruleParts(row.rule)), cell: (row: Rule) => keyCell(ruleParts(row.rule)) }, cards, cards.rules ?? []),
    );
  },
};
