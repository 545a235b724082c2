/**
 * The cloud database's limits (emulator/database/limits.ts), each met through the real SDK the way
 * a cloud function meets it, and by a raw request where the SDK itself keeps to the limit: a page
 * of `get()` and the rows of an aggregate without `$limit`.
 */
import type { RunningEmulator } from '../../helpers/emulator';
import { startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

async function collection(name: string): Promise<ReturnType<Database['collection']>> {
  await db.createCollection(name);
  return db.collection(name);
}

/** One request as the SDK would send it, straight to the wire: what the emulator does whatever the SDK asks. */
async function wire(params: Record<string, unknown>): Promise<{ data?: { list: string[] } }> {
  const response = await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ envName: 'rukou-local', ...params }) });
  return (await response.json()) as { data?: { list: string[] } };
}

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());

describe('a page of get()', () => {
  beforeAll(async () => {
    const pages = await collection('limits_pages');
    const docs = Array.from({ length: 1200 }, (_, n) => ({ n }));
    for (let i = 0; i < docs.length; i += 600) await pages.add({ data: docs.slice(i, i + 600) });
  });

  it('holds 1000 documents at most and 100 without a limit, through the SDK', async () => {
    expect((await db.collection('limits_pages').limit(5000).get()).data).toHaveLength(1000);
    expect((await db.collection('limits_pages').get()).data).toHaveLength(100);
  });

  it('holds the same whatever the request asks: 1000 for a limit of 5000, 100 with none', async () => {
    const asked = await wire({ action: 'database.getDocument', collectionName: 'limits_pages', queryType: 'WHERE', query: '{}', limit: 5000 });
    expect(asked.data?.list).toHaveLength(1000);
    const unasked = await wire({ action: 'database.getDocument', collectionName: 'limits_pages', queryType: 'WHERE', query: '{}' });
    expect(unasked.data?.list).toHaveLength(100);
  });
});

describe('the rows of aggregate()…end()', () => {
  beforeAll(async () => {
    await (await collection('limits_rows')).add({ data: Array.from({ length: 25 }, (_, n) => ({ n })) });
  });

  it('are cut to 20 when the pipeline has no $limit, after every stage', async () => {
    const { list } = await db.collection('limits_rows').aggregate().sort({ n: 1 }).end();
    expect(list.map((row: { n: number }) => row.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect((await db.collection('limits_rows').aggregate().group({ _id: '$n' }).end()).list).toHaveLength(20);
  });

  it('are all there with a $limit of its own', async () => {
    expect((await db.collection('limits_rows').aggregate().sort({ n: 1 }).limit(25).end()).list).toHaveLength(25);
  });

  it('are cut whatever the request sends', async () => {
    const answer = await wire({ action: 'database.aggregateDocuments', collectionName: 'limits_rows', stages: [{ stageKey: '$sort', stageValue: '{"n":1}' }] });
    expect(answer.data?.list).toHaveLength(20);
  });
});
