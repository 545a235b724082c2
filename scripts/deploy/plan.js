// @ts-check
// The deploy plan: what `npm run deploy` would send, read from the project as it is on disk and
// nothing else (no environment, no network), so that it can be checked and printed offline.
// cloudbaserc.json says how the CLI deploys each function (Platform sources §A.4), each
// function's config.json what WeChat DevTools uploads with it (§B.1), its built index.js what runs,
// and database/collections.json the collections with their security rules and indexes (§F).
const fs = require('node:fs');
const path = require('node:path');
const { scanBundle } = require('./bundle');
// how the emulator reads cloudbaserc.json's functions, built into dist/ by npm run build, which npm run deploy runs first
/** @type {typeof import('../../emulator/cloudbaserc')} */
const { declaredFunctions } = require(path.join(__dirname, '..', '..', 'dist', 'cloudbaserc'));
const { PUSH_ROUTES, PUSH_FUNCTION } = require('./push-routes');

/**
 * @typedef {{ name: string, type: string, config: string }} Trigger a timer: 7-field cron in Beijing time (§A.6)
 * @typedef {{ name: string, unique?: boolean, keys: { name: string, direction: string }[] }} Index
 * @typedef {{ name: string, rules: Record<string, unknown> | undefined, indexes: Index[] }} CollectionPlan
 *
 * @typedef {object} FunctionPlan
 * @property {string} name
 * @property {Record<string, unknown>} declared its entry in cloudbaserc.json, as written
 * @property {string[]} variables the names of the environment variables cloudbaserc.json gives it
 * @property {Trigger[]} triggers cloudbaserc.json's, which the CLI creates
 * @property {boolean} hasSource whether cloudfunctions/<name>/src/index.ts exists
 * @property {string[]} files the names in cloudfunctions/<name>/, what a DevTools upload sends
 * @property {{ permissions?: { openapi?: unknown }, triggers?: unknown } | undefined} config its config.json
 * @property {{ main?: unknown, dependencies?: Record<string, string> } | undefined} packageJson its package.json
 * @property {{ bytes: number } & import('./bundle').BundleUse | undefined} bundle its index.js, when built
 *
 * @typedef {object} Plan
 * @property {string} root the project's folder
 * @property {unknown} envId cloudbaserc.json's envId, as written
 * @property {FunctionPlan[]} functions in cloudbaserc.json's order
 * @property {string[]} undeclared folders of cloudfunctions/ that cloudbaserc.json does not declare, whatever they hold (DevTools lists each as a function), dot-folders aside
 * @property {CollectionPlan[]} collections
 * @property {string | undefined} sdkVersion the wx-server-sdk package-lock.json holds: what the emulator and every test run
 * @property {string | undefined} miniProgramEnvId the environment miniprogram/tracking.ts's `ENV_ID` sends the Mini Program's calls to
 * @property {typeof PUSH_ROUTES} pushRoutes
 * @property {string} pushFunction
 */

/**
 * @param {string} file
 * @returns {any} the parsed JSON, or undefined when there is no such file
 * @throws {Error} naming the file, when it is not JSON
 */
function readJson(file) {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * @param {string} root the folder holding cloudbaserc.json
 * @param {Record<string, any>} declared a function's entry in cloudbaserc.json
 * @returns {FunctionPlan}
 */
function readFunction(root, declared) {
  const name = String(declared.name);
  const dir = path.join(root, 'cloudfunctions', name);
  const bundleFile = path.join(dir, 'index.js');
  const code = fs.existsSync(bundleFile) ? fs.readFileSync(bundleFile, 'utf8') : undefined;
  return {
    name,
    declared,
    variables: Object.keys(declared.envVariables ?? {}),
    triggers: declared.triggers ?? [],
    hasSource: fs.existsSync(path.join(dir, 'src', 'index.ts')),
    files: fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [],
    config: readJson(path.join(dir, 'config.json')),
    packageJson: readJson(path.join(dir, 'package.json')),
    bundle: code === undefined ? undefined : { bytes: Buffer.byteLength(code), ...scanBundle(code) },
  };
}

/** @param {string} file @returns {string | undefined} the `const ENV_ID = '…'` of the Mini Program's tracking module (exported, typed or not) */
function readMiniProgramEnvId(file) {
  return fs.existsSync(file) ? /\bconst ENV_ID(?:\s*:\s*string)?\s*=\s*(['"`])(.*?)\1/.exec(fs.readFileSync(file, 'utf8'))?.[2] : undefined;
}

/**
 * Reads the plan of the project in `root`. Throws only when a file is not JSON (the message names it).
 * @param {string} root
 * @returns {Plan}
 */
function readPlan(root) {
  const rc = readJson(path.join(root, 'cloudbaserc.json')) ?? {};
  // the CLI gives every function functionDefaultConfig under its own entry, and so does the emulator
  /** @type {Record<string, any>[]} */
  const declared = declaredFunctions(rc);
  const functionsRoot = path.join(root, 'cloudfunctions');
  // every folder, not only those with a source: an old function's index.js alone, or an empty
  // folder, is one DevTools shows and uploads; hidden dot-folders (tool caches) are not
  const folders = fs.existsSync(functionsRoot) ? fs.readdirSync(functionsRoot).filter((name) => !name.startsWith('.') && fs.statSync(path.join(functionsRoot, name)).isDirectory()) : [];
  /** @type {Record<string, { rules: Record<string, unknown>, indexes?: Index[] } | null>} */
  const specs = readJson(path.join(root, 'database', 'collections.json'))?.collections ?? {};
  return {
    root,
    envId: rc.envId,
    functions: declared.map((fn) => readFunction(root, fn)),
    undeclared: folders.filter((name) => !declared.some((fn) => fn.name === name)).sort(),
    collections: Object.entries(specs).map(([name, spec]) => ({ name, rules: spec?.rules, indexes: spec?.indexes ?? [] })),
    sdkVersion: readJson(path.join(root, 'package-lock.json'))?.packages?.['node_modules/wx-server-sdk']?.version,
    miniProgramEnvId: readMiniProgramEnvId(path.join(root, 'miniprogram', 'tracking.ts')),
    pushRoutes: PUSH_ROUTES,
    pushFunction: PUSH_FUNCTION,
  };
}

module.exports = { readPlan };
