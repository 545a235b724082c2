/**
 * Sharing: the funnel (intents → return opens → new users), the K-factor day by day, returns by
 * depth, and the share tree of a top share drawn as a tree (`shareFunnel`, `topShares`, `shareTree`).
 */
import { chart, PALETTE } from '../charts';
import { clear, h, raw } from '../dom';
import { failure } from '../failure';
import { num, percent, t } from '../i18n';
import { table } from '../table';
import { empty, stat, subhead, type Section } from './section';

interface Funnel {
  intents: number;
  sharerDays: number;
  returnOpens: number;
  openerDays: number;
  newUsers: number;
  returnRatio: number;
  kFactor: number;
  depth: Record<string, number>;
}
interface ShareDay {
  day: string;
  missing: boolean;
  kFactor: number;
}
interface ShareNode {
  shareId: string;
  sharer: string;
  depth: number;
  day: string;
  opens: number;
  openers: number;
  children: ShareNode[];
}
interface TopShare {
  rootShareId: string;
  opens: number;
  openers: number;
}

/** A node as ECharts' tree draws it: the returns the card brought, then its sharer (an openid, shortened), which a narrow label cuts first. */
interface TreeItem {
  name: string;
  value: number;
  children: TreeItem[];
}
const treeItem = (node: ShareNode): TreeItem => ({
  name: `${node.opens} · ${node.sharer.length > 12 ? `${node.sharer.slice(0, 10)}…` : node.sharer}`,
  value: node.opens,
  children: node.children.map(treeItem),
});
const leaves = (node: ShareNode): number => (node.children.length === 0 ? 1 : node.children.reduce((sum, child) => sum + leaves(child), 0));
const levels = (node: ShareNode): number => 1 + Math.max(0, ...node.children.map(levels));

/** Room for a node's label (the sharer and the returns), and between two levels of the tree. */
const LABEL_PX = 108;
const LEVEL_PX = 124;

async function drawTree(box: HTMLElement, admin: Parameters<typeof sharesSection.draw>[1]['admin'], rootShareId: string): Promise<void> {
  clear(box);
  box.append(h('p', { class: 'loading' }, t('loading')));
  const { tree, shares } = await admin<{ tree: ShareNode | null; shares: number }>('shareTree', { rootShareId });
  clear(box);
  if (!tree) return void box.append(empty());
  // as wide as its levels need, its labels inside it: on a phone the tree scrolls sideways in its panel, as wide tables do
  const width = 2 * (LABEL_PX + 16) + (levels(tree) - 1) * LEVEL_PX;
  const label = { width: LABEL_PX, overflow: 'truncate' };
  box.append(
    h('p', { class: 'note', 'data-tree-root': rootShareId }, t({ zh: '根分享 ', en: 'Root share ' }), raw(rootShareId), t({ zh: `：${shares} 次分享，每个节点是一张卡片带来的回流次数与其分享者。`, en: `: ${shares} shares; each node is the returns a card brought, and its sharer.` })),
    h(
      'div',
      { class: 'scroll' },
      chart('share-tree', {
        tooltip: { trigger: 'item' },
        series: [{
          type: 'tree',
          data: [treeItem(tree)],
          top: 12,
          bottom: 12,
          left: LABEL_PX + 16,
          right: LABEL_PX + 16,
          symbolSize: 9,
          initialTreeDepth: -1,
          label: { ...label, position: 'left', verticalAlign: 'middle', align: 'right' },
          leaves: { label: { ...label, position: 'right', align: 'left' } },
          labelLayout: { hideOverlap: true },
        }],
      }, Math.max(240, Math.min(2400, leaves(tree) * 24 + 24)), { raw: true, minWidth: width }),
    ),
  );
}

export const sharesSection: Section = {
  id: 'shares',
  title: { zh: '分享传播', en: 'Shares' },
  ranged: true,
  async draw(body, { admin, range }) {
    const [{ funnel, daily }, { shares }] = await Promise.all([admin<{ funnel: Funnel; daily: ShareDay[] }>('shareFunnel', { ...range }), admin<{ shares: TopShare[] }>('topShares', { ...range, limit: 10 })]);
    if (funnel.intents === 0 && funnel.returnOpens === 0) return void body.append(empty());
    body.append(
      h(
        'div',
        { class: 'stats' },
        stat('share-intents', t({ zh: '分享次数', en: 'Share intents' }), num(funnel.intents)),
        stat('share-returns', t({ zh: '回流打开', en: 'Return opens' }), num(funnel.returnOpens), `${t({ zh: '回流率', en: 'return ratio' })} ${percent(funnel.returnRatio)}`),
        stat('share-newUsers', t({ zh: '带来新用户', en: 'New users' }), num(funnel.newUsers)),
        stat('share-kFactor', t({ zh: 'K 因子', en: 'K-factor' }), num(funnel.kFactor, 2), t({ zh: '新用户 / 分享者（按天）', en: 'new users / sharer-days' })),
      ),
      // bars, not a funnel's trapezoids: a card is opened by several people, so returns often outnumber the shares;
      // each bar says its number, so the value axis has no labels to crowd a phone's width
      chart('share-funnel', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 8, right: 64, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
        xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { show: false } },
        yAxis: { type: 'category', inverse: true, data: [t({ zh: '分享', en: 'Intents' }), t({ zh: '回流打开', en: 'Return opens' }), t({ zh: '新用户', en: 'New users' })] },
        series: [{ type: 'bar', label: { show: true, position: 'right' }, data: [funnel.intents, funnel.returnOpens, funnel.newUsers] }],
      }, 160),
      subhead({ zh: 'K 因子（每日）', en: 'K-factor by day' }),
      chart('k-factor', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 40, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: daily.map((day) => day.day.slice(5)) },
        yAxis: { type: 'value' },
        series: [{ name: t({ zh: 'K 因子', en: 'K-factor' }), type: 'line', data: daily.map((day) => (day.missing ? null : day.kFactor)) }],
      }, 220),
      subhead({ zh: '按分享深度的回流', en: 'Returns by depth' }),
      chart('share-depth', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 40, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: Object.keys(funnel.depth).sort((a, b) => Number(a) - Number(b)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ type: 'bar', data: Object.keys(funnel.depth).sort((a, b) => Number(a) - Number(b)).map((depth) => funnel.depth[depth]) }],
      }, 200),
    );
    if (shares.length === 0) return;
    const treeBox = h('div', { class: 'tree-box' });
    body.append(
      subhead({ zh: '回流最多的分享（点击查看传播树）', en: 'Top shares (open one to see its tree)' }),
      table('top-shares', [
        { label: { zh: '根分享', en: 'Root share' }, value: (row) => row.rootShareId, raw: true },
        { label: { zh: '回流打开', en: 'Return opens' }, value: (row) => row.opens, numeric: true },
        { label: { zh: '打开者', en: 'Openers' }, value: (row) => row.openers, numeric: true },
        {
          label: { zh: '传播树', en: 'Tree' },
          cell: (row) => h('button', { type: 'button', class: 'open-tree', 'data-root': row.rootShareId, onclick: () => void drawTree(treeBox, admin, row.rootShareId).catch((error: unknown) => treeBox.replaceChildren(...failure(error))) }, t({ zh: '查看', en: 'Open' })),
        },
      ], shares),
      treeBox,
    );
  },
};
