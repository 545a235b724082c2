import { randomBytes } from 'node:crypto';
import { invalidParam } from '../errors';
import type { Params } from '../http';
import { checkCloudPath, checkEnv, fileIdOf, parseFileId, type FileStore } from './state';

/** The cloud's default lifetime of a temporary download URL when the caller gives no maxAge. */
const DEFAULT_MAX_AGE_SECONDS = 24 * 60 * 60;

export interface StorageDeps {
  files: FileStore;
  /** http://127.0.0.1:PORT */
  baseUrl(): string;
  /** The environment when a request names none (the SDK always sends `envName`). */
  defaultEnv: string;
  now(): number;
}

/** The URL path of a stored file: `/__rukou/storage/<env>/<cloud path>`. */
export const FILE_ROUTE = '/__rukou/storage/';

/** The request's environment (the SDK always names it), or the default when it names none. */
const envOf = (params: Params, deps: StorageDeps): string => (params.envName === undefined || params.envName === null || params.envName === '' ? deps.defaultEnv : checkEnv(params.envName));

/** `storage.getUploadMetadata`: where and with what credentials the SDK PUTs the file. */
export function getUploadMetadata(params: Params, deps: StorageDeps): Record<string, unknown> {
  const env = envOf(params, deps);
  const cloudPath = checkCloudPath(params.path);
  const { token, authorization } = deps.files.grantUpload(env, cloudPath, deps.now());
  return {
    data: {
      // each segment encoded whole: encodeURI left "?" and "#", so the PUT of "a#b" went to "a"
      url: `${deps.baseUrl()}${FILE_ROUTE}${encodeURIComponent(env)}/${cloudPath.split('/').map(encodeURIComponent).join('/')}`,
      token,
      authorization,
      fileId: fileIdOf(env, cloudPath),
      cosFileId: randomBytes(12).toString('hex'),
    },
  };
}

function stringList(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidParam(`${name} must be a non-empty array`);
  return value;
}

/** `storage.batchGetDownloadUrl`: one signed temporary URL per file, or a per-file code. */
export function batchGetDownloadUrl(params: Params, deps: StorageDeps): Record<string, unknown> {
  const items = stringList(params.file_list, 'file_list') as { fileid?: unknown; max_age?: unknown }[];
  const nowSeconds = Math.floor(deps.now() / 1000);
  const downloadList = items.map((item) => {
    const fileID = String(item?.fileid ?? '');
    // whole seconds: a URL's expiry `t` is read back as an integer, so 0.5 or Infinity made a URL that was never valid
    const maxAge = Number.isSafeInteger(item?.max_age) && (item.max_age as number) > 0 ? (item.max_age as number) : DEFAULT_MAX_AGE_SECONDS;
    const file = parseFileId(fileID);
    if (!file || !deps.files.exists(file.env, file.cloudPath)) {
      return { fileID, tempFileURL: '', code: 'STORAGE_FILE_NONEXIST', message: `no file ${fileID}` };
    }
    const expires = nowSeconds + maxAge;
    const sign = deps.files.sign(file.env, file.cloudPath, expires);
    // The path stays unescaped, like the cloud's temporary URLs: the SDK encodeURI()s it before its GET.
    const tempFileURL = `${deps.baseUrl()}${FILE_ROUTE}${file.env}/${file.cloudPath}?sign=${sign}&t=${expires}`;
    return { fileID, tempFileURL, code: 'SUCCESS', maxAge };
  });
  return { data: { download_list: downloadList } };
}

/** `storage.batchDeleteFile`: deletes each file; a missing one is reported, not fatal. */
export function batchDeleteFile(params: Params, deps: StorageDeps): Record<string, unknown> {
  const ids = stringList(params.fileid_list, 'fileid_list');
  const deleteList = ids.map((id) => {
    const fileID = String(id);
    const file = parseFileId(fileID);
    const deleted = file !== undefined && deps.files.remove(file.env, file.cloudPath);
    return deleted ? { fileID, code: 'SUCCESS' } : { fileID, code: 'STORAGE_FILE_NONEXIST', message: `no file ${fileID}` };
  });
  return { data: { delete_list: deleteList } };
}
