/**
 * The README's front door, run: every shell block it shows, in order, against emulators this test
 * starts, each command's exit status and (in console blocks) its output compared with what the
 * README shows; and the CLI's usage lines it quotes equal the CLI's. The convention is in
 * test/readme/blocks.ts and README "Contributing".
 *
 * What stands for what: `npm start` in the README is `rukou start --empty` here (the build is
 * npm test's, the demo would take a minute), on a free port and a temporary data directory,
 * which outputs show as the README's port 8787 and `/home/you/rukou/.rukou`; RUKOU_PORT points
 * a block's commands at it, as the default port points the reader's. A server block's
 * `--port N` is `--port 0`, N standing for the port it got. `npx rukou` and `npm start --` run
 * `node bin/rukou.js` and `node bin/rukou.js start` (what they run, without npx's lookup or the
 * build); `mktemp -d` makes its directories under this test's own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/emulator';
import { until } from '../helpers/until';
import { isShell, outputMatches, readmeBlocks, stepsOf, type Block, type Step } from './blocks';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const { blocks, problems } = readmeBlocks(README);
const RUKOU = path.join(REPO_ROOT, 'bin', 'rukou.js');
/** Where the README's reader runs npm start: what the test's data directory is shown as. */
const READER_DATA = '/home/you/rukou/.rukou';
const READER_PORT = 8787;

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

const temp = tempDir('rukou-readme-');
const servers: Server[] = [];
/** README port → the port it stands for here. */
const ports = new Map<number, number>();
/** A directory this test's emulators use → how the README shows it. */
const dirs = new Map<string, string>();

/** The environment of every command: no RUKOU_URL, RUKOU_PORT at npm start's emulator, temporary files under this test's directory. */
function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp, RUKOU_PORT: String(ports.get(READER_PORT)) };
  delete env.RUKOU_URL;
  return env;
}

/** A command as this test runs it: README ports to ours, `npx rukou` and `npm start` to what they run. */
function asRun(command: string): string {
  let run = command.replace(/\bnpm start( --)?(?= |$)/g, `node ${RUKOU} start`).replace(/\bnpx rukou\b/g, `node ${RUKOU}`);
  for (const [shown, actual] of ports) run = run.replace(new RegExp(`\\b${shown}\\b`, 'g'), String(actual));
  return run;
}

/** Printed output as the README shows it: our ports and directories back to the README's. */
function asShown(printed: string): string[] {
  let shown = printed;
  for (const [dir, readers] of dirs) shown = shown.split(dir).join(readers);
  for (const [readers, actual] of ports) shown = shown.replace(new RegExp(`\\b${actual}\\b`, 'g'), String(readers));
  return shown.split('\n');
}

/** Starts a long-running command; answers once it prints the URL it listens on. */
async function startServer(command: string): Promise<{ server: Server; port: number }> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd: REPO_ROOT, env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server = { child, output: () => output, exited };
  servers.push(server);
  let ended = false;
  void exited.then(() => (ended = true));
  await until(() => ended || /listening on http:\/\/127\.0\.0\.1:\d+/.test(output));
  const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (!listening) throw new Error(`\`${command}\` stopped before listening:\n${output}`);
  return { server, port: Number(listening[1]) };
}

/** What each step printed (stdout and stderr, as a terminal shows them) and its exit status, all in one shell. */
async function runSteps(steps: Step[]): Promise<{ printed: string; status: number }[]> {
  const script = ['exec 2>&1', ...steps.map((step) => `${asRun(step.command)}\n__rc=$?; printf '@@readme-status %d@@\\n' "$__rc"; (exit $__rc)`)].join('\n');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('bash', ['-c', script], { cwd: REPO_ROOT, env: environment(), maxBuffer: 64 * 1024 * 1024 }, (error, out) => (error ? reject(new Error(`${error.message}\n${out}`)) : resolve(out)));
  });
  const parts = stdout.split(/@@readme-status (\d+)@@\n/);
  const results: { printed: string; status: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) results.push({ printed: parts[i], status: Number(parts[i + 1]) });
  return results;
}

