// @ts-check
// The deploy's environment, merged as the CloudBase CLI merges it when it fills cloudbaserc.json's
// {{env.X}} (@cloudbase/cli 2.12.10 loadEnvVariables and parseRawConfig, §A.4): `.env`, then
// `.env.local` over it, each read with dotenv, then the process's own variables over both
// (`ENV_ID=other npm run deploy` targets another environment). Both files are git-ignored.
// Checked by name: whether each variable is set and holds a value the functions would use as given
// (server/config.ts), and which RUKOU_* names of the files no function reads. No value is ever
// returned in a message, printed or logged.
const dotenv = require('dotenv');
const fs = require('node:fs');
const path = require('node:path');

/**
 * What the checks of a value know beside it: the whole environment, and the functions given it.
 * @typedef {{ env: NodeJS.ProcessEnv, usedBy: import('./plan').FunctionPlan[] }} Context
 *
 * @typedef {object} Rule
 * @property {string} [required] why the deploy cannot go without it
 * @property {(value: string, context: Context) => string | undefined} [check] what a set value must
 *   be, when it is not one the functions would use as given (as server/config.ts reads it)
 * @property {string} [unset] what follows from leaving it unset, when that is allowed
 * @property {string[]} [givenTo] the functions cloudbaserc.json must give it, whose code cannot go without it
 */

/** How the functions read a whole number (server/config.ts): digits, with spaces around. */
const wholeNumber = (/** @type {string} */ value) => /^\s*\d+\s*$/.test(value);
const positive = (/** @type {string} */ value) => wholeNumber(value) && Number(value) > 0;
const IGNORED = ' (the functions would ignore it)';

// server/config.ts's defaults and floors, tested against it in deploy-environment.test.ts
/** DEFAULT_RETENTION_DAYS */
const DEFAULT_RETENTION_DAYS = 90;
/** MAX_RETENTION_DAYS: a longer retention is read as it */
const MAX_RETENTION_DAYS = 36_500;
/** @param {string} value @returns {string | undefined} what is wrong with a retention, as the functions read it */
const retentionDays = (value) => {
  if (!positive(value)) return `a whole number of days above 0${IGNORED}`;
  return Number(value) <= MAX_RETENTION_DAYS ? undefined : `at most ${MAX_RETENTION_DAYS} days (a century, which keeps everything): the functions would read a longer one as that`;
};
/** User-days are kept at least the 7 days an event may arrive late (shared/time.ts MAX_EVENT_AGE_MS) and 1. */
const MIN_USER_DAY_RETENTION_DAYS = 8;
/** What a rollup call's last step may take beyond its budget, and its last writes (DEFAULT_BACKFILL_SECONDS' reasoning). */
const ROLLUP_STEP_SECONDS = 20;
/**
 * The least budget a rollup call may have in the cloud. Below it the timer's nine runs a morning
 * (00:17 to 02:57) may not finish a day of ten million events, twenty-odd steps taking 53 s on the
 * bench (README, Benchmarks), before the day leaves the week they roll: the day would be missing
 * for good. 0, one step a call, is for tests in the emulator.
 */
const MIN_ROLLUP_BUDGET_SECONDS = 10;
/** What a send's last chunk of 50 recipients at WeChat may take after its budget ("a few seconds", DEFAULT_SEND_SECONDS' reasoning). */
const SEND_CHUNK_SECONDS = 10;

/**
 * An environment id: what @cloudbase/node-sdk 3.17.2 (dist/utils/utils.js isValidEnvFormat) takes
 * for one, a name of up to 20 characters, `-` and a suffix of up to 16: lowercase letters, digits, `_`, `-`.
 */
const ENV_ID_FORMAT = /^[a-z0-9_-]{1,40}$/;
/**
 * A Mini Program's AppID: `wx` and 16 lowercase hexadecimal digits, as WeChat issues them
 * (project.config.json's appid). The functions put RUKOU_APPID into plain schemes as it is
 * (server/config.ts trims it, no more), so an upper-case one would name no Mini Program.
 */
const APPID_FORMAT = /^wx[0-9a-f]{16}$/;

/**
 * @param {number} after the seconds the work started last may take once the budget is spent
 * @param {string} why what that work is
 * @returns {Rule['check']} a whole number of seconds that leaves `after` within the timeout of every function given it
 */
const budget = (after, why, least = 0) => (value, { usedBy }) => {
  if (!wholeNumber(value)) return `a whole number of seconds${IGNORED}`;
  if (Number(value) < least) return `at least ${least}: below it the daily timer's nine runs a morning may not finish a day of ten million events before it leaves the week they roll up, and the day would stay missing (README, rollup)`;
  const timeouts = usedBy.map((fn) => Number(fn.declared.timeout)).filter((timeout) => Number.isInteger(timeout) && timeout > 0);
  if (timeouts.length === 0) return undefined;
  const timeout = Math.min(...timeouts);
  const names = usedBy.filter((fn) => Number(fn.declared.timeout) === timeout).map((fn) => fn.name).join(' and ');
  return Number(value) <= timeout - after ? undefined : `at most ${timeout - after}: ${timeout} s, the timeout of ${names} (cloudbaserc.json), less ${after} s for ${why}`;
};

