/**
 * The demo Mini Program (miniprogram/) takes the tracker as any Mini Program does: rukou-tracker
 * installed from npm into its own node_modules, built by DevTools' "build npm" into miniprogram_npm,
 * and required by name. Here it is copied, compiled as DevTools compiles it, given the package as
 * `npm pack` publishes it (built by `npm run build`), built into miniprogram_npm, and run on a
 * simulated phone with WeChat's `require`, which finds nothing in node_modules; and its TypeScript is
 * checked against the types the installed package carries.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { memoryTrack } from './memory-track';
import { buildNpm, copyMiniProgram, installPackage, programOf } from './mini-program';
import { SimulatedPhone } from './simulated-wx';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_DIR = path.join(REPO_ROOT, 'packages', 'rukou-tracker');
const HOME = { scene: 1001, path: 'pages/index/index', query: {} };
let root: string;

beforeAll(() => {
  root = copyMiniProgram(path.join(REPO_ROOT, 'miniprogram'));
  installPackage(root, PACKAGE_DIR);
  buildNpm(root);
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('build npm puts the package\'s miniprogram folder, and nothing else, in miniprogram_npm', () => {
  const { miniprogram } = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'rukou-tracker', 'package.json'), 'utf8')) as { miniprogram: string };
  expect(miniprogram).toBe('miniprogram_dist');
  expect(fs.readdirSync(path.join(root, 'miniprogram_npm'))).toEqual(['rukou-tracker']);
  expect(fs.readdirSync(path.join(root, 'miniprogram_npm', 'rukou-tracker')).sort()).toEqual(['consent.js', 'index.js']);
});

test('the demo runs through miniprogram_npm: its App, its Page and its Component page are tracked, and a share carries rk_sh', async () => {
  const server = memoryTrack();
  const phone = new SimulatedPhone('u-demo-npm', server.backend);
  const loaded: string[] = [];
  phone.launchProgram(programOf(root, loaded), HOME);
  // the tracker and its consent wrapper came from miniprogram_npm, required by name
  expect(loaded).toEqual(expect.arrayContaining([path.join('miniprogram_npm', 'rukou-tracker', 'index.js'), path.join('miniprogram_npm', 'rukou-tracker', 'consent.js')]));
  expect(loaded.filter((file) => file.includes('node_modules'))).toEqual([]);
  phone.open('pages/index/index', {});
  const detail = phone.open('pages/detail/detail', { id: '2' });
  expect(detail.data).toEqual({ id: '2' });
  // the page's promise (500 ms, on the app's timers) gives the card its title, within WeChat's 3 s
  const sharing = phone.shareCard(detail);
  await phone.advance(1000);
  const card = await sharing;
  const shareId = /rk_sh=([\w-]+)$/.exec(card.path)?.[1];
  expect(card).toMatchObject({ title: 'Item 2: today only', path: `/pages/detail/detail?id=2&rk_sh=${shareId}` });
  // later, the user leaves (a hide right after a share would be the share panel's: a pause)
  await phone.advance(60_000);
  phone.hide();
  await phone.settle();
  const events = [...server.stored.values()];
  expect(events.map((event) => event.path ?? event.type)).toEqual(['enter', 'pages/index/index', 'pages/detail/detail', '/pages/detail/detail?id=2', 'hide']);
  expect(events.find((event) => event.type === 'share')).toMatchObject({ shareId, to: 'chat' });
});

test('the installed package\'s types resolve by name (the tracker and rukou-tracker/consent) and the demo typechecks against them', () => {
  const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('node_modules'));
  expect(files).toEqual(expect.arrayContaining(['app.ts', 'tracking.ts', path.join('pages', 'detail', 'detail.ts')]));
  const program = ts.createProgram(
    files.map((file) => path.join(root, file)),
    {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2020,
      lib: ['lib.es2020.d.ts'],
      module: ts.ModuleKind.Preserve,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: ['miniprogram-api-typings'],
      typeRoots: [path.join(REPO_ROOT, 'node_modules')],
    },
  );
  const resolved = (name: string): string | undefined => ts.resolveModuleName(name, path.join(root, 'tracking.ts'), program.getCompilerOptions(), ts.sys).resolvedModule?.resolvedFileName;
  expect(resolved('rukou-tracker')).toBe(path.join(root, 'node_modules', 'rukou-tracker', 'types', 'index.d.ts'));
  expect(resolved('rukou-tracker/consent')).toBe(path.join(root, 'node_modules', 'rukou-tracker', 'types', 'consent.d.ts'));
  const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  expect(problems).toEqual([]);
});
