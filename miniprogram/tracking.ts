import { createTracker } from 'rukou-tracker';
import { reportConsent } from 'rukou-tracker/consent';

/** Your cloud environment's ID (README, "Deploy to a real environment"): `wx.cloud.init` sends every call there. */
export const ENV_ID = 'your-env-id';

/** The one tracker of this Mini Program, which app.ts and every page import. */
export const tracker = createTracker({ wx });
// what the user answers the subscription pop-up reaches `messages` (leave it out if you send no subscription messages)
reportConsent(wx);

/** Group cards (1044) carry a shareTicket only when the page that shared them asked for one. */
export function showShareMenuWithTicket(): void {
  wx.showShareMenu({ withShareTicket: true, menus: ['shareAppMessage', 'shareTimeline'] });
}
