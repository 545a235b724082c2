/**
 * The dashboard's tables against an emulator the suite fills itself, its clock set where UTC and
 * China days differ: days shown are China days (a channel created at 00:09 in Beijing, a group
 * first opened at 01:30); more than 100 channels (three `createChannels` calls of 60 rows) and
 * more than 100 keys with entries, every one of them with its link, however many pages
 * `listChannels` takes, each table drawing 100 rows and saying how many there are, its CSV
 * holding them all; a share tree eight levels deep, whole in view at a phone's width.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { emulatorNow, invokeAs, issueGroupCloudId, moveClock, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';
import { keepCsvLinks, keptCsv, launchChromium, parseCsv, sectionsDrawn, signIn } from './dashboard';
import { drawnTree, labelOpens, misplacedLabels, opensOf, type DrawnTree } from './share-tree';

const APP = 'wx0000000000000000';
const OPERATOR = 'o-tables-operator';
/** 00:09 on 2026-10-31 in Beijing, still 2026-10-30 in UTC: when the channels are created. */
const CREATED = '2026-10-30T16:09:00Z';
/** Noon in Beijing: the dashboard's today, its default range 2026-10-29 to 2026-11-11. */
const NOW = '2026-11-12T12:00:00+08:00';
/** 01:30 on 2026-11-11 in Beijing, 2026-11-10 in UTC: the group's only open. */
const GROUP_OPEN = '2026-11-10T17:30:00Z';
const GROUP = 'G-night-owls';
const keysOf = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
/**
 * 180 channels in three calls, the second's keys sorting before the first's: the dead channels
 * listed (the oldest) reach past the first page of `listChannels` (the first 100 keys), as do
 * those that bring entries (b-050 and the c- keys); the other 119 are dead.
 */
const BATCHES = ['b', 'a', 'c'].map((prefix) => keysOf(prefix, 60));
const SCANNED = 'b-050';
/** Each brings two entries: the first 60 rows of the channels table. */
const BUSY = BATCHES[2];
/** Keys the registry does not have, an entry each, ranked between the busy channels and b-050 (ties go by key): rows 61 to 210, b-050 row 211. */
const FLYERS = keysOf('ad', 150);

let emulator: RunningEmulator;
let browser: Browser;
const token = randomBytes(24).toString('base64url');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions check their shape
const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid: OPERATOR, appid: APP })).result;

let seq = 0;
/** One event sent now by the tracker with its phone's clock: its event time is its `at`. Answers the user's share prefix. */
async function tracks(openid: string, event: Record<string, unknown>): Promise<string> {
  seq += 1;
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events: [{ id: `tables-${seq}`, seq, ...event }] }, { openid, appid: APP })).result as { accepted: string[]; sharePrefix: string };
  expect(answer.accepted).toEqual([`tables-${seq}`]);
  return answer.sharePrefix;
}

