/**
 * WeChat's message push (云开发 → 设置 → 其他设置 → 消息推送, mode: cloud function, each of its
 * types routed here): subscription pop-up answers, settings rejects and sent events. Anyone else
 * is refused (NOT_WECHAT) and nothing is written.
 */
import { handlePush, pushOf } from '../../../server/callback';
import { caller, getCloud } from '../../../server/cloud';
import { handler } from '../../../server/handler';

export const main = handler(async (event) => handlePush(getCloud().database(), pushOf(caller(), event)));
