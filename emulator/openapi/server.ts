import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http';
import type { AdminAction, Route } from '../server';
import { callOpenApi, type OpenApiDeps } from './operations';

/** The admin action the SDK's cloud calls (`cloud.openapi.*`, `cloud.getOpenData`) arrive as. */
export function openApiActions(deps: OpenApiDeps): Record<string, AdminAction> {
  return { 'wx.openApi': ({ params }) => callOpenApi(params, deps) };
}

/**
 * The record of cloud calls, for tests and the demo.
 *
 * @example
 * GET /__rukou/openapi/calls?api=subscribeMessage.send&function=messages → {"calls": [{seq, at, api, function, openid, request, errCode, response}, …]}
 * DELETE /__rukou/openapi/calls → {"cleared": 3}
 */
export function openApiRoutes(deps: OpenApiDeps): Route[] {
  return [
    {
      method: 'GET',
      prefix: '/__rukou/openapi/calls',
      async handle(req: IncomingMessage, res: ServerResponse) {
        const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
        sendJson(res, 200, { calls: deps.calls.list({ api: query.get('api') ?? undefined, function: query.get('function') ?? undefined }) });
      },
    },
    {
      method: 'DELETE',
      prefix: '/__rukou/openapi/calls',
      async handle(_req: IncomingMessage, res: ServerResponse) {
        sendJson(res, 200, { cleared: deps.calls.clear() });
      },
    },
  ];
}