/** An entry at `at` (ISO), with `extra` beside its options (a group's cloudID). Answers the user's share prefix. */
const enters = (openid: string, at: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> =>
  tracks(openid, { at: Date.parse(at), type: 'enter', cold: true, options: { path: 'pages/index/index', query: {}, ...options }, ...extra });

/**
 * A share tree eight levels deep: o-tree-0's card opened by o-tree-1 and o-tree-v, each passing on
 * a card of their own; o-tree-v's opened by two who pass theirs on (opened by nobody), o-tree-1's
 * by o-tree-2, and so on down to o-tree-7. Each sharer's card is their prefix and `tree`.
 */
const TREE: [string, string | null][] = [
  ['o-tree-0', null],
  ['o-tree-1', 'o-tree-0'],
  ['o-tree-v', 'o-tree-0'],
  ['o-tree-va', 'o-tree-v'],
  ['o-tree-vb', 'o-tree-v'],
  ...[2, 3, 4, 5, 6, 7].map((n): [string, string] => [`o-tree-${n}`, `o-tree-${n - 1}`]),
];

/** Each of TREE opens the card of whom it names (the first from the chat list), then shares one: 2026-11-10, a minute apart. */
async function growTree(): Promise<void> {
  const cards = new Map<string, string>();
  for (const [i, [openid, from]] of TREE.entries()) {
    const at = Date.parse('2026-11-10T15:00:00+08:00') + i * 60_000;
    const prefix = await enters(openid, new Date(at).toISOString(), from === null ? { scene: 1089 } : { scene: 1007, query: { rk_sh: cards.get(from)! } });
    cards.set(openid, `${prefix}tree`);
    await tracks(openid, { at: at + 10_000, type: 'share', shareId: cards.get(openid), path: `pages/index/index?rk_sh=${cards.get(openid)}`, to: 'chat' });
  }
}

async function wechat<T>(route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulator.url}/__rukou/wechat/${route}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Message pushes reach `callback` in the background: done once none is pending. */
const pushesDelivered = (): Promise<void> => until(async () => (await wechat<{ pushes: unknown[] }>('pushes?status=pending')).pushes.length === 0);

/** `openid` opens the last message or card (`kind`) of their inbox: their first entry, and a paid order. */
async function opens(openid: string, kind: 'subscribe' | 'card'): Promise<void> {
  const { messages } = await wechat<{ messages: { id: string; kind: string }[] }>(`inbox?openid=${openid}`);
  const received = messages.filter((message) => message.kind === kind).pop();
  expect(received).toBeDefined();
  const options = await wechat<Record<string, unknown>>('tap', { openid, id: received!.id });
  const at = new Date(await emulatorNow(emulator.url)).toISOString();
  await enters(openid, at, options);
  await tracks(openid, { type: 'goal', at: Date.parse(at) + 60_000, name: 'order_paid', goalId: `order-${openid}`, value: 1990 });
}

/** The campaign's template, whose title the dashboard shows for its id. */
const TEMPLATE = '活动开始提醒';

beforeAll(async () => {
  browser = await launchChromium();
  emulator = await startEmulator({ clock: CREATED, timers: false, env: { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(token).digest('hex') } });
  for (const batch of BATCHES) {
    const answer = await admin({ action: 'createChannels', rows: batch.map((key) => ({ key, name: `渠道 ${key}`, kind: 'plainscheme', page: 'pages/index/index' })) });
    expect(answer.created).toBe(60);
  }
  // on 11-10, new users' first entries: service cards by a keyword rule and the default one, a subscription message
  expect((await moveClock(emulator.url, { set: '2026-11-10T12:00:00+08:00' })).status).toBe(200);
  await admin({ action: 'setCardRules', rules: { keywords: [{ keyword: '优惠', card: { title: '本周优惠', page: 'pages/index/index' } }], sessionFroms: [], default: { title: '售后', page: 'pages/index/index' } } });
  await wechat('cs', { openid: 'o-deal', text: '有什么优惠吗' });
  await wechat('cs', { openid: 'o-refund', text: '怎么退货' });
  const { templates } = await wechat<{ templates: { priTmplId: string; title: string }[] }>('templates');
  const template = templates.find((candidate) => candidate.title === TEMPLATE)!;
  await wechat('subscribe', { openid: 'o-news', answers: { [template.priTmplId]: 'accept' } });
  await pushesDelivered();
  expect((await invokeAs(emulator.url, 'messages', { action: 'send', templateId: template.priTmplId, to: ['o-news'], data: { thing1: '上新', time2: '10:00', thing3: '九折' }, page: 'pages/index/index', idempotencyKey: 'tables-campaign' }, { openid: OPERATOR, appid: APP })).result).not.toHaveProperty('error');
  for (const [openid, kind] of [['o-deal', 'card'], ['o-refund', 'card'], ['o-news', 'subscribe']] as const) await opens(openid, kind);
  expect((await moveClock(emulator.url, { set: NOW })).status).toBe(200);
  await enters('o-scanner', '2026-11-10T10:00:00+08:00', { scene: 1286, query: { rk_ch: SCANNED } });
  // the busy channels and the flyers, 50 entries (track's most) by each of a few users: a busy channel's two by two of them
  const scans = [...BUSY, ...BUSY, ...FLYERS].map((key, i) => ({ id: `tables-scan-${i}`, seq: i, at: Date.parse('2026-11-10T11:00:00+08:00') + i * 1_000, type: 'enter', cold: true, options: { scene: 1286, path: 'pages/index/index', query: { rk_ch: key } } }));
  for (let i = 0; i < scans.length; i += 50) {
    const batch = scans.slice(i, i + 50);
    const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events: batch }, { openid: `o-scans-${i / 50}`, appid: APP })).result as { accepted: string[] };
    expect(answer.accepted).toHaveLength(batch.length);
  }
  const { cloudID } = await issueGroupCloudId(emulator.url, { openid: 'o-owl', appid: APP, kind: 'groupEnterInfo', groupId: GROUP });
  await enters('o-owl', GROUP_OPEN, { scene: 1008 }, { group: cloudID });
  await growTree();
  let range: { from: string; to: string } | null = { from: '2026-10-29', to: '2026-11-11' };
  while (range) range = (await admin({ action: 'backfill', ...range })).remaining;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await emulator?.stop();
});

