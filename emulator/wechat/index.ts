import { clockService, type ClockService } from '../clock';
import { functionsService, type FunctionsService } from '../functions';
import type { EmulatorContext, Service } from '../server';
import { Codes } from './codes';
import { DEMO_TEMPLATES, Messages } from './messages';
import { WeChat } from './operations';
import { PUSH_FUNCTION, PUSH_SOURCE, Pushes, type PushInvoker } from './pushes';
import { wechatRoutes } from './server';
import { WeChatState } from './state';

export interface WeChatService extends Service {
  wechat: WeChat;
}

/**
 * The simulated WeChat: its state under the data dir, its APIs for the openapi service, its test
 * routes, and its message push, which runs the project's `callback` function through the
 * functions runtime (so that service starts first).
 */
export function wechatService(context: EmulatorContext): WeChatService {
  const { clock } = context.service<ClockService>(clockService);
  const { runtime } = context.service<FunctionsService>(functionsService);
  const now = (): number => clock.now();
  const state = new WeChatState(context.options.dataDir, DEMO_TEMPLATES);
  const invoke: PushInvoker = runtime.has(PUSH_FUNCTION)
    ? (event, identity) => runtime.invoke({ name: PUSH_FUNCTION, event, identity: { openid: identity.openid, appid: identity.appid, source: PUSH_SOURCE } })
    : undefined;
  const pushes = new Pushes(invoke, now);
  const messages = new Messages(state, now, context.project.miniProgram, pushes);
  const codes = new Codes(state, now, context.project.miniProgram);
  const wechat = new WeChat(state, now, messages, codes);
  return {
    wechat,
    routes: wechatRoutes(wechat, pushes, now),
    close: () => {
      pushes.close();
      return Promise.resolve();
    },
  };
}
