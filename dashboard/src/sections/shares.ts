/**
 * Sharing: the funnel (intents → return opens → new users), the K-factor day by day, returns by
 * depth, and the share tree of a top share drawn as a tree (`shareFunnel`, `topShares`, `shareTree`).
 */
import { chart, PALETTE } from '../charts';
import { clear, h } from '../dom';
import { num, percent, t } from '../i18n';
import { table } from '../table';
import { empty, missingNote, stat, subhead, type Section } from './section';

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

/** A node as ECharts' tree draws it: the sharer (an openid, shortened) and the returns their card brought. */
interface TreeItem {
  name: string;
  value: number;
  children: TreeItem[];
}
const treeItem = (node: ShareNode): TreeItem => ({
  name: `${node.sharer.length > 12 ? `${node.sharer.slice(0, 10)}…` : node.sharer} · ${node.opens}`,
  value: node.opens,
  children: node.children.map(treeItem),
});
const countNodes = (node: ShareNode): number => 1 + node.children.reduce((sum, child) => sum + countNodes(child), 0);

async function drawTree(box: HTMLElement, admin: Parameters<typeof sharesSection.draw>[1]['admin'], rootShareId: string): Promise<void> {
  clear(box);
  box.append(h('p', { class: 'loading' }, t('loading')));
  const { tree, shares } = await admin<{ tree: ShareNode | null; shares: number }>('shareTree', { rootShareId });
  clear(box);
  if (!tree) return void box.append(empty());
  const nodes = countNodes(tree);
  box.append(
    h('p', { class: 'note', 'data-tree-root': rootShareId }, t({ zh: `根分享 ${rootShareId}：${shares} 次分享，节点上是分享者与其卡片带来的回流次数。`, en: `Root share ${rootShareId}: ${shares} shares; each node is a sharer and the returns their card brought.` })),
    chart('share-tree', { tooltip: { trigger: 'item' }, series: [{ type: 'tree', data: [treeItem(tree)], top: 20, left: 140, bottom: 20, right: 140, symbolSize: 9, initialTreeDepth: -1, label: { position: 'left', verticalAlign: 'middle', align: 'right' }, leaves: { label: { position: 'right', align: 'left' } } }] }, Math.max(240, Math.min(900, nodes * 26))),
  );
}

export const sharesSection: Section = {
  id: 'shares',
  title: { zh: '分享传播', en: 'Shares' },
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
      // bars, not a funnel's trapezoids: a card is opened by several people, so returns often outnumber the shares
      chart('share-funnel', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 110, right: 60, top: 10, bottom: 20 },
        xAxis: { type: 'value' },
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
      missingNote(daily.filter((day) => day.missing).map((day) => day.day)) ?? '',
    );
    if (shares.length === 0) return;
    const treeBox = h('div', { class: 'tree-box' });
    body.append(
      subhead({ zh: '回流最多的分享（点击查看传播树）', en: 'Top shares (open one to see its tree)' }),
      table('top-shares', [
        { label: { zh: '根分享', en: 'Root share' }, value: (row) => row.rootShareId },
        { label: { zh: '回流打开', en: 'Return opens' }, value: (row) => row.opens, numeric: true },
        { label: { zh: '打开者', en: 'Openers' }, value: (row) => row.openers, numeric: true },
        {
          label: { zh: '传播树', en: 'Tree' },
          value: () => '',
          cell: (row) => h('button', { type: 'button', class: 'open-tree', 'data-root': row.rootShareId, onclick: () => void drawTree(treeBox, admin, row.rootShareId).catch((error: Error) => treeBox.replaceChildren(h('p', { class: 'error' }, `${t('error')}${error.message}`))) }, t({ zh: '查看', en: 'Open' })),
        },
      ], shares),
      treeBox,
    );
  },
};
