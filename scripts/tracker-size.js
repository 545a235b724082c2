// @ts-check
// The Mini Program tracker's weight in a user's package: miniprogram/tracker bundled and minified
// with esbuild the way a Mini Program build would ship it (CommonJS, ES2018), nothing written to
// disk. Prints the minified and gzipped sizes in bytes and fails above the 8 KB goal.
//   node scripts/tracker-size.js [--json]
const esbuild = require('esbuild');
const path = require('node:path');
const zlib = require('node:zlib');

const GOAL_BYTES = 8 * 1024;

/** @returns {Promise<{ minified: number; gzipped: number; goal: number }>} */
async function measure() {
  const result = await esbuild.build({
    entryPoints: [path.resolve(__dirname, '..', 'miniprogram', 'tracker', 'index.ts')],
    bundle: true,
    minify: true,
    format: 'cjs',
    target: 'es2018',
    platform: 'neutral',
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: zlib.gzipSync(code, { level: 9 }).byteLength, goal: GOAL_BYTES };
}

if (require.main === module) {
  measure().then((size) => {
    if (process.argv.includes('--json')) console.log(JSON.stringify(size));
    else console.log(`miniprogram/tracker: ${size.minified} bytes minified, ${size.gzipped} bytes gzipped (goal: under ${size.goal})`);
    if (size.minified >= size.goal) process.exitCode = 1;
  });
}

module.exports = { measure };
