/**
 * What the emulator takes from a project's cloudbaserc.json about its functions, through the
 * public face that reads it: `rukou emulator --project`, which refuses to start on a setting the
 * cloud does not take, as a deploy would fail, and gives each function what the CloudBase CLI
 * would deploy it with (functionDefaultConfig under its own entry).
 */
import fs from 'node:fs';
import path from 'node:path';
import { invokeAs, projectOf, startEmulator, type RunningEmulator } from '../../helpers/emulator';

/** A function that answers the settings it runs with: its context's time and memory limits, and the variables SETTING_A to C. */
const ANSWERS_SETTINGS = `exports.main = async (event, context) => ({
  timeLimitMs: context.time_limit_in_ms,
  memoryMb: context.memory_limit_in_mb,
  env: { A: process.env.SETTING_A ?? null, B: process.env.SETTING_B ?? null, C: process.env.SETTING_C ?? null },
});
`;

/** A project of the functions `names`, each answering its settings, with this cloudbaserc.json (beside its envId and functionRoot). */
function project(rc: Record<string, unknown>, names: string[]): string {
  return projectOf(Object.fromEntries(names.map((name) => [name, { code: ANSWERS_SETTINGS }])), { envId: 'rukou-settings', functionRoot: './cloudfunctions', ...rc });
}

/** Why the emulator refused to start on a project of one function `long`, declared with `config` (and `rc` beside it, or over it). */
async function refusal(config: Record<string, unknown>, rc: Record<string, unknown> = {}): Promise<string> {
  const root = project({ functions: [{ name: 'long', ...config }], ...rc }, ['long']);
  try {
    await (await startEmulator({ project: root, timers: false })).stop();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the emulator started with ${JSON.stringify({ ...rc, config })}`);
}

async function settingsOf(emulator: RunningEmulator, name: string): Promise<unknown> {
  const answer = await invokeAs(emulator.url, name, {}, { openid: 'o-settings' });
  if (answer.result === undefined) throw new Error(`${name} failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

describe('the project\'s function settings', () => {
  test('a timeout the cloud does not take (1 to 60 whole seconds) stops the start, naming the function and the limit', async () => {
    for (const timeout of [900, 61, 0, 1.5, '10']) {
      const message = await refusal({ timeout });
      expect(message).toContain(`cloudbaserc.json: the function "long" has timeout ${JSON.stringify(timeout)}`);
      expect(message).toContain('1 to 60 seconds');
    }
    expect(await refusal({}, { functionDefaultConfig: { timeout: 90 } })).toContain('cloudbaserc.json: the function "long" has timeout 90');
  });

  test('a function declared twice stops the start, naming it: the CLI deploys both entries at once, and the cloud keeps either one', async () => {
    const twice = await refusal({}, { functions: [{ name: 'long', timeout: 5 }, { name: 'long', timeout: 10 }] });
    expect(twice).toContain('cloudbaserc.json declares the function "long" more than once');
  });

  test('a memorySize the cloud does not take stops the start, naming the function and the sizes', async () => {
    for (const memorySize of [300, 0, '256', 4096]) {
      expect(await refusal({ timeout: 5, memorySize })).toContain(`cloudbaserc.json: the function "long" has memorySize ${JSON.stringify(memorySize)}, which the cloud does not take: one of 128, 256, 512, 1024, 2048 MB`);
    }
  });

  test('the context reports the memorySize declared, the default\'s under the entry\'s, else the CLI\'s 256 MB', async () => {
    const root = project({ functionDefaultConfig: { memorySize: 512 }, functions: [{ name: 'plain', timeout: 5 }, { name: 'own', timeout: 5, memorySize: 1024 }] }, ['plain', 'own']);
    fs.cpSync(path.join(root, 'cloudfunctions', 'plain'), path.join(root, 'cloudfunctions', 'undeclared'), { recursive: true });
    const emulator = await startEmulator({ project: root, timers: false });
    try {
      expect(await settingsOf(emulator, 'plain')).toMatchObject({ memoryMb: 512 });
      expect(await settingsOf(emulator, 'own')).toMatchObject({ memoryMb: 1024 });
      // a folder cloudbaserc.json does not declare (uploaded from DevTools): the cloud's defaults
      expect(await settingsOf(emulator, 'undeclared')).toMatchObject({ memoryMb: 256, timeLimitMs: 3_000 });
    } finally {
      await emulator.stop();
    }
  });

  test('functionDefaultConfig counts for every function, under its own entry, as the CLI merges it (its envVariables one by one)', async () => {
    const root = project(
      {
        functionDefaultConfig: { timeout: 10, envVariables: { SETTING_A: 'default-a', SETTING_B: 'default-b', SETTING_C: '{{env.SETTING_FROM_ENV}}' } },
        functions: [{ name: 'plain' }, { name: 'own', timeout: 20, envVariables: { SETTING_B: 'own-b' } }],
      },
      ['plain', 'own'],
    );
    const emulator = await startEmulator({ project: root, timers: false, env: { SETTING_FROM_ENV: 'rendered-from-env' } });
    try {
      expect(await settingsOf(emulator, 'plain')).toEqual({ timeLimitMs: 10_000, memoryMb: 256, env: { A: 'default-a', B: 'default-b', C: 'rendered-from-env' } });
      expect(await settingsOf(emulator, 'own')).toEqual({ timeLimitMs: 20_000, memoryMb: 256, env: { A: 'default-a', B: 'own-b', C: 'rendered-from-env' } });
    } finally {
      await emulator.stop();
    }
  });
});
