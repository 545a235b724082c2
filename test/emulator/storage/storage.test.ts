import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
});

afterAll(async () => {
  await emulator?.stop();
});

type TempUrls = Exclude<Awaited<ReturnType<typeof cloud.getTempFileURL>>, void>;
type Deleted = Exclude<Awaited<ReturnType<typeof cloud.deleteFile>>, void>;
// The SDK's typings add `void` for the callback style; these calls use promises.
const tempUrls = async (fileList: Parameters<typeof cloud.getTempFileURL>[0]['fileList']): Promise<TempUrls> =>
  (await cloud.getTempFileURL({ fileList })) as TempUrls;
const remove = async (fileList: string[]): Promise<Deleted> => (await cloud.deleteFile({ fileList })) as Deleted;

/** Bytes that would not survive a text round trip: every byte value, twice. */
const binary = Buffer.from([...Array(512).keys()].map((i) => i % 256));

test('upload, temporary URL, download, delete: the bytes come back equal and are gone after the delete', async () => {
  const upload = await cloud.uploadFile({ cloudPath: 'qrcodes/渠道 1.png', fileContent: binary });
  expect(upload.fileID).toBe('cloud://rukou-local.7275-rukou-local-1300000000/qrcodes/渠道 1.png');

  const { fileList } = await tempUrls([{ fileID: upload.fileID, maxAge: 120 }]);
  expect(fileList).toEqual([expect.objectContaining({ fileID: upload.fileID, status: 0, maxAge: 120, tempFileURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//) })]);
  const fetched = await fetch(encodeURI(fileList[0].tempFileURL));
  expect(fetched.status).toBe(200);
  expect(fetched.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await fetched.arrayBuffer()).equals(binary)).toBe(true);

  const download = await cloud.downloadFile({ fileID: upload.fileID });
  expect(Buffer.isBuffer(download.fileContent) && download.fileContent.equals(binary)).toBe(true);

  const deleted = await remove([upload.fileID]);
  expect(deleted.fileList).toEqual([{ fileID: upload.fileID, status: 0, errMsg: 'ok' }]);

  await expect(cloud.downloadFile({ fileID: upload.fileID })).rejects.toMatchObject({ errMsg: expect.stringContaining('no file') });
  const after = await tempUrls([upload.fileID]);
  expect(after.fileList[0]).toMatchObject({ fileID: upload.fileID, status: -503003, tempFileURL: '' });
  expect((await fetch(encodeURI(fileList[0].tempFileURL))).status).toBe(404);
  const again = await remove([upload.fileID]);
  expect(again.fileList[0]).toMatchObject({ fileID: upload.fileID, status: -503003 });
});

test('an upload to the same path replaces the file', async () => {
  const first = await cloud.uploadFile({ cloudPath: 'reports/today.csv', fileContent: Buffer.from('a,b\n1,2\n') });
  const second = await cloud.uploadFile({ cloudPath: 'reports/today.csv', fileContent: Buffer.from('a,b\n3,4\n') });
  expect(second.fileID).toBe(first.fileID);
  expect((await cloud.downloadFile({ fileID: first.fileID })).fileContent.toString()).toBe('a,b\n3,4\n');
});

test('file URLs need the emulator\'s signature: no unsigned reads, no tampered expiry, no PUT without an upload grant', async () => {
  const { fileID } = await cloud.uploadFile({ cloudPath: 'private/secret.txt', fileContent: Buffer.from('secret') });
  const { fileList } = await tempUrls([fileID]);
  const signed = new URL(fileList[0].tempFileURL);
  const unsigned = `${signed.origin}${signed.pathname}`;
  expect((await fetch(unsigned)).status).toBe(403);
  signed.searchParams.set('t', String(Number(signed.searchParams.get('t')) + 1000));
  expect((await fetch(signed)).status).toBe(403);
  const put = await fetch(unsigned, { method: 'PUT', body: 'overwritten' });
  expect(put.status).toBe(403);
  expect(await put.text()).toContain('<Code>AccessDenied</Code>');
  expect((await cloud.downloadFile({ fileID })).fileContent.toString()).toBe('secret');
});

test('a path with "?", "#" or "%" in it is uploaded to itself (the upload URL left "?" and "#" unescaped: the PUT went elsewhere)', async () => {
  for (const cloudPath of ['odd/a?b.txt', 'odd/c#d.txt', 'odd/e%23f.txt']) {
    const { fileID } = await cloud.uploadFile({ cloudPath, fileContent: Buffer.from(cloudPath) });
    expect(fileID).toBe(`cloud://rukou-local.7275-rukou-local-1300000000/${cloudPath}`);
    expect((await remove([fileID])).fileList[0]).toMatchObject({ fileID, status: 0 });
  }
});

test('paths are keys, as in COS: "a" and "a/b" are two files, and a segment may be 850 characters (the upload answered 500)', async () => {
  for (const cloudPath of ['flat/a', 'flat/a/b', `flat/${'x'.repeat(840)}`]) {
    const { fileID } = await cloud.uploadFile({ cloudPath, fileContent: Buffer.from(cloudPath) });
    expect((await cloud.downloadFile({ fileID })).fileContent.toString()).toBe(cloudPath);
  }
});

test('a cloud path with a lone surrogate is refused (building its upload URL failed with a 500)', async () => {
  const answer = await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"storage.getUploadMetadata","path":"a\\ud800b.png"}' });
  expect(await answer.json()).toMatchObject({ code: 'INVALID_PARAM', message: expect.stringContaining('lone UTF-16 surrogate') });
});

test('a cloud path that leaves the bucket is refused', async () => {
  await expect(cloud.uploadFile({ cloudPath: '../outside.txt', fileContent: Buffer.from('x') })).rejects.toMatchObject({ errMsg: expect.stringContaining('must be relative') });
  await expect(cloud.uploadFile({ cloudPath: '/abs.txt', fileContent: Buffer.from('x') })).rejects.toMatchObject({ errMsg: expect.stringContaining('must be relative') });
});

test('an environment that is no env id is refused, on the wire and in a file URL (".." put a file beside the database\'s log)', async () => {
  const wire = async (params: Record<string, unknown>): Promise<Record<string, unknown>> =>
    (await (await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) })).json()) as Record<string, unknown>;
  for (const envName of ['..', '../..', 'a/b', 'x'.repeat(41), 5]) {
    expect(await wire({ action: 'storage.getUploadMetadata', path: 'database/log.jsonl', envName })).toMatchObject({ code: 'INVALID_PARAM', message: expect.stringContaining('envName') });
  }
  // sent as written: fetch would resolve the dots
  const put = (url: string): Promise<{ status?: number; text: string }> =>
    new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: emulator.port, path: url, method: 'PUT', headers: { 'content-length': 1 } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, text }));
      });
      request.on('error', reject);
      request.end('x');
    });
  for (const url of ['/__rukou/storage/%2E%2E/database/log.jsonl', '/__rukou/storage/a%2Fb/c.txt']) expect(await put(url)).toEqual({ status: 400, text: expect.stringContaining('<Code>InvalidURI</Code>') });
  expect(fs.readFileSync(path.join(emulator.dataDir, 'database', 'log.jsonl'), 'utf8')).not.toBe('x');
});

