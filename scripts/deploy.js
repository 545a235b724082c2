// @ts-check
// `npm run deploy`: sends the built functions (with their timer triggers) to the environment
// named in .env with the CloudBase CLI, then creates the collections with their security rules
// and indexes from database/collections.json with the CloudBase manager SDK (the CLI has no
// command for collections, rules or indexes). `--dry-run` prints the plan and touches nothing.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** @param {string} file @returns {any} */
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

/** .env holds ENV_ID and the deploy credentials; it is git-ignored and never logged. */
function loadDotEnv() {
  const file = path.join(root, '.env');
  if (!fs.existsSync(file)) return;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && process.env[match[1]] === undefined) process.env[match[1]] = match[2].replace(/^['"]|['"]$/g, '');
  }
}

/**
 * The deploy plan, checked before anything is sent: every function folder is declared in
 * cloudbaserc.json with an explicit runtime and timeout, and the timer trigger in its
 * config.json (what WeChat DevTools uploads) matches the one the CLI will create.
 */
function plan() {
  const rc = readJson('cloudbaserc.json');
  const problems = [];
  const functions = rc.functions.map((/** @type {any} */ fn) => {
    const dir = path.join(root, 'cloudfunctions', fn.name);
    if (!fs.existsSync(path.join(dir, 'src', 'index.ts'))) problems.push(`cloudbaserc.json declares ${fn.name} but cloudfunctions/${fn.name}/src/index.ts is missing`);
    if (!fn.runtime || !fn.timeout) problems.push(`${fn.name}: set runtime and timeout explicitly in cloudbaserc.json`);
    const configFile = path.join(dir, 'config.json');
    const config = fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {};
    const triggers = JSON.stringify(fn.triggers ?? []);
    if (JSON.stringify(config.triggers ?? []) !== triggers) problems.push(`${fn.name}: the triggers in config.json and cloudbaserc.json differ`);
    return { name: fn.name, timeout: fn.timeout, triggers: fn.triggers ?? [] };
  });
  for (const name of fs.readdirSync(path.join(root, 'cloudfunctions'))) {
    if (fs.existsSync(path.join(root, 'cloudfunctions', name, 'src')) && !functions.some((/** @type {any} */ f) => f.name === name)) {
      problems.push(`cloudfunctions/${name} is not declared in cloudbaserc.json`);
    }
  }
  /** @type {Record<string, { rules: object, indexes?: { name: string, unique?: boolean, keys: { name: string, direction: string }[] }[] }>} */
  const specs = readJson('database/collections.json').collections;
  const collections = Object.entries(specs).map(([name, spec]) => ({
    name,
    rules: spec.rules,
    indexes: spec.indexes ?? [],
  }));
  return { functions, collections, problems };
}

/** @param {ReturnType<typeof plan>} deployPlan @param {string} envId */
async function deploy(deployPlan, envId) {
  const cli = spawnSync('npx', ['tcb', 'fn', 'deploy', '--all', '--force', '-e', envId], { cwd: root, stdio: 'inherit' });
  if (cli.status !== 0) throw new Error('tcb fn deploy failed (run `npx tcb login` first, or set TENCENTCLOUD_SECRETID/SECRETKEY in .env)');
  const CloudBase = require('@cloudbase/manager-node');
  const manager = new CloudBase({ secretId: process.env.TENCENTCLOUD_SECRETID, secretKey: process.env.TENCENTCLOUD_SECRETKEY, envId });
  for (const collection of deployPlan.collections) {
    await manager.database.createCollectionIfNotExists(collection.name);
    const existing = new Set(((await manager.database.describeCollection(collection.name)).Indexes ?? []).map((/** @type {any} */ i) => i.Name));
    const missing = collection.indexes.filter((index) => !existing.has(index.name));
    if (missing.length > 0) {
      await manager.database.updateCollection(collection.name, {
        CreateIndexes: missing.map((index) => ({
          IndexName: index.name,
          MgoKeySchema: { MgoIsUnique: Boolean(index.unique), MgoIndexKeys: index.keys.map((key) => ({ Name: key.name, Direction: key.direction })) },
        })),
      });
    }
    await manager.permission.modifyResourcePermission({
      resourceType: 'collection',
      resource: collection.name,
      permission: 'CUSTOM',
      securityRule: JSON.stringify(collection.rules),
    });
    console.log(`collection ${collection.name}: rules set, ${missing.length} new index(es)`);
  }
}

async function main() {
  loadDotEnv();
  const deployPlan = plan();
  if (deployPlan.problems.length > 0) throw new Error(`the project is not deployable:\n- ${deployPlan.problems.join('\n- ')}`);
  for (const fn of deployPlan.functions) {
    console.log(`function ${fn.name} (timeout ${fn.timeout}s${fn.triggers.map((/** @type {any} */ t) => `, timer ${t.name} "${t.config}" Beijing time`).join('')})`);
  }
  for (const c of deployPlan.collections) console.log(`collection ${c.name} (${c.indexes.length} index(es), rules ${JSON.stringify(c.rules)})`);
  // track derives each user's share prefix from it: without it no share is ever credited
  const secretMissing = (process.env.RUKOU_SHARE_SECRET ?? '').length < 16;
  const secretHelp = 'set RUKOU_SHARE_SECRET in .env to at least 16 random characters (openssl rand -base64 32); keep it: changing it re-issues every share prefix';
  if (process.argv.includes('--dry-run')) {
    if (secretMissing) console.log(`warning: ${secretHelp}`);
    return;
  }
  const envId = process.env.ENV_ID;
  if (!envId) throw new Error('set ENV_ID (your CloudBase environment id) in .env');
  if (secretMissing) throw new Error(secretHelp);
  await deploy(deployPlan, envId);
}

main().catch((error) => {
  console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
