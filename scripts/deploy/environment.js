// @ts-check
// The deploy's environment, merged as the CloudBase CLI merges it when it fills cloudbaserc.json's
// {{env.X}} (@cloudbase/cli 2.12.10 loadEnvVariables and parseRawConfig, §A.4): `.env`, then
// `.env.local` over it, each read with dotenv, then the process's own variables over both
// (`ENV_ID=other npm run deploy` targets another environment). Both files are git-ignored.
// Checked by name: whether each variable is set and well formed. No value is ever returned in a
// message, printed or logged.
const dotenv = require('dotenv');
const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {object} Rule
 * @property {string} [required] why the deploy cannot go without it
 * @property {(value: string) => boolean} [valid] whether a set value is one the functions use
 * @property {string} [invalid] what a value must be (server/config.ts reads anything else as unset)
 * @property {string} [unset] what follows from leaving it unset, when that is allowed
 */

const wholeNumber = (/** @type {string} */ value) => /^\s*\d+\s*$/.test(value);
const positive = (/** @type {string} */ value) => wholeNumber(value) && Number(value) > 0;

/** @type {Record<string, Rule>} the variables the deploy knows, the deploy's own first */
const RULES = {
  ENV_ID: { required: 'the id of your CloudBase environment (README, Deploy step 3)' },
  TENCENTCLOUD_SECRETID: { required: 'the SecretId of the API key the deploy signs in with (README, Deploy step 2)' },
  TENCENTCLOUD_SECRETKEY: { required: 'the SecretKey of the API key the deploy signs in with (README, Deploy step 2)' },
  RUKOU_SHARE_SECRET: {
    required: 'at least 16 random characters (openssl rand -base64 32), which share prefixes derive from; keep it: changing it re-issues every share prefix',
    valid: (value) => value.trim().length >= 16,
    invalid: 'at least 16 characters',
  },
  RUKOU_OPERATORS: { unset: 'operators are only the openids in the admins collection (README, Deploy step 9)' },
  RUKOU_ADMIN_TOKEN_SHA256: {
    valid: (value) => value.split(',').every((hash) => /^[0-9a-fA-F]{64}$/.test(hash.trim())),
    invalid: 'comma-separated SHA-256 digests, 64 hex characters each',
    unset: 'nobody can sign in to the web dashboard',
  },
  RUKOU_RETENTION_DAYS: { valid: positive, invalid: 'a whole number of days above 0' },
  RUKOU_USER_DAY_RETENTION_DAYS: { valid: positive, invalid: 'a whole number of days above 0' },
  RUKOU_BACKFILL_SECONDS: { valid: wholeNumber, invalid: 'a whole number of seconds' },
  RUKOU_SEND_SECONDS: { valid: wholeNumber, invalid: 'a whole number of seconds' },
};

/** The variables of the deploy itself, not given to any function. */
const DEPLOY_VARIABLES = ['ENV_ID', 'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'];

/** The files read, in order, each over the one before. */
const ENV_FILES = ['.env', '.env.local'];

/**
 * @param {string} root the project's folder, where the files are
 * @param {NodeJS.ProcessEnv} processEnv
 * @returns {{ files: string[], env: NodeJS.ProcessEnv }} the files found and the variables the deploy runs with
 */
function loadEnvironment(root, processEnv) {
  const files = ENV_FILES.map((name) => path.join(root, name)).filter((file) => fs.existsSync(file));
  const parsed = files.map((file) => dotenv.parse(fs.readFileSync(file)));
  return { files, env: Object.assign({}, ...parsed, processEnv) };
}

/**
 * @typedef {{ name: string, set: boolean, usedBy: string[] }} VariableState `usedBy`: the functions given it, none for the deploy's own
 */

/**
 * Each variable the deploy or a function uses, whether it is set, and what is wrong or missing.
 * @param {NodeJS.ProcessEnv} env
 * @param {import('./plan').FunctionPlan[]} functions
 * @returns {{ variables: VariableState[], problems: string[], notes: string[] }} problems stop the deploy; notes do not
 */
function checkEnvironment(env, functions) {
  const names = [...new Set([...DEPLOY_VARIABLES, ...functions.flatMap((fn) => fn.variables)])];
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const notes = [];
  const variables = names.map((name) => {
    const value = (env[name] ?? '').trim() === '' ? undefined : String(env[name]);
    const rule = RULES[name] ?? {};
    if (value === undefined && rule.required) problems.push(`${name} is not set in .env: ${rule.required}`);
    if (value === undefined && rule.unset) notes.push(`${name} is not set: ${rule.unset}`);
    if (value !== undefined && rule.valid && !rule.valid(value)) problems.push(`${name} must be ${rule.invalid}${rule.required ? '' : ' (the functions would ignore it)'}`);
    return { name, set: value !== undefined, usedBy: functions.filter((fn) => fn.variables.includes(name)).map((fn) => fn.name) };
  });
  return { variables, problems, notes };
}

module.exports = { loadEnvironment, checkEnvironment };
