import { ENV_ID, tracker } from './tracking';

App(
  tracker.app({
    onLaunch() {
      wx.cloud.init({ env: ENV_ID, traceUser: false });
    },
  }),
);
