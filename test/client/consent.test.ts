/**
 * The tracker's opt-in consent wrapper (packages/rukou-tracker/src/consent.ts) on the simulated phone: what
 * the user answers the subscription pop-up reaches `messages`, with callbacks or a promise, and a
 * failure reports nothing and breaks nothing; through the emulator, the report and WeChat's push of
 * the same pop-up grant one send.
 */
import cloud from 'wx-server-sdk';
import { reportConsent } from '../../packages/rukou-tracker/src/consent';
import { subscriptionDocId } from '../../shared/ids';
import { MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { settledPushes, subscribe, templates } from '../emulator/wechat/helpers';
import { gateway, SimulatedPhone, type Backend, type SubscribeOptions } from './simulated-wx';

const HOME = { scene: 1001, path: 'pages/index/index', query: {} };
const answering: Backend = async () => ({ result: { quota: {} } });

/** A launched phone whose app reports consent, and its `wx.requestSubscribeMessage` as the app calls it. */
function phoneWithConsent(openid: string, backend: Backend = answering): { phone: SimulatedPhone; ask: (options?: SubscribeOptions) => Promise<Record<string, unknown>> | undefined } {
  const phone = new SimulatedPhone(openid, backend);
  phone.launch(HOME);
  reportConsent(phone.wx as never);
  const ask = (options?: SubscribeOptions): Promise<Record<string, unknown>> | undefined => (phone.wx as unknown as { requestSubscribeMessage(options?: SubscribeOptions): Promise<Record<string, unknown>> | undefined }).requestSubscribeMessage(options);
  return { phone, ask };
}

const consentCalls = (phone: SimulatedPhone): unknown[] => phone.calls.filter((call) => call.name === 'messages').map((call) => call.data);

describe('on the simulated phone', () => {
  test('with callbacks: the app hears the answer as before, and messages gets it as consent', async () => {
    const { phone, ask } = phoneWithConsent('o-cb');
    const heard: unknown[] = [];
    expect(ask({ tmplIds: ['T1', 'T2'], success: (answer) => heard.push(answer), complete: () => heard.push('complete') })).toBeUndefined();
    await phone.advance(phone.systemScreenMs);
    const answer = { errMsg: 'requestSubscribeMessage:ok', T1: 'accept', T2: 'accept' };
    expect(heard).toEqual([answer, 'complete']);
    expect(consentCalls(phone)).toEqual([{ action: 'consent', answers: answer }]);
  });

  test('as a promise (no callbacks): the promise resolves as before, and messages gets the answer', async () => {
    const { phone, ask } = phoneWithConsent('o-promise');
    phone.subscribePopup = async () => ({ errMsg: 'requestSubscribeMessage:ok', T1: 'reject' });
    const answered = ask({ tmplIds: ['T1'] });
    await phone.advance(phone.systemScreenMs);
    expect(await answered).toEqual({ errMsg: 'requestSubscribeMessage:ok', T1: 'reject' });
    expect(consentCalls(phone)).toEqual([{ action: 'consent', answers: { errMsg: 'requestSubscribeMessage:ok', T1: 'reject' } }]);
  });

  test.each([
    [20004, 'requestSubscribeMessage:fail main switch is off'],
    [10002, 'requestSubscribeMessage:fail network error'],
    [10005, 'requestSubscribeMessage:fail can only be invoked by user TAP gesture'],
  ])('a failure (%s) reaches the app as before and reports nothing', async (errCode, errMsg) => {
    const { phone, ask } = phoneWithConsent(`o-fail-${errCode}`);
    phone.subscribePopup = async () => ({ errCode, errMsg });
    const failed: unknown[] = [];
    ask({ tmplIds: ['T1'], fail: (failure) => failed.push(failure) });
    const rejected = ask({ tmplIds: ['T1'] });
    await phone.advance(phone.systemScreenMs);
    expect(failed).toEqual([{ errCode, errMsg }]);
    await expect(rejected).rejects.toEqual({ errCode, errMsg });
    expect(consentCalls(phone)).toEqual([]);
  });

  test('a report that fails (offline, no wx.cloud) is dropped without a trace in the app', async () => {
    const { phone, ask } = phoneWithConsent('o-offline');
    phone.online = false;
    const heard: unknown[] = [];
    ask({ tmplIds: ['T1'], success: (answer) => heard.push(answer) });
    await phone.advance(phone.systemScreenMs);
    expect(heard).toEqual([{ errMsg: 'requestSubscribeMessage:ok', T1: 'accept' }]);
    const noCloud = new SimulatedPhone('o-nocloud', answering);
    noCloud.launch(HOME);
    delete (noCloud.wx as { cloud?: unknown }).cloud;
    reportConsent(noCloud.wx as never);
    const answered = (noCloud.wx as unknown as { requestSubscribeMessage(options: SubscribeOptions): Promise<unknown> }).requestSubscribeMessage({ tmplIds: ['T1'] });
    await noCloud.advance(noCloud.systemScreenMs);
    expect(await answered).toEqual({ errMsg: 'requestSubscribeMessage:ok', T1: 'accept' });
  });
});

describe('through the emulator', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ timers: false, clock: MIDDAY });
    useEmulatorFromThisProcess(emulator.url);
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  test('the tracker\'s report and WeChat\'s push of one pop-up grant one send', async () => {
    const [template] = await templates(emulator.url);
    const { phone, ask } = phoneWithConsent('o-both', gateway(emulator.url));
    // the simulated WeChat records the answer and pushes it to callback; the phone hears the same answer
    phone.subscribePopup = (tmplIds) => subscribe(emulator.url, 'o-both', Object.fromEntries(tmplIds.map((id) => [id, 'accept'])));
    const answered = ask({ tmplIds: [template.priTmplId] });
    await phone.advance(phone.systemScreenMs);
    expect(await answered).toMatchObject({ [template.priTmplId]: 'accept' });
    await settledPushes(emulator.url, 'o-both', 1);
    await phone.settle();
    const { data } = (await cloud.database().collection('subscriptions').where({ _id: subscriptionDocId('o-both', template.priTmplId) }).get()) as unknown as { data: { quota: number; answers: { source: string }[] }[] };
    expect(data).toMatchObject([{ quota: 1, answers: expect.arrayContaining([expect.objectContaining({ source: 'client' }), expect.objectContaining({ source: 'popup-push' })]) }]);
  });
});
