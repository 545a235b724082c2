/**
 * An emulator holding a seeded demo (the demo's own seeding, `dist/demo/seed.js`, in a fresh data
 * directory) and an operator's dashboard token: what the browser suite, the demo's suites and
 * `npm run screenshots` look at.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chinaDay } from '../../shared/time';
import { REPO_ROOT, startEmulator, tempDir, withoutRukou, type RunningEmulator } from './emulator';

const OPERATOR = 'o-demo-test-operator';

export interface SeededEmulator {
  emulator: RunningEmulator;
  token: string;
  operator: string;
  stop(): Promise<void>;
}

/**
 * Noon, China time, of the China day 12 hours ago: the end of a demo whose last day is well begun
 * whenever it is seeded. Seeded at the machine's now, minutes after midnight in China, the demo's
 * today had no entry yet, and the browser suites that read today's tables failed until morning.
 */
function recentNoon(): string {
  return `${chinaDay(Date.now() - 12 * 3600_000)}T12:00:00+08:00`;
}

/**
 * Seeds a demo of `days` days at `scale` into a fresh data directory (ending at `recentNoon`, or
 * at `now`), then starts an emulator on it (timers off) that accepts `token` over HTTP access.
 */
export async function seededEmulator(shape: { days: number; scale: number; now?: string }): Promise<SeededEmulator> {
  const dataDir = tempDir('rukou-demo-');
  const token = randomBytes(24).toString('base64url');
  const env = { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(token).digest('hex') };
  const seed = path.join(REPO_ROOT, 'dist', 'demo', 'seed.js');
  const args = [seed, '--data', dataDir, '--project', REPO_ROOT, '--operator', OPERATOR, '--now', shape.now ?? recentNoon(), '--days', String(shape.days), '--scale', String(shape.scale)];
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...withoutRukou(process.env), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the demo was not seeded (exit ${code}):\n${output}`);
  const emulator = await startEmulator({ dataDir, timers: false, env });
  return {
    emulator,
    token,
    operator: OPERATOR,
    async stop() {
      await emulator.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
