import { TrackedApp } from './tracking';

TrackedApp({
  onLaunch() {
    wx.cloud.init({ traceUser: false });
  },
});
