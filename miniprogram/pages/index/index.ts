import { showShareMenuWithTicket, tracker } from '../../tracking';

const ITEMS = [
  { id: '1', name: 'Spring tea' },
  { id: '2', name: 'Osmanthus cake' },
  { id: '3', name: 'Red bean bun' },
];

Page(
  tracker.page({
    data: { items: ITEMS },
    onLoad() {
      showShareMenuWithTicket();
    },
    open(event: WechatMiniprogram.BaseEvent) {
      wx.navigateTo({ url: `/pages/detail/detail?id=${String(event.currentTarget.dataset.id)}` });
    },
    onShareAppMessage() {
      return { title: 'Our menu' };
    },
    onShareTimeline() {
      return { title: 'Our menu' };
    },
  }),
);
