/**
 * The web dashboard in Debian's chromium against an emulator holding a small seeded demo: what it
 * shows equals the rollup documents and the `admin` answers; the range, the language, the share
 * tree and a CSV download work; the same at a phone's width; a wrong token is told so.
 */
import fs from 'node:fs';
import cloud from 'wx-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { useEmulatorFromThisProcess } from '../helpers/emulator';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';
import { launchChromium, sectionsDrawn, signIn } from './dashboard';

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
async function admin<T>(action: string, input: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${seeded.emulator.url}/http/admin`, { method: 'POST', headers: { authorization: `Bearer ${seeded.token}` }, body: JSON.stringify({ action, ...input }) });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
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

test('at 1280 px: the numbers are the rollups and admin answers; the range, the share tree, a CSV and the language change as asked', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  for (const section of ['today', 'overview', 'scenes', 'channels', 'shares', 'groups', 'sends']) expect(await page.getAttribute(`[data-section="${section}"] .panel-body`, 'data-state')).toBe('ready');
  const fortnight = await expectTotalsOfRollups(page);

  // today so far is admin today's (nothing is sent meanwhile: the test's emulator has its timers off)
  const today = await admin<{ rollup: { totals: Totals } }>('today');
  expect(await statValue(page, 'today-entries')).toBe(today.rollup.totals.entries);
  expect(await statValue(page, 'today-newUsers')).toBe(today.rollup.totals.newUsers);

  // the scenes table is admin topEntries, row by row
  const { top } = await admin<{ top: { key: string; entries: number; userDays: number; newUsers: number }[] }>('topEntries', { ...fortnight, dimension: 'scene', limit: 30 });
  const rows = await page.$$eval('[data-table="scenes"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(rows.map((cells) => [cells[0], digits(cells[3]), digits(cells[4]), digits(cells[5])])).toEqual(top.map((row) => [row.key, row.entries, row.userDays, row.newUsers]));

  // the channels are admin channels', with the stores' codes as pictures
  const { channels } = await admin<{ channels: { key: string; entries: number }[] }>('channels', { ...fortnight, limit: 100 });
  const keys = await page.$$eval('[data-table="channels"] tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
  expect(keys).toEqual(channels.map((channel) => channel.key));
  expect(await page.locator('[data-table="channels"] img.qr').count()).toBeGreaterThanOrEqual(3);

  // retention by bucket (the default dimension): the totals row, then each key, are admin retention's for the same range
  type RetentionValue = { rate: number } | null;
  const retention = await admin<{ total: { users: number; days: Record<string, RetentionValue> }; keys: { users: number }[] }>('retention', { ...fortnight, by: 'bucket', days: [1, 2, 3, 7, 14, 30] });
  const shownRate = (value: RetentionValue): string => (value === null ? '—' : `${(value.rate * 100).toFixed(1)}%`);
  await page.waitForSelector('[data-section="retention"] [data-table="retention"], [data-section="retention"] p.empty');
  const cohorts = await page.$$eval('[data-table="retention"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(cohorts.map((cells) => digits(cells[1]))).toEqual([retention.total.users, ...retention.keys.map((key) => key.users)]);
  expect(cohorts[0][2]).toBe(shownRate(retention.total.days['1']));

  // goals of order_paid, first touch by bucket: admin's rows, or the empty state when the demo has none; switching the model asks admin again
  const goalsShown = '[data-section="goals"] [data-table="goals"], [data-section="goals"] [data-empty="goals"]';
  const goals = await admin<{ totals: { goals: number }; keys: { goals: number }[] }>('goals', { ...fortnight, goal: 'order_paid', model: 'first', by: 'bucket' });
  await page.waitForSelector(goalsShown);
  if (goals.totals.goals === 0) expect(await page.isVisible('[data-empty="goals"]')).toBe(true);
  else expect((await page.$$eval('[data-table="goals"] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[1].textContent))).map(digits)).toEqual(goals.keys.map((key) => key.goals));
  const asked = page.waitForRequest((request) => {
    const input = JSON.parse(request.postData() ?? '{}') as { action?: string; model?: string };
    return input.action === 'goals' && input.model === 'last';
  });
  await page.selectOption('[data-control="model"]', 'last');
  await asked;
  await page.waitForSelector(goalsShown);

  // a CSV of the scenes: a header and the same rows
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-csv="scenes"]')]);
  expect(download.suggestedFilename()).toBe('rukou-scenes.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
  expect(csv).toHaveLength(top.length + 1);
  expect(csv[1].split(',')[0]).toBe(top[0].key);
  expect(Number(csv[1].split(',').at(-4))).toBe(top[0].entries);

  // the share tree of a top share, drawn
  const root = await page.getAttribute('.open-tree', 'data-root');
  await page.click('.open-tree');
  await page.waitForSelector(`[data-tree-root="${root}"]`);
  await page.waitForSelector('[data-chart="share-tree"] canvas');

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
  expect(await range(page)).toEqual(seven);
  await page.close();
});

test("at a phone's width: one column, nothing wider than the screen, the same numbers", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  await expectTotalsOfRollups(page);
  expect(await page.$eval('html', (html) => html.scrollWidth)).toBeLessThanOrEqual(390);
  const boxes = await page.$$eval('.panel', (panels) => panels.map((panel) => panel.getBoundingClientRect().width));
  expect(Math.min(...boxes)).toBeGreaterThan(300);
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
