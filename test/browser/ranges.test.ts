/**
 * The dashboard's ranges in Debian's chromium against an emulator holding a small demo whose clock
 * stands at NOW (2024-11-30, China time): a range ends yesterday at the latest (today and later
 * refused, saying why); a day of the range without a rollup marks each change incomplete; the days
 * of a long preset before the data begins are said apart from a day missing its rollup; past
 * midnight an open page's presets and picker follow the new day.
 */
import cloud from 'wx-server-sdk';
import type { Browser, Page } from 'playwright-core';
import { useEmulatorFromThisProcess } from '../helpers/emulator';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';
import { launchChromium, sectionsDrawn, signIn } from './dashboard';

const NOW = '2024-11-30T12:00:00+08:00';
const TODAY = '2024-11-30';
/** The demo's days: 11-21 to today, rolled up to yesterday; the test takes one rollup away. */
const DAYS = 10;
const TAKEN = '2024-11-27';

let seeded: SeededEmulator;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  seeded = await seededEmulator({ days: DAYS, scale: 0.1, now: NOW });
  useEmulatorFromThisProcess(seeded.emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  await cloud.database().collection('rollups_daily').doc(TAKEN).remove();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

async function signedIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  return page;
}

/** Types a custom range and applies it; answers what the range bar then says is wrong with it ('' when nothing). */
async function applyRange(page: Page, from: string, to: string): Promise<string | null> {
  await page.fill('[data-control="from"]', from);
  await page.fill('[data-control="to"]', to);
  await page.click('[data-control="apply"]');
  return page.textContent('[data-range-problem]');
}

const compared = (page: Page): Promise<(string | null)[]> => page.$$eval('[data-section="overview"] [data-compare]', (spans) => spans.map((span) => span.getAttribute('data-compare')));

test("the demo's clock stands at NOW", async () => {
  const clock = (await (await fetch(`${seeded.emulator.url}/__rukou/clock`)).json()) as { now: string };
  expect(clock.now.slice(0, 10)).toBe('2024-11-30');
});

test('a range ends yesterday at the latest: today and later days are refused, saying why, and not asked for', async () => {
  const page = await signedIn();
  expect(await page.getAttribute('[data-control="to"]', 'max')).toBe('2024-11-29');
  expect(await page.getAttribute('[data-control="from"]', 'max')).toBe('2024-11-29');
  const asked: string[] = [];
  page.on('request', (request) => void (request.url().includes('/http/admin') && asked.push(request.postData() ?? '')));
  for (const [from, to] of [['2024-11-24', TODAY], [TODAY, TODAY], ['2024-11-28', '2024-12-02']]) expect(await applyRange(page, from, to)).toBe('范围最晚到昨天：今天的数据见「今日实时」。');
  expect(asked).toEqual([]);
  await page.close();
});

test('a day of the range without a rollup marks each change incomplete, and is named under the section', async () => {
  const page = await signedIn();
  expect(await applyRange(page, '2024-11-26', '2024-11-29')).toBe('');
  await page.waitForSelector('[data-control="from"][value="2024-11-26"]');
  await sectionsDrawn(page);
  expect(await compared(page)).toEqual(['partial', 'partial', 'partial', 'partial']);
  expect(await page.textContent('[data-stat="entries"] .stat-extra')).toContain('（不完整）');
  expect(await page.$('[data-previous-missing]')).toBeNull();
  expect(await page.getAttribute('[data-section="overview"] .panel-body > [data-missing]', 'data-missing')).toBe('1');
  expect(await page.textContent('[data-section="overview"] .panel-body > [data-missing]')).toContain(TAKEN);

  // two days before it, all rolled up, against the two before them: complete
  expect(await applyRange(page, '2024-11-24', '2024-11-25')).toBe('');
  await page.waitForSelector('[data-control="from"][value="2024-11-24"]');
  await sectionsDrawn(page);
  expect(await compared(page)).toEqual(['full', 'full', 'full', 'full']);
  expect(await page.$('[data-section="overview"] .panel-body > [data-missing]')).toBeNull();
  await page.close();
});

/** Under each section of the range: its note of days before the data begins, and its note of days without a rollup (null when none). */
async function notes(page: Page): Promise<[string | null, string | null][]> {
  return (await page.evaluate(`[...document.querySelectorAll('.panel-body')].filter((body) => body.parentElement.id !== 'today').map((body) => [
    body.querySelector(':scope > [data-before-data]')?.getAttribute('data-before-data') ?? null,
    body.querySelector(':scope > [data-missing]')?.getAttribute('data-missing') ?? null,
  ])`)) as [string | null, string | null][];
}

