/**
 * The conformance corpus: answers that come from neither of the database's paths (the compiled
 * code and the corrected mingo). Each file under conformance/ holds the examples of one reference
 * page — conformance/cloudbase/: the CloudBase database reference (the same examples as the WeChat
 * cloud development reference), each with its input records, the SDK call and the output the
 * page prints; conformance/mongodb/: MongoDB's documented behaviour where mingo differs from it —
 * with the page's address. A case corrects what its page gets wrong only with an `erratum` saying
 * why. Every case runs here through the real wx-server-sdk against the emulator, and every
 * aggregation twice: as written, and with a leading no-op stage that the compiled code does not
 * take (`{$match: {$expr: true}}`), so that mingo answers the whole pipeline; both must give the
 * page's answer, and the database's stats route shows which path ran each time.
 *
 * A case's fields: `collections` (name → records, EJSON), `call` (a JavaScript expression over
 * `db`, `_` = db.command and `$` = db.command.aggregate), `expected` (the rows) or `error` (a part
 * of the message); optionally `order: "any"` (MongoDB leaves the order unspecified), `sortedBy`
 * (the rows must be in this order, ties unspecified), `sets` (fields compared as sets), `ignore`
 * (fields the page leaves out, such as generated ids), `digits` (decimals the page rounds to),
 * `keyOrder` (the fields must come in the page's order), `compiled` (the call as written must be
 * answered by the compiled code alone: the proof that this path gives the answer).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EJSON } from 'bson';
import { REPO_ROOT, type RunningEmulator } from '../../helpers/emulator';
import { clear, startDatabase, stats, type Database, type DatabaseStats } from './sdk';

interface Case {
  name?: string;
  collections: Record<string, Record<string, unknown>[]>;
  call: string;
  expected?: unknown[];
  error?: string;
  order?: 'any';
  sortedBy?: Record<string, 1 | -1>;
  sets?: string[];
  ignore?: string[];
  digits?: number;
  keyOrder?: boolean;
  compiled?: boolean;
  erratum?: string;
}

interface Page {
  source: string;
  cases: Case[];
}

const ROOT = path.join(__dirname, 'conformance');

function pages(dir: string): [string, Page][] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry): [string, Page][] => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return pages(file);
      return entry.name.endsWith('.json') ? [[path.relative(ROOT, file), EJSON.parse(fs.readFileSync(file, 'utf8'), { relaxed: true }) as Page]] : [];
    })
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

const PAGES = pages(ROOT);

/** A project whose only declared collection is `events`, with indexes on `day` and `n`: the pages' collections are created bare, as on a new environment. */
const PROJECT = path.join(REPO_ROOT, 'test', 'fixtures', 'conformance');

/** The no-op stages that hand a whole pipeline to mingo: the first $match is answered by the collection scan, the second ($expr) is not compiled. */
const FORCE_MINGO = '.aggregate().match({}).match(_.expr(true))';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase({ project: PROJECT }));
});
afterAll(() => emulator.stop());

async function load(collections: Case['collections']): Promise<void> {
  for (const [name, records] of Object.entries(collections)) {
    await db.createCollection(name).catch(() => undefined);
    await clear(db, name);
    if (records.length > 0) await db.collection(name).add({ data: records });
  }
}

async function run(call: string): Promise<unknown[]> {
  // the corpus's calls are data, written as the pages write them
  const answer = (await new Function('db', '_', '$', `return (${call});`)(db, db.command, db.command.aggregate)) as { list?: unknown[]; data?: unknown[] };
  return (answer.list ?? answer.data) as unknown[];
}

const canonical = (value: unknown): string => EJSON.stringify(value, { relaxed: false });

/** A row as compared: ignored fields dropped, numbers rounded as the page rounds them, set fields in a canonical order. */
function normalized(row: unknown, test: Case): unknown {
  const round = (value: unknown): unknown => {
    if (typeof value === 'number' && test.digits !== undefined && Number.isFinite(value)) return Number(value.toFixed(test.digits));
    if (Array.isArray(value)) return value.map(round);
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, round(v)]));
    return value;
  };
  const out = round(row) as Record<string, unknown>;
  for (const field of test.ignore ?? []) delete out[field];
  for (const field of test.sets ?? []) if (Array.isArray(out[field])) out[field] = [...(out[field] as unknown[])].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  return out;
}

function expectAnswer(actual: unknown[], test: Case): void {
  const expected = test.expected as unknown[];
  if (test.sortedBy) {
    for (const [field, direction] of Object.entries(test.sortedBy)) {
      const values = actual.map((row) => (row as Record<string, number>)[field]);
      for (let i = 1; i < values.length; i++) expect(direction * (values[i] - values[i - 1])).toBeGreaterThanOrEqual(0);
    }
  }
  if (test.keyOrder) expect(actual.map((row) => Object.keys(row as object))).toEqual(expected.map((row) => Object.keys(row as object)));
  let left = actual.map((row) => normalized(row, test));
  let right = expected.map((row) => normalized(row, test));
  if (test.order === 'any') {
    const byText = (a: unknown, b: unknown): number => (canonical(a) < canonical(b) ? -1 : 1);
    left = [...left].sort(byText);
    right = [...right].sort(byText);
  }
  expect(left).toEqual(right);
}

type Paths = DatabaseStats['answeredBy'];
const delta = (after: Paths, before: Paths): Paths => ({
  compiledStages: after.compiledStages - before.compiledStages,
  mingoStages: after.mingoStages - before.mingoStages,
  compiledTests: after.compiledTests - before.compiledTests,
  mingoTests: after.mingoTests - before.mingoTests,
});

/** Runs a call, checks its answer, and says which path answered it. */
async function answer(call: string, test: Case): Promise<Paths> {
  const before = (await stats(emulator)).answeredBy;
  if (test.error !== undefined) await expect(run(call)).rejects.toMatchObject({ message: expect.stringContaining(test.error) });
  else expectAnswer(await run(call), test);
  return delta((await stats(emulator)).answeredBy, before);
}

describe.each(PAGES)('%s', (_file, page) => {
  it.each(page.cases.map((test, i) => [test.name ?? `example ${i + 1}`, test] as const))('%s', async (_name, test) => {
    await load(test.collections);
    const written = await answer(test.call, test);
    if (test.compiled) {
      expect(written).toMatchObject({ mingoStages: 0, mingoTests: 0 });
      expect(written.compiledStages + written.compiledTests).toBeGreaterThan(0);
    }
    if (!test.call.includes('.aggregate()')) return;
    const forced = await answer(test.call.replace('.aggregate()', FORCE_MINGO), test);
    expect(forced.compiledStages).toBe(0);
    expect(forced.mingoStages).toBeGreaterThan(0);
  });
});

it('the corpus holds the reference pages and MongoDB’s documented behaviour', () => {
  const sources = PAGES.map(([, page]) => page.source);
  expect(sources.filter((source) => source.startsWith('https://docs.cloudbase.net/')).length).toBeGreaterThanOrEqual(100);
  expect(sources.filter((source) => source.startsWith('https://www.mongodb.com/')).length).toBeGreaterThanOrEqual(5);
});
