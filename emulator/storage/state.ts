import { createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { invalidParam } from '../errors';
import { writeWhole } from '../files';

/**
 * The bucket of an environment, named like the cloud's: the hex of the env id's first two
 * characters, the env id, an account number (`test-1a2b` → `7465-test-1a2b-1300000000`).
 */
export function bucketOf(env: string): string {
  return `${Buffer.from(env.slice(0, 2)).toString('hex')}-${env}-1300000000`;
}

export const fileIdOf = (env: string, cloudPath: string): string => `cloud://${env}.${bucketOf(env)}/${cloudPath}`;

/** What an environment id is made of (a fileID names it before its first dot). */
const ENV_ID = /^[a-z0-9_-]{1,40}$/i;

/**
 * An environment the store keeps files for: an id a fileID can name. Anything else is refused: the
 * store is a folder per environment, and an envName of ".." or "../x" put a file outside it (a
 * path of "database/log.jsonl" then wrote over the database's log), where no fileID could reach it.
 */
export function checkEnv(env: unknown): string {
  if (typeof env !== 'string' || !ENV_ID.test(env)) throw invalidParam(`envName must be an environment id (letters, digits, "-" and "_", at most 40), got ${JSON.stringify(env)}`);
  return env;
}

/** `cloud://<env>.<bucket>/<path>` → env and path, or undefined when it names no file of ours. */
export function parseFileId(fileID: string): { env: string; cloudPath: string } | undefined {
  // `s`: a path may hold a line break, which `.` alone does not match
  const match = /^cloud:\/\/([^./]+)\.([^/]+)\/(.+)$/s.exec(fileID);
  if (!match || !ENV_ID.test(match[1]) || match[2] !== bucketOf(match[1])) return undefined;
  try {
    return { env: match[1], cloudPath: checkCloudPath(match[3]) };
  } catch {
    return undefined;
  }
}

/**
 * A cloud path is relative and stays inside the bucket: no empty or dot segments, no backslashes;
 * and it is text a URL can carry (UTF-8): a lone surrogate half is none, and encodeURI threw on it
 * as getUploadMetadata built the upload URL (a 500).
 */
export function checkCloudPath(cloudPath: unknown): string {
  if (typeof cloudPath !== 'string' || cloudPath.length === 0 || cloudPath.length > 850) {
    throw invalidParam('cloudPath must be a non-empty string of at most 850 characters');
  }
  // UTF-8 has no bytes for a lone surrogate: it comes back as U+FFFD
  if (Buffer.from(cloudPath, 'utf8').toString('utf8') !== cloudPath) throw invalidParam('cloudPath must be text: it holds a lone UTF-16 surrogate, which no URL can carry');
  const segments = cloudPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || /[\\\0]/.test(cloudPath)) {
    throw invalidParam(`cloudPath "${cloudPath}" must be relative, like "images/a.png" (no leading "/", no "." or ".." segments)`);
  }
  return cloudPath;
}

interface UploadGrant {
  env: string;
  cloudPath: string;
  authorization: string;
  expiresAt: number;
}

const UPLOAD_GRANT_MS = 15 * 60 * 1000;

/**
 * Files on local disk, one folder per environment under `<data dir>/storage/`. A file is written
 * to a temporary name and renamed into place, so a reader (or a crash) never sees half a file.
 * Download URLs are signed with a key kept in the data dir, so they survive a restart until they
 * expire, like the cloud's temporary URLs.
 */
export class FileStore {
  private readonly root: string;
  private readonly scratch: string;
  private readonly key: Buffer;
  private readonly grants = new Map<string, UploadGrant>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'storage');
    this.scratch = path.join(dataDir, 'storage-scratch');
    fs.mkdirSync(this.root, { recursive: true });
    fs.mkdirSync(this.scratch, { recursive: true });
    const keyFile = path.join(dataDir, 'storage-key');
    if (!fs.existsSync(keyFile)) writeWhole(keyFile, randomBytes(32));
    this.key = fs.readFileSync(keyFile);
  }

  /**
   * Where an object's bytes are: a file named by a hash of its path, in its environment's folder.
   * COS keys are flat: "a" and "a/b" are two objects, and a key may be 850 characters in one
   * segment; a folder per segment could hold neither (EISDIR, ENAMETOOLONG: the upload answered 500).
   */
  private fileOf(env: string, cloudPath: string): string {
    return path.join(this.root, env, createHash('sha256').update(cloudPath).digest('hex'));
  }

  /** Permission for one PUT of one path, as getUploadMetadata hands it out. */
  grantUpload(env: string, cloudPath: string, now: number): { token: string; authorization: string } {
    for (const [token, grant] of this.grants) if (grant.expiresAt < now) this.grants.delete(token);
    const token = randomBytes(16).toString('hex');
    const authorization = `q-sign-algorithm=sha1&q-ak=rukou&q-signature=${randomBytes(20).toString('hex')}`;
    this.grants.set(token, { env, cloudPath, authorization, expiresAt: now + UPLOAD_GRANT_MS });
    return { token, authorization };
  }

  /** Spends the grant that a PUT presents (token and authorization headers); false when none matches. */
  takeGrant(token: string | undefined, authorization: string | undefined, env: string, cloudPath: string, now: number): boolean {
    const grant = token ? this.grants.get(token) : undefined;
    if (!grant || grant.authorization !== authorization || grant.env !== env || grant.cloudPath !== cloudPath || grant.expiresAt < now) return false;
    this.grants.delete(token as string);
    return true;
  }

  write(env: string, cloudPath: string, bytes: Buffer): void {
    const target = this.fileOf(env, cloudPath);
    const temporary = path.join(this.scratch, randomBytes(8).toString('hex'));
    fs.writeFileSync(temporary, bytes);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(temporary, target);
  }

  read(env: string, cloudPath: string): Buffer | undefined {
    const file = this.fileOf(env, cloudPath);
    return fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
  }

  exists(env: string, cloudPath: string): boolean {
    const file = this.fileOf(env, cloudPath);
    return fs.existsSync(file) && fs.statSync(file).isFile();
  }

  remove(env: string, cloudPath: string): boolean {
    if (!this.exists(env, cloudPath)) return false;
    fs.unlinkSync(this.fileOf(env, cloudPath));
    return true;
  }

  /** The `sign` of a download URL: binds the file and the expiry (epoch seconds) to this data dir's key. */
  sign(env: string, cloudPath: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${env}\0${cloudPath}\0${expires}`).digest('hex');
  }
}
