// @ts-check
// What must hold before anything is sent: the problems of a deploy plan (./plan.js), each a
// sentence that names the file and the fix. Offline: the plan is all it reads.
const { functionOptions } = require('../build');
const path = require('node:path');
// the emulator's parser, collection-name rule, memory sizes and trigger names, built into dist/ by npm run build, which npm run deploy runs first
/** @type {typeof import('../../emulator/triggers/cron')} */
const { parseCron } = require(path.join(__dirname, '..', '..', 'dist', 'cron'));
/** @type {typeof import('../../emulator/database/names')} */
const { COLLECTION_NAME_RULE, isCollectionName } = require(path.join(__dirname, '..', '..', 'dist', 'collection-names'));
/** @type {typeof import('../../emulator/cloudbaserc')} */
const { MEMORY_SIZES, repeatedNames } = require(path.join(__dirname, '..', '..', 'dist', 'cloudbaserc'));
/** @type {typeof import('../../emulator/function-config')} */
const { TRIGGER_NAME } = require(path.join(__dirname, '..', '..', 'dist', 'function-config'));

/** @typedef {import('./plan').Plan} Plan @typedef {import('./plan').FunctionPlan} FunctionPlan @typedef {import('./plan').Trigger} Trigger */

/**
 * Indexes a collection takes: WeChat's resource quota page says 20 ("Maximum number of indexes in
 * a single collection in the database: 20"), the CloudBase FAQ 100; the fewer holds for both.
 */
const MAX_INDEXES = 20;
/** Index key directions of CloudBase's database. */
const DIRECTIONS = ['1', '-1', '2dsphere'];
/**
 * The name of the index on `_id` every collection has: MongoDB refuses another index of that name
 * ("The index name '_id_' is reserved for the _id index, which must have key pattern {_id: 1}"),
 * and one on `_id` itself is already there.
 */
const ID_INDEX = '_id_';

/** @param {unknown} a @param {unknown} b */
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** @param {FunctionPlan} fn @returns {string[]} what is wrong with how the CLI would deploy it (cloudbaserc.json) */
function declarationProblems(fn) {
  const { name, declared } = fn;
  const problems = [];
  if (!fn.hasSource) problems.push(`cloudbaserc.json declares ${name} but cloudfunctions/${name}/src/index.ts is missing`);
  const { runtime, timeout, memorySize, handler } = declared;
  if (runtime === undefined || timeout === undefined) problems.push(`${name}: set runtime and timeout explicitly in cloudbaserc.json (the CLI's defaults are not the docs')`);
  const major = /^Nodejs(\d+)\.\d+$/.exec(String(runtime ?? ''))?.[1];
  const target = Number(/^node(\d+)$/.exec(String(functionOptions(name).target))?.[1]);
  if (runtime !== undefined && !major) problems.push(`${name}: runtime ${runtime} is not one of CloudBase's Node.js runtimes (Nodejs18.15)`);
  if (major && Number(major) < target) problems.push(`${name}: runtime ${runtime} is older than node${target}, which scripts/build.js bundles for`);
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= 60)) problems.push(`${name}: timeout must be a whole number of seconds from 1 to 60`);
  if (!(typeof memorySize === 'number' && MEMORY_SIZES.includes(memorySize))) problems.push(`${name}: set memorySize in cloudbaserc.json to ${MEMORY_SIZES.join(', ')} MB`);
  if (handler !== 'index.main') problems.push(`${name}: handler must be index.main (the bundle's exports.main)`);
  for (const [key, value] of Object.entries(declared.envVariables ?? {})) {
    if (value !== `{{env.${key}}}`) problems.push(`${name}: envVariables.${key} must be "{{env.${key}}}": values come from .env, never from the repository`);
  }
  return problems;
}

