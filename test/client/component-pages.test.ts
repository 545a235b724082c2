/**
 * Pages built with `Component` (`tracker.component`), on the simulated phone: WeChat calls such a
 * page's handlers from `methods` (onLoad, onShow, onShareAppMessage …) and its `pageLifetimes`, and
 * its instance has the Component's path `is`. Views, shares carrying `rk_sh`, hides and pauses
 * are recorded as for `Page`, and the page's own handlers run as before.
 */
import type { ChatShare, TimelineShare } from '../../packages/rukou-tracker/src/tracker';
import { memoryTrack, phoneWithPrefix, prefixOf } from './memory-track';

const HOME = { scene: 1001, path: 'pages/index/index', query: {} };
const DETAIL = 'pages/detail/detail';

/** A Component page that counts what WeChat called on it. */
function countingPage(): { calls: string[]; definition: Record<string, unknown> } {
  const calls: string[] = [];
  const definition = {
    data: { id: '' },
    lifetimes: { attached: () => void calls.push('attached') },
    pageLifetimes: { show: () => void calls.push('pageLifetimes.show'), hide: () => void calls.push('pageLifetimes.hide') },
    methods: {
      onLoad(this: { setData(data: object): void }, options: Record<string, string>) {
        calls.push(`onLoad ${options.id}`);
        this.setData({ id: options.id });
      },
      onShow: () => void calls.push('onShow'),
      onHide: () => void calls.push('onHide'),
    },
  };
  return { calls, definition };
}

test('a view is recorded with the page path, once per show, and the page\'s own handlers run as before', async () => {
  const server = memoryTrack();
  const phone = phoneWithPrefix('u-component', server.backend);
  phone.launch(HOME);
  const { calls, definition } = countingPage();
  const page = phone.openComponentPage(DETAIL, { id: '7' }, definition);
  expect(page.data).toEqual({ id: '7' });
  expect(calls).toEqual(['attached', 'onLoad 7', 'onShow', 'pageLifetimes.show']);
  // a page without pageLifetimes of its own is counted all the same
  phone.openComponentPage('pages/plain/plain', {}, { methods: {} });
  phone.hide();
  await phone.settle();
  expect([...server.stored.values()].map((event) => event.path ?? event.type)).toEqual(['enter', DETAIL, 'pages/plain/plain', 'hide']);
  expect(calls).toEqual(['attached', 'onLoad 7', 'onShow', 'pageLifetimes.show', 'onHide', 'pageLifetimes.hide']);
});

test('the hide that ends a visit carries the stay time; a pause opened from the page is no new view and names its screen', async () => {
  const server = memoryTrack();
  const phone = phoneWithPrefix('u-component-pause', server.backend);
  phone.launch(HOME);
  const { calls, definition } = countingPage();
  phone.openComponentPage(DETAIL, { id: '3' }, definition);
  await phone.advance(2000);
  phone.wx?.previewImage();
  await phone.advance(phone.systemScreenMs);
  await phone.advance(6000);
  phone.hide();
  await phone.settle();
  const events = [...server.stored.values()];
  expect(events.map((event) => event.pause ?? event.path ?? event.type)).toEqual(['enter', DETAIL, 'previewImage', 'hide']);
  expect(events.at(-1)?.stayMs).toBe(2000 + phone.systemScreenMs + 6000);
  // WeChat showed the page again after the preview: its handlers heard it, the tracker counted no view
  expect(calls.filter((call) => call === 'pageLifetimes.show')).toHaveLength(2);
});

test('a chat share keeps the page\'s content, its path gets a fresh rk_sh, and the share is recorded at once', async () => {
  const server = memoryTrack();
  const phone = phoneWithPrefix('u-component-share', server.backend);
  phone.launch(HOME);
  const page = phone.openComponentPage(
    DETAIL,
    { id: '7' },
    {
      data: { id: '7' },
      methods: {
        onShareAppMessage(this: { data: { id: string } }) {
          return { title: `Item ${this.data.id}`, path: `/pages/detail/detail?id=${this.data.id}&utm_source=poster` };
        },
      },
    },
  );
  const card = await phone.shareCard(page);
  const shareId = /rk_sh=([\w-]+)$/.exec(card.path)?.[1];
  expect(card).toEqual({ title: 'Item 7', path: `/pages/detail/detail?id=7&rk_sh=${shareId}`, imageUrl: undefined });
  expect(shareId?.startsWith(prefixOf('u-component-share'))).toBe(true);
  await phone.settle();
  expect([...server.stored.values()].find((event) => event.type === 'share')).toMatchObject({ shareId, path: '/pages/detail/detail?id=7', to: 'chat' });
});

test('a share without a path is the page itself, found by its path `is` and its options; a Moments share carries rk_sh in its query', async () => {
  const server = memoryTrack();
  const phone = phoneWithPrefix('u-component-default', server.backend);
  phone.launch(HOME);
  const page = phone.openComponentPage(DETAIL, { id: '9' }, { methods: { onShareAppMessage: () => ({ title: 'Item 9' }), onShareTimeline: () => ({ title: 'Item 9' }) } });
  expect(page.route).toBeUndefined();
  expect((page.onShareAppMessage?.({ from: 'menu' }) as ChatShare).path).toMatch(/^\/pages\/detail\/detail\?id=9&rk_sh=[\w-]+$/);
  const timeline = page.onShareTimeline?.() as TimelineShare;
  expect(timeline.query).toMatch(/^id=9&rk_sh=[\w-]+$/);
  await phone.settle();
  expect([...server.stored.values()].filter((event) => event.type === 'share').map((event) => [event.path, event.to])).toEqual([
    ['/pages/detail/detail?id=9', 'chat'],
    ['/pages/detail/detail?id=9', 'timeline'],
  ]);
});

test('only the share handlers a page has are wrapped, and everything else in its options is passed on as it was', () => {
  const phone = phoneWithPrefix('u-component-options', memoryTrack().backend);
  const tracker = phone.launch(HOME);
  const behaviors = ['behavior-1'];
  const properties = { id: String };
  const lifetimes = { attached() {} };
  const observers = { id() {} };
  const other = () => 'other';
  const wrapped = tracker.component({ behaviors, properties, lifetimes, observers, options: { multipleSlots: true }, methods: { other } }) as unknown as Record<string, unknown> & { methods: Record<string, unknown> };
  expect(wrapped).toMatchObject({ behaviors, properties, lifetimes, observers, options: { multipleSlots: true } });
  // WeChat offers the share menu items by the handlers' presence: none is added
  expect(Object.keys(wrapped.methods)).toEqual(['other']);
  expect(wrapped.methods.other).toBe(other);
});
