/**
 * The deploy's environment (scripts/deploy/environment.js): `.env` read with dotenv under the
 * process's own variables, each variable checked by name, and no value ever in what it says.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { checkEnvironment, loadEnvironment, miniProgramWarnings } from '../../scripts/deploy/environment';
import { readPlan } from '../../scripts/deploy/plan';
import { serverConfig } from '../../server/config';
import { REPO_ROOT, tempDir } from '../helpers/emulator';

const { functions } = readPlan(REPO_ROOT);

/** A complete, well-formed environment, every value one that must never be printed. */
const COMPLETE = {
  ENV_ID: 'value-env-id-7f3a',
  TENCENTCLOUD_SECRETID: 'value-AKID0123456789',
  TENCENTCLOUD_SECRETKEY: 'value-secretkey-0123456789',
  RUKOU_SHARE_SECRET: 'value-share-secret-0123456789',
  RUKOU_OPERATORS: 'value-oOperatorOpenid1,value-oOperatorOpenid2',
  RUKOU_ADMIN_TOKEN_SHA256: 'ab'.repeat(32),
  RUKOU_APPID: 'wx0a1b2c3d4e5f6789',
  RUKOU_RETENTION_DAYS: '120',
  RUKOU_USER_DAY_RETENTION_DAYS: '200',
  // leading zeros: whole numbers the functions read as 29 and 41, and strings no message holds
  RUKOU_BACKFILL_SECONDS: '0029',
  RUKOU_SEND_SECONDS: '0041',
};

describe('loadEnvironment', () => {
  it('reads .env with dotenv (quotes, comments, blank lines), .env.local over it, the process\'s own variables over both', () => {
    const root = tempDir('rukou-env-');
    fs.writeFileSync(path.join(root, '.env'), '# the environment\nENV_ID="from-file"\n\nRUKOU_SHARE_SECRET=\'quoted # not a comment\'\nRUKOU_OPERATORS=oA,oB # two operators\nRUKOU_APPID=wx-from-env\n');
    fs.writeFileSync(path.join(root, '.env.local'), 'RUKOU_APPID=wx-from-local\n');
    const { files, fileNames, env } = loadEnvironment(root, { ENV_ID: 'from-process', PATH: '/bin' });
    expect(files).toEqual([path.join(root, '.env'), path.join(root, '.env.local')]);
    expect(fileNames).toEqual(['ENV_ID', 'RUKOU_SHARE_SECRET', 'RUKOU_OPERATORS', 'RUKOU_APPID']);
    expect(env).toEqual({ ENV_ID: 'from-process', RUKOU_SHARE_SECRET: 'quoted # not a comment', RUKOU_OPERATORS: 'oA,oB', RUKOU_APPID: 'wx-from-local', PATH: '/bin' });
  });

  it('takes the process\'s variables alone when there is no .env', () => {
    expect(loadEnvironment(tempDir('rukou-env-'), { ENV_ID: 'ci-env' })).toEqual({ files: [], fileNames: [], env: { ENV_ID: 'ci-env' } });
  });
});

