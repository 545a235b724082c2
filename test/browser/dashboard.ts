/**
 * What the browser suite and `npm run screenshots` share: an emulator holding a seeded demo (the
 * demo's own seeding, `dist/demo/seed.js`) with an operator's dashboard token, and Debian's
 * chromium driven by playwright-core, which downloads no browser of its own.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, startEmulator, tempDir, type RunningEmulator } from '../helpers/emulator';

/** Where Debian puts its chromium (`apt-get install -y chromium`). */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const OPERATOR = 'o-browser-operator';

export function chromiumPath(): string {
  const found = CHROMIUM.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`Debian's chromium is not installed (looked for ${CHROMIUM.join(', ')}): the browser tests drive it. Install it with \`apt-get install -y chromium\` (.ci/run does); nothing is downloaded at run time.`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

export interface SeededEmulator {
  emulator: RunningEmulator;
  token: string;
  operator: string;
  stop(): Promise<void>;
}

/** Seeds a demo of `days` days at `scale` into a fresh data directory, then starts an emulator on it (timers off) that accepts `token` over HTTP access. */
export async function seededEmulator(shape: { days: number; scale: number }): Promise<SeededEmulator> {
  const dataDir = tempDir('rukou-browser-');
  const token = randomBytes(24).toString('base64url');
  const env = { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(token).digest('hex') };
  const seed = path.join(REPO_ROOT, 'dist', 'demo', 'seed.js');
  const args = [seed, '--data', dataDir, '--project', REPO_ROOT, '--operator', OPERATOR, '--now', new Date().toISOString(), '--days', String(shape.days), '--scale', String(shape.scale)];
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Opens the dashboard and signs in with `token`. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('[data-control="token"]', token);
  await page.click('button[type="submit"]');
}

/** Waits until every section has drawn (ready, or its error). */
export async function sectionsDrawn(page: Page): Promise<void> {
  // run in the page, as text: the suites compile without the DOM's types
  await page.waitForFunction(`(() => {
    const bodies = [...document.querySelectorAll('.panel-body')];
    return bodies.length > 0 && bodies.every((body) => ['ready', 'error'].includes(body.getAttribute('data-state')));
  })()`);
}
