import { showShareMenuWithTicket, tracker } from '../../tracking';

/** A page built with `Component` (its page handlers in `methods`, README "The Mini Program tracker"). */
Component(
  tracker.component({
    data: { id: '' },
    methods: {
      onLoad(options: Record<string, string | undefined>) {
        this.setData({ id: options.id ?? '' });
        showShareMenuWithTicket();
      },
      onShareAppMessage() {
        const path = `/pages/detail/detail?id=${this.data.id}`;
        // WeChat shows the promise's title when it resolves within 3 s, else the first one
        return {
          title: `Item ${this.data.id}`,
          path,
          promise: new Promise<WechatMiniprogram.Page.ICustomShareContent>((resolve) => {
            setTimeout(() => resolve({ title: `Item ${this.data.id}: today only`, path }), 500);
          }),
        };
      },
      onShareTimeline() {
        return { title: `Item ${this.data.id}`, query: `id=${this.data.id}` };
      },
    },
  }),
);