const where = (block: Block, step?: Step): string => `README.md line ${step?.line ?? block.line}`;

/**
 * China's midnight is at 16:00 UTC: within 30 s of it, either side, wait until 30 s after it, so
 * that an example's phone times, computed from now, and its events' arrival are on one China day.
 */
async function awayFromMidnight(): Promise<void> {
  const intoDay = (): number => (Date.now() + 8 * 3_600_000) % 86_400_000;
  const near = (): boolean => intoDay() < 30_000 || intoDay() > 86_400_000 - 30_000;
  if (near()) await until(() => !near(), 200);
}

beforeAll(async () => {
  await awayFromMidnight();
  const data = path.join(temp, '.rukou');
  const { port } = await startServer(`node ${RUKOU} start --empty --port 0 --data ${data} --no-timers`);
  ports.set(READER_PORT, port);
  dirs.set(data, READER_DATA);
}, 120_000);

afterAll(async () => {
  for (const { child, exited } of servers) {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(temp, { recursive: true, force: true });
});

test('every shell block of the README is marked (README "Contributing"), and every marker marks one', () => {
  expect(problems).toEqual([]);
  expect(blocks.filter(isShell).length).toBeGreaterThan(0);
});

test("the usage lines the README quotes are the CLI's", async () => {
  const help = await new Promise<string>((resolve, reject) => execFile(process.execPath, [RUKOU, '--help'], (error, out) => (error ? reject(error) : resolve(out))));
  const usages = new Set(help.split('\n').filter((text) => text.startsWith('  rukou ')).map((text) => `npx ${text.trim()}`));
  // a synopsis names its arguments in [ ] or < >; an inline span may break across lines
  const quoted = [...README.matchAll(/`(npx\s+rukou\s+[a-z]+\s[^`]*)`/g)].map((match) => match[1].replace(/\s+/g, ' ')).filter((span) => /[[<]/.test(span));
  expect(quoted.length).toBeGreaterThan(0);
  expect(quoted.filter((synopsis) => !usages.has(synopsis))).toEqual([]);
});

for (const block of blocks) {
  const marker = block.marker;
  if (!marker || marker.kind === 'skip') continue;
  if (marker.kind === 'output') {
    test(`${where(block)}: what the server before it prints`, async () => {
      const server = servers[servers.length - 1];
      const wanted = block.lines.filter((text) => text.trim() !== '' && text.trim() !== '…').length;
      await until(() => server.output().split('\n').filter((text) => text.trim() !== '').length >= wanted || server.child.exitCode !== null);
      const printed = asShown(server.output());
      if (!outputMatches(block.lines, printed)) expect(printed.join('\n')).toBe(block.lines.join('\n'));
    });
  } else if (marker.kind === 'server') {
    test(`${where(block)}: the server starts`, async () => {
      const [step] = stepsOf(block);
      const readersPort = /--port (\d+)/.exec(step.command);
      const { port } = await startServer(asRun(step.command.replace(/--port \d+/, '--port 0')));
      if (readersPort) ports.set(Number(readersPort[1]), port);
    });
  } else {
    test(`${where(block)}: every command as shown`, async () => {
      const steps = stepsOf(block);
      const results = await runSteps(steps);
      expect(results.length).toBe(steps.length);
      steps.forEach((step, i) => {
        const { printed, status } = results[i];
        const checkedNext = steps[i + 1]?.command.trim().startsWith('echo $?');
        if (status !== 0 && !checkedNext) throw new Error(`${where(block, step)}: \`${step.command}\` exited ${status}:\n${printed}`);
        const shown = asShown(printed);
        if (step.shown && !outputMatches(step.shown, shown)) expect(`${where(block, step)}: ${step.command}\n${shown.join('\n')}`).toBe(`${where(block, step)}: ${step.command}\n${step.shown.join('\n')}`);
      });
    });
  }
}
