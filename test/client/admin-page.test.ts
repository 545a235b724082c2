/**
 * The Mini Program's admin page (miniprogram/pages/admin/) run with a `Page` and a `wx` whose
 * `cloud.callFunction` reaches the emulator's client gateway as the phone's user: an operator sees
 * today (its time in China time, whatever the phone's zone), yesterday against the day before and
 * the week's top entry points, channels (and how many there are) and shares as `admin` answers them; anyone else is sent
 * back to the home page with nothing drawn.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { invokeAs, MIDDAY, moveClock, REPO_ROOT, startEmulator, type RunningEmulator } from '../helpers/emulator';

const OPERATOR = 'o-page-operator';
const NOW = Date.parse(MIDDAY);
const DAY = 86_400_000;
const run = promisify(execFile);
let emulator: RunningEmulator;

/** An entry of the phone's, `at` epoch ms, with a channel's `rk_ch` when one is given. */
const entry = (id: string, at: number, scene: number, channel?: string): Record<string, unknown> => ({
  id,
  seq: 1,
  at,
  type: 'enter',
  cold: true,
  options: { scene, path: 'pages/index/index', query: channel ? { rk_ch: channel } : {} },
});

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  const track = (openid: string, events: Record<string, unknown>[]): Promise<unknown> => invokeAs(emulator.url, 'track', { v: 1, sentAt: NOW, events }, { openid });
  await track('o-page-user', [entry('page-test-today-1', NOW - 60_000, 1089)]);
  await track('o-page-other', [entry('page-test-yesterday', NOW - DAY, 1047)]);
  // the week's channels, three and four days ago (yesterday and the day before stay as they are): two of the operator's plain schemes and a key nobody registered
  for (const [key, name] of [['poster-a', '海报 A'], ['sms-b', '短信 B']]) {
    const created = await invokeAs(emulator.url, 'admin', { action: 'createChannel', kind: 'plainscheme', key, name, page: 'pages/index/index' }, { openid: OPERATOR, appid: 'wx0000000000000000' });
    expect(created.result).toMatchObject({ channel: { key } });
  }
  await track('o-page-ch-1', [entry('page-test-ch-1', NOW - 4 * DAY, 1286, 'poster-a'), entry('page-test-ch-2', NOW - 3 * DAY, 1286, 'poster-a')]);
  await track('o-page-ch-2', [entry('page-test-ch-3', NOW - 3 * DAY, 1286, 'poster-a')]);
  await track('o-page-ch-3', [entry('page-test-ch-4', NOW - 3 * DAY, 1286, 'sms-b')]);
  await track('o-page-ch-4', [entry('page-test-ch-5', NOW - 3 * DAY, 1286, 'flyer-x')]);
  // three more keys: six in the week, one more than the page lists
  await track('o-page-ch-5', ['zz-1', 'zz-2', 'zz-3'].map((key, i) => entry(`page-test-zz-${i}`, NOW - 3 * DAY + i * 60_000, 1286, key)));
  await invokeAs(emulator.url, 'admin', { action: 'backfill', from: '2024-05-13', to: '2024-05-19' }, { openid: OPERATOR });
});

afterAll(async () => {
  await emulator?.stop();
});

interface AdminPage {
  data: Record<string, unknown>;
  load(): Promise<void>;
}

/** The page as WeChat would make it for `openid`, where it sent the user, and what `admin` answered it. */
function openPage(openid: string): { page: AdminPage; relaunched: string[]; answers: Map<string, unknown>; titles: string[] } {
  const relaunched: string[] = [];
  const titles: string[] = [];
  const answers = new Map<string, unknown>();
  let page: AdminPage | undefined;
  Object.assign(globalThis, {
    Page(options: AdminPage & { data: Record<string, unknown> }) {
      page = { ...options, data: structuredClone(options.data) };
      Object.assign(page, { setData: (data: Record<string, unknown>) => Object.assign((page as AdminPage).data, data) });
    },
    wx: {
      cloud: {
        callFunction: async ({ name, data }: { name: string; data: { action: string } }) => {
          const { result } = await invokeAs(emulator.url, name, data, { openid });
          answers.set(data.action, result);
          return { result };
        },
      },
      reLaunch: ({ url }: { url: string }) => relaunched.push(url),
      setNavigationBarTitle: ({ title }: { title: string }) => titles.push(title),
      stopPullDownRefresh: () => undefined,
    },
  });
  jest.isolateModules(() => require(path.join(REPO_ROOT, 'miniprogram', 'pages', 'admin', 'admin.ts')));
  if (!page) throw new Error('the admin page called no Page()');
  return { page, relaunched, answers, titles };
}

test("an operator sees today, yesterday against the day before, and the week's top entry points", async () => {
  const { page, relaunched, titles } = openPage(OPERATOR);
  await page.load();
  expect(relaunched).toEqual([]);
  expect(titles).toEqual(['运营数据']);
  expect(page.data).toMatchObject({ ready: true, failed: '', today: '2024-05-20', yesterday: '2024-05-19', yesterdayMissing: false, beforeMissing: false, week: '2024-05-13 ~ 2024-05-19' });
  expect(page.data.todayTotals).toMatchObject({ entries: 1, users: 1, newUsers: 1 });
  expect(page.data.compared).toEqual([
    { label: '进入次数', value: 1, previous: 0, change: '—', trend: 'flat' },
    { label: '用户', value: 1, previous: 0, change: '—', trend: 'flat' },
    { label: '新用户', value: 1, previous: 0, change: '—', trend: 'flat' },
  ]);
  expect(page.data.scenes).toEqual([
    { key: '1286', name: '明文scheme打开小程序', entries: 8 },
    { key: '1047', name: '扫描小程序码', entries: 1 },
  ]);
  expect(page.data.shares).toEqual({ intents: 0, returnOpens: 0, newUsers: 0, kFactor: '—' });
});

