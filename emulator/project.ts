import fs from 'node:fs';
import path from 'node:path';
import { declaredFunctions, DEFAULT_MEMORY_MB, MEMORY_SIZES, repeatedNames } from './cloudbaserc';
import { COLLECTION_NAME_RULE, isCollectionName } from './database/names';
import { functionConfig, type FunctionConfig } from './function-config';

/** A function: its folder, its settings in cloudbaserc.json, and what its config.json says. */
export interface FunctionSpec extends FunctionConfig {
  name: string;
  dir: string;
  /** seconds, from cloudbaserc.json (the cloud's default is 3 s when unset). */
  timeout: number;
  /** MB, from cloudbaserc.json (the CLI's default is 256): reported to the function, not enforced. */
  memoryMB: number;
  envVariables: Record<string, string>;
}

export interface IndexSpec {
  name: string;
  unique?: boolean;
  keys: { name: string; direction: '1' | '-1' }[];
}

export interface CollectionSpec {
  name: string;
  rules: Record<string, unknown>;
  indexes: IndexSpec[];
}

/** The deployable project as the emulator sees it: the same files `npm run deploy` sends. */
export interface Project {
  root: string;
  envId: string;
  /** Where the functions are: cloudbaserc.json's `functionRoot`, by default `cloudfunctions/`. */
  functionRoot: string;
  functions: Map<string, FunctionSpec>;
  collections: CollectionSpec[];
  /** The Mini Program beside the functions, as WeChat knows it once released. */
  miniProgram: MiniProgramSpec;
}

/** What the simulated WeChat knows of the Mini Program: its appid and its pages. */
export interface MiniProgramSpec {
  /** `appid` of project.config.json; DevTools' placeholder `touristappid`, or none, gives DEFAULT_APPID. */
  appid: string;
  /**
   * Its pages from app.json (`pages`, and each subpackage's `root` + `pages`), or undefined when the
   * project has no app.json: WeChat then has nothing to check a page against, and neither does the emulator.
   */
  pages?: string[];
}

/** The appid the simulated Mini Program has when its project names none (the test helpers' default too). */
export const DEFAULT_APPID = 'wx0000000000000000';

interface AppJson {
  pages?: string[];
  subpackages?: { root?: string; pages?: string[] }[];
  subPackages?: { root?: string; pages?: string[] }[];
}

/** The Mini Program's appid and pages: project.config.json's `miniprogramRoot` (default `miniprogram/`) holds its app.json. */
function loadMiniProgram(root: string): MiniProgramSpec {
  const config = readJson<{ appid?: string; miniprogramRoot?: string }>(path.join(root, 'project.config.json'), {});
  const appid = typeof config.appid === 'string' && config.appid && config.appid !== 'touristappid' ? config.appid : DEFAULT_APPID;
  const appJson = path.join(root, config.miniprogramRoot ?? 'miniprogram', 'app.json');
  if (!fs.existsSync(appJson)) return { appid };
  const app = readJson<AppJson>(appJson, {});
  const pages = [...(app.pages ?? [])];
  for (const sub of [...(app.subpackages ?? []), ...(app.subPackages ?? [])]) {
    const prefix = (sub.root ?? '').replace(/\/+$/, '');
    for (const page of sub.pages ?? []) pages.push(prefix ? `${prefix}/${page}` : page);
  }
  return { appid, pages };
}

interface CloudbaseFunctionConfig {
  name: string;
  timeout?: number;
  memorySize?: number;
  envVariables?: Record<string, string | number | boolean>;
}

const DEFAULT_TIMEOUT_SECONDS = 3;
/**
 * The longest time limit a cloud function takes, in whole seconds from 1: CloudBase's function
 * configuration documents 1 to 60 and the console offers no more (README, Platform sources §A.4,
 * H.2). A longer one ran here and would be refused, or cut at 60 s, in the cloud.
 */
const MAX_TIMEOUT_SECONDS = 60;

