/**
 * The dashboard's tables on the small demo (14 days, a quarter of the users), in Debian's
 * chromium: at 1280 px and at a phone's 390 px every number and button of every table lies
 * within its panel, with no sideways scrolling, and a long text cell keeps its full text in its
 * title; at the phone's width the deepest share tree is whole in view, its every label shown.
 */
import type { Browser, Page } from 'playwright-core';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';
import { adminOver, chartsDrawn, launchChromium, sectionsDrawn, signIn } from './dashboard';
import { drawnTree, labelOpens, misplacedLabels, opensOf, type TreeNode } from './share-tree';

let seeded: SeededEmulator;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  seeded = await seededEmulator({ days: 14, scale: 0.25 });
}, 120_000);

/** `admin` over HTTP access, as the page calls it. */
const admin = <T>(action: string, input: Record<string, unknown> = {}): Promise<T> => adminOver<T>(seeded.emulator.url, seeded.token, action, input);

afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

async function opened(viewport: { width: number; height: number }, phone = false): Promise<Page> {
  const page = await browser.newPage({ viewport, isMobile: phone, hasTouch: phone });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  // the share tree's and a group's tables and buttons too
  await page.click('.open-tree');
  await page.waitForSelector('[data-tree-root]');
  await page.click('.open-group');
  await page.waitForSelector('[data-group]');
  await chartsDrawn(page);
  return page;
}

interface Placed {
  table: string;
  text: string;
  left: number;
  right: number;
  panelLeft: number;
  panelRight: number;
}

/** Every numeric cell and every button cell of every table, with its box and its panel's. */
async function placed(page: Page): Promise<Placed[]> {
  return (await page.evaluate(`[...document.querySelectorAll('[data-table] td.num, [data-table] td.action')].map((td) => {
    const box = td.getBoundingClientRect();
    const panel = td.closest('.panel').getBoundingClientRect();
    return { table: td.closest('[data-table]').getAttribute('data-table'), text: td.textContent, left: box.left, right: box.right, panelLeft: panel.left, panelRight: panel.right };
  })`)) as Placed[];
}

for (const [width, phone] of [[1280, false], [390, true]] as const) {
  test(`at ${width} px every number and button of every table lies within its panel, long texts keeping their full text in a title`, async () => {
    const page = await opened({ width, height: 900 }, phone);
    const cells = await placed(page);
    // the main tables are there, with numbers (14 days bring back nobody away for 30: no reactivated users)
    expect(new Set(cells.map((cell) => cell.table))).toEqual(new Set(['today-scenes', 'scenes', 'channels', 'channel-kinds', 'top-shares', 'groups', 'messages', 'cards', 'retention', 'goals']));
    const outside = cells.filter((cell) => cell.left < cell.panelLeft - 1 || cell.right > cell.panelRight + 1).map((cell) => `${cell.table}: ${cell.text} at ${Math.round(cell.left)}–${Math.round(cell.right)}, panel ${Math.round(cell.panelLeft)}–${Math.round(cell.panelRight)}`);
    expect(outside).toEqual([]);
    expect(await page.$eval('html', (html) => html.scrollWidth)).toBeLessThanOrEqual(width);
    // a text cell cut short says all of itself in its title
    const untitled = (await page.evaluate(`[...document.querySelectorAll('[data-table] td.text')].filter((td) => td.textContent.trim() && td.getAttribute('title') !== td.textContent).map((td) => td.textContent)`)) as string[];
    expect(untitled).toEqual([]);
    await page.close();
  });
}

test("at a phone's width the demo's deepest top share's tree is whole in view: the page does not scroll sideways, nothing in the tree's box does, and each node's label is shown inside the chart", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  const roots = await page.$$eval('.open-tree', (buttons) => buttons.map((button) => button.getAttribute('data-root') ?? ''));
  const trees = await Promise.all(roots.map(async (rootShareId) => ({ rootShareId, ...(await admin<{ tree: TreeNode }>('shareTree', { rootShareId })) })));
  const levels = (node: TreeNode): number => 1 + Math.max(0, ...node.children.map(levels));
  const deepest = trees.reduce((a, b) => (levels(b.tree) > levels(a.tree) ? b : a));
  // two levels or more: wider than a phone's panel as the tree used to be drawn, at a fixed width per level
  expect(levels(deepest.tree)).toBeGreaterThanOrEqual(2);
  await page.click(`.open-tree[data-root="${deepest.rootShareId}"]`);
  await page.waitForSelector(`[data-tree-root="${deepest.rootShareId}"]`);
  const drawn = await drawnTree(page);
  expect(drawn.viewport).toBe(390);
  expect(drawn.page).toBeLessThanOrEqual(drawn.viewport);
  expect(drawn.scrolling).toEqual([]);
  expect(drawn.chart.left).toBeGreaterThanOrEqual(0);
  expect(drawn.chart.right).toBeLessThanOrEqual(drawn.viewport);
  expect(labelOpens(drawn).sort((a, b) => a - b)).toEqual(opensOf(deepest.tree).sort((a, b) => a - b));
  expect(misplacedLabels(drawn)).toEqual([]);
  await page.close();
});

test('an empty table says so, in either language: goals by subscription message (first touch), when no goal came through one', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  for (const [lang, words] of [['zh', '没有数据。'], ['en', 'No data.']]) {
    if (lang === 'en') {
      await page.click('[data-control="lang"]');
      await sectionsDrawn(page);
    }
    await page.selectOption('[data-control="goals-by"]', 'message');
    // the demo's goals are there, none of them through a message
    await page.waitForSelector('[data-section="goals"] [data-table="goals"] .empty');
    expect(await page.isVisible('[data-stat="goal-goals"]')).toBe(true);
    expect(await page.textContent('[data-table="goals"]')).toBe(words);
  }
  await page.close();
});

test("today's minute refresh keeps the panel as it was until the new numbers arrive: nothing below it moves", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // the page's timers on a clock the test moves: the minute passes at once, with no wait
  await page.clock.install();
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  const overviewTop = async (): Promise<number> => page.$eval('[data-section="overview"]', (panel) => panel.getBoundingClientRect().top);
  const before = await overviewTop();
  await page.$eval('[data-stat="today-entries"]', (stat) => stat.setAttribute('data-old', ''));

  // today's next answer is held back until the test has looked at the panel meanwhile
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/http/admin', async (route) => {
    if ((JSON.parse(route.request().postData() ?? '{}') as { action?: string }).action === 'today') await held;
    await route.continue();
  });
  const asked = page.waitForRequest((request) => (JSON.parse(request.postData() ?? '{}') as { action?: string }).action === 'today');
  await page.clock.fastForward(60_000);
  await asked;
  expect(await page.isVisible('[data-stat="today-entries"][data-old]')).toBe(true);
  expect(await page.$('[data-section="today"] .loading')).toBeNull();
  expect(await overviewTop()).toBe(before);

  release();
  await page.waitForSelector('[data-stat="today-entries"]:not([data-old])');
  expect(await page.getAttribute('[data-section="today"] .panel-body', 'data-state')).toBe('ready');
  expect(await overviewTop()).toBe(before);
  await page.close();
});
