/**
 * Every user's first call after a quiet spell loads a function whole, so each bundle stays under
 * its 150 KB budget (issue 9), bundled the way `npm run build` bundles it, nothing written to disk;
 * and no bundle compiles a schema when it starts: the validators come compiled from the build, so
 * ajv's compiler and its URI parser are not in it. (What a require costs is measured, not asserted:
 * `npm run bench -- coldstart`.)
 */
import { build, type Metafile } from 'esbuild';
import { functionNames, functionOptions } from '../../scripts/build';

const BUDGET_BYTES = 150 * 1024;
const SCHEMA_COMPILER = /node_modules\/(ajv\/dist\/(ajv|core|compile\/)|fast-uri\/)/;

describe.each(functionNames())('the %s function, bundled', (name) => {
  let bytes: number;
  let inputs: string[];

  beforeAll(async () => {
    const result = await build({ ...functionOptions(name), write: false, metafile: true });
    bytes = result.outputFiles[0].contents.byteLength;
    inputs = Object.keys((result.metafile as Metafile).inputs);
  });

  it('is its handler and what it imports, under 150 KB', () => {
    expect(inputs).toContain(`cloudfunctions/${name}/src/index.ts`);
    expect(bytes).toBeLessThan(BUDGET_BYTES);
  });

  it('carries no schema compiler', () => {
    expect(inputs.filter((input) => SCHEMA_COMPILER.test(input))).toEqual([]);
  });
});