function timeoutOf(rcFile: string, name: string, config: CloudbaseFunctionConfig | undefined): number {
  const timeout: unknown = config?.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  if (Number.isInteger(timeout) && (timeout as number) >= 1 && (timeout as number) <= MAX_TIMEOUT_SECONDS) return timeout as number;
  throw new Error(
    `${rcFile}: the function "${name}" has timeout ${JSON.stringify(timeout)}, which the cloud does not take: a cloud function's timeout is ` +
      `1 to ${MAX_TIMEOUT_SECONDS} seconds, whole. Split a longer job into runs that fit (a timer whose run picks up where the last one stopped).`,
  );
}

function memoryOf(rcFile: string, name: string, config: CloudbaseFunctionConfig | undefined): number {
  const memorySize: unknown = config?.memorySize ?? DEFAULT_MEMORY_MB;
  if (typeof memorySize === 'number' && MEMORY_SIZES.includes(memorySize)) return memorySize;
  throw new Error(
    `${rcFile}: the function "${name}" has memorySize ${JSON.stringify(memorySize)}, which the cloud does not take: one of ${MEMORY_SIZES.join(', ')} MB.`,
  );
}

export const LOCAL_ENV_ID = 'rukou-local';

function readJson<T>(file: string, fallback: T): T {
  if (!fs.existsSync(file)) return fallback;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** `{{env.X}}` placeholders are filled from the environment like the CLI does from .env. */
const renderEnv = (raw: string): string => raw.replace(/\{\{\s*env\.(\w+)\s*\}\}/g, (_, key: string) => process.env[key] ?? '');

function renderEnvId(raw: string | undefined): string {
  return (raw && renderEnv(raw)) || LOCAL_ENV_ID;
}

export function loadProject(root: string): Project {
  const rcFile = path.join(root, 'cloudbaserc.json');
  const rc = readJson<{ envId?: string; functionRoot?: string; functions?: unknown; functionDefaultConfig?: unknown }>(rcFile, {});
  const functionRoot = path.resolve(root, rc.functionRoot ?? 'cloudfunctions');
  const declared = declaredFunctions<CloudbaseFunctionConfig>(rc);
  const [repeated] = repeatedNames(declared);
  if (repeated !== undefined) throw new Error(`${rcFile} declares the function ${JSON.stringify(repeated)} more than once, and the CLI would deploy its entries at once: keep one.`);
  const configs = new Map(declared.map((f) => [f.name, f]));
  const functions = new Map<string, FunctionSpec>();
  if (fs.existsSync(functionRoot)) {
    for (const name of fs.readdirSync(functionRoot).sort()) {
      const dir = path.join(functionRoot, name);
      if (!fs.statSync(dir).isDirectory() || !fs.existsSync(path.join(dir, 'package.json'))) continue;
      const configFile = path.join(dir, 'config.json');
      const rcConfig = configs.get(name);
      functions.set(name, {
        name,
        dir,
        timeout: timeoutOf(rcFile, name, rcConfig),
        memoryMB: memoryOf(rcFile, name, rcConfig),
        envVariables: Object.fromEntries(Object.entries(rcConfig?.envVariables ?? {}).map(([k, v]) => [k, renderEnv(String(v))])),
        ...functionConfig(configFile, readJson(configFile, {})),
      });
    }
  }
  const collectionsFile = path.join(root, 'database', 'collections.json');
  const database = readJson<{ collections?: Record<string, { rules?: Record<string, unknown>; indexes?: IndexSpec[] }> }>(collectionsFile, {});
  const collections = Object.entries(database.collections ?? {}).map(([name, spec]) => ({
    name,
    rules: spec.rules ?? { read: false, write: false },
    indexes: spec.indexes ?? [],
  }));
  // created without a request, they would otherwise skip the check db.createCollection makes
  const misnamed = collections.find(({ name }) => !isCollectionName(name));
  if (misnamed) {
    throw new Error(
      `${collectionsFile}: the collection ${JSON.stringify(misnamed.name)} has a name the cloud does not take (${COLLECTION_NAME_RULE}), ` +
        'as db.createCollection refuses it (Invalid collection name): rename it.',
    );
  }
  return { root, envId: renderEnvId(rc.envId), functionRoot, functions, collections, miniProgram: loadMiniProgram(root) };
}
