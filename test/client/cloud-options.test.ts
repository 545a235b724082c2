/**
 * Where the tracker's calls go: by default to `track` in the environment `wx.cloud.init` chose; with
 * `env`, to that environment whatever `wx.cloud.init` chose (the call's `config.env`); with
 * `functionName`, to a `track` deployed under another name. The consent wrapper takes the same.
 */
import { reportConsent } from '../../packages/rukou-tracker/src/consent';
import { memoryTrack, phoneWithPrefix } from './memory-track';
import type { SimulatedPhone } from './simulated-wx';

const HOME = { scene: 1001, path: 'pages/index/index', query: {} };

/** An app that chooses its cloud environment at launch, as apps do in onLaunch. */
const initializing = (phone: SimulatedPhone, env: string) => ({
  onLaunch: () => phone.wx?.cloud.init({ env, traceUser: false }),
});

/** A visit: the entry, a page and the hide that sends them. */
async function visit(phone: SimulatedPhone, env: string): Promise<void> {
  phone.launch(HOME, initializing(phone, env));
  phone.openPage('pages/index/index', {});
  phone.hide();
  await phone.settle();
}

test('by default the calls go to track in the environment wx.cloud.init chose', async () => {
  const server = memoryTrack({ env: 'app-env' });
  const phone = phoneWithPrefix('u-default-env', server.backend);
  await visit(phone, 'app-env');
  expect(phone.calls.map((call) => [call.name, call.env])).toEqual([['track', 'app-env']]);
  expect([...server.stored.values()].map((event) => event.type)).toEqual(['enter', 'page', 'hide']);
});

test('with env, every call goes to that environment, whatever wx.cloud.init chose', async () => {
  const server = memoryTrack({ env: 'rukou-prod' });
  const phone = phoneWithPrefix('u-env', server.backend, { env: 'rukou-prod' });
  await visit(phone, 'app-env');
  expect(phone.calls.map((call) => [call.name, call.env])).toEqual([['track', 'rukou-prod']]);
  expect([...server.stored.values()].map((event) => event.type)).toEqual(['enter', 'page', 'hide']);
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
});

test('without env, a track deployed in another environment is not found: the events wait in the outbox, none is lost', async () => {
  const server = memoryTrack({ env: 'rukou-prod' });
  const phone = phoneWithPrefix('u-wrong-env', server.backend);
  await visit(phone, 'app-env');
  expect(server.stored.size).toBe(0);
  expect(phone.tracker?.counts()).toEqual({ queued: 3, dropped: 0, rejected: 0 });
});

test('with functionName, the calls go to track deployed under that name', async () => {
  const server = memoryTrack({ functionName: 'rukou-track' });
  const phone = phoneWithPrefix('u-name', server.backend, { functionName: 'rukou-track' });
  await visit(phone, 'app-env');
  expect(phone.calls.map((call) => call.name)).toEqual(['rukou-track']);
  expect([...server.stored.values()].map((event) => event.type)).toEqual(['enter', 'page', 'hide']);
});

test('the consent wrapper sends to messages, or to the function and environment it is given', async () => {
  const answers = { errMsg: 'requestSubscribeMessage:ok', T1: 'accept' };
  for (const [cloud, expected] of [
    [undefined, ['messages', 'app-env']],
    [{ env: 'rukou-prod', functionName: 'rukou-messages' }, ['rukou-messages', 'rukou-prod']],
  ] as const) {
    const phone = phoneWithPrefix(`u-consent-${expected[0]}`, memoryTrack().backend);
    phone.launch(HOME, initializing(phone, 'app-env'));
    reportConsent(phone.wx as never, cloud);
    phone.subscribePopup = async () => answers;
    (phone.wx as unknown as { requestSubscribeMessage(options: object): void }).requestSubscribeMessage({ tmplIds: ['T1'] });
    await phone.advance(phone.systemScreenMs);
    const consent = phone.calls.filter((call) => call.data.action === 'consent');
    expect(consent.map((call) => [call.name, call.env, call.data.answers])).toEqual([[...expected, answers]]);
  }
});
