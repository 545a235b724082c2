// @ts-check
// `npm run deploy` (which builds first): reads the deploy plan from the project (./deploy/plan.js),
// checks it and the environment offline (./deploy/checks.js, ./deploy/environment.js), prints it
// by names only (./deploy/print.js), and sends it to the environment `.env` names
// (./deploy/apply.js): collections, rules and indexes with @cloudbase/manager-node, then functions
// and triggers with @cloudbase/cli. Any problem stops it before anything is sent.
//   npm run deploy -- --dry-run   check and print the plan, send nothing: exits 0 when the deploy would go ahead
//   npm run deploy -- --help      print the usage, check and send nothing
// `npm run deploy --dry-run`, without `--`, is a dry run too: npm keeps the flag for itself (npm's
// own dry-run config) and hands the script only npm_config_dry_run=true (npm 11.19.1), so a
// forgotten `--` must never be taken for a real deploy.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { applyPlan } = require('./deploy/apply');
const { planProblems } = require('./deploy/checks');
const { checkEnvironment, loadEnvironment, miniProgramWarnings } = require('./deploy/environment');
const { readPlan } = require('./deploy/plan');
const { planLines } = require('./deploy/print');

const USAGE = 'usage: npm run deploy [-- --dry-run | --help]';

/** What `--help` prints: the options, what the deploy does and where the README says more. */
const HELP = [
  USAGE,
  '',
  'Builds, then checks the project and its environment offline and prints the deploy plan (the variables',
  'by name, never a value). When nothing is wrong, sends it to the environment ENV_ID names: the',
  'collections with their rules and indexes (@cloudbase/manager-node), then the functions with their',
  'settings, variables and timers (@cloudbase/cli, tcb fn deploy --all --force). Any problem stops it',
  'before anything is sent. What neither tool can do, the plan lists as steps by hand.',
  '',
  '  --dry-run   check and print the plan, send nothing; exits 0 when the deploy would go ahead, 1 naming',
  '              each problem (npm run deploy --dry-run, without --, is a dry run too)',
  '  --help, -h  print this',
  'An option it does not know exits 2 (as rukou\'s do), checking and sending nothing.',
  '',
  'The environment: .env, .env.local over it, the shell\'s variables over both (ENV_ID, the API key',
  'TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY, RUKOU_SHARE_SECRET, the optional RUKOU_* variables).',
  'README.md, "Deploy to a real environment": steps 1-4 set it up, step 5 is this command, 6-10 by hand.',
];

/**
 * Whether npm was given its own --dry-run (`npm run deploy --dry-run`, or dry-run in an .npmrc):
 * npm sets npm_config_dry_run for the script, "true" for the flag; only unset, empty or "false"
 * (`--dry-run=false`) leaves it off.
 * @param {NodeJS.ProcessEnv} processEnv
 */
const npmDryRun = (processEnv) => !['', 'false'].includes((processEnv.npm_config_dry_run ?? '').trim().toLowerCase());

/**
 * @callback Send sends a checked plan; answers the warnings of what it left to the operator
 * @param {import('./deploy/plan').Plan} plan
 * @param {string} envId
 * @param {NodeJS.ProcessEnv} env the variables of .env under the process's own
 * @returns {Promise<string[]>}
 */

/** @type {Send} the real thing: the CloudBase manager and CLI, signed in with the key in `env` */
async function sendWithTools(plan, envId, env) {
  const CloudBase = require('@cloudbase/manager-node');
  const manager = new CloudBase({ secretId: env.TENCENTCLOUD_SECRETID, secretKey: env.TENCENTCLOUD_SECRETKEY, envId });
  const tcb = require.resolve('@cloudbase/cli/bin/tcb');
  // the CLI takes the key from TENCENTCLOUD_SECRETID/SECRETKEY (§A.3) and fills cloudbaserc.json's {{env.X}} from the same variables
  const runCli = (/** @type {string[]} */ args) => spawnSync(process.execPath, [tcb, ...args], { cwd: plan.root, stdio: 'inherit', env }).status ?? 1;
  return applyPlan(plan, { envId, manager, runCli, log: (line) => console.log(line) });
}

/**
 * Checks, prints and (without `--dry-run`, the deploy's or npm's) sends the plan of the project in `root`.
 * @param {{ root: string, argv: string[], processEnv: NodeJS.ProcessEnv, log: (...lines: string[]) => void, send?: Send }} options
 * @returns {Promise<number>} the exit status: 0 deployed (or, dry, deployable; or the usage asked for), 1 refused, 2 an unknown option
 * @throws {Error} when a project file is not JSON, or sending fails
 */
async function deploy({ root, argv, processEnv, log, send = sendWithTools }) {
  if (argv.includes('--help') || argv.includes('-h')) {
    log(...HELP);
    return 0;
  }
  const unknown = argv.filter((arg) => arg !== '--dry-run');
  if (unknown.length > 0) {
    log(`deploy: unknown option ${unknown.join(' ')}: nothing was checked or sent. ${USAGE}`);
    return 2;
  }
  const fromNpm = !argv.includes('--dry-run') && npmDryRun(processEnv);
  const dryRun = argv.includes('--dry-run') || fromNpm;
  const plan = readPlan(root);
  const { files, fileNames, env } = loadEnvironment(root, processEnv);
  const environment = checkEnvironment(env, plan.functions, fileNames);
  const problems = [...planProblems(plan), ...environment.problems];

  log(`Rukou deploy plan${dryRun ? ' (dry run: nothing is sent)' : ''}`);
  if (fromNpm) log('npm took --dry-run as its own option (npm_config_dry_run is set), so this is a dry run; npm run deploy -- --dry-run says it to the deploy.');
  log(...planLines(plan, { files, variables: environment.variables }));
  if (environment.notes.length > 0) log('', ...environment.notes.map((note) => `note: ${note}`));
  const warnings = [...environment.warnings, ...miniProgramWarnings(env, plan.miniProgramEnvId)];
  if (warnings.length > 0) log('', ...warnings.map((warning) => `warning: ${warning}`));
  if (problems.length > 0) {
    log('', `not deployable${dryRun ? '' : ', nothing was sent'}:`, ...problems.map((problem) => `- ${problem}`));
    return 1;
  }
  if (dryRun) {
    log('', 'deployable: npm run deploy sends this plan to the environment ENV_ID names.');
    return 0;
  }
  log('', 'sending it to the environment ENV_ID names');
  const left = await send(plan, String(env.ENV_ID), env);
  log('', 'deployed. Now the steps by hand above.', ...left.map((warning) => `warning: ${warning}`));
  return 0;
}

if (require.main === module) {
  deploy({ root: path.resolve(__dirname, '..'), argv: process.argv.slice(2), processEnv: process.env, log: (...lines) => lines.forEach((line) => console.log(line)) })
    .then((status) => {
      process.exitCode = status;
    })
    .catch((error) => {
      console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    });
}

module.exports = { deploy };
