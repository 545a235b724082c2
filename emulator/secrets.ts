import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { readKept, writeWhole } from './files';

/**
 * Secrets the project's functions read from `{{env.X}}` in cloudbaserc.json, which a real
 * deployment takes from `.env`. Locally, one left unset is generated once per data directory and
 * kept there (git-ignored), so that `npm start` works on a fresh clone and what was issued under a
 * secret (share prefixes) stays valid across restarts. A value set in the environment wins.
 */
const LOCAL_SECRETS = ['RUKOU_SHARE_SECRET'];
/** The local operator's dashboard token, kept beside them (`provideLocalOperator`). */
const OPERATOR_TOKEN = 'RUKOU_LOCAL_OPERATOR_TOKEN';

/** The openid of the operator `rukou start` makes (and prints): the demo's operator. */
export const LOCAL_OPERATOR = 'o-rukou-operator';

/** Runs `fill` on what `<data>/secrets.json` keeps, and writes it back if `fill` added anything. */
function withKept(dataDir: string, fill: (kept: Record<string, string>) => boolean): void {
  const file = path.join(dataDir, 'secrets.json');
  const kept = readKept<Record<string, string>>(file, "delete it: new secrets are made, and the share ids and the operator's token issued under the old ones no longer hold") ?? {};
  if (!fill(kept)) return;
  writeWhole(file, `${JSON.stringify(kept, null, 2)}\n`, 0o600);
}

const secret = (): string => randomBytes(32).toString('base64url');

export function provideLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): void {
  withKept(dataDir, (kept) => {
    let changed = false;
    for (const name of LOCAL_SECRETS) {
      if (env[name]) continue;
      if (!kept[name]) {
        kept[name] = secret();
        changed = true;
      }
      env[name] = kept[name];
    }
    return changed;
  });
}

const joined = (list: string | undefined, item: string): string => [...(list ?? '').split(',').filter((value) => value.trim() !== ''), item].join(',');

/**
 * The operator `rukou start` prints: `LOCAL_OPERATOR` among the functions' RUKOU_OPERATORS, and a
 * dashboard token (generated once per data directory, kept with the secrets) whose SHA-256 joins
 * RUKOU_ADMIN_TOKEN_SHA256, beside any operators and tokens the environment already names.
 */
export function provideLocalOperator(dataDir: string, env: NodeJS.ProcessEnv = process.env): { openid: string; token: string } {
  let token = '';
  withKept(dataDir, (kept) => {
    const made = !kept[OPERATOR_TOKEN];
    if (made) kept[OPERATOR_TOKEN] = secret();
    token = kept[OPERATOR_TOKEN];
    return made;
  });
  env.RUKOU_OPERATORS = joined(env.RUKOU_OPERATORS, LOCAL_OPERATOR);
  env.RUKOU_ADMIN_TOKEN_SHA256 = joined(env.RUKOU_ADMIN_TOKEN_SHA256, createHash('sha256').update(token).digest('hex'));
  return { openid: LOCAL_OPERATOR, token };
}
