// @ts-check
// Bundles every cloud function (handler + what it imports from shared/) into its deployable
// index.js, and the emulator into dist/. wx-server-sdk stays external: the cloud installs it
// from each function's package.json, and locally it resolves from the root node_modules.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const functionsRoot = path.join(root, 'cloudfunctions');

/** @returns {string[]} names of the cloud functions that have a TypeScript handler */
function functionNames() {
  if (!fs.existsSync(functionsRoot)) return [];
  return fs
    .readdirSync(functionsRoot)
    .filter((name) => fs.existsSync(path.join(functionsRoot, name, 'src', 'index.ts')))
    .sort();
}

async function build() {
  const started = Date.now();
  const common = /** @type {const} */ ({ bundle: true, platform: 'node', target: 'node18', sourcemap: false, logLevel: 'warning' });
  const functions = functionNames().map((name) =>
    esbuild.build({
      ...common,
      entryPoints: [path.join(functionsRoot, name, 'src', 'index.ts')],
      outfile: path.join(functionsRoot, name, 'index.js'),
      format: 'cjs',
      external: ['wx-server-sdk'],
    }),
  );
  const emulator = esbuild.build({
    ...common,
    entryPoints: {
      rukou: path.join(root, 'emulator', 'cli.ts'),
      worker: path.join(root, 'emulator', 'functions', 'worker.ts'),
    },
    outdir: path.join(root, 'dist'),
    format: 'cjs',
    packages: 'external',
  });
  await Promise.all([...functions, emulator]);
  console.log(`built ${functionNames().length} functions and the emulator in ${Date.now() - started} ms`);
}

build().catch((error) => {
  console.error(error);
  process.exit(1);
});
