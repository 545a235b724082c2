/**
 * The web dashboard in Debian's chromium against an emulator holding a small seeded demo: what it
 * shows equals the rollup documents and the `admin` answers; the range, the language, the share
 * tree and the CSV downloads work (each CSV holds what its table shows); no request fails; every
 * label is in the page's language; every section of the range names its days without a rollup,
 * and a change against an incomplete previous period says so; at a phone's width the same
 * numbers, nothing wider than the screen, every chart's labels inside their chart; a wrong token
 * is told so.
 */
import fs from 'node:fs';
import cloud from 'wx-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { useEmulatorFromThisProcess } from '../helpers/emulator';
import { addDays } from '../../shared/time';
import { formulaSafe } from '../../dashboard/src/csv';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';
import { adminOver, chartsDrawn, keepCsvLinks, keptCsv, launchChromium, parseCsv, sectionsDrawn, signIn } from './dashboard';

interface Totals {
  entries: number;
  users: number;
  newUsers: number;
  sessions: number;
}

let seeded: SeededEmulator;
let browser: Browser;

beforeAll(async () => {
  // chromium first: without it the suite fails at once, saying how to install it
  browser = await launchChromium();
  seeded = await seededEmulator({ days: 14, scale: 0.25 });
  useEmulatorFromThisProcess(seeded.emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

/** The rollups of [from, to], read from the database as the cloud console shows them. */
async function rollups(from: string, to: string): Promise<{ _id: string; totals: Totals }[]> {
  const db = cloud.database();
  const _ = db.command;
  const { data } = (await db.collection('rollups_daily').where({ _id: _.gte(from).and(_.lte(to)) }).limit(1000).get()) as unknown as { data: { _id: string; totals: Totals }[] };
  return data;
}

/** `admin` over HTTP access, as the page calls it. */
const admin = <T>(action: string, input: Record<string, unknown> = {}): Promise<T> => adminOver<T>(seeded.emulator.url, seeded.token, action, input);

interface Rect {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const digits = (text: string | null): number => Number((text ?? '').replace(/[^\d]/g, ''));
const statValue = async (page: Page, name: string): Promise<number> => digits(await page.textContent(`[data-stat="${name}"] .stat-value`));
const range = async (page: Page): Promise<{ from: string; to: string }> => ({ from: await page.inputValue('[data-control="from"]'), to: await page.inputValue('[data-control="to"]') });

/** The overview's totals equal the sums of the range's rollup documents. */
async function expectTotalsOfRollups(page: Page): Promise<{ from: string; to: string }> {
  const shown = await range(page);
  const docs = await rollups(shown.from, shown.to);
  expect(docs.length).toBeGreaterThan(0);
  const sum = (key: keyof Totals): number => docs.reduce((total, doc) => total + doc.totals[key], 0);
  expect(await statValue(page, 'entries')).toBe(sum('entries'));
  expect(await statValue(page, 'userDays')).toBe(sum('users'));
  expect(await statValue(page, 'newUsers')).toBe(sum('newUsers'));
  expect(await statValue(page, 'sessions')).toBe(sum('sessions'));
  return shown;
}

/** Failed requests, error answers and console errors while the page is open: none is expected (a missing favicon was one). */
function failures(page: Page): string[] {
  const seen: string[] = [];
  page.on('requestfailed', (request) => seen.push(`failed ${request.url()}`));
  page.on('response', (response) => void (response.status() >= 400 && seen.push(`${response.status()} ${response.url()}`)));
  page.on('console', (message) => void (message.type() === 'error' && seen.push(`console: ${message.text()}`)));
  page.on('pageerror', (error) => seen.push(`page: ${error.message}`));
  return seen;
}

/** Each `admin` request's body the page sends, in order. */
function adminRequests(page: Page): string[] {
  const bodies: string[] = [];
  page.on('request', (request) => void (new URL(request.url()).pathname === '/http/admin' && bodies.push(request.postData() ?? '')));
  return bodies;
}

interface ShownCell {
  text: string;
  numeric: boolean;
  picture: boolean;
}

/** Downloads the CSV of the table `name` as the browser saves it. */
async function downloadCsv(page: Page, name: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-csv="${name}"]`)]);
  expect(download.suggestedFilename()).toBe(`rukou-${name}.csv`);
  return fs.readFileSync(await download.path(), 'utf8');
}

/** Checks that a table's CSV holds what the table shows: its headers and cells but its buttons', a number without its grouping, a rate as its rounded percentage, a picture as its address. */
async function expectCsvOfTable(page: Page, name: string, text: string): Promise<void> {
  const csv = parseCsv(text.replace(/^\uFEFF/, ''));
  const shown = (await page.evaluate(`(() => {
    const table = document.querySelector('[data-table="${name}"] table');
    const head = [...table.querySelectorAll('thead th:not(.action)')].map((th) => th.textContent);
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td:not(.action)')].map((td) => ({ text: td.textContent, numeric: td.classList.contains('num'), picture: td.querySelector('img') !== null })));
    return { head, rows };
  })()`)) as { head: string[]; rows: ShownCell[][] };
  expect(csv[0]).toEqual(shown.head);
  expect(csv.slice(1).map((row) => row.length)).toEqual(shown.rows.map((cells) => cells.length));
  // a picture's field is its address; a number is written without its grouping
  const address = (field: string): string => (/^https?:\/\/\S+$/.test(field) ? 'an address' : field);
  expect(csv.slice(1).map((row, i) => row.map((field, j) => (shown.rows[i][j].picture ? address(field) : field)))).toEqual(
    // a text starting like a formula is written after a ' (a share id may start with -)
    shown.rows.map((cells) => cells.map((cell) => (cell.picture ? 'an address' : cell.numeric && /^[\d,.]+$/.test(cell.text) ? cell.text.replace(/,/g, '') : cell.numeric ? cell.text : formulaSafe(cell.text)))),
  );
  // nothing unrounded: the table shows at most two decimals
  expect(csv.flat().filter((field) => /\d\.\d{3,}/.test(field))).toEqual([]);
}

/**
 * The page's own words as shown, in #app and in its charts' SVG: every text but the data shown as
 * it is (`data-raw`: ids, keys, the operator's and the catalog's names).
 */
async function pageWords(page: Page): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const texts = [];
    const walker = document.createTreeWalker(document.getElementById('app'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (text && !node.parentElement.closest('[data-raw]')) texts.push(text);
    }
    return texts;
  })()`)) as string[];
}

/** Latin words (not parts of ids like o-demo-1 or rk_sh) a Chinese page may show: names that are not translated. */
const LATIN_ON_CHINESE = new Set(['Rukou', 'English', 'CSV', 'URL', 'Scheme', 'Link', 'openGId']);
const latinWords = (texts: string[]): string[] => texts.flatMap((text) => text.match(/(?<![\w-])[A-Za-z]{2,}(?![\w-])/g) ?? []).filter((word) => !LATIN_ON_CHINESE.has(word));
/** Chinese characters and full-width punctuation (（）：，。“” …) on an English page, but the button back to Chinese. */
const chineseTexts = (texts: string[]): string[] => texts.filter((text) => text !== '中文' && /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u201c\u201d]/.test(text));

