/**
 * `npm run deploy` (scripts/deploy.js, run by it after the build). Its dry run prints the whole
 * plan by names, never a value, and exits 0 only when the deploy would go ahead; without an
 * environment both refuse with a message naming ENV_ID, having sent nothing. The script runs in a
 * copy of the project, so that a developer's own .env is never read, let alone deployed to; the
 * sending itself is tested in deploy-apply.test.ts, and here replaced by a recorder.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deploy } from '../../scripts/deploy';
import type { Plan } from '../../scripts/deploy/plan';
import { PUSH_ROUTES } from '../../scripts/deploy/push-routes';
import { copyProject } from './project-copy';

/** A .env holding every variable, each value one that must never be printed. */
const SECRETS: Record<string, string> = {
  ENV_ID: 'value-env-id-7f3a',
  TENCENTCLOUD_SECRETID: 'value-AKID0123456789',
  TENCENTCLOUD_SECRETKEY: 'value-secretkey-0123456789',
  RUKOU_SHARE_SECRET: 'value-share-secret-0123456789',
  RUKOU_OPERATORS: 'value-oOperatorOpenid1,value-oOperatorOpenid2',
  RUKOU_ADMIN_TOKEN_SHA256: 'cd'.repeat(32),
  RUKOU_APPID: 'wx7e3a9c0d5b1f4862',
  RUKOU_RETENTION_DAYS: '23519',
  RUKOU_USER_DAY_RETENTION_DAYS: '34620',
  // leading zeros: whole numbers within the functions' timeouts, and strings nothing else prints
  RUKOU_BACKFILL_SECONDS: '000000029',
  RUKOU_SEND_SECONDS: '000000041',
};

const dotEnv = (vars: Record<string, string>): string => Object.entries(vars).map(([name, value]) => `${name}=${value}\n`).join('');

