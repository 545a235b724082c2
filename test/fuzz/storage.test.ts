/**
 * Storage fuzzed through its three faces (README, "The emulator"): the wire's actions
 * (getUploadMetadata, batchGetDownloadUrl, batchDeleteFile), the PUT an upload grant leads to and
 * the GET of a signed temporary URL, each a target that sends most of its inputs through its own
 * face. The oracle is a model of the stored files: what is uploaded is downloaded byte for byte,
 * with its type, until it is deleted; a refused call leaves the files as they were.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { databaseFootprint, fuzz, wireVerdict, type HttpAnswer, type Verdict } from './harness';
import { ENV, fixtureEmulator, hasLoneSurrogate, headerValue, json, percent, queryString } from './routes';
import { anyValue, jsonText, notOfType, objectOf, oddKey, oddText, received } from './values';

const fixture = fixtureEmulator();

// ————— storage: the wire's actions, and the object store's PUT and GET —————

/** What the bucket holds, by fileID, as the suite put it there. */
const files = new Map<string, Buffer>();
const fileIds: string[] = [];
const bucketOf = (env: string): string => `${Buffer.from(env.slice(0, 2)).toString('hex')}-${env}-1300000000`;

/**
 * What a refused call must leave as it was of the stored files: when each environment's folder
 * last changed. A file is written to a scratch name and renamed into its folder, which changes it;
 * reading the folders, not every file in them, keeps this cheap however many files a long run stores.
 */
function storageListing(): string {
  const root = path.join(fixture.emulator().dataDir, 'storage');
  const folders = fs.existsSync(root) ? ['', ...fs.readdirSync(root)] : [];
  return folders.map((folder) => `${folder}:${fs.statSync(path.join(root, folder)).mtimeMs}`).join(' ');
}

/** A cloud path the README's rule takes: 1–850 characters, relative, no empty, "." or ".." segment, no backslash or NUL. */
const isCloudPath = (value: unknown): value is string =>
  typeof value === 'string' &&
  value.length > 0 &&
  value.length <= 850 &&
  !value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..') &&
  !/[\\\0]/.test(value) &&
  !hasLoneSurrogate(value);
/** An environment a fileID can name (storage/state.ts, parseFileId). */
const isEnv = (value: unknown): value is string => typeof value === 'string' && /^[a-z0-9_-]{1,40}$/i.test(value);

const cloudPath = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 3 }).chain((segments) => fc.constantFrom('.png', '.txt', '.json', '', '.PNG').map((ext) => segments.join('/') + ext)) },
  { weight: 2, arbitrary: fc.array(oddText(12).filter((segment) => segment !== ''), { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/')) },
  { weight: 1, arbitrary: fc.constantFrom('', '/a.png', 'a//b', './a', 'a/../b', '..', 'a\\b', 'a\u0000b', 'x'.repeat(851), `${'x'.repeat(300)}.txt`, 'a?b.txt', 'a#b', 'a%2Fb', 'a%zz', 'a b.txt', '首/页.png', 'up/a', 'up/a/b') },
  { weight: 1, arbitrary: notOfType('string', received) },
);
const envName = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(ENV, 'other-env', 'ENV_2') }, { weight: 2, arbitrary: fc.oneof(fc.constantFrom('..', '.', 'a/b', '%2E%2E', 'x'.repeat(41), ' ', '首'), oddText(10), notOfType('string', received)) });

type StorageCase =
  | { kind: 'upload'; env: unknown; path: unknown; bytes: string; tamper: 'none' | 'token' | 'authorization' | 'path' }
  | { kind: 'download'; picks: (number | string)[]; maxAge: unknown; tamper: 'none' | 'sign' | 't' }
  | { kind: 'delete'; picks: (number | string)[] }
  | { kind: 'odd'; action: string; params: Record<string, unknown> }
  | { kind: 'raw'; method: 'PUT' | 'GET'; rest: string; query: string; headers: Record<string, string> };

const pick = fc.oneof({ weight: 3, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constantFrom(`cloud://${ENV}.${bucketOf(ENV)}/none.png`, `cloud://${ENV}.wrong-bucket/a.png`, 'cloud://', `cloud://..${bucketOf('..')}/a`)) });
/** A request of a file URL that no grant or signature stands behind: any path under the route, odd query and headers. */
const rawFileRequest = fc.record({
  kind: fc.constant<'raw'>('raw'),
  method: fc.constantFrom<'PUT' | 'GET'>('PUT', 'GET'),
  rest: fc.oneof(fc.constantFrom('', ENV, `${ENV}/`, `${ENV}/a.png`, '%2E%2E/x', `${ENV}/%`, `${ENV}/%E4%B8`, `${ENV}/a/../b`, 'a%2Fb/c', `${ENV}/${'x'.repeat(900)}`), fc.array(oddText(10), { maxLength: 3 }).map((segments) => segments.map(percent).join('/'))),
  query: fc.oneof(queryString, fc.constantFrom('?sign=x&t=1', '?t=99999999999&sign=', '?sign=&t=')),
  headers: fc.record({ 'x-cos-security-token': headerValue, authorization: headerValue }, { requiredKeys: [] }),
});

