/**
 * Sharing: the funnel (intents → return opens → new users), the K-factor day by day, returns by
 * depth, and the share tree of a top share drawn as a tree (`shareFunnel`, `topShares`, `shareTree`).
 */
import { chart, PALETTE, type Fitted } from '../charts';
import { clear, h, raw } from '../dom';
import { failure } from '../failure';
import { num, t } from '../i18n';
import { table } from '../table';
import type { Answers, ShareNode } from '../answers';
import { empty, pastRetentionNote, stat, subhead, type Section } from './section';
import { newestOnly } from '../newest';

/** A node as ECharts' tree draws it: the returns the card brought, then its sharer (an openid, shortened), which a narrow label cuts first. */
interface TreeItem {
  name: string;
  value: number;
  children: TreeItem[];
}

/** A ratio to 2 places, "—" without one (no shares in the range: returns of earlier cards have no per-share ratio). */
const ratioText = (value: number | null): string => (value === null ? '—' : num(value, 2));

const treeItem = (node: ShareNode): TreeItem => ({
  name: `${node.opens} · ${node.sharer.length > 12 ? `${node.sharer.slice(0, 10)}…` : node.sharer}`,
  value: node.opens,
  children: node.children.map(treeItem),
});
const leaves = (node: ShareNode): number => (node.children.length === 0 ? 1 : node.children.reduce((sum, child) => sum + leaves(child), 0));
const levels = (node: ShareNode): number => 1 + Math.max(0, ...node.children.map(levels));

/**
 * The tree's breadth in ECharts' units: its leaves in order, one apart under one parent and two
 * apart across parents (the tree series' `separation`), and one more at each end.
 */
function breadth(tree: ShareNode): number {
  const parents: (ShareNode | null)[] = [];
  const walk = (node: ShareNode, parent: ShareNode | null): void => (node.children.length === 0 ? void parents.push(parent) : node.children.forEach((child) => walk(child, node)));
  walk(tree, null);
  return parents.reduce((units, parent, i) => units + (i === 0 ? 0 : parent === parents[i - 1] ? 1 : 2), 2);
}

/** A label's most room (the returns and a shortened sharer), and the room between a node and its label or the next node (px). */
const LABEL_PX = 108;
const GAP_PX = 16;
/** A label with less room than this says the returns alone, which a few digits fit, its sharer in the tooltip (px). */
const SHARER_PX = 64;
/** Leaves of a tree drawn left to right, levels of one drawn top to bottom: this far apart (px). */
const LEAF_PX = 24;
const LEVEL_PX = 56;

/** A label `room` px wide: the node's name cut to fit, or its returns alone. */
const labelIn = (room: number): Record<string, unknown> => ({ width: room, overflow: 'truncate', ...(room < SHARER_PX ? { formatter: '{c}' } : {}) });

/**
 * The tree laid out to fit the width of its box, never wider, each label beside its node and as
 * wide as the room there: left to right (levels across, leaves down, each label before its node)
 * while its levels leave a label all its room, as on a wide screen; where they do not (a deep
 * tree on a phone), top to bottom (levels down, leaves across) when its leaves leave more. A label
 * cut short (to its returns alone, when the room is small) says all of itself in the tooltip (a
 * tap on a phone).
 */
function treeLayout(tree: ShareNode): Fitted {
  const [depth, units, rows] = [levels(tree), breadth(tree), leaves(tree)];
  const series = { type: 'tree', data: [treeItem(tree)], symbolSize: 9, initialTreeDepth: -1, labelLayout: { hideOverlap: true } };
  return (width) => {
    // a label's room either way: a very deep or very wide tree leaves none, and shows its nodes with their tooltips
    const across = Math.max(0, Math.min(LABEL_PX, Math.floor((width - GAP_PX) / depth) - GAP_PX));
    const down = Math.max(0, Math.min(LABEL_PX, Math.floor((width - 8) / (units + 1)) - GAP_PX));
    if (across >= LABEL_PX || across >= down) {
      // every label before its node, between it and its parent: a leaf's after it would run into the next level's labels on its row
      const label = { ...labelIn(across), position: 'left', verticalAlign: 'middle', align: 'right' };
      return {
        option: { tooltip: { trigger: 'item' }, series: [{ ...series, orient: 'LR', top: 12, bottom: 12, left: across + GAP_PX, right: GAP_PX, label }] },
        height: Math.max(240, Math.min(2400, rows * LEAF_PX + 24)),
      };
    }
    const label = { ...labelIn(down), position: 'right', verticalAlign: 'middle', align: 'left' };
    return {
      option: { tooltip: { trigger: 'item' }, series: [{ ...series, orient: 'TB', top: 16, bottom: 16, left: 8, right: down + GAP_PX, label }] },
      height: Math.max(120, 32 + (depth - 1) * LEVEL_PX),
    };
  };
}

