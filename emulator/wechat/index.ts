import { clockService, type ClockService } from '../clock';
import type { EmulatorContext, Service } from '../server';
import { WeChat } from './operations';
import { wechatRoutes } from './server';
import { WeChatState } from './state';

export interface WeChatService extends Service {
  wechat: WeChat;
}

/** The simulated WeChat: its state under the data dir, its APIs for the openapi service, its test routes. */
export function wechatService(context: EmulatorContext): WeChatService {
  const { clock } = context.service<ClockService>(clockService);
  const now = (): number => clock.now();
  const wechat = new WeChat(new WeChatState(context.options.dataDir), now);
  return { wechat, routes: wechatRoutes(wechat, now) };
}
