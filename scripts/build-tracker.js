// @ts-check
// Builds the npm package rukou-tracker (packages/rukou-tracker) from its TypeScript in src/:
//   miniprogram_dist/index.js    the tracker (createTracker), what every Mini Program ships
//   miniprogram_dist/consent.js  the opt-in consent wrapper (reportConsent), `rukou-tracker/consent`
//   types/*.d.ts                 the declarations, written by tsc from the package's tsconfig.json
// miniprogram_dist is the package's `miniprogram` field: DevTools' "build npm" (构建 npm) copies that
// folder into the Mini Program's miniprogram_npm/rukou-tracker/, where `require('rukou-tracker')`
// finds index.js (developers.weixin.qq.com/miniprogram/dev/devtools/npm.html). Both are built, never
// committed: by `npm run build` (scripts/build.js, which the root's `npm install` runs as its prepare)
// and by the package's own `prepack`, which npm runs before packing it (npm pack, npm publish). Not
// `prepare`: npm also runs that, or asks to allow it, where the package is installed from a tarball,
// which has no scripts/ beside it.
//   node scripts/build-tracker.js
const esbuild = require('esbuild');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_DIR = path.resolve(__dirname, '..', 'packages', 'rukou-tracker');
const SOURCE_DIR = path.join(PACKAGE_DIR, 'src');
const DIST_DIR = path.join(PACKAGE_DIR, 'miniprogram_dist');
const TYPES_DIR = path.join(PACKAGE_DIR, 'types');

/**
 * The package's modules: miniprogram_dist/<name>.js exports `names` of src/<name>.ts. Declared here
 * because each is written as `module.exports = { … }` (below), and a test requires each through the
 * Mini Program's resolution and calls what it exports.
 */
const ENTRIES = [
  { name: 'index', names: ['createTracker'] },
  { name: 'consent', names: ['reportConsent'] },
];

/**
 * One module of the package, bundled and minified: CommonJS, as WeChat's modules are, and ES2018 syntax
 * (no `?.` or `??`, which older phones' JavaScript engines lack). The entry assigns `module.exports`
 * itself: had it `export`ed, esbuild would add its ESM-to-CommonJS interop helpers (about 450 bytes),
 * which WeChat's CommonJS modules never need.
 * @param {{ name: string, names: string[] }} entry
 * @returns {Promise<Uint8Array>} the module's code
 */
async function bundle({ name, names }) {
  const list = names.join(', ');
  const result = await esbuild.build({
    stdin: { contents: `import { ${list} } from './${name}';\nmodule.exports = { ${list} };\n`, resolveDir: SOURCE_DIR, sourcefile: `${name}.entry.ts`, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'cjs',
    target: 'es2018',
    platform: 'neutral',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0].contents;
}

/** @returns {Promise<{ name: string, code: Uint8Array }[]>} every module of miniprogram_dist, in memory */
async function bundles() {
  return Promise.all(ENTRIES.map(async (entry) => ({ name: entry.name, code: await bundle(entry) })));
}

/** @returns {Promise<void>} the declarations, by the TypeScript compiler with the package's tsconfig.json */
function declarations() {
  fs.rmSync(TYPES_DIR, { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', PACKAGE_DIR], (error, stdout, stderr) => {
      if (error) reject(new Error(`tsc -p ${path.relative(process.cwd(), PACKAGE_DIR) || '.'} failed:\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** Writes miniprogram_dist/ and types/ afresh. */
async function buildTracker() {
  const [modules] = await Promise.all([bundles(), declarations()]);
  fs.rmSync(DIST_DIR, { recursive: true, force: true });
  fs.mkdirSync(DIST_DIR, { recursive: true });
  for (const { name, code } of modules) fs.writeFileSync(path.join(DIST_DIR, `${name}.js`), code);
}

if (require.main === module) {
  buildTracker().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { buildTracker, bundles, PACKAGE_DIR };
