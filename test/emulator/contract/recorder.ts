import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, readWireParams, sendBytes, sendJson, type Params } from '../../../emulator/http';
import {
  ApiType,
  decodeCommApiData,
  decodeOpenDataRequest,
  encodeCommOpenApiResp,
  encodeOpenDataResponse,
} from '../../../emulator/openapi/proto';

/** One request as the SDK sent it, with what changes from run to run replaced by placeholders. */
export interface WireRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  action?: string;
  body: unknown;
}

/** Query parameters and body fields that differ on every call (ids, clocks), not in format. */
const VOLATILE_QUERY = new Set(['seqId']);
const VOLATILE_FIELDS = new Set(['seqId', 'requestId', 'timestamp']);
/** Headers that say something about the wire format; the rest (host, length, clock) are noise. */
const KEPT_HEADERS = ['content-type', 'user-agent', 'x-sdk-version', 'x-tcb-source', 'authorization', 'signature', 'key', 'x-cos-meta-fileid'];

function normaliseHeader(name: string, value: string): string {
  if (name === 'content-type') return value.replace(/boundary=\S+/, 'boundary=<boundary>');
  if (name === 'authorization' && value.startsWith('TC3-HMAC-SHA256')) {
    return value.replace(/Credential=[^/]*\/[^/]*\//, 'Credential=<id>/<date>/').replace(/Signature=\w+/, 'Signature=<signature>');
  }
  return value;
}

function normaliseFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseFields);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, VOLATILE_FIELDS.has(k) ? `<${k}>` : normaliseFields(v)]));
  }
  return value;
}

/** The protobuf envelope of a cloud call, as readable JSON (the pair values are the SDK's JSON text). */
function decodeEnvelope(bytes: Buffer): unknown {
  const envelope = decodeCommApiData(bytes);
  const apiType = Object.entries(ApiType).find(([, n]) => n === envelope.apiType)?.[0] ?? envelope.apiType;
  if (envelope.svrkitData) {
    const { apiName, reqData } = envelope.svrkitData;
    const request = apiName === 'ApiGetOpenDataByCloudId' ? decodeOpenDataRequest(reqData) : reqData.toString('base64');
    return { apiType, appid: envelope.appid, svrkitData: { apiName, reqData: request } };
  }
  const pairs = (envelope.openapiData?.pairs ?? []).map((p) => ({ key: p.key, value: p.value.toString('utf8'), contenttype: p.contenttype, filename: p.filename }));
  return { apiType, appid: envelope.appid, openapiData: { pairs } };
}

function readableParams(params: Params): unknown {
  const readable: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    readable[key] = key === 'requestData' && Buffer.isBuffer(value) ? decodeEnvelope(value) : Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return normaliseFields(readable);
}

/** Canned answers in the shapes the SDK reads (as recorded in `test/emulator/contract/sdk-requests.json`: README, **Contract test**). */
function answerAdmin(params: Params, baseUrl: string): Record<string, unknown> | Buffer {
  const action = String(params.action);
  const cannedDoc = JSON.stringify({ _id: 'doc-1', title: 'a', n: 1 });
  switch (action) {
    case 'database.insertDocument':
      return { data: { insertedIds: (params.data as unknown[]).map((_, i) => `doc-${i + 1}`) } };
    case 'database.getDocument':
      return { data: { list: [cannedDoc], limit: 100, offset: 0 } };
    case 'database.calculateDocument':
      return { data: { total: 1 } };
    case 'database.modifyDocument':
      return { data: { updated: 1 } };
    case 'database.removeDocument':
      return { data: { deleted: 1 } };
    case 'database.aggregateDocuments':
      return { data: { list: [JSON.stringify({ _id: 'x', total: 2 })] } };
    case 'database.startTransaction':
      return { transactionId: 'tx-1' };
    case 'database.getInTransaction':
      return { data: cannedDoc };
    case 'database.updateDocInTransaction':
      return { updated: '1' };
    case 'database.addCollection':
    case 'database.commitTransaction':
    case 'database.abortTransaction':
      return {};
    case 'functions.invokeFunction':
      return { data: { response_data: JSON.stringify({ echoed: true }) } };
    case 'wx.openApi': {
      const envelope = decodeCommApiData(params.requestData as Buffer);
      if (envelope.svrkitData) {
        const { cloudidList } = decodeOpenDataRequest(envelope.svrkitData.reqData);
        const dataList = cloudidList.map((cloudId) => ({ cloudId, json: JSON.stringify({ cloudID: cloudId, data: { openGId: 'tG-canned' } }) }));
        return encodeCommOpenApiResp({ respData: encodeOpenDataResponse({ dataList }), httpCode: 200 });
      }
      return encodeCommOpenApiResp({ respData: Buffer.from(JSON.stringify({ errcode: 0, errmsg: 'ok', msgid: 1 })), contentType: 'application/json', httpCode: 200 });
    }
    case 'storage.getUploadMetadata':
      return { data: { url: `${baseUrl}/cos/${encodeURI(String(params.path))}`, token: 'token-1', authorization: 'auth-1', fileId: `cloud://contract.bucket/${params.path}`, cosFileId: 'cos-1' } };
    case 'storage.batchGetDownloadUrl':
      return { data: { download_list: (params.file_list as { fileid: string }[]).map((f) => ({ fileID: f.fileid, tempFileURL: `${baseUrl}/cos/${f.fileid.split('/').slice(3).join('/')}?sign=s`, code: 'SUCCESS' })) } };
    case 'storage.batchDeleteFile':
      return { data: { delete_list: (params.fileid_list as string[]).map((fileID) => ({ fileID, code: 'SUCCESS' })) } };
    default:
      return { code: 'INVALID_ACTION', message: `the recorder has no canned answer for ${action}` };
  }
}

export interface Recorder {
  url: string;
  records: WireRecord[];
  close(): Promise<void>;
}

/**
 * A stand-in backend that answers every SDK call with a canned, correctly shaped response and
 * records the request. Not the emulator: the contract pins what the SDK sends, whoever answers.
 */
export async function startRecorder(): Promise<Recorder> {
  const records: WireRecord[] = [];
  const stored = new Map<string, Buffer>();
  let baseUrl = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries([...url.searchParams].map(([k, v]) => [k, VOLATILE_QUERY.has(k) ? `<${k}>` : v]));
    const headers = Object.fromEntries(
      KEPT_HEADERS.filter((name) => req.headers[name] !== undefined).map((name) => [name, normaliseHeader(name, String(req.headers[name]))]),
    );
    const record: WireRecord = { method: req.method ?? '?', path: url.pathname, query, headers, body: null };
    records.push(record);
    if (url.pathname === '/admin') {
      const params = await readWireParams(req);
      record.action = String(params.action);
      record.body = readableParams(params);
      const answer = answerAdmin(params, baseUrl);
      if (Buffer.isBuffer(answer)) sendBytes(res, 200, answer);
      else sendJson(res, 200, { requestId: 'req-1', ...answer });
      return;
    }
    if (url.pathname.startsWith('/cos/') && req.method === 'PUT') {
      const bytes = await readBody(req);
      stored.set(url.pathname, bytes);
      record.body = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      res.writeHead(200, { 'content-length': 0 });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/cos/') && req.method === 'GET') return sendBytes(res, 200, stored.get(url.pathname) ?? Buffer.alloc(0));
    sendJson(res, 404, { code: 'NOT_FOUND', message: url.pathname });
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => sendJson(res, 500, { code: 'SYS_ERR', message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
