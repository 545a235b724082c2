/**
 * The `callback` function's work: WeChat's message push (§D.4). Only WeChat may call it; each push
 * it understands changes what Rukou knows, idempotently, since WeChat delivers a push again when
 * it is not answered `success` within 5 s: a subscription pop-up's answers and a settings reject
 * reach the consent ledger (an answer already recorded from the same push changes nothing), and a
 * sent event is kept in `deliveries` under WeChat's msgid (which `messages` records hold); a
 * customer-service message or entry is answered with a service card (server/cards.ts), one per push.
 */
import { NotWeChatError } from '../shared/errors';
import { readPush, type Push } from '../shared/push';
import { recordAnswer, recordSettingsReject } from '../shared/subscriptions';
import type { Caller } from './cloud';
import { answerChat, type CardsContext } from './cards';
import { changeLedger } from './ledgers';

/** Sources that are someone other than WeChat's push: a Mini Program, HTTP access, a timer, another function (getWXContext's SOURCE). */
const NOT_PUSH_SOURCES = new Set(['wx_client', 'wx_devtools', 'wx_http', 'wx_trigger', 'scf']);

/**
 * The push, when the call is WeChat's: the platform's caller is the push's user (OPENID is
 * `FromUserName`), and its SOURCE is none of a client's, HTTP access's, a timer's or another
 * function's (the cloud does not document the one it gives a push). Throws NotWeChatError
 * otherwise, and ValidationError for a body that is not a push (shared/push.ts).
 */
export function pushOf(who: Partial<Caller>, event: Record<string, unknown>): Push {
  const sources = (who.source ?? '').split(',');
  if (!who.openid || who.openid !== event.FromUserName || sources.some((source) => NOT_PUSH_SOURCES.has(source))) throw new NotWeChatError();
  return readPush(event);
}

/** Applies one push; answers `success`, which tells WeChat not to deliver it again. */
export async function handlePush(ctx: CardsContext, push: Push): Promise<'success'> {
  const { db } = ctx;
  const at = new Date(push.createTime * 1000);
  if (push.kind === 'subscribe-popup') {
    for (const item of push.items) {
      const answer = item.status === 'accept' ? 'accept' : 'reject';
      await changeLedger(db, push.openid, item.templateId, (ledger) => recordAnswer(ledger, { answer, at, source: 'popup-push', id: push.dedupeKey }));
    }
  } else if (push.kind === 'subscribe-change') {
    for (const item of push.items) {
      if (item.status === 'reject') await changeLedger(db, push.openid, item.templateId, (ledger) => recordSettingsReject(ledger, at, push.dedupeKey));
    }
  } else if (push.kind === 'subscribe-sent') {
    // its own record, by WeChat's msgid: the push may come before `messages` has stored the msgid its send was answered
    for (const item of push.items) {
      await db
        .collection('deliveries')
        .doc(item.msgId)
        .set({ data: { openid: push.openid, templateId: item.templateId, delivered: item.errorCode === 0, status: item.errorStatus, errorCode: item.errorCode, at } });
    }
  } else {
    await answerChat(ctx, push);
  }
  return 'success';
}