describe('checkEnvironment', () => {
  it('passes a complete environment, telling for each variable whether it is set and which functions get it', () => {
    const { variables, problems, notes, warnings } = checkEnvironment(COMPLETE, functions, Object.keys(COMPLETE));
    expect(problems).toEqual([]);
    expect(notes).toEqual([]);
    expect(warnings).toEqual([]);
    expect(variables.map((v) => v.name).sort()).toEqual(Object.keys(COMPLETE).sort());
    expect(variables.every((v) => v.set)).toBe(true);
    expect(variables.find((v) => v.name === 'ENV_ID')?.usedBy).toEqual([]);
    expect(variables.find((v) => v.name === 'RUKOU_SHARE_SECRET')?.usedBy).toEqual(['track']);
    expect(variables.find((v) => v.name === 'RUKOU_OPERATORS')?.usedBy).toEqual(['rollup', 'admin', 'messages']);
  });

  it('refuses without the environment, the deploy\'s key or the share secret, naming each', () => {
    const { problems, variables } = checkEnvironment({ RUKOU_OPERATORS: 'oA', RUKOU_ADMIN_TOKEN_SHA256: '  ' }, functions);
    expect(problems).toEqual([
      'ENV_ID is not set (in .env, .env.local or the shell, which wins even when empty): the id of your CloudBase environment (README, Deploy step 3)',
      'TENCENTCLOUD_SECRETID is not set (in .env, .env.local or the shell, which wins even when empty): the SecretId of the API key the deploy signs in with (README, Deploy step 2)',
      'TENCENTCLOUD_SECRETKEY is not set (in .env, .env.local or the shell, which wins even when empty): the SecretKey of the API key the deploy signs in with (README, Deploy step 2)',
      'RUKOU_SHARE_SECRET is not set (in .env, .env.local or the shell, which wins even when empty): at least 16 random characters (openssl rand -base64 32), which share prefixes derive from; keep it: changing it re-issues every share prefix',
    ]);
    expect(variables.find((v) => v.name === 'RUKOU_ADMIN_TOKEN_SHA256')?.set).toBe(false);
  });

  it('refuses values the functions would not use, and notes what an unset optional variable leaves out', () => {
    const env = { ...COMPLETE, RUKOU_SHARE_SECRET: 'short', RUKOU_ADMIN_TOKEN_SHA256: `${'ab'.repeat(32)},not-a-digest`, RUKOU_RETENTION_DAYS: '0', RUKOU_SEND_SECONDS: '40s', RUKOU_OPERATORS: '' };
    const { problems, notes } = checkEnvironment(env, functions);
    expect(problems).toEqual([
      'RUKOU_SHARE_SECRET must be at least 16 characters',
      'RUKOU_RETENTION_DAYS must be a whole number of days above 0 (the functions would ignore it)',
      'RUKOU_ADMIN_TOKEN_SHA256 must be comma-separated SHA-256 digests, 64 hex characters each (the functions would ignore each item that is not one)',
      'RUKOU_SEND_SECONDS must be a whole number of seconds (the functions would ignore it)',
    ]);
    expect(notes).toEqual(['RUKOU_OPERATORS is not set: operators are only the openids in the admins collection (README, Deploy step 9)']);
  });

  const problemsWith = (change: Record<string, string>): string[] => checkEnvironment({ ...COMPLETE, ...change }, functions).problems;

  it('reads the token digests as the functions do: an empty item is dropped, a list of none refused', () => {
    expect(problemsWith({ RUKOU_ADMIN_TOKEN_SHA256: `${'ab'.repeat(32)}, ${'CD'.repeat(32)},` })).toEqual([]);
    expect(problemsWith({ RUKOU_ADMIN_TOKEN_SHA256: ' , ,' })).toEqual(['RUKOU_ADMIN_TOKEN_SHA256 must be at least one SHA-256 digest: the functions would find none, and nobody could sign in to the web dashboard']);
  });

  it('refuses a value the CloudBase CLI would not give the function as it is, and only such a value', () => {
    // the CLI's rendering (@cloudbase/cli 2.12.10 renderConfig, parseRawConfig): the value between
    // the template's quotes as it is, then the file parsed, a string holding JSON of an object read as it
    const rendered = (value: string): unknown =>
      JSON.parse(`{"v":"${value}"}`, (_key, parsed: unknown) => {
        if (typeof parsed !== 'string') return parsed;
        try {
          const inner: unknown = JSON.parse(parsed);
          return typeof inner === 'object' ? inner : parsed;
        } catch {
          return parsed;
        }
      }).v;
    const survives = (value: string): boolean => {
      try {
        return rendered(value) === value;
      } catch {
        return false;
      }
    };
    const refusedAsCli = (value: string): boolean => problemsWith({ RUKOU_SHARE_SECRET: `${value}-0123456789abcdef`, RUKOU_OPERATORS: value }).some((problem) => problem.startsWith('RUKOU_OPERATORS must be') && /CloudBase CLI/.test(problem));
    for (const value of ['a"b', 'a\\tb', 'a\\u0041', 'line\nbreak', 'tab\there', 'null', '[1,2]', '{}', ' [ ] ']) {
      expect({ value, refused: refusedAsCli(value), survives: survives(value) }).toEqual({ value, refused: true, survives: false });
    }
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (value) => value.trim() === '' || refusedAsCli(value) === !survives(value)));
    expect(problemsWith({ RUKOU_SHARE_SECRET: 'a"b0123456789abcdef' })).toEqual([
      'RUKOU_SHARE_SECRET must be free of ", \\ and control characters: the CloudBase CLI writes the value into cloudbaserc.json unescaped, where they break the file or change the value',
    ]);
    // a value blank to the functions (unset) still carries its tab or line break into the CLI's JSON
    for (const blank of ['\t', '\n', ' \r\n ']) expect(problemsWith({ RUKOU_OPERATORS: blank })).toEqual([expect.stringMatching(/^RUKOU_OPERATORS must be free of ", \\ and control characters/)]);
    expect(problemsWith({ RUKOU_OPERATORS: '   ' })).toEqual([]);
    // the deploy's own variables are never written into a function's configuration
    expect(problemsWith({ TENCENTCLOUD_SECRETKEY: 'a"b\\c' })).toEqual([]);
  });

  it('refuses a cloudbaserc.json that does not give the share secret to track, set or not', () => {
    const without = functions.map((fn) => (fn.name === 'track' ? { ...fn, variables: fn.variables.filter((name) => name !== 'RUKOU_SHARE_SECRET') } : fn));
    const problem = 'cloudbaserc.json must give RUKOU_SHARE_SECRET to track ("RUKOU_SHARE_SECRET": "{{env.RUKOU_SHARE_SECRET}}" in its envVariables): its code cannot go without it';
    expect(checkEnvironment(COMPLETE, without).problems).toEqual([problem]);
    expect(checkEnvironment({ ...COMPLETE, RUKOU_SHARE_SECRET: '' }, without).problems).toEqual([problem]);
  });

  it('refuses the README\'s and the repository\'s stand-ins, left in .env as they were copied', () => {
    const standIn = (name: string): string => `${name} must be your own value, not the README's or the repository's stand-in for it (README, Deploy step 3)`;
    expect(problemsWith({ ENV_ID: 'your-env-id', TENCENTCLOUD_SECRETID: '…', RUKOU_OPERATORS: 'oAbc…,oDef…', RUKOU_APPID: 'wx0000000000000000' })).toEqual([
      standIn('ENV_ID'),
      standIn('TENCENTCLOUD_SECRETID'),
      standIn('RUKOU_OPERATORS'),
      standIn('RUKOU_APPID'),
    ]);
  });

  it('refuses an ENV_ID no environment has: spaces, capitals or other characters, more than 40', () => {
    for (const envId of ['my env', ' my-env', 'My-Env-1a2b', 'env.1a2b', 'env/1a2b', 'tcb-环境', `a${'b'.repeat(40)}`]) {
      expect(problemsWith({ ENV_ID: envId })).toEqual(['ENV_ID must be an environment id: at most 40 lowercase letters, digits, _ or -, no spaces (DevTools: 云开发 → 设置, 环境 ID)']);
    }
    for (const envId of ['test-1a2b3c', 'prod_env-9f8e7d6c5b4a3210', 'a'.repeat(40)]) expect(problemsWith({ ENV_ID: envId })).toEqual([]);
  });

  // WeChat issues AppIDs in lower case, and the functions put RUKOU_APPID into plain schemes as it is:
  // an upper-case one names no Mini Program (the simulated WeChat compares it exactly: LINK_INVALID)
  it('refuses an RUKOU_APPID not shaped like an AppID, upper case included', () => {
    for (const appid of ['wx123', 'wx0a1b2c3d4e5f678', 'wx0a1b2c3d4e5f6789a', 'wx0a1b2c3d4e5f678g', 'gh_0a1b2c3d4e5f', 'value-wx0a1b2c3d4e5f6789', 'WX1234567890ABCDEF', 'wx0A1B2C3D4E5F6789', 'Wx0a1b2c3d4e5f6789']) {
      expect(problemsWith({ RUKOU_APPID: appid })).toEqual(["RUKOU_APPID must be the Mini Program's AppID as WeChat issues it, wx and 16 lowercase hexadecimal digits (project.config.json's appid): plain schemes made with another open nothing"]);
    }
    expect(problemsWith({ RUKOU_APPID: ' wx0a1b2c3d4e5f6789 ' })).toEqual([]);
  });

  it('refuses user-day retention below the raw events\' retention or 8 days, which the functions would raise without a word', () => {
    const tooShort = 'RUKOU_USER_DAY_RETENTION_DAYS must be at least RUKOU_RETENTION_DAYS (90 when unset) and 8: the functions would keep user-days that long anyway, since a day\'s events cannot be rolled up again without its user-days';
    expect(problemsWith({ RUKOU_USER_DAY_RETENTION_DAYS: '5', RUKOU_RETENTION_DAYS: '3' })).toEqual([tooShort]);
    expect(problemsWith({ RUKOU_USER_DAY_RETENTION_DAYS: '100', RUKOU_RETENTION_DAYS: '120' })).toEqual([tooShort]);
    expect(problemsWith({ RUKOU_USER_DAY_RETENTION_DAYS: '60', RUKOU_RETENTION_DAYS: '' })).toEqual([tooShort]);
    expect(problemsWith({ RUKOU_USER_DAY_RETENTION_DAYS: '8', RUKOU_RETENTION_DAYS: '8' })).toEqual([]);
  });

  it('takes a number of days exactly when the functions use it as given (server/config.ts)', () => {
    const days = ['0', '1', '5', '7', '8', '9', '30', '89', '90', '91', '120', '121', '365', '-3', '2.5', 'ninety', ' 100 ', '1e3', '36500', '36501', '999999999'];
    for (const retention of [undefined, ...days]) {
      for (const userDays of days) {
        const env = { ...COMPLETE, RUKOU_RETENTION_DAYS: retention ?? '', RUKOU_USER_DAY_RETENTION_DAYS: userDays };
        const used = serverConfig(env);
        const names = checkEnvironment(env, functions).problems.map((problem) => problem.split(' ')[0]);
        expect({ retention, userDays, refused: names.includes('RUKOU_USER_DAY_RETENTION_DAYS') }).toEqual({ retention, userDays, refused: used.userDayRetentionDays !== Number(userDays) });
        if (retention !== undefined) expect({ retention, refused: names.includes('RUKOU_RETENTION_DAYS') }).toEqual({ retention, refused: used.retentionDays !== Number(retention) });
      }
    }
  });

  it('refuses budgets that leave the work started last no time within the functions\' 60 s timeout', () => {
    expect(problemsWith({ RUKOU_BACKFILL_SECONDS: '41', RUKOU_SEND_SECONDS: '51' })).toEqual([
      'RUKOU_BACKFILL_SECONDS must be at most 40: 60 s, the timeout of rollup and admin (cloudbaserc.json), less 20 s for the step a rollup call started last',
      'RUKOU_SEND_SECONDS must be at most 50: 60 s, the timeout of messages (cloudbaserc.json), less 10 s for the chunk of 50 recipients a send started last, at WeChat',
    ]);
    expect(problemsWith({ RUKOU_BACKFILL_SECONDS: '40', RUKOU_SEND_SECONDS: '50' })).toEqual([]);
    expect(problemsWith({ RUKOU_BACKFILL_SECONDS: '10', RUKOU_SEND_SECONDS: '0' })).toEqual([]);
    // 0 steps a call at a time, for tests in the emulator; too little for the cloud's mornings
    expect(problemsWith({ RUKOU_BACKFILL_SECONDS: '9' })).toEqual([
      "RUKOU_BACKFILL_SECONDS must be at least 10: below it the daily timer's nine runs a morning may not finish a day of ten million events before it leaves the week they roll up, and the day would stay missing (README, rollup)",
    ]);
    const shorter = functions.map((fn) => (fn.name === 'admin' ? { ...fn, declared: { ...fn.declared, timeout: 45 } } : fn));
    expect(checkEnvironment({ ...COMPLETE, RUKOU_BACKFILL_SECONDS: '30' }, shorter).problems).toEqual([
      'RUKOU_BACKFILL_SECONDS must be at most 25: 45 s, the timeout of admin (cloudbaserc.json), less 20 s for the step a rollup call started last',
    ]);
    for (const seconds of ['30', '40', '50', '60', '3600', '30s', '-1']) {
      const used = serverConfig({ RUKOU_BACKFILL_SECONDS: seconds, RUKOU_SEND_SECONDS: seconds });
      const names = problemsWith({ RUKOU_BACKFILL_SECONDS: seconds, RUKOU_SEND_SECONDS: seconds }).map((problem) => problem.split(' ')[0]);
      expect({ seconds, backfill: names.includes('RUKOU_BACKFILL_SECONDS') }).toEqual({ seconds, backfill: used.rollupBudgetMs !== Number(seconds) * 1000 || Number(seconds) > 40 || Number(seconds) < 10 });
      expect({ seconds, send: names.includes('RUKOU_SEND_SECONDS') }).toEqual({ seconds, send: used.sendBudgetMs !== Number(seconds) * 1000 || Number(seconds) > 50 });
    }
  });

  it('warns of a RUKOU_* name in .env that no function reads, by name, and of nothing else', () => {
    const { problems, warnings } = checkEnvironment(COMPLETE, functions, [...Object.keys(COMPLETE), 'RUKOU_SEND_SECOND', 'RUKOU_PORT', 'NODE_ENV']);
    expect(problems).toEqual([]);
    const read = 'RUKOU_SHARE_SECRET, RUKOU_RETENTION_DAYS, RUKOU_USER_DAY_RETENTION_DAYS, RUKOU_OPERATORS, RUKOU_BACKFILL_SECONDS, RUKOU_ADMIN_TOKEN_SHA256, RUKOU_APPID, RUKOU_SEND_SECONDS';
    expect(warnings).toEqual([
      `RUKOU_SEND_SECOND is in .env, but no function reads it (misspelled?): the functions read ${read}`,
      `RUKOU_PORT is in .env, but no function reads it (misspelled?): the functions read ${read}`,
    ]);
  });

  it('never says a value, whatever is wrong with it', () => {
    const wrong = Object.fromEntries(Object.entries(COMPLETE).map(([name, value]) => [name, `${value}-x!`]));
    const { problems, notes, variables } = checkEnvironment(wrong, functions);
    const said = JSON.stringify({ problems, notes, variables });
    expect(problems.length).toBeGreaterThan(0);
    for (const value of Object.values(wrong)) expect(said).not.toContain(value);
    for (const value of Object.values(COMPLETE)) expect(said).not.toContain(value);
  });
});

describe('miniProgramWarnings', () => {
  it('warns when the Mini Program would send its events to the stand-in environment or another than the deploy\'s, naming neither', () => {
    expect(miniProgramWarnings(COMPLETE, 'your-env-id')).toEqual(["miniprogram/tracking.ts's ENV_ID is still the stand-in: the Mini Program would send its events to no environment (README, Deploy step 1)"]);
    expect(miniProgramWarnings(COMPLETE, 'other-env-1a2b')).toEqual(["miniprogram/tracking.ts's ENV_ID is not ENV_ID: the Mini Program sends its events to another environment than this deploy's (README, Deploy step 1)"]);
    expect(miniProgramWarnings(COMPLETE, COMPLETE.ENV_ID)).toEqual([]);
    expect(miniProgramWarnings(COMPLETE, undefined)).toEqual([]);
    expect(readPlan(REPO_ROOT).miniProgramEnvId).toBe('your-env-id');
    for (const line of ["export const ENV_ID: string = 'env-a';", 'export const ENV_ID = `env-a`;', 'const ENV_ID="env-a";']) {
      const root = tempDir('rukou-tracking-');
      fs.mkdirSync(path.join(root, 'miniprogram'));
      fs.writeFileSync(path.join(root, 'miniprogram', 'tracking.ts'), `${line}\n`);
      expect(readPlan(root).miniProgramEnvId).toBe('env-a');
    }
  });
});
