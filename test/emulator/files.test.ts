/**
 * The emulator's small state files (emulator/files.ts): written whole, and a damaged one named
 * with what to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readKept, writeWhole } from '../../emulator/files';
import { tempDir } from '../helpers/emulator';

test('writeWhole replaces the file in one step and leaves nothing beside it', () => {
  const dir = tempDir('rukou-files-');
  const file = path.join(dir, 'deep', 'state.json');
  writeWhole(file, '{"a":1}');
  writeWhole(file, '{"a":2}', 0o600);
  expect(readKept(file, 'delete it')).toEqual({ a: 2 });
  expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
});

test('readKept: none is undefined; a torn or empty file is named, with its fault and the fix', () => {
  const dir = tempDir('rukou-files-');
  const file = path.join(dir, 'clock.json');
  expect(readKept(file, 'delete it')).toBeUndefined();
  fs.writeFileSync(file, '{"offs');
  expect(() => readKept(file, 'delete it to start again')).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(Unterminated string in JSON at position \\d+.*\\): delete it to start again$`));
  fs.writeFileSync(file, '');
  expect(() => readKept(file, 'delete it')).toThrow(`${file} is damaged (empty): delete it`);
});
