/**
 * A start that is refused (a project the emulator cannot run, a port taken) leaves the data
 * directory as it found it: no directory where there was none, nothing new in one that was there.
 * So the next start is as on a fresh directory (README, "The emulator"): the clock.json a refused
 * start had left refused the History example's `--clock` in the past.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { emulatorNow, projectOf, REPO_ROOT, startEmulator, tempDir, withoutRukou } from '../helpers/emulator';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `rukou …` to its end; one that starts instead of refusing is stopped after 20 s (and fails its test). */
function rukou(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), ...args], { env: withoutRukou(process.env), timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** A project of one function, `daily`, whose config.json is `config`. */
function projectWith(config: unknown): { root: string; configFile: string } {
  const root = projectOf({ daily: { code: 'exports.main = async () => 1;\n', config } });
  return { root, configFile: path.join(root, 'cloudfunctions', 'daily', 'config.json') };
}

const LAST_DAY = { triggers: [{ name: 'monthEnd', type: 'timer', config: '0 0 2 L * * *' }] };
const DAILY = { triggers: [{ name: 'daily', type: 'timer', config: '0 0 2 * * * *' }] };

test('a project it refuses leaves no data directory, and the next start takes a --clock in the past as on a fresh one', async () => {
  const { root, configFile } = projectWith(LAST_DAY);
  const dataDir = path.join(tempDir(), 'data');
  const refused = await rukou(['emulator', '--port', '0', '--project', root, '--data', dataDir]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(`${configFile}, trigger "monthEnd": invalid timer cron`);
  expect(fs.existsSync(dataDir)).toBe(false);

  fs.writeFileSync(configFile, JSON.stringify(DAILY));
  const past = '2026-03-09T09:00:00+08:00';
  const started = await startEmulator({ project: root, dataDir, clock: past, timers: false });
  try {
    expect(Math.abs((await emulatorNow(started.url)) - Date.parse(past))).toBeLessThan(60_000);
  } finally {
    await started.stop();
  }
});

test('a port taken leaves nothing: no directory made for it, nothing new in one that was there (made by mktemp -d)', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  const { port } = taken.address() as net.AddressInfo;
  try {
    const { root } = projectWith(DAILY);
    const fresh = path.join(tempDir(), 'data', 'nested');
    const there = tempDir();
    fs.writeFileSync(path.join(there, 'notes.txt'), 'mine\n');
    for (const dataDir of [fresh, there]) {
      const run = await rukou(['emulator', '--port', String(port), '--project', root, '--data', dataDir]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${port} is taken`);
    }
    expect(fs.existsSync(path.dirname(fresh))).toBe(false);
    expect(fs.readdirSync(there)).toEqual(['notes.txt']);
  } finally {
    taken.close();
  }
});

test('start: a project it refuses is said before anything is written or seeded', async () => {
  const { root, configFile } = projectWith(LAST_DAY);
  const dataDir = path.join(tempDir(), 'data');
  const run = await rukou(['start', '--port', '0', '--project', root, '--data', dataDir]);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(`${configFile}, trigger "monthEnd": invalid timer cron`);
  expect(run.stdout).not.toContain('seeding');
  expect(fs.existsSync(dataDir)).toBe(false);
});

describe("a config.json the cloud would not take is named, with what is wrong: exit 1, nothing written (a break-it pass: JavaScript's own errors, `(config.triggers ?? []).filter is not a function`)", () => {
  test.each<[string, unknown, string]>([
    ['not an object', [1], 'config.json must be a JSON object'],
    ['null', null, 'config.json must be a JSON object'],
    ['triggers not a list', { triggers: 'notarray' }, '"triggers" must be a list, [{"name": "myTrigger", "type": "timer", "config": "0 0 2 1 * * *"}]; it is "notarray"'],
    ['a trigger not an object', { triggers: [null] }, 'triggers[0] must be an object'],
    ['a trigger without a name', { triggers: [{ type: 'timer', config: '0 0 2 * * * *' }] }, 'triggers[0]: "name" must start with a letter'],
    ['a trigger without config', { triggers: [{ name: 'daily', type: 'timer' }] }, 'trigger "daily": "config" must be its cron, a text of 7 fields such as "0 0 2 1 * * *"; it is missing'],
    ['a config that is a number', { triggers: [{ name: 'daily', type: 'timer', config: 5 }] }, 'trigger "daily": "config" must be its cron, a text of 7 fields such as "0 0 2 1 * * *"; it is 5'],
    ['a trigger of no type', { triggers: [{ name: 'daily', config: '0 0 2 * * * *' }] }, 'trigger "daily": "type" must be "timer"'],
    ['permissions not an object', { permissions: 5 }, '"permissions" must be an object'],
    ['openapi not a list of names', { permissions: { openapi: 'subscribeMessage.send' } }, '"permissions.openapi" must be a list of the cloud calls the function makes'],
  ])('%s', async (_, config, problem) => {
    const { root, configFile } = projectWith(config);
    const dataDir = path.join(tempDir(), 'data');
    const run = await rukou(['emulator', '--port', '0', '--project', root, '--data', dataDir]);
    expect(run.status).toBe(1);
    // one line, naming the file first: no stack, no JavaScript of the emulator's own
    expect(run.stderr.startsWith(`rukou emulator: ${configFile}`)).toBe(true);
    expect(run.stderr).toContain(problem);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});

test('--data naming a file, or a path under one, is refused naming it: exit 1, nothing written (a break-it pass: EEXIST: file already exists, mkdir …)', async () => {
  const { root } = projectWith(DAILY);
  const file = path.join(tempDir(), 'data.txt');
  fs.writeFileSync(file, 'mine\n');
  for (const [command, dataDir] of [['emulator', file], ['emulator', path.join(file, 'under')], ['start', file]]) {
    const run = await rukou([command, '--port', '0', '--project', root, '--data', dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`rukou ${command}: --data ${dataDir} is not a folder: ${dataDir === file ? 'it' : file} is a file (give --data a folder, or where to make one)\n`);
  }
  expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
  expect(fs.readdirSync(path.dirname(file))).toEqual(['data.txt']);
});