/** @type {Record<string, Rule>} the variables the deploy knows, the deploy's own first */
const RULES = {
  ENV_ID: {
    required: 'the id of your CloudBase environment (README, Deploy step 3)',
    check: (value) => (ENV_ID_FORMAT.test(value) ? undefined : 'an environment id: at most 40 lowercase letters, digits, _ or -, no spaces (DevTools: 云开发 → 设置, 环境 ID)'),
  },
  TENCENTCLOUD_SECRETID: { required: 'the SecretId of the API key the deploy signs in with (README, Deploy step 2)' },
  TENCENTCLOUD_SECRETKEY: { required: 'the SecretKey of the API key the deploy signs in with (README, Deploy step 2)' },
  RUKOU_SHARE_SECRET: {
    required: 'at least 16 random characters (openssl rand -base64 32), which share prefixes derive from; keep it: changing it re-issues every share prefix',
    // without it track issues no share prefix, and a card shared credits no one
    givenTo: ['track'],
    check: (value) => (value.trim().length >= 16 ? undefined : 'at least 16 characters'),
  },
  RUKOU_OPERATORS: { unset: 'operators are only the openids in the admins collection (README, Deploy step 9)' },
  RUKOU_ADMIN_TOKEN_SHA256: {
    check: (value) => {
      // as the functions read the list: items trimmed, empty ones dropped (a trailing comma is harmless)
      const hashes = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
      if (hashes.length === 0) return 'at least one SHA-256 digest: the functions would find none, and nobody could sign in to the web dashboard';
      return hashes.every((hash) => /^[0-9a-fA-F]{64}$/.test(hash)) ? undefined : 'comma-separated SHA-256 digests, 64 hex characters each (the functions would ignore each item that is not one)';
    },
    unset: 'nobody can sign in to the web dashboard',
  },
  RUKOU_APPID: {
    check: (value) => (APPID_FORMAT.test(value.trim()) ? undefined : "the Mini Program's AppID as WeChat issues it, wx and 16 lowercase hexadecimal digits (project.config.json's appid): plain schemes made with another open nothing"),
  },
  RUKOU_RETENTION_DAYS: { check: retentionDays },
  RUKOU_USER_DAY_RETENTION_DAYS: {
    check: (value, { env }) => {
      const wrong = retentionDays(value);
      if (wrong) return wrong;
      // the event retention the functions use: a longer one than the century is read as it
      const retention = positive(env.RUKOU_RETENTION_DAYS ?? '') ? Math.min(Number(env.RUKOU_RETENTION_DAYS), MAX_RETENTION_DAYS) : DEFAULT_RETENTION_DAYS;
      return Number(value) >= Math.max(retention, MIN_USER_DAY_RETENTION_DAYS)
        ? undefined
        : `at least RUKOU_RETENTION_DAYS (${DEFAULT_RETENTION_DAYS} when unset) and ${MIN_USER_DAY_RETENTION_DAYS}: the functions would keep user-days that long anyway, since a day's events cannot be rolled up again without its user-days`;
    },
  },
  RUKOU_BACKFILL_SECONDS: { check: budget(ROLLUP_STEP_SECONDS, 'the step a rollup call started last', MIN_ROLLUP_BUDGET_SECONDS) },
  RUKOU_SEND_SECONDS: { check: budget(SEND_CHUNK_SECONDS, 'the chunk of 50 recipients a send started last, at WeChat') },
};

/**
 * What the CloudBase CLI would not give a function as it is: it writes each value between the
 * quotes of cloudbaserc.json's `"{{env.X}}"` without escaping it, then parses the file, turning any
 * string that is the JSON of an object, an array or null into that (@cloudbase/cli 2.12.10
 * renderConfig and parseRawConfig). A `"` or a control character breaks the file, so the deploy
 * would fail after the collections were sent; a `\` escapes what follows, so the value changes.
 * @param {string} value
 * @returns {string | undefined}
 */
