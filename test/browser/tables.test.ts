/**
 * The dashboard's tables against an emulator the suite fills itself, its clock set where UTC and
 * China days differ: days shown are China days (a channel created at 00:09 in Beijing, a group
 * first opened at 01:30); more than 100 channels (two `createChannels` calls of 60 rows), every
 * one of them with its link, however many pages `listChannels` takes, and a capped list saying how
 * many it leaves out.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { emulatorNow, invokeAs, issueGroupCloudId, moveClock, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { launchChromium, sectionsDrawn, signIn } from './dashboard';

const APP = 'wx0000000000000000';
const OPERATOR = 'o-tables-operator';
/** 00:09 on 2026-10-31 in Beijing, still 2026-10-30 in UTC: when the channels are created. */
const CREATED = '2026-10-30T16:09:00Z';
/** Noon in Beijing: the dashboard's today, its default range 2026-10-29 to 2026-11-11. */
const NOW = '2026-11-12T12:00:00+08:00';
/** 01:30 on 2026-11-11 in Beijing, 2026-11-10 in UTC: the group's only open. */
const GROUP_OPEN = '2026-11-10T17:30:00Z';
const GROUP = 'G-night-owls';
/**
 * 120 channels in two calls, the second's keys sorting before the first's: the dead channels listed
 * (the oldest) reach past the first page of `listChannels` (the first 100 keys), as does the one that
 * brings an entry; the other 119 are dead.
 */
const BATCHES = ['b', 'a'].map((prefix) => Array.from({ length: 60 }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`));
const SCANNED = 'b-050';

let emulator: RunningEmulator;
let browser: Browser;
const token = randomBytes(24).toString('base64url');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions check their shape
const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid: OPERATOR, appid: APP })).result;

let seq = 0;
/** One entry at `at` (ISO), sent now by the tracker with its phone's clock (its event time is `at`), with `extra` beside its options (a group's cloudID). */
async function enters(openid: string, at: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  seq += 1;
  const event = { id: `tables-${seq}`, seq, at: Date.parse(at), type: 'enter', cold: true, options: { path: 'pages/index/index', query: {}, ...options }, ...extra };
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events: [event] }, { openid, appid: APP })).result as { accepted: string[] };
  expect(answer.accepted).toEqual([`tables-${seq}`]);
}

beforeAll(async () => {
  browser = await launchChromium();
  emulator = await startEmulator({ clock: CREATED, timers: false, env: { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(token).digest('hex') } });
  for (const batch of BATCHES) {
    const answer = await admin({ action: 'createChannels', rows: batch.map((key) => ({ key, name: `渠道 ${key}`, kind: 'plainscheme', page: 'pages/index/index' })) });
    expect(answer.created).toBe(60);
  }
  expect((await moveClock(emulator.url, { set: NOW })).status).toBe(200);
  await enters('o-scanner', '2026-11-10T10:00:00+08:00', { scene: 1286, query: { rk_ch: SCANNED } });
  const { cloudID } = await issueGroupCloudId(emulator.url, { openid: 'o-owl', appid: APP, kind: 'groupEnterInfo', groupId: GROUP });
  await enters('o-owl', GROUP_OPEN, { scene: 1008 }, { group: cloudID });
  let range: { from: string; to: string } | null = { from: '2026-10-29', to: '2026-11-11' };
  while (range) range = (await admin({ action: 'backfill', ...range })).remaining;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await emulator?.stop();
});

async function opened(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
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

test('more than 100 channels: each shown has its link, whichever page of listChannels holds it; the dead channels past the 100 listed are counted', async () => {
  const page = await opened(1280);
  const linked = (key: string): string => expect.stringContaining(`query=rk_ch%3D${key}&`) as unknown as string;
  // the one channel with entries is on the second page
  expect(await linksOf(page, 'channels')).toEqual([{ key: SCANNED, href: linked(SCANNED), title: linked(SCANNED) }]);
  const dead = await linksOf(page, 'dead-channels');
  expect(dead).toHaveLength(100);
  expect(dead).toEqual(dead.map(({ key }) => ({ key, href: linked(key), title: linked(key) })));
  expect(dead.map(({ key }) => key)).toContain('b-059');
  expect(await page.getAttribute('[data-dead-more]', 'data-dead-more')).toBe('19');
  expect(await page.textContent('[data-dead-more]')).toContain('19');
  await page.close();
});
