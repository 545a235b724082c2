import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendBytes, sendJson } from '../http';
import type { EmulatorContext, Route, Service } from '../server';
import { functionsService, type FunctionsService } from '../functions';
import { PAYLOAD_TOO_LARGE } from '../functions/gateway';
import { integrationRequest, integrationResponse } from './operations';

/** Where the emulator serves HTTP access: `/http/<function>` (the cloud serves a path the operator picks on the environment's domain; `/admin` here is the SDK's). */
export const HTTP_ACCESS_PREFIX = '/http/';

/**
 * HTTP access to the project's functions, as the web dashboard calls `admin`: `GET` or `POST
 * /http/<function>[/…]`, invoked with SOURCE `wx_http` and no user, the request as the integration
 * request event; the function's integration response is the answer. A function that fails, or
 * answers what HTTP cannot carry, answers 502 `{code, message}`, one that does not exist 404, a
 * request past 6 MiB 413.
 */
export function httpAccessService(context: EmulatorContext): Service {
  const { runtime } = context.service<FunctionsService>(functionsService);

  async function handle(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const name = decodeURIComponent(rest.split('/')[0]);
    const [path, search = ''] = (req.url ?? '/').split('?');
    const event = integrationRequest(req.method ?? 'GET', path, search, req.headers, await readBody(req), randomUUID());
    const outcome = await runtime.invoke({ name, event, identity: { source: 'wx_http' } });
    if (outcome.kind === 'not_found') return sendJson(res, 404, { code: 'FUNCTION_NOT_FOUND', message: outcome.message });
    if (outcome.kind === 'too_large') return sendJson(res, 413, { code: PAYLOAD_TOO_LARGE, message: outcome.message });
    if (outcome.kind !== 'ok') return sendJson(res, 502, { code: 'FUNCTIONS_EXECUTE_FAIL', message: outcome.message });
    const answer = integrationResponse(outcome.response);
    if ('problem' in answer) return sendJson(res, 502, { code: 'FUNCTIONS_EXECUTE_FAIL', message: `the function "${name}" answered an integration response HTTP cannot carry: ${answer.problem}` });
    for (const [header, value] of Object.entries(answer.headers)) res.setHeader(header, value);
    sendBytes(res, answer.status, answer.body, answer.headers['content-type']);
  }

  const routes: Route[] = ['GET', 'POST'].map((method) => ({ method, prefix: HTTP_ACCESS_PREFIX, handle }));
  return { routes };
}