test('a path with a line break in it is a file like any other (its file ID named no file)', async () => {
  const { fileID } = await cloud.uploadFile({ cloudPath: 'notes/a\r\nb\u2028c.txt', fileContent: Buffer.from('lines') });
  const { fileList } = await tempUrls([fileID]);
  expect(fileList[0]).toMatchObject({ fileID, status: 0 });
  expect((await cloud.downloadFile({ fileID })).fileContent.toString()).toBe('lines');
  expect((await remove([fileID])).fileList[0]).toMatchObject({ fileID, status: 0 });
});

test('a maxAge that is no whole number of seconds is the default day (0.5 made a URL that was never valid)', async () => {
  const { fileID } = await cloud.uploadFile({ cloudPath: 'ages/a.txt', fileContent: Buffer.from('aged') });
  for (const maxAge of [0.5, 1e-300, 1.5]) {
    const { fileList } = await tempUrls([{ fileID, maxAge }]);
    expect(fileList[0]).toMatchObject({ status: 0, maxAge: 86_400 });
    const fetched = await fetch(encodeURI(fileList[0].tempFileURL));
    expect({ status: fetched.status, text: await fetched.text() }).toEqual({ status: 200, text: 'aged' });
  }
});

test('a file of an unknown extension is served as bytes, whatever the extension is named ("a.constructor" was "function Object() …")', async () => {
  for (const cloudPath of ['types/a.constructor', 'types/b.toString', 'types/c.__proto__']) {
    const { fileID } = await cloud.uploadFile({ cloudPath, fileContent: Buffer.from('x') });
    const { fileList } = await tempUrls([fileID]);
    expect((await fetch(encodeURI(fileList[0].tempFileURL))).headers.get('content-type')).toBe('application/octet-stream');
  }
});

test('a file ID of another bucket names no file', async () => {
  const { fileList } = await tempUrls(['cloud://rukou-local.0000-elsewhere-1/a.txt']);
  expect(fileList[0]).toMatchObject({ status: -503003, tempFileURL: '' });
});

test('files survive a restart of the emulator', async () => {
  const { fileID } = await cloud.uploadFile({ cloudPath: 'kept/file.bin', fileContent: binary });
  await emulator.stop();
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, dataDir: emulator.dataDir });
  useEmulatorFromThisProcess(emulator.url);
  expect((await cloud.downloadFile({ fileID })).fileContent.equals(binary)).toBe(true);
});
