/**
 * The answers the README documents are the functions' answers: each row of `admin`'s table, the
 * rollup timer's answer and `track`'s, read as shapes (test/readme/shapes.ts: the keys of each
 * object, `?` optional, and of the objects and lists of objects it holds) and compared key for key
 * with what the functions answer through the emulator, on a day with an entry through a channel,
 * a share opened in a group and a paid order. A row added to the table needs its call here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { invokeAs, REPO_ROOT, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { differences, shapeOf } from './shapes';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const DAY = '2024-05-20';
const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-operator', appid: APP };

/** `admin`'s table: action → the answer cell (its third column; `\|` is a | inside a cell). */
function adminTable(): Map<string, string> {
  const section = README.slice(README.indexOf('### `admin`: operators and stats'));
  const table = section.slice(section.indexOf('| action | input | answer |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return new Map(
    rows.map((row) => {
      const cells = row.split(/(?<!\\)\|/);
      return [/`(\w+)`/.exec(cells[1])![1], cells[3]];
    }),
  );
}

/** The documented shape that follows `phrase` in the README. */
const documentedAfter = (phrase: string): string => {
  const at = README.indexOf(phrase);
  if (at < 0) throw new Error(`the README no longer says "${phrase}"`);
  return README.slice(at + phrase.length, at + phrase.length + 1500);
};

let emulator: RunningEmulator;
const answers: Record<string, unknown> = {};

async function admin(data: Record<string, unknown>): Promise<unknown> {
  const answer = await invokeAs(emulator.url, 'admin', data, OPERATOR);
  const result = answer.result as { error?: unknown } | undefined;
  if (!result || result.error) throw new Error(`admin ${JSON.stringify(data)} answered ${JSON.stringify(answer)}`);
  return result;
}

async function track(openid: string, events: Record<string, unknown>[]): Promise<{ sharePrefix: string }> {
  const answer = await invokeAs(emulator.url, 'track', { v: 1, sentAt: Date.now(), events }, { openid, appid: APP });
  answers.track = answer.result;
  return answer.result as { sharePrefix: string };
}

let seq = 0;
const event = (type: string, fields: Record<string, unknown>): Record<string, unknown> => ({ id: `answer-${++seq}-event`, seq, at: Date.now(), type, ...fields });
const enter = (scene: number, query: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  event('enter', { cold: true, options: { scene, path: 'pages/index/index', query }, ...extra });

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: `${DAY}T12:00:00+08:00`, env: { RUKOU_OPERATORS: OPERATOR.openid } });
  await admin({ action: 'createChannel', kind: 'wxacode', key: 'poster-1', name: 'Poster 1', page: 'pages/index/index' });
  // a paid order through poster 1's code
  await track('o-cat', [enter(1047, { rk_ch: 'poster-1' }), event('goal', { name: 'order_paid', goalId: 'A-1', value: 990 })]);
  // a card shared, opened in a group
  const { sharePrefix } = await track('o-ann', [enter(1089, {})]);
  const shareId = `${sharePrefix}card1`;
  await track('o-ann', [event('share', { shareId, path: `pages/index/index?rk_sh=${shareId}`, to: 'chat' })]);
  const cloudId = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ openid: 'o-bob', appid: APP, kind: 'groupEnterInfo', groupId: 'G-family', chatType: 3 }),
  });
  const { cloudID } = (await cloudId.json()) as { cloudID: string };
  await track('o-bob', [enter(1008, { rk_sh: shareId }, { group: cloudID })]);
  // the next day's timer rolls the day up
  const timer = (await (await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time: `${DAY}T16:17:00Z` }) })).json()) as { result: unknown };
  answers.timer = timer.result;
  const range = { from: DAY, to: DAY };
  const calls: [string, Record<string, unknown>][] = [
    ['overview', range],
    ['topEntries', range],
    ['channels', range],
    ['retention', { ...range, by: 'scene' }],
    ['shareFunnel', range],
    ['topShares', range],
    ['shareTree', { rootShareId: shareId }],
    ['topGroups', range],
    ['messages', range],
    ['cards', range],
    ['today', {}],
    // a backfill rolls up days that are over: the day before the clock's
    ['backfill', { from: '2024-05-19', to: '2024-05-19' }],
    ['cardRules', {}],
    ['setCardRules', { rules: { keywords: [{ keyword: '优惠', card: { title: '本周优惠', page: 'pages/index/index' } }], sessionFroms: [] } }],
    ['createChannel', { kind: 'urlscheme', key: 'sms-1', name: 'SMS 1', page: 'pages/index/index' }],
    ['createChannels', { rows: [{ key: 'store-1', name: 'Store 1', kind: 'wxacode', page: 'pages/index/index' }, { key: 'bad key', name: 'Bad', kind: 'wxacode', page: 'pages/index/index' }] }],
    ['listChannels', { limit: 1 }],
    ['updateChannel', { key: 'poster-1', name: 'Poster one' }],
    ['goals', { ...range, goal: 'order_paid', model: 'lastNonDirect', by: 'channel' }],
  ];
  for (const [action, input] of calls) answers[action] = await admin({ action, ...input });
  const { groups } = answers.topGroups as { groups: { groupId: string }[] };
  answers.group = await admin({ action: 'group', groupId: groups[0].groupId });
}, 120_000);

afterAll(async () => {
  await emulator.stop();
});

test("every action of admin's table is called here, and every call is in the table", () => {
  const answered = Object.keys(answers).filter((name) => name !== 'track' && name !== 'timer');
  expect([...adminTable().keys()].sort()).toEqual(answered.sort());
});

test.each([...adminTable().entries()])("admin %s answers what the table says", (action, cell) => {
  expect(differences(shapeOf(cell), answers[action])).toEqual([]);
});

test("the rollup timer's answer", () => {
  expect(differences(shapeOf(documentedAfter("The timer's answer is")), answers.timer)).toEqual([]);
});

test("track's answer", () => {
  expect(differences(shapeOf(documentedAfter('not read (they belong to the Mini Program that sent the user, and Rukou reads only the keys).\nThe answer is')), answers.track)).toEqual([]);
});

test('the shapes are read, and differences found', () => {
  const shape = shapeOf('`{ from, top: [{ key, zh? }], next?, results: [{ a } \\| { b }], ids: [ids], "quoted"? }`');
  expect(shape).toEqual({ required: ['from', 'top', 'results', 'ids'], optional: ['next', 'quoted'], nested: { top: { shape: { required: ['key'], optional: ['zh'], nested: {} }, list: true } } });
  expect(differences(shape, { from: 1, top: [{ key: 'a' }, { key: 'b', zh: 'c', users: 1 }], results: [], ids: [] })).toEqual(['answer.top.1.users is not documented']);
  expect(differences(shape, { top: [], results: [], ids: [], extra: 1 })).toEqual(['answer.from is missing', 'answer.extra is not documented']);
});
