import fs from 'node:fs';
import path from 'node:path';

/**
 * The emulator's small state files beside its log (clock.json, secrets.json, demo.json,
 * wechat/state.json, storage-key). Each is written whole or not at all: a kill -9 during a write
 * leaves the old file, never half of the new one. Read back, one that is damaged anyway (edited
 * by hand, a full disk) stops the start with its path and what to do, not a bare JSON error.
 */

/** Writes `data` to a file beside `file`, then renames it over `file` (a rename is atomic within one file system). */
export function writeWhole(file: string, data: string | Buffer, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data, mode === undefined ? undefined : { mode });
  fs.renameSync(temporary, file);
}

/**
 * The JSON kept in `file`, or undefined when there is none.
 *
 * @param fix what the user can do when it is damaged, e.g. "delete it to …"
 * @throws Error naming the file, what is wrong with it and `fix`, when it is not JSON
 */
export function readKept<T>(file: string, fix: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${file} is damaged (${text === '' ? 'empty' : (error as Error).message}): ${fix}`, { cause: error });
  }
}
