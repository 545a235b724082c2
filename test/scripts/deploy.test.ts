/**
 * `npm run deploy -- --dry-run`: the plan is checked before anything is sent. Run on this
 * repository it must pass; run on a copy with a drifted trigger or an undeclared function it must
 * refuse, naming the problem.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/emulator';

const dryRun = (root: string): { status: number | null; output: string } => {
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'deploy.js'), '--dry-run'], { cwd: root, encoding: 'utf8', env: { ...process.env, ENV_ID: '' } });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

/** A copy of what the deploy reads: the script, cloudbaserc.json, the collections, each function's config and source. */
function copyProject(): string {
  const root = tempDir('rukou-deploy-');
  for (const file of ['scripts/deploy.js', 'cloudbaserc.json', 'database/collections.json']) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
  }
  for (const name of fs.readdirSync(path.join(REPO_ROOT, 'cloudfunctions'))) {
    fs.cpSync(path.join(REPO_ROOT, 'cloudfunctions', name, 'src'), path.join(root, 'cloudfunctions', name, 'src'), { recursive: true });
    const config = path.join(REPO_ROOT, 'cloudfunctions', name, 'config.json');
    if (fs.existsSync(config)) fs.copyFileSync(config, path.join(root, 'cloudfunctions', name, 'config.json'));
  }
  return root;
}

test('this repository deploys: every function with its timeout and timer, every collection with its rules and indexes', () => {
  const { status, output } = dryRun(REPO_ROOT);
  expect(status).toBe(0);
  for (const name of fs.readdirSync(path.join(REPO_ROOT, 'cloudfunctions'))) expect(output).toMatch(new RegExp(`^function ${name} \\(timeout \\d+s`, 'm'));
  expect(output).toContain('timer dailyRollup "0 17 0 * * * *"');
  const collections = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'database', 'collections.json'), 'utf8')).collections as Record<string, { indexes?: unknown[] }>;
  for (const [name, spec] of Object.entries(collections)) expect(output).toContain(`collection ${name} (${spec.indexes?.length ?? 0} index(es)`);
});

test('a timer in config.json that differs from cloudbaserc.json is refused', () => {
  const root = copyProject();
  const config = path.join(root, 'cloudfunctions', 'rollup', 'config.json');
  const parsed = JSON.parse(fs.readFileSync(config, 'utf8'));
  parsed.triggers[0].config = '0 0 1 * * * *';
  fs.writeFileSync(config, JSON.stringify(parsed));
  const { status, output } = dryRun(root);
  expect(status).toBe(1);
  expect(output).toContain('rollup: the triggers in config.json and cloudbaserc.json differ');
});

test('a function folder that cloudbaserc.json does not declare is refused', () => {
  const root = copyProject();
  fs.mkdirSync(path.join(root, 'cloudfunctions', 'stray', 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'cloudfunctions', 'stray', 'src', 'index.ts'), 'export const main = () => 1;\n');
  const { status, output } = dryRun(root);
  expect(status).toBe(1);
  expect(output).toContain('cloudfunctions/stray is not declared in cloudbaserc.json');
});
