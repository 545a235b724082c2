/** PLACEHOLDER (issue 12): retention by entry point, `admin` `retention` (see placeholder.ts). */
import { h } from '../dom';
import { t } from '../i18n';
import { drawPlaceholder } from './placeholder';
import type { Section } from './section';

/** The first-touch dimensions issue 12 names, in the operator's words. */
const DIMENSIONS = ['category', 'bucket', 'scene', 'channel', 'share', 'group', 'message', 'card'];

export const retentionSection: Section = {
  id: 'retention',
  title: { zh: '按入口的留存（占位）', en: 'Retention by entry point (placeholder)' },
  async draw(body, { admin, range }) {
    const by = h('select', { 'data-control': 'retention-by' }, ...DIMENSIONS.map((dimension) => h('option', { value: dimension }, dimension)));
    const result = h('div', {});
    const load = (): Promise<void> => {
      result.replaceChildren();
      return drawPlaceholder(result, 'retention', () => admin('retention', { ...range, by: by.value, days: [1, 2, 3, 7, 14, 30] }));
    };
    by.addEventListener('change', () => void load().catch((error: Error) => result.replaceChildren(h('p', { class: 'error' }, `${t('error')}${error.message}`))));
    body.append(h('label', { class: 'control' }, t({ zh: '按首次触达：', en: 'By first touch: ' }), by), result);
    await load();
  },
};