async function opened(width: number, phone = false): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, isMobile: phone, hasTouch: phone });
  await signIn(page, emulator.url, token);
  await sectionsDrawn(page);
  return page;
}

const column = (page: Page, table: string, index: number): Promise<string[]> => page.$$eval(`[data-table="${table}"] tbody tr`, (trs, i) => trs.map((tr) => tr.querySelectorAll('td')[i]?.textContent ?? ''), index);

test('days are China days: a channel created at 00:09 in Beijing on 10-31, a group first opened at 01:30 on 11-11', async () => {
  const page = await opened(1280);
  expect(new Set(await column(page, 'dead-channels', 3))).toEqual(new Set(['2026-10-31']));
  // the simulated WeChat gives the group its own openGId
  const [groupId] = await column(page, 'groups', 0);
  await page.click('.open-group');
  await page.waitForSelector(`[data-group="${groupId}"]`);
  expect(await page.textContent('[data-stat="group-span"] .stat-value')).toBe('2026-11-11 / 2026-11-11');
  expect(await page.textContent(`[data-group="${groupId}"]`)).toContain('2026-11-11');
  await page.close();
});

/** A table's rows: each one's key (its first cell) and the link of its code / link cell (its href and its title, which the CSV holds). */
const linksOf = (page: Page, table: string): Promise<{ key: string; href: string; title: string }[]> =>
  page.$$eval(`[data-table="${table}"] tbody tr`, (trs) => trs.map((tr) => ({ key: tr.querySelector('td')?.textContent ?? '', href: tr.querySelector('a.link')?.getAttribute('href') ?? '', title: tr.querySelector('td:last-child')?.getAttribute('title') ?? '' })));

/** A cut table's note: the rows it draws, how many there are, and how many its CSV holds. */
async function cutOf(page: Page, table: string): Promise<{ shown: string | null; total: string | null; csvRows: string | null; text: string | null }> {
  const note = `[data-table="${table}"] .table-tools .note`;
  return { shown: await page.getAttribute(note, 'data-shown'), total: await page.getAttribute(note, 'data-total'), csvRows: await page.getAttribute(note, 'data-csv-rows'), text: await page.textContent(note) };
}

test('more than 100 channels with entries and 119 dead: each table draws 100, each with its link whichever page of listChannels holds it, says how many there are, and its CSV holds them all', async () => {
  const page = await opened(1280);
  const linked = (key: string): string => expect.stringContaining(`query=rk_ch%3D${key}&`) as unknown as string;
  const answer = await admin({ action: 'channels', from: '2026-10-29', to: '2026-11-11', limit: 1000 });
  const ranked: string[] = answer.channels.map((row: { key: string }) => row.key);
  expect(answer.keys).toBe(211);
  expect(ranked).toEqual([...BUSY, ...FLYERS, SCANNED]);

  // the busy channels (on listChannels' second page) with their links, then the flyers, which have none
  const drawn = await linksOf(page, 'channels');
  expect(drawn.map(({ key }) => key)).toEqual(ranked.slice(0, 100));
  expect(drawn).toEqual(ranked.slice(0, 100).map((key) => (key.startsWith('c-') ? { key, href: linked(key), title: linked(key) } : { key, href: '', title: '' })));
  expect(await cutOf(page, 'channels')).toEqual({ shown: '100', total: '211', csvRows: '211', text: '显示前 100 行，共 211 行；CSV 含全部' });

  const dead = await linksOf(page, 'dead-channels');
  expect(dead).toHaveLength(100);
  expect(dead).toEqual(dead.map(({ key }) => ({ key, href: linked(key), title: linked(key) })));
  expect(dead.map(({ key }) => key)).toContain('b-059');
  expect(await cutOf(page, 'dead-channels')).toEqual({ shown: '100', total: '119', csvRows: '119', text: '显示前 100 行，共 119 行；CSV 含全部' });

  // each CSV holds every row admin answered, those not drawn with their links too (b-050, the 211th)
  await keepCsvLinks(page);
  const rowsOf = async (table: string): Promise<{ key: string; link: string }[]> => parseCsv((await keptCsv(page, table)).replace(/^\uFEFF/, '')).slice(1).map((row) => ({ key: row[0], link: row[row.length - 1] }));
  expect(await rowsOf('channels')).toEqual(ranked.map((key) => ({ key, link: key.startsWith('ad-') ? '' : linked(key) })));
  const deadRows = await rowsOf('dead-channels');
  expect(deadRows.map(({ key }) => key)).toEqual(answer.dead.channels.map((row: { key: string }) => row.key));
  expect(deadRows).toHaveLength(119);
  expect(deadRows).toEqual(deadRows.map(({ key }) => ({ key, link: linked(key) })));

  // in English too
  await page.click('[data-control="lang"]');
  await sectionsDrawn(page);
  expect((await cutOf(page, 'channels')).text).toBe('Showing 100 of 211; the CSV holds all of them');
  await page.close();
});

