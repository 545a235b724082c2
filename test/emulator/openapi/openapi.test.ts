import cloud from 'wx-server-sdk';
import { emulatorNow, FIXTURE_PROJECT, invokeAs, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { ApiType, decodeCommOpenApiResp, encodeCommApiData } from '../../../emulator/openapi/proto';
import { clearCalls, issueCloudId, recordedCalls } from './helpers';

const APPID = 'wxfixture0000001';
const SIX_MINUTES_MS = 6 * 60 * 1000;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
});

afterAll(async () => {
  await emulator?.stop();
});

beforeEach(async () => {
  await clearCalls(emulator.url);
});

describe('cloud.getOpenData resolves the group cloudIDs the simulated WeChat issued', () => {
  test('a fresh getShareInfo cloudID gives {openGId, watermark}', async () => {
    const before = await emulatorNow(emulator.url);
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const after = await emulatorNow(emulator.url);
    const { list } = await cloud.getOpenData({ list: [cloudID] });
    expect(list).toEqual([{ cloudID, data: { openGId: expect.stringMatching(/^tG/), watermark: { appid: APPID, timestamp: expect.any(Number) } } }]);
    // the second the cloudID was issued, on the emulator's clock
    const { timestamp } = (list[0] as { data: { watermark: { timestamp: number } } }).data.watermark;
    expect(timestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(timestamp).toBeLessThanOrEqual(Math.floor(after / 1000));
  });

  test('a fresh getGroupEnterInfo cloudID gives {opengid, open_single_roomid, group_openid, chat_type, watermark}, and the same group has the same id in both shapes', async () => {
    const enter = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'groupEnterInfo', groupId: 'family', chatType: 3, needGroupOpenID: true });
    const share = await issueCloudId(emulator.url, { openid: 'o-2', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const single = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'groupEnterInfo', groupId: 'o-1+o-2', chatType: 1 });
    const { list } = (await cloud.getOpenData({ list: [enter, share, single] })) as unknown as { list: { data: Record<string, unknown> }[] };
    expect(list[0].data).toEqual({
      opengid: expect.stringMatching(/^tG/),
      open_single_roomid: '',
      group_openid: expect.stringMatching(/^gO/),
      chat_type: 3,
      watermark: { appid: APPID, timestamp: expect.any(Number) },
    });
    expect(list[0].data.opengid).toBe(list[1].data.openGId);
    expect(list[2].data).toMatchObject({ opengid: '', open_single_roomid: expect.stringMatching(/^sR/), chat_type: 1 });
  });

  test('another Mini Program sees the same group under another id', async () => {
    const mine = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const theirs = await issueCloudId(emulator.url, { openid: 'o-1', appid: 'wxother000000001', kind: 'shareInfo', groupId: 'family' });
    const { list } = (await cloud.getOpenData({ list: [mine, theirs] })) as unknown as { list: { data: { openGId: string } }[] };
    expect(list[0].data.openGId).not.toBe(list[1].data.openGId);
  });

  test('expired (older than 5 minutes) and unknown cloudIDs fail alone, in input order, next to a good one', async () => {
    const fresh = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'g' });
    const now = await emulatorNow(emulator.url);
    const old = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'g', issuedAt: now - SIX_MINUTES_MS });
    const almost = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'g', issuedAt: now - 4 * 60 * 1000 });
    const { list } = await cloud.getOpenData({ list: [old, 'no-such-cloud-id', fresh, almost] });
    expect(list).toEqual([
      { cloudID: old, errCode: -601006, errMsg: 'cloudID expired' },
      { cloudID: 'no-such-cloud-id', errCode: -601005, errMsg: 'invalid cloudID' },
      { cloudID: fresh, data: expect.objectContaining({ openGId: expect.any(String) }) },
      { cloudID: almost, data: expect.objectContaining({ openGId: expect.any(String) }) },
    ]);
  });

  test('the cloudid route refuses what WeChat could not issue', async () => {
    const response = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'g', chatType: 1 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_PARAM', message: expect.stringContaining('group chats') });
  });

  test('the cloudid route refuses an issuedAt whose expiry no Date can hold (1e300 was taken, and its answer failed with a 500)', async () => {
    for (const issuedAt of [1e300, 8.64e15, -1e300]) {
      const response = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'g', issuedAt }),
      });
      expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM', message: expect.stringContaining('issuedAt') } });
    }
  });
});

