import { TrackedApp } from './tracking';

TrackedApp({
  onLaunch() {
    wx.cloud.init({ traceUser: false });
    // group cards (1044) carry a shareTicket only when the sharer asked for one
    wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] });
  },
});