test("a share tree eight levels deep: at a phone's width it is drawn top to bottom, whole in view, nothing scrolling sideways, each node's returns inside the chart; at 1280 px left to right with its sharers", async () => {
  const root = (await admin({ action: 'topShares', from: '2026-10-29', to: '2026-11-11', limit: 10 })).shares[0].rootShareId as string;
  const { tree, shares } = await admin({ action: 'shareTree', rootShareId: root });
  expect(shares).toBe(TREE.length);
  const opens = opensOf(tree).sort((a, b) => a - b);
  /** The lines the labels lie on (within 3 px of each other, as text boxes differ): the tree's levels. */
  const rows = (drawn: DrawnTree, side: 'top' | 'right'): number =>
    drawn.labels
      .map((label) => label[side])
      .sort((a, b) => a - b)
      .filter((value, i, sorted) => i === 0 || value - sorted[i - 1] > 3).length;

  const phone = await opened(390, true);
  await phone.click(`.open-tree[data-root="${root}"]`);
  const narrow = await drawnTree(phone);
  expect(narrow.page).toBeLessThanOrEqual(narrow.viewport);
  expect(narrow.scrolling).toEqual([]);
  expect(narrow.chart.left).toBeGreaterThanOrEqual(0);
  expect(narrow.chart.right).toBeLessThanOrEqual(narrow.viewport);
  expect(labelOpens(narrow).sort((a, b) => a - b)).toEqual(opens);
  expect(misplacedLabels(narrow)).toEqual([]);
  // a level a row, down the page
  expect(rows(narrow, 'top')).toBe(8);
  await phone.close();

  const wide = await opened(1280);
  await wide.click(`.open-tree[data-root="${root}"]`);
  const across = await drawnTree(wide);
  expect(across.page).toBeLessThanOrEqual(across.viewport);
  expect(across.scrolling).toEqual([]);
  expect(labelOpens(across).sort((a, b) => a - b)).toEqual(opens);
  expect(misplacedLabels(across)).toEqual([]);
  // a level a column (labels end before their nodes), each label its returns and its sharer
  expect(rows(across, 'right')).toBe(8);
  expect(across.labels.every((label) => /^\d+ · o-tree-/.test(label.text))).toBe(true);
  await wide.close();
});

/** The first column of a table as shown, and its words outside the data shown as it is. */
async function firstColumn(page: Page, table: string): Promise<{ text: string; words: string }[]> {
  return (await page.evaluate(`[...document.querySelectorAll('[data-table="${table}"] tbody tr td:first-child')].map((td) => {
    const words = [];
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) if (!node.parentElement.closest('[data-raw]')) words.push(node.textContent);
    return { text: td.textContent, words: words.join('') };
  })`)) as { text: string; words: string }[];
}

/** Picks `by` in a section's menu and waits until its table (or its empty state) is drawn anew. */
async function pick(page: Page, section: string, control: string, by: string): Promise<void> {
  await page.evaluate(`document.querySelector('[data-section="${section}"] [data-table], [data-section="${section}"] .empty')?.setAttribute('data-old', '')`);
  await page.selectOption(`[data-control="${control}"]`, by);
  await page.waitForSelector(`[data-section="${section}"] :is([data-table], .empty, .error):not([data-old])`);
}