/** Storage inputs, weighted toward one route's own: its wire actions, its PUT, or its GET. */
const storageCase = (weights: { upload: number; download: number; wire: number; raw: number }): fc.Arbitrary<StorageCase> =>
  fc.oneof(
    { weight: weights.upload, arbitrary: fc.record({ kind: fc.constant<'upload'>('upload'), env: envName, path: cloudPath, bytes: oddText(30), tamper: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, { weight: 1, arbitrary: fc.constantFrom<'token' | 'authorization' | 'path'>('token', 'authorization', 'path') }) }) },
    { weight: weights.download, arbitrary: fc.record({ kind: fc.constant<'download'>('download'), picks: fc.array(pick, { minLength: 1, maxLength: 3 }), maxAge: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 86_400 }), anyValue), tamper: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, { weight: 1, arbitrary: fc.constantFrom<'sign' | 't'>('sign', 't') }) }) },
    { weight: weights.wire, arbitrary: fc.record({ kind: fc.constant<'delete'>('delete'), picks: fc.array(pick, { minLength: 1, maxLength: 3 }) }) },
    { weight: weights.wire, arbitrary: fc.record({ kind: fc.constant<'odd'>('odd'), action: fc.constantFrom('storage.getUploadMetadata', 'storage.batchGetDownloadUrl', 'storage.batchDeleteFile', 'storage.nope', 'storage.toString'), params: fc.array(fc.tuple(fc.oneof(fc.constantFrom('path', 'envName', 'file_list', 'fileid_list'), oddKey), anyValue), { maxLength: 3 }).map(objectOf) }) },
    { weight: weights.raw, arbitrary: rawFileRequest },
  );

const fileIdOfPick = (choice: number | string): string => (typeof choice === 'number' ? (fileIds.length === 0 ? `cloud://${ENV}.${bucketOf(ENV)}/none` : fileIds[choice % fileIds.length]) : choice);
const CONTENT_TYPES: Record<string, string> = { png: 'image/png', txt: 'text/plain; charset=utf-8', json: 'application/json' };
const wireData = async (params: Record<string, unknown>): Promise<HttpAnswer> => fixture.postJson('/admin', jsonText(params));

