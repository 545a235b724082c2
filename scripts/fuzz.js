// @ts-check
// `npm run fuzz`: the fuzz suites (test/fuzz/) with 100,000 inputs per target and a fresh seed,
// printed first, where `npm test` sends 2,000 from a fixed one. RUKOU_FUZZ_RUNS and RUKOU_FUZZ_SEED
// set either; arguments go to jest (`npm run fuzz -- test/fuzz/track.test.ts`).
const { spawnSync } = require('node:child_process');
const { randomInt } = require('node:crypto');
const path = require('node:path');

/** @type {NodeJS.ProcessEnv} */
const env = { ...process.env, RUKOU_FUZZ_TALLY: '1' };
env.RUKOU_FUZZ_RUNS ??= '100000';
env.RUKOU_FUZZ_SEED ??= String(randomInt(2 ** 31));
const args = process.argv.slice(2);
console.log(`fuzzing with ${env.RUKOU_FUZZ_RUNS} inputs per target, seed ${env.RUKOU_FUZZ_SEED}`);
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const result = spawnSync(process.execPath, [jest, ...(args.length > 0 ? args : ['test/fuzz'])], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