function cliProblem(value) {
  // eslint-disable-next-line no-control-regex
  if (/["\\\u0000-\u001f]/.test(value)) return 'free of ", \\ and control characters: the CloudBase CLI writes the value into cloudbaserc.json unescaped, where they break the file or change the value';
  try {
    const parsed = JSON.parse(value);
    if (typeof parsed === 'object') return 'text, not the JSON of an object, an array or null: the CloudBase CLI would give the function that instead';
  } catch {
    // not JSON: given as it is
  }
  return undefined;
}

/** The README's and the repository's stand-ins for a value, which no real environment has. */
const PLACEHOLDERS = {
  ENV_ID: ['your-env-id'],
  RUKOU_APPID: ['wx0000000000000000'],
};

/**
 * @param {string} name
 * @param {string} value
 * @returns {string | undefined} what is wrong when the value is still a stand-in: the README's `…` or one of PLACEHOLDERS
 */
function placeholderProblem(name, value) {
  const stands = value.includes('…') || (PLACEHOLDERS[/** @type {keyof PLACEHOLDERS} */ (name)] ?? []).includes(value.trim().toLowerCase());
  return stands ? "your own value, not the README's or the repository's stand-in for it (README, Deploy step 3)" : undefined;
}

/** The variables of the deploy itself, not given to any function. */
const DEPLOY_VARIABLES = ['ENV_ID', 'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'];

/** The files read, in order, each over the one before. */
const ENV_FILES = ['.env', '.env.local'];

/**
 * @param {string} root the project's folder, where the files are
 * @param {NodeJS.ProcessEnv} processEnv
 * @returns {{ files: string[], fileNames: string[], env: NodeJS.ProcessEnv }} the files found, the
 *   names they set, and the variables the deploy runs with
 */
function loadEnvironment(root, processEnv) {
  const files = ENV_FILES.map((name) => path.join(root, name)).filter((file) => fs.existsSync(file));
  const parsed = files.map((file) => dotenv.parse(fs.readFileSync(file)));
  return { files, fileNames: [...new Set(parsed.flatMap(Object.keys))], env: Object.assign({}, ...parsed, processEnv) };
}

/**
 * @typedef {{ name: string, set: boolean, usedBy: string[] }} VariableState `usedBy`: the functions given it, none for the deploy's own
 */

/**
 * Each variable the deploy or a function uses, whether it is set, and what is wrong or missing.
 * @param {NodeJS.ProcessEnv} env
 * @param {import('./plan').FunctionPlan[]} functions
 * @param {string[]} [fileNames] the names the .env files set: a RUKOU_* one no function is given is warned of (a misspelling)
 * @returns {{ variables: VariableState[], problems: string[], notes: string[], warnings: string[] }} problems stop the deploy; notes and warnings do not
 */
function checkEnvironment(env, functions, fileNames = []) {
  const names = [...new Set([...DEPLOY_VARIABLES, ...functions.flatMap((fn) => fn.variables)])];
  /** @type {string[]} */
  const problems = Object.entries(RULES).flatMap(([name, rule]) =>
    (rule.givenTo ?? [])
      .filter((given) => !functions.some((fn) => fn.name === given && fn.variables.includes(name)))
      .map((given) => `cloudbaserc.json must give ${name} to ${given} ("${name}": "{{env.${name}}}" in its envVariables): its code cannot go without it`),
  );
  /** @type {string[]} */
  const notes = [];
  const variables = names.map((name) => {
    const value = (env[name] ?? '').trim() === '' ? undefined : String(env[name]);
    const rule = RULES[name] ?? {};
    const usedBy = functions.filter((fn) => fn.variables.includes(name));
    if (value === undefined && rule.required) problems.push(`${name} is not set (in .env, .env.local or the shell, which wins even when empty): ${rule.required}`);
    if (value === undefined && rule.unset) notes.push(`${name} is not set: ${rule.unset}`);
    // a blank value is unset to the functions, but its tab or line break still reaches the CLI
    const raw = env[name];
    const wrong = (usedBy.length > 0 && raw !== undefined ? cliProblem(raw) : undefined) ?? (value === undefined ? undefined : (placeholderProblem(name, value) ?? rule.check?.(value, { env, usedBy })));
    if (wrong) problems.push(`${name} must be ${wrong}`);
    return { name, set: value !== undefined, usedBy: usedBy.map((fn) => fn.name) };
  });
  const read = names.filter((name) => name.startsWith('RUKOU_'));
  const warnings = fileNames
    .filter((name) => name.startsWith('RUKOU_') && !names.includes(name))
    .map((name) => `${name} is in .env, but no function reads it (misspelled?): the functions read ${read.join(', ')}`);
  return { variables, problems, notes, warnings };
}

/**
 * What the deploy cannot refuse but the operator should know: the Mini Program, uploaded from
 * DevTools and not by the deploy, sends its calls to the environment its tracking module names.
 * @param {NodeJS.ProcessEnv} env
 * @param {string | undefined} miniProgramEnvId
 * @returns {string[]} warnings, naming no value
 */
function miniProgramWarnings(env, miniProgramEnvId) {
  if (miniProgramEnvId === undefined) return [];
  if (PLACEHOLDERS.ENV_ID.includes(miniProgramEnvId)) return ["miniprogram/tracking.ts's ENV_ID is still the stand-in: the Mini Program would send its events to no environment (README, Deploy step 1)"];
  const target = (env.ENV_ID ?? '').trim();
  return target !== '' && target !== miniProgramEnvId ? ["miniprogram/tracking.ts's ENV_ID is not ENV_ID: the Mini Program sends its events to another environment than this deploy's (README, Deploy step 1)"] : [];
}

module.exports = { loadEnvironment, checkEnvironment, miniProgramWarnings };
