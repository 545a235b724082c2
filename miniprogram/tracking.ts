import { reportConsent } from './tracker/consent';
import { createTracker } from './tracker/index';

/** The one tracker of this Mini Program: the real `wx` is checked here against what the tracker needs. */
export const tracker = createTracker({ wx });
// what the user answers the subscription pop-up reaches `messages` (leave it out if you send no subscription messages)
reportConsent(wx);

/** `App(…)` with entries and hides tracked; your options keep WeChat's typing. */
export function TrackedApp<T extends WechatMiniprogram.IAnyObject>(options: WechatMiniprogram.App.Options<T>): void {
  App(tracker.app(options));
}

/** `Page(…)` with views tracked and shares carrying a fresh `rk_sh`; your options keep WeChat's typing. */
export function TrackedPage<TData extends WechatMiniprogram.Page.DataOption, TCustom extends WechatMiniprogram.Page.CustomOption>(
  options: WechatMiniprogram.Page.Options<TData, TCustom>,
): void {
  Page(tracker.page(options));
}

/** Group cards (1044) carry a shareTicket only when the page that shared them asked for one. */
export function showShareMenuWithTicket(): void {
  wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] });
}