/** One storage target: its inputs go through every storage route, most through its own. */
const storageTarget = (name: string, inputs: fc.Arbitrary<StorageCase>): void => fuzz(__filename, fixture.emulator, {
  name,
  inputs,
  // what a download reads and a delete or upload finds depends on what earlier inputs stored
  inOrder: true,
  footprint: async () => ({ database: await databaseFootprint(fixture.emulator()), files: storageListing() }),
  mayWrite: (input) => input.kind === 'upload' || input.kind === 'delete' || (input.kind === 'odd' && input.action === 'storage.batchDeleteFile'),
  async send(input): Promise<Verdict> {
    switch (input.kind) {
      case 'upload': {
        const answer = await wireData({ action: 'storage.getUploadMetadata', path: input.path, ...(input.env === undefined ? {} : { envName: input.env }) });
        const sentPath = received(input.path);
        const env = input.env === undefined ? ENV : received(input.env);
        // an environment sent as "" or null is none: the default's
        const envUsed = env === '' || env === null ? ENV : env;
        if (!isCloudPath(sentPath) || !isEnv(envUsed)) {
          expect(wireVerdict(answer)).toBe('refused');
          return 'refused';
        }
        expect(wireVerdict(answer)).toBe('answered');
        const { url, token, authorization, fileId } = json(answer).data as Record<string, string>;
        expect(fileId).toBe(`cloud://${envUsed}.${bucketOf(envUsed)}/${sentPath}`);
        const target = new URL(url);
        const put = await fixture.request({
          method: 'PUT',
          path: input.tamper === 'path' ? `${target.pathname}x` : target.pathname,
          headers: { 'x-cos-security-token': input.tamper === 'token' ? `${token}x` : token, authorization: input.tamper === 'authorization' ? 'q-sign-algorithm=sha1' : authorization },
          body: Buffer.from(input.bytes),
        });
        if (input.tamper !== 'none') {
          expect({ status: put.status, type: put.type }).toEqual({ status: 403, type: 'application/xml' });
          expect(put.text).toMatch(/<Code>AccessDenied<\/Code>/);
          return 'refused';
        }
        expect({ status: put.status, text: put.text }).toEqual({ status: 200, text: '' });
        if (!files.has(fileId)) fileIds.push(fileId);
        files.set(fileId, Buffer.from(input.bytes));
        return 'answered';
      }
      case 'download': {
        const ids = input.picks.map(fileIdOfPick);
        const answer = await wireData({ action: 'storage.batchGetDownloadUrl', file_list: ids.map((fileid) => ({ fileid, ...(input.maxAge === undefined ? {} : { max_age: input.maxAge }) })) });
        expect(wireVerdict(answer)).toBe('answered');
        const list = (json(answer).data as { download_list: { fileID: string; tempFileURL: string; code: string }[] }).download_list;
        expect(list.map((item) => [item.fileID, item.code])).toEqual(ids.map((id) => [id, files.has(id) ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST']));
        // the SDK's encodeURI leaves "?" and "#" of an unescaped path as they are, as in the cloud: such a file is read by downloadFile's URL, not checked here
        for (const item of list.filter((one) => one.code === 'SUCCESS' && !/[?#%]/.test(one.fileID))) {
          // as the SDK fetches it: encodeURI of the temporary URL
          const url = new URL(encodeURI(item.tempFileURL));
          if (input.tamper === 'sign') url.searchParams.set('sign', 'x');
          if (input.tamper === 't') url.searchParams.set('t', String(Number(url.searchParams.get('t')) + 1));
          const got = await fixture.request({ method: 'GET', path: `${url.pathname}${url.search}` });
          if (input.tamper !== 'none') {
            expect({ status: got.status, code: /<Code>(\w+)<\/Code>/.exec(got.text)?.[1] }).toEqual({ status: 403, code: 'AccessDenied' });
            continue;
          }
          const extension = item.fileID.slice(item.fileID.lastIndexOf('.') + 1).toLowerCase();
          expect({ status: got.status, type: got.type, bytes: got.bytes.toString('hex') }).toEqual({ status: 200, type: Object.hasOwn(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension] : 'application/octet-stream', bytes: files.get(item.fileID)?.toString('hex') });
        }
        return 'answered';
      }
      case 'delete': {
        const ids = input.picks.map(fileIdOfPick);
        const answer = await wireData({ action: 'storage.batchDeleteFile', fileid_list: ids });
        expect(wireVerdict(answer)).toBe('answered');
        const deleted = new Set<string>();
        const expected = ids.map((id) => {
          const there = files.has(id) && !deleted.has(id);
          deleted.add(id);
          return [id, there ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST'];
        });
        expect((json(answer).data as { delete_list: { fileID: string; code: string }[] }).delete_list.map((item) => [item.fileID, item.code])).toEqual(expected);
        for (const id of deleted) {
          if (files.delete(id)) fileIds.splice(fileIds.indexOf(id), 1);
        }
        return 'answered';
      }
      case 'raw': {
        const answer = await fixture.request({ method: input.method, path: `/__rukou/storage/${input.rest}${input.query}`, headers: input.headers, ...(input.method === 'PUT' ? { body: 'raw' } : {}) });
        // no grant, no signature: COS's refusal, as XML
        expect(answer.type).toBe('application/xml');
        expect([400, 403, 404]).toContain(answer.status);
        expect(/<Code>(\w+)<\/Code>/.exec(answer.text)?.[1]).toEqual(answer.status === 400 ? 'InvalidURI' : answer.status === 403 ? 'AccessDenied' : 'NoSuchKey');
        return 'refused';
      }
      case 'odd': {
        const answer = await wireData({ action: input.action, ...input.params });
        // whatever it is, the backend's shape; a delete of what the model does not hold deletes nothing
        const verdict = wireVerdict(answer);
        if (verdict === 'answered' && input.action === 'storage.batchDeleteFile') {
          for (const item of (json(answer).data as { delete_list: { fileID: string; code: string }[] }).delete_list) {
            expect(item.code === 'SUCCESS').toBe(files.has(item.fileID));
            if (files.delete(item.fileID)) fileIds.splice(fileIds.indexOf(item.fileID), 1);
          }
        }
        return verdict;
      }
    }
  },
});

storageTarget('POST /admin storage.*', storageCase({ upload: 2, download: 2, wire: 3, raw: 0 }));
storageTarget('PUT /__rukou/storage/<env>/<path>', storageCase({ upload: 6, download: 1, wire: 1, raw: 2 }));
storageTarget('GET /__rukou/storage/<env>/<path>', storageCase({ upload: 2, download: 6, wire: 1, raw: 2 }));

