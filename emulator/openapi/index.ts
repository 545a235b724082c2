import { clockService, type ClockService } from '../clock';
import type { EmulatorContext, Service } from '../server';
import { wechatService, type WeChatService } from '../wechat';
import { openApiActions, openApiRoutes } from './server';
import { CallLog } from './state';

/** Cloud calls (`wx.openApi`): decoded, permission-checked, answered by the simulated WeChat, recorded. */
export function openApiService(context: EmulatorContext): Service {
  const { clock } = context.service<ClockService>(clockService);
  const deps = {
    wechat: context.service<WeChatService>(wechatService).wechat,
    invocations: context.invocations,
    project: context.project,
    calls: new CallLog(() => clock.now()),
  };
  return { actions: openApiActions(deps), routes: openApiRoutes(deps) };
}