describe('cloud.openapi', () => {
  test('an API the simulated WeChat does not implement answers -604101 through the real SDK', async () => {
    await expect(cloud.openapi.ocr.idcard({ imgUrl: 'http://example.invalid/a.png', type: 'photo' })).rejects.toMatchObject({ errCode: -604101 });
  });

  test('an API named like an Object method is one it does not implement (toString was called as one, a 500)', async () => {
    const call = async (envelope: Buffer, apiName?: string): Promise<number | undefined> => {
      const form = new FormData();
      form.set('action', 'wx.openApi');
      if (apiName !== undefined) form.set('apiName', apiName);
      form.set('requestData', new Blob([new Uint8Array(envelope)]), 'requestData');
      const response = await fetch(`${emulator.url}/admin`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      return decodeCommOpenApiResp(Buffer.from(await response.arrayBuffer())).errorCode;
    };
    for (const name of ['toString', 'hasOwnProperty', 'constructor']) {
      expect(await call(encodeCommApiData({ apiType: ApiType.OPEN_API, openapiData: { pairs: [] }, appid: '' }), name)).toBe(-604101);
      expect(await call(encodeCommApiData({ apiType: ApiType.SVRKIT_API, svrkitData: { apiName: name, reqData: Buffer.alloc(0) }, appid: '' }))).toBe(-604101);
    }
  });

  test('openapi.cloudbase.getOpenData answers dataList with json strings', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const result = (await cloud.openapi.cloudbase.getOpenData({ cloudidList: [cloudID] })) as { dataList: { cloudId: string; json: string }[]; errCode: number };
    expect(result.errCode).toBe(0);
    expect(result.dataList).toHaveLength(1);
    expect(result.dataList[0].cloudId).toBe(cloudID);
    expect(JSON.parse(result.dataList[0].json)).toMatchObject({ cloudID, data: { openGId: expect.any(String) } });
  });

  test('a fault set on cloudbase.getOpenData answers cloud.getOpenData too, with its errcode as the gateway refuses a call (a break-it pass: it never fired)', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const set = await fetch(`${emulator.url}/__rukou/wechat/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api: 'cloudbase.getOpenData', errcode: -1, times: 1 }) });
    expect(set.status).toBe(200);
    await expect(cloud.getOpenData({ list: [cloudID] })).rejects.toMatchObject({ errCode: -1, errMsg: expect.stringContaining('error code: -1') });
    expect((await cloud.getOpenData({ list: [cloudID] })).list).toHaveLength(1);
    expect((await recordedCalls(emulator.url, '?api=ApiGetOpenDataByCloudId')).slice(-2).map((call) => call.errCode)).toEqual([-1, 0]);
  });

  test('every call is recorded with its decoded request and answer, and the record can be cleared', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    await cloud.getOpenData({ list: [cloudID] });
    await cloud.openapi.ocr.idcard({ imgUrl: 'http://example.invalid/a.png', type: 'photo' }).catch(() => undefined);
    const calls = await recordedCalls(emulator.url);
    expect(calls).toEqual([
      expect.objectContaining({ api: 'ApiGetOpenDataByCloudId', kind: 'svrkit', request: { cloudidList: [cloudID] }, errCode: 0, response: { list: [expect.objectContaining({ cloudID })] } }),
      expect.objectContaining({ api: 'ocr.idcard', kind: 'openapi', request: { img_url: 'http://example.invalid/a.png', type: 'photo' }, errCode: -604101 }),
    ]);
    expect(calls[0].function).toBeUndefined();
    expect(calls[1].seq).toBeGreaterThan(calls[0].seq);
    expect(await recordedCalls(emulator.url, '?api=ocr.idcard')).toHaveLength(1);
    expect(await clearCalls(emulator.url)).toBe(2);
    expect(await recordedCalls(emulator.url)).toEqual([]);
  });
});

describe('cloud calls from inside a function', () => {
  test('getOpenData needs no permission and resolves the caller\'s own cloudID; another user\'s answers -601007', async () => {
    const own = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'groupEnterInfo', groupId: 'family' });
    const foreign = await issueCloudId(emulator.url, { openid: 'o-2', appid: APPID, kind: 'groupEnterInfo', groupId: 'family' });
    const answer = await invokeAs(emulator.url, 'opener', { op: 'getOpenData', list: [own, foreign] }, { openid: 'o-1', appid: APPID });
    expect(answer.result).toMatchObject({
      errCode: 0,
      list: [
        { cloudID: own, data: { opengid: expect.any(String), chat_type: 3 } },
        { cloudID: foreign, errCode: -601007, errMsg: 'cloudID and calling user does not match' },
      ],
    });
    const [call] = await recordedCalls(emulator.url);
    expect(call).toMatchObject({ api: 'ApiGetOpenDataByCloudId', function: 'opener', openid: 'o-1' });
  });

  test('an API listed in config.json permissions.openapi is served; one not listed answers -604101', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'family' });
    const listed = await invokeAs(emulator.url, 'opener', { op: 'openapi', api: 'cloudbase.getOpenData', data: { cloudidList: [cloudID] } }, { openid: 'o-1', appid: APPID });
    expect(listed.result).toMatchObject({ errCode: 0, dataList: [{ cloudId: cloudID }] });
    const unlisted = await invokeAs(emulator.url, 'opener', { op: 'openapi', api: 'subscribeMessage.send', data: { touser: 'o-1', templateId: 'TPL', data: {} } }, { openid: 'o-1' });
    expect(unlisted.result).toMatchObject({ errCode: -604101 });
    const calls = await recordedCalls(emulator.url, '?function=opener');
    expect(calls.map((c) => [c.api, c.errCode, c.openid])).toEqual([
      ['cloudbase.getOpenData', 0, 'o-1'],
      ['subscribeMessage.send', -604101, 'o-1'],
    ]);
    expect(calls[1].request).toEqual({ touser: 'o-1', template_id: 'TPL', data: {} });
  });
});

test('cloudIDs survive a restart of the emulator (the simulated WeChat keeps its state in the data dir)', async () => {
  const cloudID = await issueCloudId(emulator.url, { openid: 'o-1', appid: APPID, kind: 'shareInfo', groupId: 'kept' });
  const before = await cloud.getOpenData({ list: [cloudID] });
  await emulator.stop();
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, dataDir: emulator.dataDir });
  useEmulatorFromThisProcess(emulator.url);
  const after = await cloud.getOpenData({ list: [cloudID] });
  expect(after.list).toEqual(before.list);
  expect(after.list[0]).toHaveProperty('data');
});
