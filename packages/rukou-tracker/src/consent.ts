import { callCloud, type CloudOptions, type TrackerWx } from './host';
import { redefine } from './pauses';

/**
 * Reports what the user answered the subscription pop-up to `messages` (`consent`), so that its
 * ledger of one-time sends is right even before WeChat's own push of the answer arrives. Both ways
 * of calling `wx.requestSubscribeMessage` are watched: with callbacks (the success callback is
 * wrapped) and without (WeChat then answers a promise, which is watched without being changed).
 * A failure (every errCode of §D.2) reports nothing, and nothing here can make the app's call fail.
 * `cloud` names Rukou's environment and the function (`messages`), as the tracker's options do.
 */
export function reportConsent(wx: TrackerWx, cloud: CloudOptions = {}): void {
  const report = (answers: unknown): void => {
    try {
      callCloud(wx, cloud, 'messages', { action: 'consent', answers }).catch(() => undefined);
    } catch {
      // no wx.cloud yet: WeChat's push of the answer still reaches the ledger
    }
  };
  redefine(wx, 'requestSubscribeMessage', (original) => (options?: unknown) => {
    const own = Object(options) as { success?: (answers: unknown) => void; fail?: unknown; complete?: unknown };
    if (own.success || own.fail || own.complete) {
      return original({
        ...own,
        success(answers: unknown) {
          report(answers);
          if (own.success) own.success(answers);
        },
      });
    }
    const answered = original(options);
    if (answered && typeof (answered as Promise<unknown>).then === 'function') (answered as Promise<unknown>).then(report, () => undefined);
    return answered;
  });
}