/** @param {string} name @param {Trigger[]} triggers @returns {string[]} */
function triggerProblems(name, triggers) {
  const problems = [];
  // config.json holds one trigger, and it must say what the CLI creates
  if (triggers.length > 1) problems.push(`${name}: WeChat takes one trigger per function, cloudbaserc.json declares ${triggers.length}`);
  for (const trigger of triggers) {
    if (trigger.type !== 'timer') problems.push(`${name}: trigger ${trigger.name} must be of type timer, the only one the CLI creates`);
    if (!TRIGGER_NAME.test(String(trigger.name))) problems.push(`${name}: trigger name ${trigger.name} must start with a letter and hold at most 60 letters, digits, _ or -`);
    // the CLI only warns when the cloud refuses a timer (§A.4): the deploy would end well with no timer
    const cron = String(trigger.config);
    if (cron.trim().split(/\s+/).length !== 7) problems.push(`${name}: trigger ${trigger.name}'s config must be a 7-field cron, second to year`);
    else {
      try {
        // a schedule that takes no day from now (31 February, a year gone) would deploy and never run
        if (parseCron(cron).next(new Date()) === null) problems.push(`${name}: trigger ${trigger.name}'s config "${cron}" never fires again`);
      } catch (error) {
        problems.push(`${name}: trigger ${trigger.name}'s config is no cron the cloud takes: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return problems;
}

/** @param {FunctionPlan} fn @returns {string[]} what would break it uploaded from WeChat DevTools or run in the cloud */
function folderProblems(fn) {
  const { name, config, packageJson, bundle } = fn;
  const problems = [];
  for (const file of fn.files.filter((file) => file.endsWith('.ts'))) {
    problems.push(`${name}: cloudfunctions/${name}/${file}: WeChat DevTools does not upload a function with TypeScript beside its index.js; it belongs in src/`);
  }
  if (!config) {
    problems.push(`${name}: cloudfunctions/${name}/config.json is missing (what WeChat DevTools uploads: the function's openapi permissions and trigger)`);
  } else if (!sameJson(config.triggers ?? [], fn.triggers)) {
    problems.push(`${name}: the triggers in config.json and cloudbaserc.json differ`);
  }
  const permissions = config?.permissions?.openapi;
  if (config && !(Array.isArray(permissions) && permissions.every((p) => typeof p === 'string'))) problems.push(`${name}: config.json's permissions.openapi must be a list of API names ([] for none)`);
  if (!bundle) {
    problems.push(`${name}: cloudfunctions/${name}/index.js is not built: run npm run build`);
  } else {
    for (const where of bundle.unreadable) problems.push(`${name}: its bundle reaches cloud.openapi where no API can be named (${where}): write each call as cloud.openapi.<namespace>.<method>(…)`);
    const listed = Array.isArray(permissions) ? permissions : [];
    for (const call of bundle.cloudCalls.filter((call) => !listed.includes(call))) problems.push(`${name}: its code calls ${call}, which config.json's permissions.openapi does not list (WeChat would answer -604101)`);
    for (const unused of listed.filter((p) => !bundle.cloudCalls.includes(p))) problems.push(`${name}: config.json's permissions.openapi lists ${unused}, which its code never calls`);
  }
  if (!packageJson) return [...problems, `${name}: cloudfunctions/${name}/package.json is missing (the cloud installs the function's dependencies from it)`];
  if (packageJson.main !== 'index.js') problems.push(`${name}: package.json's main must be index.js, the built bundle`);
  const dependencies = packageJson.dependencies ?? {};
  for (const missing of (bundle?.packages ?? []).filter((p) => !(p in dependencies))) problems.push(`${name}: its bundle requires ${missing}, which its package.json does not list: the cloud installs only those`);
  for (const unused of Object.keys(dependencies).filter((p) => bundle && !bundle.packages.includes(p))) problems.push(`${name}: package.json lists ${unused}, which its bundle never requires`);
  return problems;
}

/**
 * The cloud installs a function's dependencies from its package.json (`installDependency`): a range
 * would install whatever version is newest that day, not the one every test ran.
 * @param {FunctionPlan} fn @param {string | undefined} sdkVersion @returns {string[]}
 */
function sdkProblems(fn, sdkVersion) {
  const asked = fn.packageJson?.dependencies?.['wx-server-sdk'];
  // npm lets optionalDependencies and overrides win over dependencies
  const elsewhere = ['optionalDependencies', 'overrides'].filter((field) => /** @type {Record<string, any>} */ (fn.packageJson ?? {})[field]?.['wx-server-sdk'] !== undefined);
  return [
    ...(asked !== undefined && asked !== sdkVersion ? [`${fn.name}: package.json asks wx-server-sdk ${asked}, where every test runs ${sdkVersion} (package-lock.json): ask exactly that`] : []),
    ...elsewhere.map((field) => `${fn.name}: package.json names wx-server-sdk in ${field}, which npm takes over dependencies: name it in dependencies only`),
  ];
}

/** @param {import('./plan').CollectionPlan} collection @returns {string[]} */
function collectionProblems({ name, rules, indexes }) {
  const problems = [];
  if (!isCollectionName(name)) problems.push(`collection ${JSON.stringify(name)}: a name the cloud does not take (${COLLECTION_NAME_RULE}: MongoDB's rules, which CloudBase follows)`);
  const ruleOk = (/** @type {unknown} */ rule) => typeof rule === 'boolean' || (typeof rule === 'string' && rule.length > 0 && rule.length <= 1024);
  if (!rules || !ruleOk(rules.read) || !ruleOk(rules.write)) problems.push(`collection ${name}: its rules need read and write, each true, false or an expression of at most 1024 characters`);
  else if (rules.read !== false || rules.write !== false) problems.push(`collection ${name}: its rules must be read false and write false: clients reach the data through the functions only, never directly`);
  if (!Array.isArray(indexes)) return [...problems, `collection ${name}: indexes must be a list`];
  if (indexes.length > MAX_INDEXES) problems.push(`collection ${name}: ${indexes.length} indexes, where a collection takes ${MAX_INDEXES}`);
  const names = indexes.map((index) => index.name);
  for (const repeated of names.filter((n, i) => names.indexOf(n) !== i)) problems.push(`collection ${name}: index ${repeated} is declared twice`);
  for (const index of indexes) {
    if (index.name === ID_INDEX) problems.push(`collection ${name}: index ${ID_INDEX} is the name MongoDB keeps for the _id index every collection already has ("The index name '${ID_INDEX}' is reserved for the _id index"): name it otherwise`);
    const keys = Array.isArray(index.keys) ? index.keys : [];
    if (keys.length === 0 || keys.length > 31) problems.push(`collection ${name}: index ${index.name} needs 1 to 31 keys`);
    for (const key of keys.filter((key) => !DIRECTIONS.includes(key.direction))) problems.push(`collection ${name}: index ${index.name} key ${key.name} has direction ${key.direction}, not one of ${DIRECTIONS.join(', ')}`);
  }
  return problems;
}

/** @param {Plan} plan @returns {string[]} each function declared more than once (repeatedNames says why that is a problem), once */
function repeatedFunctionProblems(plan) {
  return repeatedNames(plan.functions).map(
    (name) => `cloudbaserc.json declares the function ${name} ${plan.functions.filter((fn) => fn.name === name).length} times: the CLI deploys its entries at once, and which one's settings the cloud keeps is a race; keep one entry`,
  );
}

/** @param {Plan} plan @returns {string[]} the collections the functions' code names that the deploy would not create, each once */
function missingCollectionProblems(plan) {
  const created = plan.collections.map((collection) => collection.name);
  const named = [...new Set(plan.functions.flatMap((fn) => fn.bundle?.collections ?? []))].filter((name) => !created.includes(name));
  return named.map((name) => {
    const users = plan.functions.filter((fn) => fn.bundle?.collections.includes(name)).map((fn) => fn.name);
    return `database/collections.json does not create the collection ${name}, which ${users.join(' and ')} use${users.length === 1 ? 's' : ''}: a timer or a call would meet it missing`;
  });
}

/**
 * Every problem of the plan, in the order of the files they are in; none means it is deployable
 * as far as anything offline can tell.
 * @param {Plan} plan
 * @returns {string[]}
 */
function planProblems(plan) {
  return [
    ...(plan.envId === '{{env.ENV_ID}}' ? [] : ['cloudbaserc.json: envId must be "{{env.ENV_ID}}": the environment comes from .env, never from the repository']),
    ...plan.undeclared.map((name) => `cloudfunctions/${name} is not declared in cloudbaserc.json`),
    ...repeatedFunctionProblems(plan),
    ...plan.functions.flatMap((fn) => [...declarationProblems(fn), ...triggerProblems(fn.name, fn.triggers), ...folderProblems(fn), ...sdkProblems(fn, plan.sdkVersion)]),
    ...plan.collections.flatMap(collectionProblems),
    ...missingCollectionProblems(plan),
  ];
}

module.exports = { planProblems };
