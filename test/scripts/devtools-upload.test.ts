/**
 * A function uploaded from WeChat DevTools (right-click → 上传并部署：云端安装依赖) works: DevTools
 * sends the folder cloudfunctions/<fn>/ as it is, and the cloud installs its package.json's
 * dependencies and loads index.js (Platform sources §B.2). `npm run build` (which `npm install`
 * runs as `prepare`) writes that index.js; it is not committed. So after the build each folder,
 * copied alone beside only the packages its package.json lists, loads and exports `main`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/emulator';
import type { FunctionPackage } from './project-copy';

const names = fs.readdirSync(path.join(REPO_ROOT, 'cloudfunctions')).sort();

test('a fresh clone has no index.js, and npm install builds them (prepare runs scripts/build.js)', () => {
  for (const name of names) {
    const ignored = spawnSync('git', ['check-ignore', '-q', `cloudfunctions/${name}/index.js`], { cwd: REPO_ROOT });
    expect({ name, ignored: ignored.status }).toEqual({ name, ignored: 0 });
  }
  const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(scripts.prepare).toBe('node scripts/build.js');
  expect(scripts.build).toBe('node scripts/build.js');
});

test.each(names)('%s: its folder holds index.js, package.json and config.json, and no TypeScript beside them', (name) => {
  const files = fs.readdirSync(path.join(REPO_ROOT, 'cloudfunctions', name));
  expect(files).toEqual(expect.arrayContaining(['index.js', 'package.json', 'config.json', 'src']));
  expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cloudfunctions', name, 'package.json'), 'utf8')) as FunctionPackage;
  expect(pkg.main).toBe('index.js');
});

test.each(names)('%s: copied alone with only its dependencies, index.js loads and exports main', (name) => {
  const folder = path.join(tempDir('rukou-upload-'), name);
  const source = path.join(REPO_ROOT, 'cloudfunctions', name);
  fs.cpSync(source, folder, { recursive: true, filter: (file) => path.relative(source, file).split(path.sep)[0] !== 'src' });
  const pkg = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as FunctionPackage;
  for (const dependency of Object.keys(pkg.dependencies)) {
    fs.mkdirSync(path.dirname(path.join(folder, 'node_modules', dependency)), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', dependency), path.join(folder, 'node_modules', dependency), 'dir');
  }
  const loaded = spawnSync(process.execPath, ['-e', 'process.stdout.write(typeof require(process.argv[1]).main)', path.join(folder, 'index.js')], { cwd: folder, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  expect({ stdout: loaded.stdout, status: loaded.status }).toEqual({ stdout: 'function', status: 0 });
});