/** Opens the first top share's tree and the first group's record, so that their words are on the page too. */
async function openTreeAndGroup(page: Page): Promise<void> {
  await page.click('.open-tree');
  await page.waitForSelector('[data-tree-root]');
  await page.click('.open-group');
  await page.waitForSelector('[data-group]');
  await chartsDrawn(page);
}

test('at 1280 px: the numbers are the rollups and admin answers; the range, the share tree, every CSV and the language change as asked; no request fails', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const failed = failures(page);
  const bodies = adminRequests(page);
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  for (const section of ['today', 'overview', 'scenes', 'channels', 'shares', 'groups', 'sends']) expect(await page.getAttribute(`[data-section="${section}"] .panel-body`, 'data-state')).toBe('ready');
  // opening the page asks each question once: the operator pays for every invocation
  expect(bodies.filter((body) => (JSON.parse(body) as { action: string }).action === 'today')).toHaveLength(1);
  expect(bodies.filter((body, i) => bodies.indexOf(body) !== i)).toEqual([]);
  const fortnight = await expectTotalsOfRollups(page);

  // today so far is admin today's (nothing is sent meanwhile: the test's emulator has its timers off)
  const today = await admin<{ rollup: { totals: Totals } }>('today');
  expect(await statValue(page, 'today-entries')).toBe(today.rollup.totals.entries);
  expect(await statValue(page, 'today-newUsers')).toBe(today.rollup.totals.newUsers);

  // the scenes table is admin topEntries, row by row
  const { top } = await admin<{ top: { key: string; entries: number; userDays: number; newUsers: number }[] }>('topEntries', { ...fortnight, dimension: 'scene', limit: 30 });
  const rows = await page.$$eval('[data-table="scenes"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(rows.map((cells) => [cells[0], digits(cells[3]), digits(cells[4]), digits(cells[5])])).toEqual(top.map((row) => [row.key, row.entries, row.userDays, row.newUsers]));
  // new users count under every scene of their first day: the table says so, and where the first entry's scene is
  expect(await page.textContent('[data-section="scenes"] [data-new-users-note]')).toContain('首次进入的场景见“按入口的留存”');

  // the channels are admin channels', with the stores' codes as pictures
  const { channels } = await admin<{ channels: { key: string; entries: number }[] }>('channels', { ...fortnight, limit: 100 });
  const keys = await page.$$eval('[data-table="channels"] tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
  expect(keys).toEqual(channels.map((channel) => channel.key));
  expect(await page.locator('[data-table="channels"] img.qr').count()).toBeGreaterThanOrEqual(3);

  // retention by bucket (the default dimension): the totals row, then each key, are admin retention's for the same range
  type RetentionValue = { rate: number } | null;
  const retention = await admin<{ total: { users: number; days: Record<string, RetentionValue> }; keys: { users: number }[] }>('retention', { ...fortnight, by: 'bucket', days: [1, 2, 3, 7, 14, 30] });
  const shownRate = (value: RetentionValue): string => (value === null ? '—' : `${(value.rate * 100).toFixed(2)}%`);
  await page.waitForSelector('[data-section="retention"] [data-table="retention"], [data-section="retention"] p.empty');
  const cohorts = await page.$$eval('[data-table="retention"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(cohorts.map((cells) => digits(cells[1]))).toEqual([retention.total.users, ...retention.keys.map((key) => key.users)]);
  expect(cohorts[0][2]).toBe(shownRate(retention.total.days['1']));

  // goals of order_paid, first touch by bucket: admin's rows, or the empty state when the demo has none; switching the model asks admin again
  const goalsShown = '[data-section="goals"] [data-table="goals"], [data-section="goals"] [data-empty="goals"]';
  const goals = await admin<{ totals: { goals: number }; keys: { goals: number; conversionRate: number | null }[] }>('goals', { ...fortnight, goal: 'order_paid', model: 'first', by: 'bucket' });
  await page.waitForSelector(goalsShown);
  if (goals.totals.goals === 0) expect(await page.isVisible('[data-empty="goals"]')).toBe(true);
  else expect((await page.$$eval('[data-table="goals"] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[1].textContent))).map(digits)).toEqual(goals.keys.map((key) => key.goals));
  // a key credited with goals but entered by no one in the range has no rate: a note says why, exactly when one does
  expect(await page.locator('[data-section="goals"] [data-no-rate]').count()).toBe(goals.keys.some((key) => key.conversionRate === null) ? 1 : 0);
  const asked = page.waitForRequest((request) => {
    const input = JSON.parse(request.postData() ?? '{}') as { action?: string; model?: string };
    return input.action === 'goals' && input.model === 'last';
  });
  await page.selectOption('[data-control="model"]', 'last');
  await asked;
  await page.waitForSelector(goalsShown);

  // every table's CSV holds what the table shows (today's scenes' shares rounded, no column for the trees' and groups' buttons)
  const tables = await page.$$eval('[data-csv]', (buttons) => buttons.map((button) => button.getAttribute('data-csv') as string));
  expect(tables).toEqual(expect.arrayContaining(['today-scenes', 'scenes', 'channels', 'top-shares', 'groups', 'retention']));
  await expectCsvOfTable(page, 'today-scenes', await downloadCsv(page, 'today-scenes'));
  await keepCsvLinks(page);
  for (const name of tables) await expectCsvOfTable(page, name, await keptCsv(page, name));

  // the share tree of a top share, drawn
  const root = await page.getAttribute('.open-tree', 'data-root');
  await page.click('.open-tree');
  await page.waitForSelector(`[data-tree-root="${root}"]`);
  await page.waitForSelector('[data-chart="share-tree"] svg text');

  // a group's record and activity, as admin group answers them
  const groupId = await page.textContent('[data-table="groups"] tbody tr td');
  await page.click('.open-group');
  await page.waitForSelector(`[data-group="${groupId}"]`);
  const { activity } = await admin<{ activity: { opens: number; openers: number } }>('group', { groupId });
  expect(await statValue(page, 'group-opens')).toBe(activity.opens);
  expect(await statValue(page, 'group-openers')).toBe(activity.openers);

  // another range: the last 7 days
  await page.click('[data-preset="7"]');
  await page.waitForSelector(`[data-control="from"]:not([value="${fortnight.from}"])`);
  await sectionsDrawn(page);
  const seven = await expectTotalsOfRollups(page);
  expect(seven.to).toBe(fortnight.to);

  // a backwards custom range is not asked for, and says why
  await page.fill('[data-control="from"]', seven.to);
  await page.fill('[data-control="to"]', seven.from);
  await page.click('[data-control="apply"]');
  expect(await page.textContent('[data-range-problem]')).toBe('结束日期早于开始日期。');
  await page.fill('[data-control="from"]', seven.from);
  await page.fill('[data-control="to"]', seven.to);
  await page.click('[data-control="apply"]');
  expect(await page.textContent('[data-range-problem]')).toBe('');

  // English
  await page.click('[data-control="lang"]');
  await sectionsDrawn(page);
  expect(await page.textContent('header h1')).toBe('Rukou · operator dashboard');
  expect(await page.textContent('[data-stat="entries"] .stat-label')).toBe('Entries');
  expect(await page.textContent('[data-section="scenes"] [data-new-users-note]')).toContain('counted under each scene they came through that day');
  expect(await range(page)).toEqual(seven);
  expect(failed).toEqual([]);
  await page.close();
});

test("every label is in the page's language: no English word left on the Chinese page, no Chinese nor full-width punctuation on the English one", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  await openTreeAndGroup(page);
  const chinese = await pageWords(page);
  // the dimension menus and the sends' fates are among what is checked
  expect(chinese).toEqual(expect.arrayContaining(['入口大类', '场景值']));
  expect(chinese.some((text) => text.includes('已发送'))).toBe(true);
  expect(latinWords(chinese)).toEqual([]);

  await page.click('[data-control="lang"]');
  await sectionsDrawn(page);
  await openTreeAndGroup(page);
  const english = await pageWords(page);
  expect(english).toEqual(expect.arrayContaining(['Bucket', 'Scene']));
  expect(english.some((text) => /\bsent \d/.test(text))).toBe(true);
  expect(chineseTexts(english)).toEqual([]);

  // the sign-in screen too, in both
  await page.click('[data-control="sign-out"]');
  await page.waitForSelector('[data-control="token"]');
  expect(chineseTexts(await pageWords(page))).toEqual([]);
  await page.click('[data-control="lang"]');
  expect(latinWords(await pageWords(page))).toEqual([]);
  await page.close();
});

test('days without a rollup: every section of the range names them, whether it drew something or nothing, and those before the data begins apart; a change against a previous period missing days says it is incomplete', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  const { rollup } = await admin<{ rollup: { _id: string } }>('today');
  const today = rollup._id;
  const firstDay = addDays(today, -13);
  const ranged = ['overview', 'scenes', 'channels', 'shares', 'groups', 'sends', 'retention', 'goals'];
  // each ranged section's note of its days without a rollup (the page's, under what the section drew), or null
  const missingNotes = async (): Promise<(string | null)[]> => (await page.evaluate(`${JSON.stringify(ranged)}.map((id) => document.querySelector('[data-section="' + id + '"] .panel-body > [data-missing]')?.getAttribute('data-missing') ?? null)`)) as (string | null)[];

  // the default 14 days to yesterday begin the day before the demo, and the 14 days before them have no rollup: under every section that day is before the data begins, not missing, and there is no change to show
  expect(await range(page)).toEqual({ from: addDays(today, -14), to: addDays(today, -1) });
  expect(await missingNotes()).toEqual(ranged.map(() => null));
  const beforeData = (await page.evaluate(`${JSON.stringify(ranged)}.map((id) => document.querySelector('[data-section="' + id + '"] .panel-body > [data-before-data]')?.getAttribute('data-before-data') ?? null)`)) as (string | null)[];
  expect(beforeData).toEqual(ranged.map(() => '1'));
  expect(await page.textContent('[data-section="overview"] [data-before-data]')).toContain(addDays(today, -14));
  expect(await page.$$eval('[data-section="overview"] [data-compare]', (spans) => spans.map((span) => span.getAttribute('data-compare')))).toEqual(['none', 'none', 'none', 'none']);

  // the last 7 days against the 7 before, one of which the demo does not reach: each change is marked incomplete, and the note names the day
  await page.click('[data-preset="7"]');
  await page.waitForSelector(`[data-control="from"][value="${addDays(today, -7)}"]`);
  await sectionsDrawn(page);
  expect(await page.$$eval('[data-section="overview"] [data-compare]', (spans) => spans.map((span) => span.getAttribute('data-compare')))).toEqual(['partial', 'partial', 'partial', 'partial']);
  expect(await page.textContent('[data-stat="entries"] .stat-extra')).toContain('（不完整）');
  expect(await page.getAttribute('[data-previous-missing]', 'data-previous-missing')).toBe('1');
  expect(await page.textContent('[data-previous-missing]')).toContain(addDays(today, -14));
  expect(await missingNotes()).toEqual(ranged.map(() => null));

  // the 4 days to yesterday against 4 the demo covers: a change, complete
  await page.fill('[data-control="from"]', addDays(today, -4));
  await page.fill('[data-control="to"]', addDays(today, -1));
  await page.click('[data-control="apply"]');
  await page.waitForSelector(`[data-control="from"][value="${addDays(today, -4)}"]`);
  await sectionsDrawn(page);
  expect(await page.$$eval('[data-section="overview"] [data-compare]', (spans) => spans.map((span) => span.getAttribute('data-compare')))).toEqual(['full', 'full', 'full', 'full']);
  expect(await page.$('[data-previous-missing]')).toBeNull();

  // a week before the demo: every section empty, and still naming the seven days
  await page.fill('[data-control="from"]', addDays(firstDay, -7));
  await page.fill('[data-control="to"]', addDays(firstDay, -1));
  await page.click('[data-control="apply"]');
  await page.waitForSelector(`[data-control="from"][value="${addDays(firstDay, -7)}"]`);
  await sectionsDrawn(page);
  for (const id of ['overview', 'scenes', 'shares', 'groups', 'retention']) expect(await page.isVisible(`[data-section="${id}"] .empty`)).toBe(true);
  expect(await missingNotes()).toEqual(ranged.map(() => '7'));
  await page.close();
});

test("at a phone's width: one column, nothing wider than the screen, the same numbers, every chart's labels inside their chart", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  await expectTotalsOfRollups(page);
  await openTreeAndGroup(page);
  expect(await page.$eval('html', (html) => html.scrollWidth)).toBeLessThanOrEqual(390);
  const boxes = await page.$$eval('.panel', (panels) => panels.map((panel) => panel.getBoundingClientRect().width));
  expect(Math.min(...boxes)).toBeGreaterThan(300);
  // each label shown (the funnel's, the share tree's and every other chart's) lies within its chart's box, and the funnel's overlap none of each other;
  // a scrolling legend shows its items a page at a time through a clip, and those past it are not shown
  const labels = (await page.evaluate(`[...document.querySelectorAll('.chart')].map((chart) => {
    const box = chart.querySelector('svg').getBoundingClientRect();
    const shown = [...chart.querySelectorAll('svg text')].filter((text) => text.textContent.trim() && !text.closest('[clip-path]') && getComputedStyle(text).display !== 'none' && Number(getComputedStyle(text).opacity) > 0);
    return {
      chart: chart.getAttribute('data-chart'),
      box: { left: box.left, right: box.right, top: box.top, bottom: box.bottom },
      texts: shown.map((text) => { const r = text.getBoundingClientRect(); return { text: text.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom }; }),
    };
  })`)) as { chart: string; box: Rect; texts: (Rect & { text: string })[] }[];
  expect(labels.map((chart) => chart.chart)).toEqual(expect.arrayContaining(['share-funnel', 'share-tree', 'k-factor', 'entries']));
  const outside = labels.flatMap(({ chart, box, texts }) => texts.filter((r) => r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1).map((r) => `${chart}: ${r.text}`));
  expect(outside).toEqual([]);
  const funnel = labels.find((chart) => chart.chart === 'share-funnel')!.texts;
  expect(funnel.length).toBeGreaterThanOrEqual(6);
  const overlapping = funnel.flatMap((a, i) => funnel.slice(i + 1).filter((b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom).map((b) => `${a.text} / ${b.text}`));
  expect(overlapping).toEqual([]);
  await page.close();
});

test('a wrong token is told so, and the sign-in asks again', async () => {
  const page = await browser.newPage();
  await signIn(page, seeded.emulator.url, 'not-the-token');
  await page.waitForSelector('[data-error="token"]');
  expect(await page.isVisible('[data-control="token"]')).toBe(true);
  expect(await page.evaluate('sessionStorage.getItem("rukou.token")')).toBeNull();
  await page.close();
});
