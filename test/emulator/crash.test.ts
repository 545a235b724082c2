import fs from 'node:fs';
import path from 'node:path';
import { tempDir, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';
import { startDatabase, stats, type Database } from './database/sdk';

const BATCH = 20;
const WRITERS = 8;

const logFile = (dataDir: string): string => path.join(dataDir, 'database', 'log.jsonl');

async function idsOf(db: Database, prefix: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let skip = 0; ; skip += 1000) {
    const { data } = await db.collection('writes').where({ _id: db.RegExp({ regexp: `^${prefix}` }) }).orderBy('_id', 'asc').skip(skip).limit(1000).get();
    for (const doc of data) ids.add(doc._id);
    if (data.length < 1000) return ids;
  }
}

describe('kill -9 in the middle of concurrent writes', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(() => emulator?.stop());

  it('keeps every acknowledged write and no half of any request', async () => {
    const dataDir = tempDir('rukou-crash-');
    let db: Database;
    ({ emulator, db } = await startDatabase({ dataDir }));
    const acknowledged: string[] = [];
    const attempted: string[] = [];
    const increments = { acknowledged: 0, attempted: 0 };
    let crashed = false;

    // Each writer alternates a 20-document batch with an increment of a shared counter, until the crash.
    const writer = async (w: number): Promise<void> => {
      for (let seq = 0; !crashed; seq++) {
        const prefix = `w${w}-${seq}-`;
        attempted.push(prefix);
        try {
          await db.collection('writes').add({ data: Array.from({ length: BATCH }, (_, k) => ({ _id: `${prefix}${k}`, w, seq, k })) });
          acknowledged.push(prefix);
          increments.attempted++;
          await db.collection('writes').doc('counter').update({ data: { n: db.command.inc(1) } });
          increments.acknowledged++;
        } catch {
          return;
        }
      }
    };
    await db.collection('writes').add({ data: { _id: 'counter', n: 0 } });
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    // crash once every writer is under way, whatever the machine's pace, with requests in flight
    await until(() => acknowledged.length >= 3 * WRITERS);
    await emulator.crash();
    crashed = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(WRITERS);

    ({ emulator, db } = await startDatabase({ dataDir }));
    const present = await idsOf(db, 'w');
    for (const prefix of acknowledged) {
      for (let k = 0; k < BATCH; k++) expect(present.has(`${prefix}${k}`)).toBe(true);
    }
    // A request cut off by the crash is either entirely there or entirely absent.
    for (const prefix of attempted) {
      const found = Array.from({ length: BATCH }, (_, k) => present.has(`${prefix}${k}`)).filter(Boolean).length;
      expect([0, BATCH]).toContain(found);
    }
    const counter = (await db.collection('writes').doc('counter').get()).data.n;
    expect(counter).toBeGreaterThanOrEqual(increments.acknowledged);
    expect(counter).toBeLessThanOrEqual(increments.attempted);
  });

  it('ignores a torn last line and keeps appending after the last whole one', async () => {
    const dataDir = tempDir('rukou-torn-');
    let db: Database;
    ({ emulator, db } = await startDatabase({ dataDir }));
    await db.collection('writes').add({ data: [{ _id: 'whole-1' }, { _id: 'whole-2' }] });
    await emulator.crash();
    // What a crash in the middle of an append leaves behind: a line without its end.
    fs.appendFileSync(logFile(dataDir), '[["p","writes",{"_id":"torn-1"}],["p","wri');
    ({ emulator, db } = await startDatabase({ dataDir }));
    // a warning, on stderr: it may reach this process after the ready line on stdout
    const restarted = emulator;
    await until(() => /ignoring \d+ bytes of an unfinished write/.test(restarted.output()));
    await db.collection('writes').add({ data: { _id: 'after' } });
    await emulator.crash();
    ({ emulator, db } = await startDatabase({ dataDir }));
    expect([...(await idsOf(db, ''))].sort()).toEqual(['after', 'whole-1', 'whole-2']);
  });
});

describe('compaction', () => {
  let emulator: RunningEmulator | undefined;
  afterEach(() => emulator?.stop());

  it('keeps the log near the live data after many overwrites, and the data survives it and a crash', async () => {
    const dataDir = tempDir('rukou-compact-');
    let db: Database;
    ({ emulator, db } = await startDatabase({ dataDir }));
    const padding = 'x'.repeat(1000);
    await db.collection('writes').add({ data: Array.from({ length: 100 }, (_, i) => ({ _id: `doc-${i}`, round: 0, padding })) });
    const ROUNDS = 60;
    let largest = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await db.collection('writes').where({ round: round - 1 }).update({ data: { round } });
      largest = Math.max(largest, fs.statSync(logFile(dataDir)).size);
    }
    const after = await stats(emulator);
    // 60 rounds of 100 documents of ~1 KB were written (~6 MB); the log never held much more than 1 MB.
    expect(after.compactions).toBeGreaterThanOrEqual(2);
    expect(largest).toBeLessThan(1.5 * 1024 * 1024);
    expect(fs.statSync(logFile(dataDir)).size).toBe(after.logBytes);
    await emulator.crash();

    ({ emulator, db } = await startDatabase({ dataDir }));
    expect((await db.collection('writes').where({ round: ROUNDS }).count()).total).toBe(100);
    expect((await db.collection('writes').count()).total).toBe(100);
    expect((await db.collection('writes').doc('doc-42').get()).data).toEqual({ _id: 'doc-42', round: ROUNDS, padding });
  });
});
