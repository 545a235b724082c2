/** The dashboard's `newestOnly` (dashboard/src/newest.ts): of the answers a control asked, only the newest settles. */
import { newestOnly } from '../../dashboard/src/newest';

/** A promise and the hands that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** What a promise has done once every pending reaction has run: its value, its error's message, or 'pending'. */
async function stateOf(promise: Promise<unknown>): Promise<unknown> {
  let state: unknown = 'pending';
  promise.then((value) => (state = value), (error: Error) => (state = `rejected: ${error.message}`));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

test('an older answer that comes after a newer one was asked for never settles, whether it resolves or fails', async () => {
  const newest = newestOnly();
  const [scene, group, card] = [deferred<string>(), deferred<string>(), deferred<string>()];
  const asked = [newest(scene.promise), newest(group.promise)];
  group.resolve('group rows');
  scene.resolve('scene rows');
  expect(await stateOf(asked[1])).toBe('group rows');
  expect(await stateOf(asked[0])).toBe('pending');

  const failing = newest(card.promise);
  const later = newest(Promise.reject(new Error('admin out of reach')));
  card.reject(new Error('stale failure'));
  expect(await stateOf(failing)).toBe('pending');
  expect(await stateOf(later)).toBe('rejected: admin out of reach');
});

test('each control has its own: a newer answer of another does not silence it', async () => {
  const [retention, goals] = [newestOnly(), newestOnly()];
  const one = retention(Promise.resolve('retention rows'));
  const other = goals(Promise.resolve('goal rows'));
  expect([await stateOf(one), await stateOf(other)]).toEqual(['retention rows', 'goal rows']);
});