/** Runs scripts/deploy.js of a copy holding this .env, with nothing of this process's environment but PATH (and `processEnv`). */
function run(env: Record<string, string> | undefined, args: string[], processEnv: Record<string, string> = {}): { status: number | null; output: string } {
  const root = copyProject(true);
  if (env) fs.writeFileSync(path.join(root, '.env'), dotEnv(env));
  const child = spawnSync(process.execPath, [path.join(root, 'scripts', 'deploy.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...processEnv, PATH: process.env.PATH ?? '' } });
  return { status: child.status, output: `${child.stdout}${child.stderr}` };
}

describe('npm run deploy -- --dry-run', () => {
  let status: number | null = null;
  let output = '';
  beforeAll(() => {
    ({ status, output } = run(SECRETS, ['--dry-run']));
  });

  it('passes this repository with a complete .env, sending nothing', () => {
    expect(status).toBe(0);
    expect(output).toContain('Rukou deploy plan (dry run: nothing is sent)');
    expect(output).toContain('deployable: npm run deploy sends this plan to the environment ENV_ID names.');
  });

  it('prints every function with runtime, memory, timeout, environment by name, triggers and permissions', () => {
    expect(output).toMatch(/^ {2}track: Nodejs18\.15, 256 MB, timeout 10 s, index\.js \d+ KB$/m);
    expect(output).toMatch(/^ {2}callback: Nodejs18\.15, 256 MB, timeout 5 s, index\.js \d+ KB$/m);
    expect(output).toContain('    environment: RUKOU_SHARE_SECRET (set)');
    expect(output).toContain('    environment: RUKOU_OPERATORS (set), RUKOU_ADMIN_TOKEN_SHA256 (set), RUKOU_BACKFILL_SECONDS (set), RUKOU_APPID (set)');
    expect(output).toContain('    triggers: timer dailyRollup "0 17/20 0-2 * * * *" (Beijing time)');
    expect(output).toContain('    openapi permissions (config.json): subscribeMessage.send, subscribeMessage.getTemplateList');
  });

  it('prints .env\'s variables by name, with what each is for', () => {
    expect(output).toMatch(/^environment: \/.*\/\.env, under the process's own variables$/m);
    for (const name of Object.keys(SECRETS)) expect(output).toMatch(new RegExp(`^ {2}${name} +set {3}for `, 'm'));
  });

  it('prints every collection with its rules and indexes, and the message-push rows to add by hand', () => {
    expect(output).toContain('  events: rules {"read":false,"write":false}');
    expect(output).toContain('day_type_at (day 1, type 1, at 1)');
    expect(output).toContain('one row each to callback:');
    for (const route of PUSH_ROUTES) expect(output).toContain(`    MsgType ${route.msgType}${route.event ? `, Event ${route.event}` : ''}\n`);
    expect(output).toContain('right-click each of track, admin, messages, callback under cloudfunctions/ → 上传并部署：云端安装依赖');
    expect(output).toContain('then right-click each of admin, messages → 上传触发器, so that its timer\'s runs may make them');
  });

  it('lists every step by hand the README names: openapi permissions, message push, the dashboard\'s upload and HTTP access', () => {
    const byHand = output.slice(output.indexOf('by hand, once the deploy is done'));
    expect(byHand).toContain('\n  openapi permissions (step 6): the CLI cannot set them.');
    expect(byHand).toContain('\n  message push (step 7): 云开发 → 设置 → 其他设置 → 消息推送');
    expect(byHand).toContain('\n  web dashboard (step 8): upload it to static hosting, logged in (step 4): npx tcb hosting deploy dist/dashboard dashboard -e <ENV_ID>\n');
    expect(byHand).toContain('\n  HTTP access (step 8): in the console\'s HTTP access service (HTTP 访问服务), on one domain, route /admin to the cloud function admin and /dashboard to static hosting\n');
  });

  it('prints no value of .env', () => {
    for (const value of Object.values(SECRETS)) expect(output).not.toContain(value);
    for (const value of SECRETS.RUKOU_OPERATORS.split(',')) expect(output).not.toContain(value);
  });

  it('refuses values the functions would not use as given, and warns of a misspelled variable, saying no value', () => {
    const wrong = { ...SECRETS, ENV_ID: 'my env 7f3a', RUKOU_APPID: 'wx-not-an-appid-93', RUKOU_USER_DAY_RETENTION_DAYS: '0000005', RUKOU_BACKFILL_SECONDS: '000000055', RUKOU_SEND_SECONDS: '000000058' };
    const refused = run({ ...wrong, RUKOU_SEND_SECOND: 'value-misspelled-30' }, ['--dry-run']);
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(/^warning: RUKOU_SEND_SECOND is in \.env, but no function reads it \(misspelled\?\): the functions read RUKOU_SHARE_SECRET, /m);
    const problems = refused.output.slice(refused.output.indexOf('not deployable:')).split('\n').filter((line) => line.startsWith('- ')).map((line) => line.split(' ')[1]);
    expect(problems).toEqual(['ENV_ID', 'RUKOU_USER_DAY_RETENTION_DAYS', 'RUKOU_BACKFILL_SECONDS', 'RUKOU_APPID', 'RUKOU_SEND_SECONDS']);
    for (const value of [...Object.values(wrong), 'value-misspelled-30']) expect(refused.output).not.toContain(value);
  });

  it('refuses without ENV_ID, naming it', () => {
    const refused = run({ ...SECRETS, ENV_ID: '' }, ['--dry-run']);
    expect(refused.status).toBe(1);
    expect(refused.output).toContain('not deployable:\n- ENV_ID is not set (in .env, .env.local or the shell, which wins even when empty): the id of your CloudBase environment (README, Deploy step 3)\n');
  });
});

describe('npm run deploy', () => {
  it('refuses without an environment, having sent nothing', () => {
    const { status, output } = run(undefined, []);
    expect(status).toBe(1);
    expect(output).toMatch(/^environment: no \.env in \/.*, under the process's own variables$/m);
    expect(output).toContain('not deployable, nothing was sent:\n- ENV_ID is not set (in .env, .env.local or the shell, which wins even when empty)');
  });

  it('is a dry run when npm took --dry-run for itself (npm run deploy --dry-run, without --), saying so', () => {
    const { status, output } = run(SECRETS, [], { npm_config_dry_run: 'true' });
    expect(status).toBe(0);
    expect(output).toContain('Rukou deploy plan (dry run: nothing is sent)\nnpm took --dry-run as its own option (npm_config_dry_run is set), so this is a dry run; npm run deploy -- --dry-run says it to the deploy.\n');
    expect(output).toContain('deployable: npm run deploy sends this plan to the environment ENV_ID names.');
    expect(output).not.toContain('sending it to');
  });

  it('refuses an option it does not know rather than deploying (a mistyped --dry-run)', () => {
    const { status, output } = run(SECRETS, ['--dryrun']);
    expect(status).toBe(2);
    expect(output).toBe('deploy: unknown option --dryrun: nothing was checked or sent. usage: npm run deploy [-- --dry-run | --help]\n');
  });

  it('prints its usage for --help or -h and exits 0, checking nothing', () => {
    for (const flag of ['--help', '-h']) {
      const { status, output } = run(SECRETS, [flag]);
      expect(status).toBe(0);
      expect(output).toMatch(/^usage: npm run deploy \[-- --dry-run \| --help\]\n/);
      expect(output).toContain('  --dry-run   check and print the plan, send nothing');
      expect(output).toContain('  --help, -h  print this');
      expect(output).toContain('README.md, "Deploy to a real environment": steps 1-4 set it up, step 5 is this command, 6-10 by hand.');
      expect(output).not.toContain('Rukou deploy plan');
    }
  });

  it('sends the checked plan to ENV_ID\'s environment only when nothing is wrong and it is not a dry run', async () => {
    const root = copyProject();
    fs.writeFileSync(path.join(root, '.env'), dotEnv(SECRETS));
    const sent: { plan: Plan; envId: string; key: unknown }[] = [];
    const send = async (plan: Plan, envId: string, env: NodeJS.ProcessEnv): Promise<string[]> => {
      sent.push({ plan, envId, key: env.TENCENTCLOUD_SECRETKEY });
      return ['collection users: index firstDay exists with other keys'];
    };
    const lines: string[] = [];
    const log = (...more: string[]): void => void lines.push(...more);

    expect(await deploy({ root, argv: ['--dry-run'], processEnv: {}, log, send })).toBe(0);
    expect(await deploy({ root, argv: [], processEnv: { RUKOU_SHARE_SECRET: 'short' }, log, send })).toBe(1);
    expect(sent).toEqual([]);

    expect(await deploy({ root, argv: [], processEnv: { npm_config_dry_run: 'true' }, log, send })).toBe(0);
    expect(sent).toEqual([]);

    lines.length = 0;
    expect(await deploy({ root, argv: [], processEnv: { ENV_ID: 'env-from-the-shell', npm_config_dry_run: 'false' }, log, send })).toBe(0);
    expect(sent.map(({ plan, envId, key }) => ({ root: plan.root, envId, key }))).toEqual([{ root, envId: 'env-from-the-shell', key: SECRETS.TENCENTCLOUD_SECRETKEY }]);
    expect(lines.slice(-3)).toEqual(['', 'deployed. Now the steps by hand above.', 'warning: collection users: index firstDay exists with other keys']);
  });
});
