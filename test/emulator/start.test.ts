/**
 * `rukou start` (what `npm start` runs), as a new user meets it: what it prints works as printed,
 * from another shell that knows nothing of its port.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/emulator';

const run = promisify(execFile);

test('the operator command it prints reaches this emulator on any port, with no RUKOU_PORT in the shell', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-start-'));
  const env = { ...process.env };
  delete env.RUKOU_PORT;
  delete env.RUKOU_URL;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), 'start', '--empty', '--port', '0', '--data', dataDir, '--no-timers'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    const printed = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const line = /\(npx rukou invoke (admin [^)]*)\)/.exec(output);
        if (line) resolve(line[1]);
      });
      child.once('exit', (code) => reject(new Error(`rukou start exited (${code}) before printing its operator: ${output}`)));
    });
    const args = printed.match(/'[^']*'|\S+/g)!.map((arg) => arg.replace(/^'|'$/g, ''));
    expect(args).toContain('--url');
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), 'invoke', ...args], { env });
    expect(JSON.parse(stdout)).toMatchObject({ result: { asOf: expect.any(String), rollup: { totals: { entries: 0 } } } });
  } finally {
    child.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
