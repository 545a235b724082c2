/**
 * The door: how every route reads a request, and refuses one it cannot read. Whatever a caller
 * sends — a path that is not percent-encoding, a body too large, of the wrong type, not JSON or
 * nested too deep — ends here as a Refusal, which the route answers in its own shape
 * (Route.refuse in server.ts) as soon as the body is read, before any service or worker sees it.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';
import { BackendError } from './errors';

/** A parsed request body: JSON fields, or multipart fields with file parts kept as bytes. */
export type Params = Record<string, unknown>;

/** The largest body any route reads (a batch of a thousand documents, a file upload). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * How deep any JSON a caller sends may nest: a body, and the JSON texts the wire protocol carries
 * inside one (a query, a document, request_data, an openapi value). V8 parses any depth, but what
 * comes next recurses: JSON.stringify of an event on its way to a worker overflowed the stack at
 * about 5,000 levels, and left the worker waiting for the function's timeout. The cloud documents
 * no such limit for function data; MongoDB refuses documents nested over 100 levels (the
 * database's own refusal, not this one), so 1,000 refuses nothing real code sends.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * A request the emulator will not serve as sent. `code` is the backend's string code
 * (INVALID_PARAM, which wx-server-sdk shows as -501007), `status` the HTTP status for the faces
 * that answer with one; the route decides the shape (Route.refuse), so a caller never sees a
 * server error for its own mistake.
 */
export class Refusal extends BackendError {
  constructor(
    readonly status: number,
    message: string,
    code = 'INVALID_PARAM',
  ) {
    super(code, message);
    this.name = 'Refusal';
  }
}

/** The names a browser reaches the emulator by on this machine: it listens on 127.0.0.1 only. */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `hostAndPort` ("127.0.0.1:8787") names this machine, at `port`. */
const isLoopback = (hostAndPort: string, port: number): boolean => {
  const at = hostAndPort.lastIndexOf(':');
  return LOOPBACK_NAMES.has(hostAndPort.slice(0, at).toLowerCase()) && hostAndPort.slice(at + 1) === String(port);
};

/**
 * Why a request can only come from a page of another site, or undefined. The emulator has no
 * credentials (a caller names its user in a header), so a page that reaches it acts as anyone,
 * the operator too: by a form or fetch from its own site (an `Origin` other than the emulator's),
 * or by DNS rebinding, a name of its own that now points at 127.0.0.1 (a `Host` that is not the
 * emulator's). Tools send neither: the SDK, the CLI and tests name 127.0.0.1 and send no Origin.
 */
export function foreignRequestProblem(headers: IncomingHttpHeaders, port: number): string | undefined {
  if (headers.host !== undefined && !isLoopback(headers.host, port)) return `the Host ${JSON.stringify(headers.host)} is not this emulator's (127.0.0.1:${port} or localhost:${port}): a page of another site, by DNS rebinding?`;
  const origin = headers.origin;
  if (origin !== undefined && !(/^http:\/\//.test(origin) && isLoopback(origin.slice('http://'.length), port))) {
    return `a page of ${JSON.stringify(origin)} may not call the emulator: only its own pages (the dashboard) and tools that send no Origin`;
  }
  return undefined;
}

/** Answers a refusal as `{code, message}` with its HTTP status: the emulator's own routes. */
export function refuseAsEmulator(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, { code: refusal.code, message: refusal.message });
}

/** Refuses a path that is not valid percent-encoding (`/functions/%`), which routes decode. */
export function checkPath(path: string): void {
  try {
    decodeURIComponent(path);
  } catch {
    throw new Refusal(400, `the path ${JSON.stringify(path)} is not valid percent-encoding`);
  }
}

/**
 * The whole body, at most `limit` bytes. A larger body is read to its end and dropped, then
 * refused: answering before the caller has sent it all would make most clients report a broken
 * connection instead of the answer.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) chunks = [];
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new Refusal(413, `the body has ${size} bytes, more than the ${limit} the emulator reads`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Where in `text` the string opened by the quote at `start` closes (after its last character when it never does). */
function endOfString(text: string, start: number): number {
  for (let quote = text.indexOf('"', start + 1); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return text.length;
}

/** Whether JSON text opens more than `limit` arrays and objects inside each other; a loop, so any depth is safe to ask about. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = endOfString(text, i);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * JSON.parse for anything a caller sends, refusing it (before parsing) when it nests deeper than
 * MAX_JSON_DEPTH. The one check of depth: every route's body passes here, and so does every JSON
 * text inside a body.
 */
export function parseJson(text: string, what: string): unknown {
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new Refusal(400, `${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Refusal(400, `${what} is not JSON: ${(error as Error).message}`);
  }
}

/** The media type of a request, lower case, without parameters; '' when it names none. */
function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A JSON object body, as every route but /admin takes it: `content-type: application/json` (or
 * none), or an empty body, which reads as `{}`.
 */
export async function readParams(req: IncomingMessage): Promise<Params> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  const type = mediaType(req.headers);
  if (type !== '' && type !== 'application/json') throw new Refusal(415, `the body must be JSON (content-type application/json), not ${type}`);
  const parsed = parseJson(body.toString('utf8'), 'the body');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Refusal(400, 'the body must be a JSON object');
  return parsed as Params;
}

/**
 * Multipart fields become strings, file parts Buffers (the SDK sends wx.openApi's protobuf as a
 * file part). The body is read whole first, so the size limit and the refusal are readBody's;
 * the parser's own limits are lifted to it, since it would otherwise cut fields silently.
 */
async function readMultipart(req: IncomingMessage): Promise<Params> {
  const body = await readBody(req);
  return new Promise((resolve, reject) => {
    // No prototype: a part named __proto__ is a field like any other.
    const params = Object.create(null) as Params;
    const malformed = (error: Error): void => reject(new Refusal(400, `the multipart body is malformed: ${error.message}`));
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldNameSize: MAX_BODY_BYTES, fieldSize: MAX_BODY_BYTES, fileSize: MAX_BODY_BYTES } });
    } catch (error) {
      malformed(error as Error);
      return;
    }
    parser.on('field', (name, value) => {
      params[name] = value;
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        params[name] = Buffer.concat(chunks);
      });
    });
    parser.on('close', () => resolve(params));
    parser.on('error', malformed);
    parser.end(body);
  });
}

/** What POST /admin takes: the SDK's JSON, or multipart for wx.openApi. */
export function readWireParams(req: IncomingMessage): Promise<Params> {
  return mediaType(req.headers) === 'multipart/form-data' ? readMultipart(req) : readParams(req);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendBytes(res: ServerResponse, status: number, body: Buffer, contentType = 'application/octet-stream'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length });
  res.end(body);
}
