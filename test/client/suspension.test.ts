/**
 * The simulated phone suspends a hidden Mini Program as WeChat does: 5 s after a hide its JS
 * thread stops until the next show, so the app's timers and the answers to its calls wait for that
 * show; WeChat's own screens go on opening and closing over it. What the tracker must live with.
 */
import { SimulatedPhone, SUSPEND_AFTER_MS, type Backend } from './simulated-wx';

const HOME = { scene: 1001, path: 'pages/index/index', query: {} };

/** A backend that takes every event. */
const accepting: Backend = async (_name, data) => ({ result: { accepted: ((data.events as { id: string }[]) ?? []).map((event) => event.id), duplicates: [], rejected: [] } });

test('the app\'s timers due within 5 s of a hide run; later ones wait for the show and run before it, in order', async () => {
  const phone = new SimulatedPhone('u-suspend', accepting);
  phone.launch(HOME);
  const ran: string[] = [];
  for (const [name, ms] of [['at 3 s', 3000], ['at 8 s', 8000], ['at 20 s', 20_000]] as const) phone.appClock.setTimeout(() => ran.push(`${name}, shown: ${!phone.suspended}`), ms);
  phone.hide();
  await phone.advance(SUSPEND_AFTER_MS - 1);
  expect(phone.suspended).toBe(false);
  await phone.advance(60_000);
  expect(phone.suspended).toBe(true);
  expect(ran).toEqual(['at 3 s, shown: true']);
  phone.show(HOME);
  expect(ran).toEqual(['at 3 s, shown: true', 'at 8 s, shown: true', 'at 20 s, shown: true']);
  // a cleared timer stays cleared, suspended or not
  const cleared = phone.appClock.setTimeout(() => ran.push('cleared'), 10_000);
  phone.hide();
  await phone.advance(20_000);
  phone.appClock.clearTimeout(cleared);
  phone.show(HOME);
  expect(ran).toHaveLength(3);
});

test('a show within 5 s of the hide: the app was never suspended, and its timers ran on time', async () => {
  const phone = new SimulatedPhone('u-back-soon', accepting);
  phone.launch(HOME);
  const ran: number[] = [];
  phone.appClock.setTimeout(() => ran.push(phone.clock.now()), 10_000);
  const due = phone.clock.now() + 10_000;
  phone.hide();
  await phone.advance(4000);
  phone.show(HOME);
  await phone.advance(10_000);
  expect([phone.suspended, ran]).toEqual([false, [due]]);
});

test('an answer that arrives while the app is suspended is heard at the show', async () => {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const phone = new SimulatedPhone('u-late-answer', async (...call) => {
    await gate;
    return accepting(...call);
  });
  phone.launch(HOME);
  const heard: boolean[] = [];
  void phone.wx?.cloud.callFunction({ name: 'track', data: { v: 1, events: [] } }).then(() => heard.push(!phone.suspended));
  phone.hide();
  // the backend answers once the app is suspended
  await phone.clock.advance(SUSPEND_AFTER_MS);
  open();
  await phone.settle();
  await phone.advance(60_000);
  expect([phone.suspended, heard]).toEqual([true, []]);
  phone.show(HOME);
  await phone.settle();
  expect(heard).toEqual([true]);
});

test('WeChat\'s own screens go on over a suspended app: a 30 s image preview closes on time and shows the app, whose timers run again', async () => {
  const phone = new SimulatedPhone('u-preview', accepting);
  phone.launch(HOME);
  phone.systemScreenMs = 30_000;
  const ran: number[] = [];
  const start = phone.clock.now();
  phone.appClock.setTimeout(() => ran.push(phone.clock.now() - start), 12_000);
  phone.wx?.previewImage();
  await phone.advance(29_000);
  expect([phone.suspended, ran]).toEqual([true, []]);
  await phone.advance(1000);
  expect([phone.suspended, ran]).toEqual([false, [30_000]]);
});
