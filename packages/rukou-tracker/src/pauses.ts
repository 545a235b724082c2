import type { EnterOptions } from './host';

/**
 * Pauses. WeChat hides and shows the app around every system screen the app opens itself (image
 * preview, choosers, scan code, payment, the share panel …), with the same enter options
 * (Platform sources §G.1): such a show is no new entry. The tracker tells them apart by the enter options
 * and the time in the background, and wraps the `wx` APIs that open system screens so that the
 * hide they cause can say which one.
 */

/** Background time after which the same enter options are a new entry (30 minutes, a literal the bundler inlines): the server's session gap (a test keeps them equal). */
export const SESSION_GAP_MS = 1_800_000;
/**
 * A system screen hides the app within this long of the call that opens it, or the hide was not its
 * doing: an API that opened nothing (a subscription the user already answered for good) must not
 * make a later trip to the home screen a pause. A chooser's action sheet can take a few seconds.
 */
export const PAUSE_WINDOW_MS = 10_000;
/** The `wx` APIs that open a system screen over the Mini Program (Platform sources §G.1); one string, for the size budget. */
export const SYSTEM_SCREENS =
  'previewImage previewMedia chooseImage chooseMedia chooseVideo chooseMessageFile scanCode makePhoneCall chooseLocation openLocation requestPayment openDocument openSetting requestSubscribeMessage openCustomerServiceChat'.split(' ');

/** What makes two shows the same entry: the enter options WeChat gives. */
export const signature = (options: EnterOptions): string => JSON.stringify([options.scene, options.path, options.query, options.shareTicket, options.referrerInfo]);

/**
 * Redefines a `wx` API (WeChat's own `wx` properties are configurable) as what `wrap` makes of the
 * original, bound to `wx`; a missing API stays missing, and one that cannot be redefined stays as it was.
 */
export function redefine(wx: object, api: string, wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): void {
  try {
    // a missing API (an older base library) throws at bind, like a frozen `wx` at defineProperty
    const original = (wx as Record<string, (...args: unknown[]) => unknown>)[api].bind(wx);
    Object.defineProperty(wx, api, { configurable: true, writable: true, value: wrap(original) });
  } catch {
    // the API works as before; what the wrapper would have told is not told
  }
}

/** Each system-screen API calls `opened` with its name first; where one cannot be redefined, pauses are still told by the gap rule. */
export function watchSystemScreens(wx: object, opened: (api: string) => void): void {
  for (const api of SYSTEM_SCREENS) redefine(wx, api, (original) => (...args) => (opened(api), original(...args)));
}
