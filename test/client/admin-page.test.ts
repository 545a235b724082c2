/**
 * The Mini Program's admin page (miniprogram/pages/admin/) run with a `Page` and a `wx` whose
 * `cloud.callFunction` reaches the emulator's client gateway as the phone's user: an operator sees
 * today, yesterday against the day before and the week's top entry points, channels and shares as
 * `admin` answers them; anyone else is sent back to the home page with nothing drawn.
 */
import path from 'node:path';
import { invokeAs, MIDDAY, REPO_ROOT, startEmulator, type RunningEmulator } from '../helpers/emulator';

const OPERATOR = 'o-page-operator';
const NOW = Date.parse(MIDDAY);
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  const entry = (id: string, at: number, scene: number): Record<string, unknown> => ({ id, seq: 1, at, type: 'enter', cold: true, options: { scene, path: 'pages/index/index', query: {} } });
  await invokeAs(emulator.url, 'track', { v: 1, sentAt: NOW, events: [entry('page-test-today-1', NOW - 60_000, 1089)] }, { openid: 'o-page-user' });
  await invokeAs(emulator.url, 'track', { v: 1, sentAt: NOW, events: [entry('page-test-yesterday', NOW - 86_400_000, 1047)] }, { openid: 'o-page-other' });
  await invokeAs(emulator.url, 'admin', { action: 'backfill', from: '2024-05-13', to: '2024-05-19' }, { openid: OPERATOR });
});

afterAll(async () => {
  await emulator?.stop();
});

interface AdminPage {
  data: Record<string, unknown>;
  load(): Promise<void>;
}

/** The page as WeChat would make it for `openid`, and where it sent the user. */
function openPage(openid: string): { page: AdminPage; relaunched: string[] } {
  const relaunched: string[] = [];
  let page: AdminPage | undefined;
  Object.assign(globalThis, {
    Page(options: AdminPage & { data: Record<string, unknown> }) {
      page = { ...options, data: structuredClone(options.data) };
      Object.assign(page, { setData: (data: Record<string, unknown>) => Object.assign((page as AdminPage).data, data) });
    },
    wx: {
      cloud: { callFunction: async ({ name, data }: { name: string; data: unknown }) => ({ result: (await invokeAs(emulator.url, name, data, { openid })).result }) },
      reLaunch: ({ url }: { url: string }) => relaunched.push(url),
      stopPullDownRefresh: () => undefined,
    },
  });
  jest.isolateModules(() => require(path.join(REPO_ROOT, 'miniprogram', 'pages', 'admin', 'admin.ts')));
  if (!page) throw new Error('the admin page called no Page()');
  return { page, relaunched };
}

test("an operator sees today, yesterday against the day before, and the week's top entry points", async () => {
  const { page, relaunched } = openPage(OPERATOR);
  await page.load();
  expect(relaunched).toEqual([]);
  expect(page.data).toMatchObject({ ready: true, failed: '', today: '2024-05-20', yesterday: '2024-05-19', week: '2024-05-13 ~ 2024-05-19' });
  expect(page.data.todayTotals).toMatchObject({ entries: 1, users: 1, newUsers: 1 });
  expect(page.data.compared).toEqual([
    { label: '进入次数', value: 1, previous: 0, change: '—', trend: 'flat' },
    { label: '用户', value: 1, previous: 0, change: '—', trend: 'flat' },
    { label: '新用户', value: 1, previous: 0, change: '—', trend: 'flat' },
  ]);
  expect(page.data.scenes).toEqual([{ key: '1047', name: '扫描小程序码', entries: 1 }]);
  expect(page.data.shares).toEqual({ intents: 0, returnOpens: 0, newUsers: 0, kFactor: '0.00' });
});

test('anyone else is sent back to the home page, with nothing drawn', async () => {
  const { page, relaunched } = openPage('o-page-user');
  await page.load();
  expect(relaunched).toEqual(['/pages/index/index']);
  expect(page.data).toMatchObject({ ready: false, failed: '' });
});
