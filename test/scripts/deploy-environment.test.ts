/**
 * The deploy's environment (scripts/deploy/environment.js): `.env` read with dotenv under the
 * process's own variables, each variable checked by name, and no value ever in what it says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkEnvironment, loadEnvironment } from '../../scripts/deploy/environment';
import { readPlan } from '../../scripts/deploy/plan';
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
  RUKOU_APPID: 'value-wx0123456789abcdef',
  RUKOU_RETENTION_DAYS: '120',
  RUKOU_USER_DAY_RETENTION_DAYS: '200',
  RUKOU_BACKFILL_SECONDS: '30',
  RUKOU_SEND_SECONDS: '40',
};

describe('loadEnvironment', () => {
  it('reads .env with dotenv (quotes, comments, blank lines), .env.local over it, the process\'s own variables over both', () => {
    const root = tempDir('rukou-env-');
    fs.writeFileSync(path.join(root, '.env'), '# the environment\nENV_ID="from-file"\n\nRUKOU_SHARE_SECRET=\'quoted # not a comment\'\nRUKOU_OPERATORS=oA,oB # two operators\nRUKOU_APPID=wx-from-env\n');
    fs.writeFileSync(path.join(root, '.env.local'), 'RUKOU_APPID=wx-from-local\n');
    const { files, env } = loadEnvironment(root, { ENV_ID: 'from-process', PATH: '/bin' });
    expect(files).toEqual([path.join(root, '.env'), path.join(root, '.env.local')]);
    expect(env).toEqual({ ENV_ID: 'from-process', RUKOU_SHARE_SECRET: 'quoted # not a comment', RUKOU_OPERATORS: 'oA,oB', RUKOU_APPID: 'wx-from-local', PATH: '/bin' });
  });

  it('takes the process\'s variables alone when there is no .env', () => {
    expect(loadEnvironment(tempDir('rukou-env-'), { ENV_ID: 'ci-env' })).toEqual({ files: [], env: { ENV_ID: 'ci-env' } });
  });
});

describe('checkEnvironment', () => {
  it('passes a complete environment, telling for each variable whether it is set and which functions get it', () => {
    const { variables, problems, notes } = checkEnvironment(COMPLETE, functions);
    expect(problems).toEqual([]);
    expect(notes).toEqual([]);
    expect(variables.map((v) => v.name).sort()).toEqual(Object.keys(COMPLETE).sort());
    expect(variables.every((v) => v.set)).toBe(true);
    expect(variables.find((v) => v.name === 'ENV_ID')?.usedBy).toEqual([]);
    expect(variables.find((v) => v.name === 'RUKOU_SHARE_SECRET')?.usedBy).toEqual(['track']);
    expect(variables.find((v) => v.name === 'RUKOU_OPERATORS')?.usedBy).toEqual(['rollup', 'admin', 'messages']);
  });

  it('refuses without the environment, the deploy\'s key or the share secret, naming each', () => {
    const { problems, variables } = checkEnvironment({ RUKOU_OPERATORS: 'oA', RUKOU_ADMIN_TOKEN_SHA256: '  ' }, functions);
    expect(problems).toEqual([
      'ENV_ID is not set in .env: the id of your CloudBase environment (README, Deploy step 3)',
      'TENCENTCLOUD_SECRETID is not set in .env: the SecretId of the API key the deploy signs in with (README, Deploy step 2)',
      'TENCENTCLOUD_SECRETKEY is not set in .env: the SecretKey of the API key the deploy signs in with (README, Deploy step 2)',
      'RUKOU_SHARE_SECRET is not set in .env: at least 16 random characters (openssl rand -base64 32), which share prefixes derive from; keep it: changing it re-issues every share prefix',
    ]);
    expect(variables.find((v) => v.name === 'RUKOU_ADMIN_TOKEN_SHA256')?.set).toBe(false);
  });

  it('refuses values the functions would not use, and notes what an unset optional variable leaves out', () => {
    const env = { ...COMPLETE, RUKOU_SHARE_SECRET: 'short', RUKOU_ADMIN_TOKEN_SHA256: `${'ab'.repeat(32)},not-a-digest`, RUKOU_RETENTION_DAYS: '0', RUKOU_SEND_SECONDS: '40s', RUKOU_OPERATORS: '' };
    const { problems, notes } = checkEnvironment(env, functions);
    expect(problems).toEqual([
      'RUKOU_SHARE_SECRET must be at least 16 characters',
      'RUKOU_RETENTION_DAYS must be a whole number of days above 0 (the functions would ignore it)',
      'RUKOU_ADMIN_TOKEN_SHA256 must be comma-separated SHA-256 digests, 64 hex characters each (the functions would ignore it)',
      'RUKOU_SEND_SECONDS must be a whole number of seconds (the functions would ignore it)',
    ]);
    expect(notes).toEqual(['RUKOU_OPERATORS is not set: operators are only the openids in the admins collection (README, Deploy step 9)']);
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