test.each([
  [45, '2024-10-16', 36],
  [90, '2024-09-01', 81],
])('the %i-day preset says its days before the data begins (11-21) apart from the day missing its rollup', async (preset, from, before) => {
  const page = await signedIn();
  await page.click(`[data-preset="${preset}"]`);
  await page.waitForSelector(`[data-control="from"][value="${from}"]`);
  await sectionsDrawn(page);
  const ranged = await page.$$eval('.panel', (panels) => panels.filter((panel) => panel.id !== 'today').length);
  expect(await notes(page)).toEqual(Array.from({ length: ranged }, () => [String(before), '1']));
  expect(await page.textContent('[data-section="overview"] [data-before-data]')).toContain('以来第一份日汇总是 2024-11-21');
  expect(await page.textContent('[data-section="overview"] [data-before-data]')).toContain(from);
  expect(await page.textContent('[data-section="overview"] .panel-body > [data-missing]')).toContain(TAKEN);
  expect(await page.textContent('[data-section="overview"] .panel-body > [data-missing]')).not.toContain('2024-11-20');
  await page.close();
});

// last: the emulator's clock never goes back
test("a page left open past midnight (China time) moves its presets and the picker's last day on to the new day", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // the page's own timers under the test's hand: its minute's refresh of today so far is brought forward, not waited for
  await page.clock.install();
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  expect(await page.getAttribute('[data-control="to"]', 'max')).toBe('2024-11-29');

  const moved = await fetch(`${seeded.emulator.url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ set: '2024-12-01T00:00:30+08:00' }) });
  expect(moved.status).toBe(200);
  await page.clock.fastForward(60_000);
  await page.waitForSelector('[data-section="today"] .panel-body[data-state="ready"] >> text=2024-12-01');
  await page.waitForSelector('[data-control="to"][max="2024-11-30"]');
  expect(await page.getAttribute('[data-control="from"]', 'max')).toBe('2024-11-30');

  await page.click('[data-preset="7"]');
  await page.waitForSelector('[data-control="from"][value="2024-11-24"]');
  expect(await page.inputValue('[data-control="to"]')).toBe('2024-11-30');
  await page.close();
});

test('the keyboard stays on the control it used when the page is drawn anew, and Enter in a date applies the range', async () => {
  const page = await signedIn();
  const focused = (): Promise<unknown> => page.evaluate(`[document.activeElement.getAttribute('data-preset'), document.activeElement.getAttribute('data-control')]`);
  await page.focus('[data-preset="7"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-preset="7"].active');
  expect(await focused()).toEqual(['7', null]);

  await page.evaluate(`document.querySelector('.range-bar').setAttribute('data-old', '')`);
  await page.fill('[data-control="from"]', '2024-11-22');
  await page.fill('[data-control="to"]', '2024-11-28');
  await page.press('[data-control="to"]', 'Enter');
  await page.waitForSelector('.range-bar:not([data-old])');
  expect([await page.inputValue('[data-control="from"]'), await page.inputValue('[data-control="to"]')]).toEqual(['2024-11-22', '2024-11-28']);
  expect(await page.$$('.preset.active')).toHaveLength(0);
  expect(await focused()).toEqual([null, 'to']);
  await page.close();
});

test("at a phone's width, numbers of ten digits stay inside their boxes: the share funnel's labels in its chart, each card's value in its card (a break-it pass: they were cut off and ran together)", async () => {
  const huge = 2_963_574_936;
  await cloud
    .database()
    .collection('rollups_daily')
    .doc('2024-11-29')
    .update({ data: { 'totals.entries': huge, 'shares.intents': huge, 'shares.returnOpens': huge - 1, 'shares.newUsers': huge - 2 } });
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, seeded.emulator.url, seeded.token);
  await sectionsDrawn(page);
  const funnel = (await page.evaluate(`(() => {
    const chart = document.querySelector('[data-chart="share-funnel"]');
    const box = chart.querySelector('svg').getBoundingClientRect();
    return [...chart.querySelectorAll('svg text')].map((text) => { const r = text.getBoundingClientRect(); return { text: text.textContent, inside: r.left >= box.left - 1 && r.right <= box.right + 1 }; });
  })()`)) as { text: string; inside: boolean }[];
  // the range's sums: the demo's other days add a few to each
  expect(funnel.filter((label) => /^2,963,574,9\d\d$/.test(label.text))).toHaveLength(3);
  expect(funnel.filter((label) => !label.inside)).toEqual([]);
  const spilled = await page.$$eval('.stat', (cards) =>
    cards.flatMap((card) => {
      const value = card.querySelector('.stat-value');
      if (!value) return [];
      const outer = card.getBoundingClientRect();
      const inner = value.getBoundingClientRect();
      return value.scrollWidth > value.clientWidth + 1 || inner.right > outer.right + 1 ? [value.textContent] : [];
    }),
  );
  expect(spilled).toEqual([]);
  await page.close();
});
