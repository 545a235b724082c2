import { tracker } from './tracking';

App(
  tracker.app({
    onLaunch() {
      wx.cloud.init({ traceUser: false });
    },
  }),
);
