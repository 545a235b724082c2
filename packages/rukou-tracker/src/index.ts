/**
 * The package's entry, `rukou-tracker`: the tracker of `./tracker`, typed with WeChat's own
 * declarations (the global `WechatMiniprogram` of miniprogram-api-typings, or the `typings/` of a
 * DevTools TypeScript project), so that the options you wrap keep the types `App`, `Page` and
 * `Component` give them: `this.setData`, `this.data` and your own methods inside your handlers.
 * It adds no code: `./tracker` is written against the narrow `TrackerWx`, so that it also runs,
 * and is tested, in Node with a simulated `wx`.
 *
 * @example
 * import { createTracker } from 'rukou-tracker';
 * export const tracker = createTracker({ wx });
 * App(tracker.app({ onLaunch() { wx.cloud.init({ traceUser: false }); } }));
 * Page(tracker.page({ data: { id: '' }, onLoad(query) { this.setData({ id: query.id ?? '' }); } }));
 */
import { createTracker as createNarrowTracker, type Tracker as NarrowTracker, type TrackerOptions } from './tracker';

export type { ChatShare, Clock, CloudOptions, EnterOptions, QueueCounts, TimelineShare, TrackEvent, TrackerOptions, TrackerWx } from './tracker';

type IAnyObject = WechatMiniprogram.IAnyObject;

export interface Tracker extends Omit<NarrowTracker, 'app' | 'page' | 'component'> {
  /** Your App options, with entries and hides recorded: `App(tracker.app({ … }))`. */
  app<T extends IAnyObject>(options: WechatMiniprogram.App.Options<T>): WechatMiniprogram.App.Options<T>;
  /** Your Page options, with views recorded and shares carrying a fresh `rk_sh`: `Page(tracker.page({ … }))`. */
  page<TData extends WechatMiniprogram.Page.DataOption, TCustom extends WechatMiniprogram.Page.CustomOption>(
    options: WechatMiniprogram.Page.Options<TData, TCustom>,
  ): WechatMiniprogram.Page.Options<TData, TCustom>;
  /**
   * The Component options of a page built with `Component`, with views recorded (`pageLifetimes.show`)
   * and the share handlers of `methods` carrying a fresh `rk_sh`: `Component(tracker.component({ … }))`.
   */
  component<
    TData extends WechatMiniprogram.Component.DataOption,
    TProperty extends WechatMiniprogram.Component.PropertyOption,
    TMethod extends WechatMiniprogram.Component.MethodOption,
    TBehavior extends WechatMiniprogram.Component.BehaviorOption,
    TCustomInstanceProperty extends IAnyObject = object,
    TIsPage extends boolean = false,
  >(
    options: WechatMiniprogram.Component.Options<TData, TProperty, TMethod, TBehavior, TCustomInstanceProperty, TIsPage>,
  ): WechatMiniprogram.Component.Options<TData, TProperty, TMethod, TBehavior, TCustomInstanceProperty, TIsPage>;
}

/**
 * The one tracker of your Mini Program: create it once, in a module your app and pages import.
 * `options.wx` is the real `wx`; `env` and `functionName` say where Rukou runs when it is not the
 * environment `wx.cloud.init` chose, or `track` was deployed under another name.
 */
export const createTracker = createNarrowTracker as (options: TrackerOptions) => Tracker;
