// @ts-check
// The deploy plan: what `npm run deploy` would send, read from the project as it is on disk and
// nothing else (no environment, no network), so that it can be checked and printed offline.
// cloudbaserc.json says how the CLI deploys each function (Platform sources §A.4), each
// function's config.json what WeChat DevTools uploads with it (§B.1), its built index.js what runs,
// and database/collections.json the collections with their security rules and indexes (§F).
const fs = require('node:fs');
const path = require('node:path');
const { scanBundle } = require('./bundle');
const { PUSH_ROUTES, PUSH_FUNCTION } = require('./push-routes');

/**
 * @typedef {{ name: string, type: string, config: string }} Trigger a timer: 7-field cron in Beijing time (§A.6)
 * @typedef {{ name: string, unique?: boolean, keys: { name: string, direction: string }[] }} Index
 * @typedef {{ name: string, rules: Record<string, unknown>, indexes: Index[] }} CollectionPlan
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
 * @property {string | undefined} sdkRange the root package.json's wx-server-sdk range: what the emulator and the tests run
 * @property {typeof PUSH_ROUTES} pushRoutes
 * @property {string} pushFunction
 */

/** @param {string} file @returns {any} the parsed JSON, or undefined when there is no such file */
function readJson(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
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

/**
 * Reads the plan of the project in `root`. Throws only when a file is not JSON (the message names it).
 * @param {string} root
 * @returns {Plan}
 */
function readPlan(root) {
  const rc = readJson(path.join(root, 'cloudbaserc.json')) ?? {};
  /** @type {Record<string, any>[]} */
  const declared = Array.isArray(rc.functions) ? rc.functions : [];
  const functionsRoot = path.join(root, 'cloudfunctions');
  // every folder, not only those with a source: an old function's index.js alone, or an empty
  // folder, is one DevTools shows and uploads; hidden dot-folders (tool caches) are not
  const folders = fs.existsSync(functionsRoot) ? fs.readdirSync(functionsRoot).filter((name) => !name.startsWith('.') && fs.statSync(path.join(functionsRoot, name)).isDirectory()) : [];
  /** @type {Record<string, { rules: Record<string, unknown>, indexes?: Index[] }>} */
  const specs = readJson(path.join(root, 'database', 'collections.json'))?.collections ?? {};
  return {
    root,
    envId: rc.envId,
    functions: declared.map((fn) => readFunction(root, fn)),
    undeclared: folders.filter((name) => !declared.some((fn) => fn.name === name)).sort(),
    collections: Object.entries(specs).map(([name, spec]) => ({ name, rules: spec.rules, indexes: spec.indexes ?? [] })),
    sdkRange: readJson(path.join(root, 'package.json'))?.dependencies?.['wx-server-sdk'],
    pushRoutes: PUSH_ROUTES,
    pushFunction: PUSH_FUNCTION,
  };
}

module.exports = { readPlan };
