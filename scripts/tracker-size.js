// @ts-check
// The Mini Program tracker's weight in a user's package: miniprogram/tracker bundled and minified
// with esbuild the way a Mini Program build would ship it (CommonJS, ES2018), nothing written to
// disk. Prints the minified and gzipped sizes in bytes of the tracker (index.ts, under its 8 KB goal)
// and what its opt-in consent wrapper (consent.ts, which only apps that send subscription messages
// include) adds to it, and fails when the tracker is over its goal.
//   node scripts/tracker-size.js [--json]
const esbuild = require('esbuild');
const path = require('node:path');
const zlib = require('node:zlib');

const GOAL_BYTES = 8 * 1024;

const TRACKER_DIR = path.resolve(__dirname, '..', 'miniprogram', 'tracker');

/**
 * @param {string} source an entry module, in miniprogram/tracker, bundled with what it imports
 * @returns {Promise<{ minified: number; gzipped: number }>}
 */
async function sizeOf(source) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: TRACKER_DIR, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'cjs',
    target: 'es2018',
    platform: 'neutral',
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: zlib.gzipSync(code, { level: 9 }).byteLength };
}

/** @returns {Promise<{ minified: number; gzipped: number; goal: number; consent: { minified: number; gzipped: number } }>} */
async function measure() {
  const tracker = await sizeOf("export { createTracker } from './index';");
  const both = await sizeOf("export { createTracker } from './index'; export { reportConsent } from './consent';");
  return { ...tracker, goal: GOAL_BYTES, consent: { minified: both.minified - tracker.minified, gzipped: both.gzipped - tracker.gzipped } };
}

if (require.main === module) {
  measure().then((size) => {
    if (process.argv.includes('--json')) console.log(JSON.stringify(size));
    else {
      console.log(`miniprogram/tracker: ${size.minified} bytes minified, ${size.gzipped} bytes gzipped (goal: under ${size.goal})`);
      console.log(`miniprogram/tracker/consent.ts (opt-in) adds ${size.consent.minified} bytes minified, ${size.consent.gzipped} bytes gzipped`);
    }
    if (size.minified >= size.goal) process.exitCode = 1;
  });
}

module.exports = { measure };
