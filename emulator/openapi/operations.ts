import { invalidParam } from '../errors';
import { parseJson, type Params } from '../http';
import type { InvocationRegistry } from '../invocations';
import type { Project } from '../project';
import type { Caller, WeChat, WeChatAnswer } from '../wechat/operations';
import {
  ApiType,
  decodeCommApiData,
  decodeOpenDataRequest,
  encodeCommOpenApiResp,
  encodeOpenDataResponse,
  type KeyValuePair,
} from './proto';
import type { CallLog } from './state';

/** The errcodes WeChat's cloud-call gateway answers in the envelope (wx-server-sdk's ERR_CODE table). */
export const NO_PERMISSION = -604101;
export const ILLEGAL_INVOCATION_SOURCE = -604104;

export interface OpenApiDeps {
  wechat: WeChat;
  invocations: InvocationRegistry;
  project: Project;
  calls: CallLog;
}

/** Decodes a caller's protobuf bytes; bytes that are not the message are the caller's mistake, not a server error. */
function protobuf<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw invalidParam(`${what} is not the protobuf message the SDK sends: ${(error as Error).message}`);
  }
}

/**
 * A svrkit call (an SDK built-in such as cloud.getOpenData): protobuf in, protobuf out; `fault`, the
 * API whose fault (`POST /__rukou/wechat/faults`) answers it instead.
 */
interface SvrkitApi {
  fault: string;
  serve: (wechat: WeChat, reqData: Buffer, caller: Caller) => { request: unknown; response: unknown; respData: Buffer };
}

const SVRKIT_APIS: Record<string, SvrkitApi> = {
  ApiGetOpenDataByCloudId: {
    fault: 'cloudbase.getOpenData',
    serve: (wechat, reqData, caller) => {
      const request = protobuf('reqData', () => decodeOpenDataRequest(reqData));
      const list = wechat.openData(request.cloudidList, caller);
      return {
        request: { cloudidList: request.cloudidList },
        response: { list },
        respData: encodeOpenDataResponse({ dataList: list.map((item) => ({ cloudId: item.cloudID, json: JSON.stringify(item) })) }),
      };
    },
  },
};

/**
 * The SDK JSON-encodes every top-level value; a pair with a content type or a file name is a file
 * (a media upload). wx-server-sdk 4.x sends a media's `contentType` under that camelCase key, which
 * its protobuf encoder does not know (the field is `contenttype`), so its uploads arrive with the
 * file name (`media.png`) and no content type.
 */
function decodePairs(pairs: KeyValuePair[]): { request: Record<string, unknown>; readable: Record<string, unknown> } {
  // No prototype: a parameter named __proto__ is a parameter, not the object's prototype.
  const request = Object.create(null) as Record<string, unknown>;
  const readable = Object.create(null) as Record<string, unknown>;
  for (const pair of pairs) {
    if (pair.contenttype || pair.filename) {
      request[pair.key] = { contentType: pair.contenttype, filename: pair.filename, value: pair.value };
      readable[pair.key] = { contentType: pair.contenttype, filename: pair.filename, size: pair.value.length };
      continue;
    }
    request[pair.key] = parseJson(pair.value.toString('utf8'), `openapi parameter "${pair.key}"`);
    readable[pair.key] = request[pair.key];
  }
  return { request, readable };
}

function envelope(answer: WeChatAnswer): Buffer {
  if ('json' in answer) {
    return encodeCommOpenApiResp({ respData: Buffer.from(JSON.stringify(answer.json)), contentType: 'application/json', httpCode: 200 });
  }
  return encodeCommOpenApiResp({ respData: answer.body, contentType: answer.contentType, httpCode: 200 });
}

const refusal = (errorCode: number): Buffer => encodeCommOpenApiResp({ errorCode, httpCode: 200 });

/**
 * Serves one `wx.openApi` admin call: decodes the CommApiData envelope, finds the calling
 * function from its WX_API_TOKEN, checks the function's `permissions.openapi`, routes the call to
 * the simulated WeChat and records it. Answers CommOpenApiResp bytes, like the cloud.
 */
export async function callOpenApi(params: Params, deps: OpenApiDeps): Promise<Buffer> {
  const data = params.requestData;
  if (!Buffer.isBuffer(data)) throw invalidParam('wx.openApi needs requestData as a multipart file part (protobuf CommApiData)');
  const envelopeIn = protobuf('requestData', () => decodeCommApiData(data));
  // Outside a function the SDK sends an empty token (WX_API_TOKEN unset): a tool or a test calling.
  const token = typeof params.wxCloudApiToken === 'string' && params.wxCloudApiToken ? params.wxCloudApiToken : undefined;
  const invocation = deps.invocations.lookup(token);
  const caller: Caller = invocation ? { functionName: invocation.functionName, openid: invocation.openid, appid: invocation.appid } : {};
  const appid = envelopeIn.appid || caller.appid;
  const base = { function: caller.functionName, openid: caller.openid, appid };

  if (envelopeIn.apiType === ApiType.SVRKIT_API && envelopeIn.svrkitData) {
    const { apiName, reqData } = envelopeIn.svrkitData;
    // own entries only: an API named toString found Object's method and called it
    const api = Object.hasOwn(SVRKIT_APIS, apiName) ? SVRKIT_APIS[apiName] : undefined;
    if (token !== undefined && !invocation) {
      deps.calls.add({ ...base, api: apiName, kind: 'svrkit', request: null, errCode: ILLEGAL_INVOCATION_SOURCE, response: null });
      return refusal(ILLEGAL_INVOCATION_SOURCE);
    }
    if (!api) {
      deps.calls.add({ ...base, api: apiName, kind: 'svrkit', request: null, errCode: NO_PERMISSION, response: null });
      return refusal(NO_PERMISSION);
    }
    // as the gateway refuses a call (no permission, busy): the SDK throws with this errcode
    const fault = deps.wechat.takeFault(api.fault);
    if (fault !== undefined) {
      deps.calls.add({ ...base, api: apiName, kind: 'svrkit', request: null, errCode: fault, response: null });
      return refusal(fault);
    }
    const { request, response, respData } = api.serve(deps.wechat, reqData, caller);
    deps.calls.add({ ...base, api: apiName, kind: 'svrkit', request, errCode: 0, response });
    return encodeCommOpenApiResp({ respData, contentType: 'application/octet-stream', httpCode: 200 });
  }

  if (envelopeIn.apiType !== ApiType.OPEN_API) throw invalidParam(`the emulator does not serve cloud calls of type ${envelopeIn.apiType}`);
  const apiName = String(params.apiName ?? '');
  const { request, readable } = decodePairs(envelopeIn.openapiData?.pairs ?? []);
  const record = (errCode: number, response: unknown): void =>
    deps.calls.add({ ...base, api: apiName, kind: 'openapi', request: readable, errCode, response });

  if (token !== undefined && !invocation) {
    record(ILLEGAL_INVOCATION_SOURCE, null);
    return refusal(ILLEGAL_INVOCATION_SOURCE);
  }
  const api = Object.hasOwn(deps.wechat.apis, apiName) ? deps.wechat.apis[apiName] : undefined;
  const permitted = !caller.functionName || (deps.project.functions.get(caller.functionName)?.openapi ?? []).includes(apiName);
  if (!api || !permitted) {
    record(NO_PERMISSION, null);
    return refusal(NO_PERMISSION);
  }
  const answer = await api(request, { ...caller, appid });
  if ('json' in answer) record(typeof answer.json.errcode === 'number' ? answer.json.errcode : 0, answer.json);
  else record(0, { contentType: answer.contentType, size: answer.body.length });
  return envelope(answer);
}
