/**
 * The share tree as the dashboard draws it, measured in the page, and what the suites hold it to:
 * the whole tree in view at the page's width, with no sideways scrolling of the page or of
 * anything in the tree's box, each node's label shown inside the chart and clear of the others.
 */
import type { Page } from 'playwright-core';

/** A share tree's node as `admin` `shareTree` answers it (what the suites read of it). */
export interface TreeNode {
  opens: number;
  children: TreeNode[];
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The open share tree as the page draws it, with what it takes of the page's width. */
export interface DrawnTree {
  /** The viewport's width, and the page's (wider: the page scrolls sideways). */
  viewport: number;
  page: number;
  /** Elements of the tree's box wider than they show, each of which would scroll sideways. */
  scrolling: string[];
  chart: Box;
  /** Each label shown in the chart (not hidden as overlapping another, not clipped). */
  labels: (Box & { text: string })[];
}

/** The share tree open on `page`, once its chart is drawn, measured. */
export async function drawnTree(page: Page): Promise<DrawnTree> {
  await page.waitForSelector('[data-chart="share-tree"] svg text');
  // run in the page, as text: the suites compile without the DOM's types
  return (await page.evaluate(`(() => {
    const box = (element) => { const r = element.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    const tree = document.querySelector('[data-section="shares"] .tree-box');
    const chart = tree.querySelector('[data-chart="share-tree"]');
    const shown = [...chart.querySelectorAll('svg text')].filter((text) => text.textContent.trim() && !text.closest('[clip-path]') && getComputedStyle(text).display !== 'none' && Number(getComputedStyle(text).opacity) > 0);
    return {
      viewport: window.innerWidth,
      page: document.documentElement.scrollWidth,
      scrolling: [tree, ...tree.querySelectorAll('*')].filter((element) => element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflowX !== 'visible').map((element) => element.tagName + '.' + String(element.getAttribute('class'))),
      chart: box(chart),
      labels: shown.map((text) => ({ text: text.textContent, ...box(text) })),
    };
  })()`)) as DrawnTree;
}

/** Each node's returns, the tree's order. */
export const opensOf = (node: TreeNode): number[] => [node.opens, ...node.children.flatMap(opensOf)];

/** The returns each label says: its leading number (`12 · o-…`, or `12` alone where the room is small). */
export const labelOpens = (drawn: DrawnTree): number[] => drawn.labels.map((label) => Number(/^\d+/.exec(label.text)?.[0] ?? NaN));

/** Labels that lie outside the chart, or over one another: none is expected. */
export function misplacedLabels(drawn: DrawnTree): string[] {
  const { chart, labels } = drawn;
  const outside = labels.filter((r) => r.left < chart.left - 1 || r.right > chart.right + 1 || r.top < chart.top - 1 || r.bottom > chart.bottom + 1).map((r) => `outside: ${r.text}`);
  const overlapping = labels.flatMap((a, i) => labels.slice(i + 1).filter((b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1).map((b) => `over each other: ${a.text} / ${b.text}`));
  return [...outside, ...overlapping];
}
