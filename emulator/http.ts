import type { IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';

/** A parsed request body: JSON fields, or multipart fields with file parts kept as bytes. */
export type Params = Record<string, unknown>;

export function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Multipart fields become strings, file parts become Buffers (the SDK sends protobuf as a file part). */
export function readMultipart(req: IncomingMessage): Promise<Params> {
  return new Promise((resolve, reject) => {
    const params: Params = {};
    const parser = busboy({ headers: req.headers, limits: { fileSize: 64 * 1024 * 1024 } });
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
    parser.on('error', reject);
    req.pipe(parser);
  });
}

export async function readParams(req: IncomingMessage): Promise<Params> {
  if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) return readMultipart(req);
  const body = await readBody(req);
  if (body.length === 0) return {};
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body must be a JSON object');
  return parsed as Params;
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
