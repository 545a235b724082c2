// @ts-check
// The Mini Program tracker's weight in a user's package: the modules of the npm package rukou-tracker
// as scripts/build-tracker.js writes them into miniprogram_dist (bundled and minified, built in
// memory here, nothing written to disk). Prints the minified and gzipped sizes in bytes of the
// tracker (index.js, which every Mini Program ships, under its 8 KB goal) and of the opt-in consent
// wrapper (consent.js, which only apps that send subscription messages require), and fails when the
// tracker is over its goal.
//   node scripts/tracker-size.js [--json]
const zlib = require('node:zlib');
const { bundles } = require('./build-tracker.js');

const GOAL_BYTES = 8 * 1024;

/** @param {Uint8Array} code @returns {{ minified: number; gzipped: number }} */
const sizeOf = (code) => ({ minified: code.byteLength, gzipped: zlib.gzipSync(code, { level: 9 }).byteLength });

/** @returns {Promise<{ minified: number; gzipped: number; goal: number; consent: { minified: number; gzipped: number } }>} */
async function measure() {
  const modules = Object.fromEntries((await bundles()).map(({ name, code }) => [name, sizeOf(code)]));
  return { ...modules.index, goal: GOAL_BYTES, consent: modules.consent };
}

if (require.main === module) {
  measure().then((size) => {
    if (process.argv.includes('--json')) console.log(JSON.stringify(size));
    else {
      console.log(`rukou-tracker miniprogram_dist/index.js: ${size.minified} bytes minified, ${size.gzipped} bytes gzipped (goal: under ${size.goal})`);
      console.log(`rukou-tracker miniprogram_dist/consent.js (opt-in): ${size.consent.minified} bytes minified, ${size.consent.gzipped} bytes gzipped`);
    }
    if (size.minified >= size.goal) process.exitCode = 1;
  });
}

module.exports = { measure };
