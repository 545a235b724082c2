/**
 * A project as an operator deploys it: Rukou's functions beside one of the operator's own
 * (test/fixtures/operator/shop, which reports goals server-side with `cloud.callFunction`), so
 * that a function calling `track` runs through the emulator as it runs in the cloud. Built in a
 * temporary folder of links to the repository's functions and collections; no timer of `messages`
 * (it is left out), so that moving the clock by days fires only the rollup's and admin's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from './emulator';

const RUKOU_FUNCTIONS = ['track', 'rollup', 'admin'];
const SHOP = path.join(REPO_ROOT, 'test', 'fixtures', 'operator', 'shop');

/** The project's root: give it to `startEmulator({ project })`. */
export function operatorProject(): string {
  const root = tempDir('rukou-operator-');
  const rc = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cloudbaserc.json'), 'utf8')) as { functions: { name: string }[] };
  rc.functions = [...rc.functions.filter((spec) => RUKOU_FUNCTIONS.includes(spec.name)), { name: 'shop', timeout: 10 } as { name: string }];
  fs.writeFileSync(path.join(root, 'cloudbaserc.json'), JSON.stringify(rc));
  fs.mkdirSync(path.join(root, 'cloudfunctions'));
  for (const name of RUKOU_FUNCTIONS) fs.symlinkSync(path.join(REPO_ROOT, 'cloudfunctions', name), path.join(root, 'cloudfunctions', name), 'dir');
  fs.symlinkSync(SHOP, path.join(root, 'cloudfunctions', 'shop'), 'dir');
  fs.symlinkSync(path.join(REPO_ROOT, 'database'), path.join(root, 'database'), 'dir');
  return root;
}
