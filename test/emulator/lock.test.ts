/**
 * Whether the process holding a data directory's lock still runs (emulator/lock.ts): a killed
 * process that its parent has not reaped yet (a zombie) does not.
 */
import { spawn } from 'node:child_process';
import { processRuns } from '../../emulator/lock';
import { until } from '../helpers/until';

test('a running process runs; a zombie and a gone one do not', async () => {
  expect(processRuns(process.pid)).toBe(true);
  // `sleep 0` ends at once, and the shell that started it becomes `sleep 30`, which never reaps it
  const parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    await until(() => !processRuns(zombie));
    // still there, as a zombie: a signal reaches its id
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(processRuns(parent.pid as number)).toBe(true);
  } finally {
    parent.kill('SIGKILL');
  }
  await until(() => !processRuns(parent.pid as number));
});