test("the week's top channels are admin channels' answer: the registered ones by their names, an unregistered key as itself, and how many there are in all", async () => {
  const { page, answers } = openPage(OPERATOR);
  await page.load();
  const answer = answers.get('channels') as { keys: number; channels: { key: string; entries: number; firstTouch: number; channel: { name: string } | null }[] };
  expect(page.data.channels).toEqual(answer.channels.map((row) => ({ key: row.key, name: row.channel?.name ?? row.key, entries: row.entries, firstTouch: row.firstTouch })));
  expect(page.data.channels).toEqual([
    { key: 'poster-a', name: '海报 A', entries: 3, firstTouch: 2 },
    { key: 'flyer-x', name: 'flyer-x', entries: 1, firstTouch: 1 },
    { key: 'sms-b', name: '短信 B', entries: 1, firstTouch: 1 },
    { key: 'zz-1', name: 'zz-1', entries: 1, firstTouch: 1 },
    { key: 'zz-2', name: 'zz-2', entries: 1, firstTouch: 0 },
  ]);
  // zz-3 is not listed: the page says there are six
  expect(answer.keys).toBe(6);
  expect(page.data.channelsTotal).toBe(6);
  const wxml = fs.readFileSync(path.join(REPO_ROOT, 'miniprogram', 'pages', 'admin', 'admin.wxml'), 'utf8');
  expect(wxml).toContain('<view wx:if="{{channelsTotal > channels.length}}" class="note">共 {{channelsTotal}} 个渠道带来进入');
});

/**
 * The page run by a phone set to `zone`: a process of its own with that TZ (jest's workers keep
 * their zone), the page compiled as the Mini Program's build would, `wx.cloud.callFunction`
 * reaching the emulator as `openid`. Answers the page's data and `admin` today's answer.
 */
async function pageInZone(zone: string, openid: string): Promise<{ data: Record<string, unknown>; asOf: string }> {
  const { code } = await transform(fs.readFileSync(path.join(REPO_ROOT, 'miniprogram', 'pages', 'admin', 'admin.ts'), 'utf8'), { loader: 'ts', format: 'cjs' });
  const harness = `
    let page;
    let asOf;
    globalThis.Page = (options) => { page = { ...options, data: structuredClone(options.data) }; page.setData = (data) => Object.assign(page.data, data); };
    globalThis.wx = {
      cloud: {
        async callFunction({ name, data }) {
          const response = await fetch(${JSON.stringify(emulator.url)} + '/functions/' + name, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wx-openid': ${JSON.stringify(openid)} }, body: JSON.stringify({ data }) });
          const { result } = await response.json();
          if (data.action === 'today') asOf = result.asOf;
          return { result };
        },
      },
      reLaunch() {},
      setNavigationBarTitle() {},
      stopPullDownRefresh() {},
    };
    new Function('exports', 'require', ${JSON.stringify(code)})({}, require);
    page.load().then(() => process.stdout.write(JSON.stringify({ data: page.data, asOf })));`;
  const { stdout } = await run(process.execPath, ['-e', harness], { env: { ...process.env, TZ: zone } });
  return JSON.parse(stdout) as { data: Record<string, unknown>; asOf: string };
}

test("today's time is China time on a phone set to another zone", async () => {
  const { data, asOf } = await pageInZone('America/Los_Angeles', OPERATOR);
  const inChina = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(asOf));
  // the emulator's clock started at noon in Beijing a few moments ago
  expect(inChina).toMatch(/^12:/);
  expect(data).toMatchObject({ ready: true, today: '2024-05-20', asOf: inChina });
});

test('anyone else is sent back to the home page, with nothing drawn, not even its title; WeChat search does not index it', async () => {
  const { page, relaunched, titles } = openPage('o-page-user');
  await page.load();
  expect(relaunched).toEqual(['/pages/index/index']);
  expect(titles).toEqual([]);
  expect(page.data).toMatchObject({ ready: false, failed: '' });
  expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'miniprogram', 'pages', 'admin', 'admin.json'), 'utf8')).navigationBarTitleText).toBe('');
  // sitemap rules apply in order, the first that matches decides
  const { rules } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'miniprogram', 'sitemap.json'), 'utf8')) as { rules: { action: string; page: string }[] };
  expect(rules.find((rule) => rule.page === 'pages/admin/admin' || rule.page === '*')).toEqual({ action: 'disallow', page: 'pages/admin/admin' });
});

test('before yesterday is rolled up, it says so instead of a fall to nothing; a day before without a rollup is no comparison (the last test: it moves the clock)', async () => {
  await moveClock(emulator.url, { advance: '1d' });
  const first = openPage(OPERATOR);
  await first.page.load();
  expect(first.page.data).toMatchObject({ ready: true, today: '2024-05-21', yesterday: '2024-05-20', yesterdayMissing: true, beforeMissing: false });
  await moveClock(emulator.url, { advance: '1d' });
  await invokeAs(emulator.url, 'admin', { action: 'backfill', from: '2024-05-21', to: '2024-05-21' }, { openid: OPERATOR });
  const second = openPage(OPERATOR);
  await second.page.load();
  expect(second.page.data).toMatchObject({ ready: true, today: '2024-05-22', yesterday: '2024-05-21', yesterdayMissing: false, beforeMissing: true });
  expect((second.page.data.compared as { change: string; trend: string }[]).map(({ change, trend }) => [change, trend])).toEqual([
    ['—', 'flat'],
    ['—', 'flat'],
    ['—', 'flat'],
  ]);
});
