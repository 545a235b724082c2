import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type Refusal } from '../http';
import type { AdminAction, Route } from '../server';
import { batchDeleteFile, batchGetDownloadUrl, FILE_ROUTE, getUploadMetadata, type StorageDeps } from './operations';
import { checkCloudPath, checkEnv } from './state';

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** By the path's extension; own entries only: a file "a.constructor" was served as "function Object() { [native code] }". */
function contentTypeOf(cloudPath: string): string {
  const extension = cloudPath.slice(cloudPath.lastIndexOf('.') + 1).toLowerCase();
  return Object.hasOwn(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension] : 'application/octet-stream';
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** COS answers failures as an XML <Error>; the SDK reads Code, Message, RequestId and TraceId from it. */
function sendCosError(res: ServerResponse, status: number, code: string, message: string, resource: string): void {
  const body =
    `<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${randomBytes(12).toString('hex')}</RequestId>` +
    `<TraceId>${randomBytes(16).toString('hex')}</TraceId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The door's refusals as COS words them: the only unreadable input of these routes is their path
 * (400 InvalidURI), a method (405 MethodNotAllowed) or an upload past the size the emulator reads
 * (COS answers EntityTooLarge with 400); a request of another site is COS's 403 AccessDenied.
 */
const COS_REFUSALS: Record<number, { status: number; code: string }> = {
  400: { status: 400, code: 'InvalidURI' },
  403: { status: 403, code: 'AccessDenied' },
  405: { status: 405, code: 'MethodNotAllowed' },
  413: { status: 400, code: 'EntityTooLarge' },
};

function refuseAsCos(res: ServerResponse, refusal: Refusal): void {
  const { status, code } = COS_REFUSALS[refusal.status] ?? { status: 500, code: 'InternalError' };
  sendCosError(res, status, code, refusal.message, '');
}

/** `<env>/<cloud path>` of a file URL, decoded; undefined when it is not one. */
function fileOfUrl(rest: string): { env: string; cloudPath: string } | undefined {
  try {
    const [env, ...segments] = rest.split('/').map((s) => decodeURIComponent(s));
    return { env: checkEnv(env), cloudPath: checkCloudPath(segments.join('/')) };
  } catch {
    return undefined;
  }
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function storageActions(deps: StorageDeps): Record<string, AdminAction> {
  return {
    'storage.getUploadMetadata': ({ params }) => getUploadMetadata(params, deps),
    'storage.batchGetDownloadUrl': ({ params }) => batchGetDownloadUrl(params, deps),
    'storage.batchDeleteFile': ({ params }) => batchDeleteFile(params, deps),
  };
}

/** The object store's own face: the PUT that getUploadMetadata leads to, and the GET of a temporary URL. */
export function storageRoutes(deps: StorageDeps): Route[] {
  return [
    {
      method: 'PUT',
      prefix: FILE_ROUTE,
      async handle(req, res, rest) {
        const body = await readBody(req);
        const file = fileOfUrl(rest);
        if (!file) return sendCosError(res, 400, 'InvalidURI', 'not a file URL of this emulator', rest);
        const granted = deps.files.takeGrant(header(req, 'x-cos-security-token'), header(req, 'authorization'), file.env, file.cloudPath, deps.now());
        if (!granted) return sendCosError(res, 403, 'AccessDenied', 'no upload grant for this path: call storage.getUploadMetadata first', rest);
        deps.files.write(file.env, file.cloudPath, body);
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      },
      refuse: refuseAsCos,
    },
    {
      method: 'GET',
      prefix: FILE_ROUTE,
      async handle(req, res, rest) {
        const file = fileOfUrl(rest);
        if (!file) return sendCosError(res, 400, 'InvalidURI', 'not a file URL of this emulator', rest);
        const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
        const expires = Number(query.get('t'));
        const valid = Number.isInteger(expires) && query.get('sign') === deps.files.sign(file.env, file.cloudPath, expires);
        if (!valid) return sendCosError(res, 403, 'AccessDenied', 'the URL is not signed: ask getTempFileURL for one', rest);
        if (expires * 1000 < deps.now()) return sendCosError(res, 403, 'AccessDenied', 'the temporary URL has expired', rest);
        const bytes = deps.files.read(file.env, file.cloudPath);
        if (!bytes) return sendCosError(res, 404, 'NoSuchKey', 'The specified key does not exist.', rest);
        res.writeHead(200, { 'content-type': contentTypeOf(file.cloudPath), 'content-length': bytes.length });
        res.end(bytes);
      },
      refuse: refuseAsCos,
    },
  ];
}