test("keys in the page's words: card rules as the sends table names them, the group key, a template by its title", async () => {
  const page = await opened(1280);
  expect((await firstColumn(page, 'cards')).map(({ text }) => text).sort()).toEqual(['关键词：优惠', '默认']);
  await pick(page, 'retention', 'retention-by', 'card');
  expect((await firstColumn(page, 'retention')).sort((a, b) => a.text.localeCompare(b.text))).toEqual([{ text: '关键词：优惠', words: '关键词：' }, { text: '全部', words: '全部' }, { text: '默认', words: '默认' }].sort((a, b) => a.text.localeCompare(b.text)));
  await pick(page, 'retention', 'retention-by', 'group');
  expect(await firstColumn(page, 'retention')).toEqual([{ text: '全部', words: '全部' }, { text: '来自群聊', words: '来自群聊' }]);
  await pick(page, 'retention', 'retention-by', 'message');
  expect(await firstColumn(page, 'retention')).toEqual([{ text: '全部', words: '全部' }, { text: TEMPLATE, words: '' }]);
  await pick(page, 'goals', 'goals-by', 'card');
  expect((await firstColumn(page, 'goals')).map(({ text }) => text).sort()).toEqual(['关键词：优惠', '默认']);
  await pick(page, 'goals', 'goals-by', 'message');
  expect(await firstColumn(page, 'goals')).toEqual([{ text: TEMPLATE, words: '' }]);
  await page.close();
});

test('an older answer that comes after a newer choice is not drawn over it: the menu and the table say the same', async () => {
  const page = await opened(1280);
  // counts the answers the page has read: once the count is reached, what it drew of them is on the page
  await page.evaluate(`{
    const read = Response.prototype.text;
    window.answersRead = 0;
    Response.prototype.text = function () {
      return read.call(this).then((body) => ((window.answersRead += 1), body));
    };
  }`);
  const readSoFar = async (): Promise<number> => Number(await page.evaluate('window.answersRead'));
  for (const [section, control, older, newer, shown] of [
    ['retention', 'retention-by', 'scene', 'group', ['全部', '来自群聊']],
    ['goals', 'goals-by', 'scene', 'card', ['关键词：优惠', '默认']],
  ] as const) {
    let held: (() => Promise<void>) | undefined;
    await page.route('**/http/admin', async (route) => {
      const asked = route.request().postDataJSON() as { action?: string; by?: string };
      if (asked.action === section && asked.by === older) held = () => route.continue();
      else await route.continue();
    });
    const before = await readSoFar();
    await page.selectOption(`[data-control="${control}"]`, older);
    await until(() => held !== undefined);
    await pick(page, section, control, newer);
    await held!();
    await page.waitForFunction(`window.answersRead >= ${before + 2}`);
    expect({ section, menu: await page.inputValue(`[data-control="${control}"]`), rows: (await firstColumn(page, section)).map(({ text }) => text).sort() }).toEqual({ section, menu: newer, rows: [...shown].sort() });
    await page.unrouteAll();
  }
  await page.close();
});

test("a failure says what went wrong in the page's words, with the server's code, its message as a detail", async () => {
  const page = await opened(1280);
  await page.fill('[data-control="goal"]', 'not a name');
  await page.dispatchEvent('[data-control="goal"]', 'change');
  await page.waitForSelector('[data-section="goals"] [data-error-code]');
  expect(await page.getAttribute('[data-section="goals"] [data-error-code]', 'data-error-code')).toBe('INVALID_INPUT');
  expect(await page.textContent('[data-section="goals"] [data-error-code]')).toBe('加载失败：输入不符合要求（字段 goal）。');
  expect(await page.textContent('[data-section="goals"] [data-error-detail]')).toMatch(/^INVALID_INPUT 400: .*"goal"/);
  expect(await page.getAttribute('[data-section="goals"] [data-error-detail] > span', 'data-raw')).toBe('');

  // admin out of reach
  await page.route('**/http/admin', (route) => route.abort('connectionrefused'));
  await pick(page, 'retention', 'retention-by', 'scene');
  expect(await page.getAttribute('[data-section="retention"] [data-error-code]', 'data-error-code')).toBe('NETWORK');
  expect(await page.textContent('[data-section="retention"] [data-error-code]')).toBe('加载失败：无法连接 admin（网络断开，或地址有误）。');
  expect(await page.textContent('[data-section="retention"] [data-error-detail]')).toContain('/http/admin');
  await page.close();
});
