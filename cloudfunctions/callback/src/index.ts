/**
 * WeChat's message push (云开发 → 设置 → 其他设置 → 消息推送, mode: cloud function, each of its
 * types routed here): subscription pop-up answers, settings rejects and sent events, and the
 * customer-service chat, answered with service cards. Anyone else is refused (NOT_WECHAT) and
 * nothing is written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlePush, pushOf } from '../../../server/callback';
import { caller, getCloud } from '../../../server/cloud';
import { handler } from '../../../server/handler';

/** Rukou's own card cover (520×416, the size §D.5 suggests), deployed beside the bundle: read when a thumbnail is uploaded, every 3 days or so. */
const shippedThumb = (): Buffer => readFileSync(join(__dirname, 'card-thumb.png'));

const serve = async (event: Record<string, unknown>): Promise<unknown> => handlePush({ db: getCloud().database(), now: () => new Date(), shippedThumb }, pushOf(caller(), event));

/** An HTTP access call (never WeChat's push) is refused as every function refuses it (`handler`): 403. */
export const main = handler(serve);
