/**
 * What a start does with a damaged database log. Only a torn final line (a crash mid-append) may
 * be cut; any other damage — a checksum that does not match, a line that is not JSON, even a
 * damaged final line that has its newline — stops the start with a message naming the file and
 * line, and leaves the file byte for byte as it was. Logs written before checksums still load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, type RunningEmulator } from '../helpers/emulator';
import { startDatabase, type Database } from './database/sdk';

const logFile = (dataDir: string): string => path.join(dataDir, 'database', 'log.jsonl');
const linesOf = (dataDir: string): string[] => fs.readFileSync(logFile(dataDir), 'utf8').split('\n').slice(0, -1);
const writeLines = (dataDir: string, lines: string[], end = '\n'): void => fs.writeFileSync(logFile(dataDir), lines.join('\n') + end);

let emulator: RunningEmulator | undefined;
afterEach(() => emulator?.stop());

/** A log of five acknowledged requests, one line each: documents 1 to 5 with n = their number. */
async function fiveWrites(): Promise<string> {
  const dataDir = tempDir('rukou-damage-');
  let db: Database;
  ({ emulator, db } = await startDatabase({ dataDir }));
  for (let i = 1; i <= 5; i++) await db.collection('writes').add({ data: { _id: `doc-${i}`, n: i } });
  await emulator.crash();
  expect(linesOf(dataDir)).toHaveLength(5);
  return dataDir;
}

/** Why the emulator refused to start on the log (an emulator that starts is stopped, and fails the test). */
async function refusal(dataDir: string): Promise<string> {
  try {
    ({ emulator } = await startDatabase({ dataDir }));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the emulator started on a damaged log');
}

async function documents(dataDir: string): Promise<Record<string, unknown>[]> {
  let db: Database;
  ({ emulator, db } = await startDatabase({ dataDir }));
  return (await db.collection('writes').orderBy('_id', 'asc').get()).data as Record<string, unknown>[];
}

const DAMAGE: [string, (line: string) => string][] = [
  ['a changed value that is still JSON (only the checksum tells)', (line) => line.replace('"n":3', '"n":7')],
  ['bytes that are not JSON', (line) => line.slice(0, 20) + '\u0000\u0000\u0000' + line.slice(23)],
  ['a lost checksum', (line) => line.slice(9)],
  ['an empty line', () => ''],
];

describe('damage in the middle of the log', () => {
  test.each(DAMAGE)('%s stops the start, names the file and line, and keeps the file', async (_what, damage) => {
    const dataDir = await fiveWrites();
    const lines = linesOf(dataDir);
    writeLines(dataDir, [...lines.slice(0, 2), damage(lines[2]), ...lines.slice(3)]);
    const before = fs.readFileSync(logFile(dataDir));

    expect(await refusal(dataDir)).toContain(`the database log ${logFile(dataDir)} is damaged at line 3`);
    expect(fs.readFileSync(logFile(dataDir)).equals(before)).toBe(true);

    // Deleting the one damaged line, as the message says, loses that request alone.
    writeLines(dataDir, [...lines.slice(0, 2), ...lines.slice(3)]);
    expect(await documents(dataDir)).toEqual([1, 2, 4, 5].map((n) => ({ _id: `doc-${n}`, n })));
  });
});

describe('the final line', () => {
  test('damaged but whole (its newline written) is damage, not a torn write', async () => {
    const dataDir = await fiveWrites();
    const lines = linesOf(dataDir);
    writeLines(dataDir, [...lines.slice(0, 4), lines[4].replace('"n":5', '"n":6')]);
    expect(await refusal(dataDir)).toMatch(/is damaged at line 5 \(byte \d+\): its checksum \w{8} does not match/);
  });

  test('torn (no newline) is cut off with a warning, and appends go on after the whole lines', async () => {
    const dataDir = await fiveWrites();
    const lines = linesOf(dataDir);
    writeLines(dataDir, [...lines.slice(0, 4), lines[4].slice(0, lines[4].length - 5)], '');
    let db: Database;
    ({ emulator, db } = await startDatabase({ dataDir }));
    expect(emulator.output()).toMatch(/ignoring \d+ bytes of an unfinished write at the end of .*log\.jsonl \(line 5 has no newline/);
    await db.collection('writes').add({ data: { _id: 'doc-6', n: 6 } });
    await emulator.crash();
    expect(linesOf(dataDir)).toEqual([...lines.slice(0, 4), expect.stringContaining('"_id":"doc-6"')]);
    expect(await documents(dataDir)).toEqual([1, 2, 3, 4, 6].map((n) => ({ _id: `doc-${n}`, n })));
  });

  test('whole but for its newline is kept and finished: its checksum shows nothing was torn', async () => {
    const dataDir = await fiveWrites();
    const lines = linesOf(dataDir);
    writeLines(dataDir, lines, '');
    expect(await documents(dataDir)).toHaveLength(5);
    expect(emulator?.output()).not.toMatch(/unfinished write/);
    expect(linesOf(dataDir)).toEqual(lines);
  });
});

describe('a log written before checksums (Rukou 0.1)', () => {
  const OLD = ['[["c","notes"]]', '[["p","notes",{"_id":"a","n":1}],["p","notes",{"_id":"b","n":2}]]', '[["d","notes","a"]]'];

  test('loads, takes new writes beside its old lines, and loads again', async () => {
    const dataDir = tempDir('rukou-old-log-');
    fs.mkdirSync(path.dirname(logFile(dataDir)), { recursive: true });
    writeLines(dataDir, OLD);
    let db: Database;
    ({ emulator, db } = await startDatabase({ dataDir }));
    expect((await db.collection('notes').get()).data).toEqual([{ _id: 'b', n: 2 }]);
    await db.collection('notes').add({ data: { _id: 'c', n: 3 } });
    await emulator.crash();
    const lines = linesOf(dataDir);
    expect(lines.slice(0, 3)).toEqual(OLD);
    expect(lines[3]).toMatch(/^[0-9a-f]{8} \[\["p","notes",\{"_id":"c","n":3\}\]\]$/);
    ({ emulator, db } = await startDatabase({ dataDir }));
    expect((await db.collection('notes').orderBy('_id', 'asc').get()).data).toEqual([{ _id: 'b', n: 2 }, { _id: 'c', n: 3 }]);
  });

  test('an old line that is not JSON, in the middle, stops the start too', async () => {
    const dataDir = tempDir('rukou-old-log-');
    fs.mkdirSync(path.dirname(logFile(dataDir)), { recursive: true });
    writeLines(dataDir, [OLD[0], OLD[1].slice(0, 30), OLD[2]]);
    expect(await refusal(dataDir)).toMatch(/is damaged at line 2 \(byte 16\): it is not JSON/);
  });
});