/** Draws a root share's tree into `box`, when its answer is the newest `newest` was given. */
async function drawTree(box: HTMLElement, admin: Parameters<typeof sharesSection.draw>[1]['admin'], newest: ReturnType<typeof newestOnly>, rootShareId: string): Promise<void> {
  clear(box);
  box.append(h('p', { class: 'loading' }, t('loading')));
  const { tree, shares, truncated } = await newest(admin<Answers['shareTree']>('shareTree', { rootShareId }));
  clear(box);
  if (!tree) return void box.append(empty());
  box.append(
    h('p', { class: 'note', 'data-tree-root': rootShareId }, t({ zh: '根分享 ', en: 'Root share ' }), raw(rootShareId), t({ zh: `：${shares} 次分享，每个节点是一张卡片带来的回流次数与其分享者。`, en: `: ${shares} shares; each node is the returns a card brought, and its sharer.` })),
    truncated ? h('p', { class: 'note', 'data-tree-cut': true }, t({ zh: `这棵树超过 ${shares} 次分享：只画出离根最近的 ${shares} 次。`, en: `This tree has more than ${shares} shares: only the ${shares} nearest its root are drawn.` })) : '',
    // laid out for its panel's width: on a phone too the whole tree is in view, with no sideways scrolling
    chart('share-tree', treeLayout(tree), 240, { raw: true }),
  );
}

export const sharesSection: Section = {
  id: 'shares',
  title: { zh: '分享传播', en: 'Shares' },
  ranged: true,
  async draw(body, { admin, range }) {
    const [{ funnel, daily }, { shares, rawEventsFrom }] = await Promise.all([admin<Answers['shareFunnel']>('shareFunnel', { ...range }), admin<Answers['topShares']>('topShares', { ...range, limit: 10 })]);
    if (funnel.intents === 0 && funnel.returnOpens === 0) return void body.append(empty());
    body.append(
      h(
        'div',
        { class: 'stats' },
        stat('share-intents', t({ zh: '分享次数', en: 'Share intents' }), num(funnel.intents)),
        stat('share-returns', t({ zh: '回流打开', en: 'Return opens' }), num(funnel.returnOpens), `${t({ zh: '每次分享回流', en: 'per share' })} ${ratioText(funnel.returnRatio)}`),
        stat('share-newUsers', t({ zh: '带来新用户', en: 'New users' }), num(funnel.newUsers)),
        stat('share-kFactor', t({ zh: 'K 因子', en: 'K-factor' }), ratioText(funnel.kFactor), t({ zh: '新用户 / 分享者（按天）', en: 'new users / sharer-days' })),
      ),
      // bars, not a funnel's trapezoids: a card is opened by several people, so returns often outnumber the shares;
      // each bar says its number, so the value axis has no labels to crowd a phone's width
      chart('share-funnel', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        // room right of the longest bar for its label, digits grouped: a big number is not cut off on a phone
        grid: { left: 8, right: 16 + 8 * Math.max(...[funnel.intents, funnel.returnOpens, funnel.newUsers].map((n) => num(n).length)), top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
        xAxis: { type: 'value', axisLabel: { show: false }, splitLine: { show: false } },
        yAxis: { type: 'category', inverse: true, data: [t({ zh: '分享', en: 'Intents' }), t({ zh: '回流打开', en: 'Return opens' }), t({ zh: '新用户', en: 'New users' })] },
        series: [{ type: 'bar', label: { show: true, position: 'right', formatter: ({ value }: { value: number }) => num(value) }, data: [funnel.intents, funnel.returnOpens, funnel.newUsers] }],
      }, 160),
      subhead({ zh: 'K 因子（每日）', en: 'K-factor by day' }),
      chart('k-factor', {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 40, right: 16, top: 16, bottom: 30 },
        xAxis: { type: 'category', data: daily.map((day) => day.day.slice(5)) },
        yAxis: { type: 'value' },
        series: [{ name: t({ zh: 'K 因子', en: 'K-factor' }), type: 'line', data: daily.map((day) => day.kFactor) }],
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
    const newest = newestOnly();
    body.append(
      subhead({ zh: '回流最多的分享（点击查看传播树）', en: 'Top shares (open one to see its tree)' }),
      table('top-shares', [
        { label: { zh: '根分享', en: 'Root share' }, value: (row) => row.rootShareId, raw: true },
        { label: { zh: '回流打开', en: 'Return opens' }, value: (row) => row.opens, numeric: true },
        { label: { zh: '打开者', en: 'Openers' }, value: (row) => row.openers, numeric: true },
        {
          label: { zh: '传播树', en: 'Tree' },
          cell: (row) => h('button', { type: 'button', class: 'open-tree', 'data-root': row.rootShareId, onclick: () => void drawTree(treeBox, admin, newest, row.rootShareId).catch((error: unknown) => treeBox.replaceChildren(...failure(error))) }, t({ zh: '查看', en: 'Open' })),
        },
      ], shares),
      pastRetentionNote(range, rawEventsFrom),
      treeBox,
    );
  },
};
