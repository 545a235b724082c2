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

/** The call's payload (over HTTP access its body), or undefined when the body is no JSON object: the operator check refuses such a request first. */
function readablePayload(event: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return payloadOf(event);
  } catch {
    return undefined;
  }
}

async function serve(event: Record<string, unknown>): Promise<unknown> {
  const ctx: MessagesContext = { db: getCloud().database(), now: () => new Date(), budgetMs: config.sendBudgetMs };
  if (isTimerEvent(event)) return retryDue(ctx);
  const payload = readablePayload(event);
  // a user's, over HTTP access too: there it has no user, NO_IDENTITY (401), not "not an operator"
  if (payload?.action === 'consent') {
    const caller = userCaller();
    return consent(payload, ctx, caller);
  }
  await requireOperator(ctx.db, event, config, new RequestCounter());
  // read again only to answer its refusal, now that the caller is known to be an operator
  return operatorActions(payload ?? payloadOf(event), ctx);
}

/** HTTP access (operators with a bearer token) is answered as every function answers it (`handler`): a refusal is a real 4xx. */
export const main = handler(serve);
