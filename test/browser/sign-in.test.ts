/**
 * The dashboard's sign-in in Debian's chromium against an emulator holding a small demo: a pasted
 * token is trimmed of whitespace and zero-width characters; a token that cannot be a header value,
 * or is absurdly long, is refused at sign-in saying why, and never sent nor kept; a kept token of
 * no use (a reload, a gateway's 401) brings the sign-in back; a page that could not load offers a
 * sign-out beside its retry.
 */
import type { Browser, Page } from 'playwright-core';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';
import { launchChromium, sectionsDrawn, signIn } from './dashboard';

let seeded: SeededEmulator;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  seeded = await seededEmulator({ days: 2, scale: 0.1 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

/** Every request the page makes to `admin`. */
function adminRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => void (request.url().includes('/http/admin') && seen.push(request.postData() ?? '')));
  return seen;
}

const kept = (page: Page): Promise<unknown> => page.evaluate('sessionStorage.getItem("rukou.token")');
const refusal = async (page: Page): Promise<string | null> => (await page.waitForSelector('[data-error="token"]')).textContent();

test('a token pasted with a zero-width space before it and a line break after it signs in, kept trimmed', async () => {
  const page = await browser.newPage();
  await signIn(page, seeded.emulator.url, `\u200b${seeded.token}\n`);
  await sectionsDrawn(page);
  expect(await page.$$eval('.panel-body[data-state="error"]', (bodies) => bodies.length)).toBe(0);
  expect(await kept(page)).toBe(seeded.token);
  await page.close();
});

test.each([
  ['Chinese', '令牌', '令牌只能由英文字母、数字和符号组成'],
  ['a space inside', 'two words', '令牌只能由英文字母、数字和符号组成'],
  ['20,000 characters', 'a'.repeat(20_000), '令牌太长（20000 个字符，最多 1024）'],
])('a token of %s is refused at sign-in, saying why, and neither sent nor kept', async (_name, token, message) => {
  const page = await browser.newPage();
  const asked = adminRequests(page);
  await signIn(page, seeded.emulator.url, token);
  expect(await refusal(page)).toContain(message);
  expect(await page.isVisible('[data-control="token"]')).toBe(true);
  expect(await kept(page)).toBeNull();
  expect(asked).toEqual([]);
  await page.close();
});

test('a kept token that cannot be sent (a reload after it was kept) brings the sign-in back, saying why', async () => {
  const page = await browser.newPage();
  const asked = adminRequests(page);
  await page.goto(`${seeded.emulator.url}/`);
  await page.waitForSelector('[data-control="token"]');
  await page.evaluate(`sessionStorage.setItem("rukou.token", "\u200b${seeded.token}令牌")`);
  await page.reload();
  expect(await refusal(page)).toContain('令牌只能由英文字母、数字和符号组成');
  expect(await kept(page)).toBeNull();
  expect(asked).toEqual([]);
  await page.close();
});

test("a gateway's 401 in place of admin's answer brings the sign-in back", async () => {
  const page = await browser.newPage();
  await page.route('**/http/admin', (route) => route.fulfill({ status: 401, contentType: 'text/plain', body: 'Unauthorized' }));
  await signIn(page, seeded.emulator.url, seeded.token);
  expect(await refusal(page)).toBe('令牌错误或已过期，请重新输入。');
  expect(await kept(page)).toBeNull();
  await page.close();
});

test('a page that could not load offers a sign-out beside its retry', async () => {
  const page = await browser.newPage();
  await page.route('**/http/admin', (route) => route.abort());
  await signIn(page, seeded.emulator.url, seeded.token);
  await page.waitForSelector('#app > .error');
  await page.click('[data-control="sign-out"]');
  await page.waitForSelector('[data-control="token"]');
  expect(await kept(page)).toBeNull();
  await page.close();
});
