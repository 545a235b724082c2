/**
 * Subscription messages: any user reports what the subscription pop-up answered (`consent`);
 * operators list the templates and send (`templates`, `send`); the timer (hourly, at minute 7) tries
 * again the messages WeChat could not take.
 *
 * @example
 * // the Mini Program, after wx.requestSubscribeMessage (the tracker does it for you)
 * wx.cloud.callFunction({ name: 'messages', data: { action: 'consent', answers: res } })
 * // an operator
 * { "action": "send", "templateId": "…", "to": ["o-…"], "data": { "thing1": "新品到货" }, "page": "pages/item/item?id=7", "idempotencyKey": "launch-7" }
 */
import { getCloud, userCaller } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler, route } from '../../../server/handler';
import { consent, retryDue, send, templates, type MessagesContext } from '../../../server/messages';
import { payloadOf } from '../../../server/http-access';
import { requireOperator } from '../../../server/operators';
import { RequestCounter } from '../../../server/pipeline';
import { isTimerEvent } from '../../../server/timer';

const config = serverConfig();
const operatorActions = route<MessagesContext>({ templates, send });

/** The action a call names; over HTTP access its body's, or none when the body is no JSON object, which the operator check refuses first. */
function actionOf(event: Record<string, unknown>): unknown {
  try {
    return payloadOf(event).action;
  } catch {
    return undefined;
  }
}

async function serve(event: Record<string, unknown>): Promise<unknown> {
  const ctx: MessagesContext = { db: getCloud().database(), now: () => new Date(), budgetMs: config.sendBudgetMs };
  if (isTimerEvent(event)) return retryDue(ctx);
  // a user's, over HTTP access too: there it has no user, NO_IDENTITY (401), not "not an operator"
  if (actionOf(event) === 'consent') {
    const caller = userCaller();
    return consent(payloadOf(event), ctx, caller);
  }
  await requireOperator(ctx.db, event, config, new RequestCounter());
  return operatorActions(payloadOf(event), ctx);
}

/** HTTP access (operators with a bearer token) is answered as every function answers it (`handler`): a refusal is a real 4xx. */
export const main = handler(serve);
