/**
 * The collections of a project's database/collections.json, through the public face that reads
 * them: `rukou emulator --project`, which refuses to start on a name the cloud does not take, as
 * `db.createCollection` refuses it (limits.test.ts) and the deploy's dry run names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, tempDir } from '../../helpers/emulator';

/** A project of no function whose collections.json declares `name`; why the emulator refused to start on it. */
async function refusal(name: string): Promise<string> {
  const root = tempDir('rukou-project-');
  fs.mkdirSync(path.join(root, 'database'));
  fs.writeFileSync(path.join(root, 'database', 'collections.json'), JSON.stringify({ collections: { fine: { rules: { read: false, write: false }, indexes: [] }, [name]: { rules: { read: false, write: false }, indexes: [] } } }));
  try {
    await (await startEmulator({ project: root, timers: false })).stop();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the emulator started with the collection ${JSON.stringify(name)}`);
}

test('a collection name the cloud does not take (empty, a $ or NUL, system.*) stops the start, naming the file and the collection', async () => {
  for (const name of ['bad$name', 'system.x', '', 'nul\u0000x']) {
    const message = await refusal(name);
    expect(message).toContain(`collections.json: the collection ${JSON.stringify(name)} has a name the cloud does not take (not empty, no $ or NUL, and not system.*)`);
  }
});
