/**
 * What the emulator takes from a project's cloudbaserc.json about its functions, through the
 * public face that reads it: `rukou emulator --project`, which refuses to start on a setting the
 * cloud does not take, as a deploy would fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, tempDir } from '../../helpers/emulator';

describe('the project\'s function settings', () => {
  /** A project of one function `long` whose cloudbaserc.json entry is `config`; why the emulator refused to start on it. */
  async function refusal(config: Record<string, unknown>): Promise<string> {
    const root = tempDir('rukou-project-');
    fs.mkdirSync(path.join(root, 'cloudfunctions', 'long'), { recursive: true });
    fs.writeFileSync(path.join(root, 'cloudfunctions', 'long', 'package.json'), '{"name": "long", "main": "index.js"}\n');
    fs.writeFileSync(path.join(root, 'cloudfunctions', 'long', 'index.js'), 'exports.main = async () => 1;\n');
    fs.writeFileSync(path.join(root, 'cloudbaserc.json'), JSON.stringify({ envId: 'rukou-settings', functionRoot: './cloudfunctions', functions: [{ name: 'long', ...config }] }));
    try {
      await (await startEmulator({ project: root, timers: false })).stop();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`the emulator started with ${JSON.stringify(config)}`);
  }

  test('a timeout the cloud does not take (1 to 60 whole seconds) stops the start, naming the function and the limit', async () => {
    for (const timeout of [900, 61, 0, 1.5, '10']) {
      const message = await refusal({ timeout });
      expect(message).toContain(`cloudbaserc.json: the function "long" has timeout ${JSON.stringify(timeout)}`);
      expect(message).toContain('1 to 60 seconds');
    }
  });
});
