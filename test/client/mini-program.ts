/**
 * A Mini Program folder as a developer's DevTools runs it, copied into a temporary directory: its
 * TypeScript compiled as DevTools' typescript plugin does (types stripped, each file a CommonJS
 * module), its npm dependencies installed as `npm install` puts them from the registry (the files
 * `npm pack` publishes) and built by "build npm" (构建 npm: each dependency's `miniprogram` folder,
 * by default miniprogram_dist, copied to miniprogram_npm/<name>/), and its modules run with WeChat's
 * `require`, on a simulated phone (`SimulatedPhone.launchProgram`).
 * Sources: developers.weixin.qq.com/miniprogram/dev/devtools/npm.html ("小程序 npm 包要求根目录下必须有
 * 构建文件生成目录（默认为 miniprogram_dist 目录）…可以通过在 package.json 文件中新增一个 miniprogram
 * 字段来指定"; "如果只引入包名，则默认寻找包名下的 index.js 文件"; `require('packageName/other')`),
 * and devtools/compilets.html (the plugin only strips types, with @babel/plugin-transform-typescript).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from 'esbuild';
import type { MiniProgramCode } from './simulated-wx';

/** Folders DevTools does not compile from source: what npm installs and what "build npm" writes. */
const NOT_SOURCE = new Set(['node_modules', 'miniprogram_npm']);

/**
 * Copies the Mini Program at `source` into a new temporary folder, each `.ts` beside the `.js`
 * DevTools compiles it into. Answers the copy's root (its miniprogramRoot).
 */
export function copyMiniProgram(source: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-miniprogram-'));
  const copy = (from: string, to: string): void => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      if (NOT_SOURCE.has(entry.name)) continue;
      const file = path.join(from, entry.name);
      if (entry.isDirectory()) copy(file, path.join(to, entry.name));
      else {
        fs.copyFileSync(file, path.join(to, entry.name));
        if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
          const { code } = transformSync(fs.readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs', target: 'es2018', sourcefile: file });
          fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), code);
        }
      }
    }
  };
  copy(source, root);
  return root;
}

/** Installs the package in folder `packageDir` into `root`/node_modules as npm installs it from the registry: the files `npm pack` publishes. */
export function installPackage(root: string, packageDir: string): void {
  const [{ name, files }] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir, encoding: 'utf8' })) as { name: string; files: { path: string }[] }[];
  for (const { path: file } of files) {
    const target = path.join(root, 'node_modules', name, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(packageDir, file), target);
  }
}

/**
 * DevTools' "build npm" for the package.json at `root` (inside miniprogramRoot, where DevTools looks
 * by default): each of its `dependencies` (not devDependencies) must be a Mini Program npm package,
 * whose `miniprogram` folder is copied to miniprogram_npm/<name>/.
 */
export function buildNpm(root: string): void {
  const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of Object.keys(dependencies)) {
    const installed = path.join(root, 'node_modules', name);
    const { miniprogram = 'miniprogram_dist' } = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { miniprogram?: string };
    const built = path.join(installed, miniprogram);
    if (!fs.existsSync(built)) throw new Error(`${name} has no ${miniprogram} folder: it is not a Mini Program npm package, or was packed unbuilt (this repository's: npm run build)`);
    fs.cpSync(built, path.join(root, 'miniprogram_npm', name), { recursive: true });
  }
}

/**
 * WeChat's `require` from `from`: a relative or absolute path is a file of the Mini Program (`.js`
 * added, or the folder's index.js); a package name is looked up in miniprogram_npm from the
 * requiring file's folder up to the root, its index.js, or `name/other` its other.js. Nothing
 * outside the Mini Program's root is found: node_modules is not shipped.
 */
function resolve(root: string, from: string, request: string): string {
  const file = (base: string): string | undefined => [base, `${base}.js`, path.join(base, 'index.js')].find((candidate) => candidate.startsWith(root + path.sep) && fs.existsSync(candidate) && fs.statSync(candidate).isFile());
  let found: string | undefined;
  if (request.startsWith('.') || request.startsWith('/')) found = file(request.startsWith('/') ? path.join(root, request) : path.resolve(path.dirname(from), request));
  else {
    const parts = request.split('/');
    const name = parts.slice(0, request.startsWith('@') ? 2 : 1).join('/');
    const inside = parts.slice(request.startsWith('@') ? 2 : 1).join('/');
    for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
      const pkg = path.join(dir, 'miniprogram_npm', name);
      if (fs.existsSync(pkg)) {
        found = file(inside ? path.join(pkg, inside) : path.join(pkg, 'index'));
        break;
      }
      if (dir === root) break;
    }
  }
  if (!found) throw new Error(`module "${request}" is not defined (required from ${path.relative(root, from)})`);
  return found;
}

/**
 * The Mini Program at `root` as one process runs it: app.js, then each page of app.json, every
 * module evaluated once with the globals the phone gives. `loaded` lists the files it ran, in order.
 */
export function programOf(root: string, loaded: string[] = []): MiniProgramCode {
  return (globals, page) => {
    const cache = new Map<string, { exports: unknown }>();
    const names = Object.keys(globals);
    const values = Object.values(globals);
    const load = (file: string): unknown => {
      const cached = cache.get(file);
      if (cached) return cached.exports;
      const module = { exports: {} };
      cache.set(file, module);
      loaded.push(path.relative(root, file));
      // evaluated as WeChat's module system does: its own require, module and exports, and the globals beside them
      new Function('require', 'module', 'exports', ...names, fs.readFileSync(file, 'utf8'))((request: string) => load(resolve(root, file, request)), module, module.exports, ...values);
      return module.exports;
    };
    const { pages } = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8')) as { pages: string[] };
    load(path.join(root, 'app.js'));
    for (const route of pages) page(route, () => load(path.join(root, `${route}.js`)));
  };
}
