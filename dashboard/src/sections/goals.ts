/** PLACEHOLDER (issue 12): goals by entry point with the attribution model switch, `admin` `goals` (see placeholder.ts). */
import { h } from '../dom';
import { t, type Text } from '../i18n';
import { drawPlaceholder } from './placeholder';
import type { Section } from './section';

const MODELS: [string, Text][] = [
  ['first', { zh: '首次触达', en: 'First touch' }],
  ['last', { zh: '末次触达', en: 'Last touch' }],
  ['lastNonDirect', { zh: '末次非直接触达', en: 'Last non-direct touch' }],
];

export const goalsSection: Section = {
  id: 'goals',
  title: { zh: '按入口的转化目标（占位）', en: 'Goals by entry point (placeholder)' },
  async draw(body, { admin, range }) {
    const goal = h('input', { value: 'order_paid', size: '14', 'data-control': 'goal' });
    const model = h('select', { 'data-control': 'model' }, ...MODELS.map(([value, label]) => h('option', { value }, t(label))));
    const result = h('div', {});
    const load = (): Promise<void> => {
      result.replaceChildren();
      return drawPlaceholder(result, 'goals', () => admin('goals', { ...range, goal: goal.value, model: model.value, by: 'category' }));
    };
    const reload = (): void => void load().catch((error: Error) => result.replaceChildren(h('p', { class: 'error' }, `${t('error')}${error.message}`)));
    model.addEventListener('change', reload);
    goal.addEventListener('change', reload);
    body.append(h('div', { class: 'controls' }, h('label', { class: 'control' }, t({ zh: '目标：', en: 'Goal: ' }), goal), h('label', { class: 'control' }, t({ zh: '归因模型：', en: 'Attribution: ' }), model)), result);
    await load();
  },
};
