import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Secrets the project's functions read from `{{env.X}}` in cloudbaserc.json, which a real
 * deployment takes from `.env`. Locally, one left unset is generated once per data directory and
 * kept there (git-ignored), so that `npm start` works on a fresh clone and what was issued under a
 * secret (share prefixes) stays valid across restarts. A value set in the environment wins.
 */
const LOCAL_SECRETS = ['RUKOU_SHARE_SECRET'];

export function provideLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(dataDir, 'secrets.json');
  const kept = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
  let changed = false;
  for (const name of LOCAL_SECRETS) {
    if (env[name]) continue;
    if (!kept[name]) {
      kept[name] = randomBytes(32).toString('base64url');
      changed = true;
    }
    env[name] = kept[name];
  }
  if (changed) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  }
}
