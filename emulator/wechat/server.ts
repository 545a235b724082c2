import type { IncomingMessage, ServerResponse } from 'node:http';
import { BackendError } from '../errors';
import { readParams, Refusal, sendJson } from '../http';
import type { Route } from '../server';
import { CLOUD_ID_TTL_MS, parseGroupCloudIdRequest, type WeChat } from './operations';

/** Runs a route and answers a refusal as `{code, message}` with 400 (or the door's status) instead of a server error. */
async function answer(res: ServerResponse, work: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(res, 200, await work());
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    sendJson(res, error instanceof Refusal ? error.status : 400, { code: error.code, message: error.message });
  }
}

/**
 * The simulated WeChat's face for tests and the demo: what a Mini Program client would get from
 * WeChat's client APIs.
 *
 * @example
 * // what wx.getGroupEnterInfo gives user o-1 who opened a card in group "family"
 * POST /__rukou/wechat/cloudid
 * {"openid": "o-1", "appid": "wx123", "kind": "groupEnterInfo", "groupId": "family", "chatType": 3}
 * → {"cloudID": "27_…", "expiresAt": "2026-…Z"}
 */
export function wechatRoutes(wechat: WeChat, now: () => number): Route[] {
  return [
    {
      method: 'POST',
      prefix: '/__rukou/wechat/cloudid',
      handle: (req: IncomingMessage, res: ServerResponse) =>
        answer(res, async () => {
          const record = wechat.issueGroupCloudId(parseGroupCloudIdRequest(await readParams(req), now()));
          return { cloudID: record.cloudID, expiresAt: new Date(record.issuedAt + CLOUD_ID_TTL_MS).toISOString() };
        }),
    },
  ];
}
