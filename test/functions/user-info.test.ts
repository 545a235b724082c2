/**
 * What the platform adds to a Mini Program's call: `userInfo: {appId, openId}` in the event
 * (README, Platform sources §H.1; the emulator's client gateway adds it like the cloud). Every
 * function accepts it, and none takes identity from it: who calls is what getWXContext() says.
 */
import cloud from 'wx-server-sdk';
import { invokeAs, MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const OPERATOR = 'o-operator';
const APP = 'wx0000000000000000';
const DAY = '2024-05-01';

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

const fromMiniProgram = async (name: string, data: unknown, openid: string): Promise<unknown> => {
  const answer = await invokeAs(emulator.url, name, data, { openid, appid: APP });
  if (!('result' in answer)) throw new Error(`${name} failed: ${JSON.stringify(answer)}`);
  return answer.result;
};

/** cloud.callFunction from a script: no user at all, whatever the data says. */
const fromScript = async (name: string, data: Record<string, unknown>): Promise<unknown> => ((await cloud.callFunction({ name, data })) as { result: unknown }).result;

const count = async (collection: string, where: Record<string, unknown> = {}): Promise<number> => ((await db.collection(collection).where(where).count()) as { total: number }).total;

beforeAll(async () => {
  // a clock a few weeks after DAY: a backfill reaches only days whose user-days are kept
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['events', 'users', 'rollups_daily', 'admins']) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

describe('every function accepts the userInfo of a Mini Program\'s call', () => {
  test('admin: an operator\'s stats from the admin page', async () => {
    expect(await fromMiniProgram('admin', { action: 'overview', from: DAY, to: DAY }, OPERATOR)).toMatchObject({ from: DAY, to: DAY, missingDays: [DAY] });
  });

  test('rollup: an operator\'s backfill from the admin page', async () => {
    expect(await fromMiniProgram('rollup', { action: 'backfill', from: DAY, to: DAY }, OPERATOR)).toMatchObject({ rolledUp: [DAY], remaining: null });
    expect(await count('rollups_daily', { _id: DAY })).toBe(1);
  });

  test('track: a batch, stored for the caller; a userInfo the client sent is the platform\'s by then', async () => {
    const event = { id: 'evt-userinfo-0001', seq: 1, at: Date.now(), type: 'page', path: 'pages/a/a' };
    const data = { v: 1, events: [event], userInfo: { appId: APP, openId: 'o-someone-else' } };
    expect(await fromMiniProgram('track', data, 'o-caller')).toEqual({ accepted: [event.id], duplicates: [], rejected: [], sharePrefix: expect.any(String) });
    expect(await count('events', { eventId: event.id, openid: 'o-caller' })).toBe(1);
  });
});

describe('identity never comes from userInfo', () => {
  test('an event whose userInfo names an operator, from a caller without an OPENID, is refused and changes nothing', async () => {
    const before = await count('rollups_daily');
    const asOperator = { userInfo: { appId: APP, openId: OPERATOR } };
    expect(await fromScript('admin', { action: 'overview', from: DAY, to: DAY, ...asOperator })).toEqual({ error: expect.objectContaining({ code: 'NOT_OPERATOR' }) });
    expect(await fromScript('rollup', { action: 'backfill', from: '2024-05-02', to: '2024-05-02', ...asOperator })).toEqual({ error: expect.objectContaining({ code: 'NOT_OPERATOR' }) });
    expect(await count('rollups_daily')).toBe(before);
    const batch = { v: 1, events: [{ id: 'evt-userinfo-0002', seq: 2, at: Date.now(), type: 'page', path: 'pages/a/a' }], ...asOperator };
    expect(await fromScript('track', batch)).toEqual({ error: expect.objectContaining({ code: 'NO_IDENTITY' }) });
    expect(await count('events', { eventId: 'evt-userinfo-0002' })).toBe(0);
  });
});
