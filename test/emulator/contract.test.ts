import fs from 'node:fs';
import path from 'node:path';
import cloud from 'wx-server-sdk';
import { useEmulatorFromThisProcess } from '../helpers/emulator';
import { startRecorder, type Recorder, type WireRecord } from './contract/recorder';

/**
 * The wire contract with wx-server-sdk: a fixed script of SDK calls runs against a recording
 * server, and the requests it sends are compared with the stored copy. When an SDK upgrade
 * changes the wire format this fails, naming the first request that differs; after checking the
 * emulator still serves the new format, refresh the copy with `UPDATE_CONTRACT=1 npx jest test/emulator/contract`.
 */
const STORED = path.join(__dirname, 'contract', 'sdk-requests.json');

let recorder: Recorder;

beforeAll(async () => {
  recorder = await startRecorder();
  useEmulatorFromThisProcess(recorder.url, { OPENID: 'o-contract', APPID: 'wxcontract000001' });
  cloud.init({ env: 'contract-env' });
});

afterAll(async () => {
  await recorder?.close();
});

/** Every kind of call the emulator serves, in a fixed order with fixed values. */
async function script(): Promise<void> {
  const db = cloud.database();
  const _ = db.command;
  const $ = db.command.aggregate;
  const entries = db.collection('entries');

  await db.createCollection('entries');
  await entries.add({ data: { scene: 1008, at: new Date(0), server: db.serverDate(), tags: ['a'], nested: { x: 1 } } });
  await entries.add({ data: [{ scene: 1007 }, { scene: 1044 }] });
  await entries.doc('doc-1').get();
  await entries
    .where({ scene: _.in([1007, 1008]), day: _.gte('2026-01-01').and(_.lt('2026-02-01')), path: db.RegExp({ regexp: '^pages/', options: 'i' }), user: { openid: 'o-1' } })
    .orderBy('day', 'desc')
    .orderBy('scene', 'asc')
    .skip(20)
    .limit(2000)
    .field({ scene: true, day: true })
    .get();
  await entries.where({ scene: _.neq(1001).or(_.exists(false)) }).count();
  await entries.doc('doc-1').update({ data: { opens: _.inc(1), tags: _.push(['b']), removed: _.remove(), seenAt: db.serverDate(), profile: { name: 'n' }, max: _.max(3) } });
  await entries.where({ scene: 1008 }).update({ data: { flagged: true, list: _.addToSet('x'), gone: _.pull('y') } });
  await entries.doc('doc-2').set({ data: { scene: 1089, replaced: true } });
  await entries.doc('doc-3').remove();
  await entries.where({ scene: _.lt(1000) }).remove();
  await entries
    .aggregate()
    .match({ scene: _.gte(1000) })
    .group({ _id: '$scene', entries: $.sum(1), users: $.addToSet('$openid') })
    .project({ entries: 1, users: $.size('$users') })
    .sort({ entries: -1 })
    .limit(10)
    .end();
  // The SDK types runTransaction's callback as any; inside it a transaction offers collection() like db.
  await db.runTransaction(async (transaction: { collection: typeof db.collection }) => {
    const doc = (await transaction.collection('entries').doc('doc-1').get()) as unknown as { data: { n: number } };
    await transaction.collection('entries').doc('doc-1').update({ data: { opens: doc.data.n + 1 } });
  });
  await cloud.callFunction({ name: 'track', data: { v: 1, events: [] } });
  await cloud.openapi.subscribeMessage.send({ touser: 'o-1', templateId: 'TPL', page: 'pages/index/index', data: { thing1: { value: 'hi' } }, miniprogramState: 'developer' });
  await cloud.getOpenData({ list: ['26_cloud-id-1', '27_cloud-id-2'] });
  const { fileID } = await cloud.uploadFile({ cloudPath: 'contract/file.bin', fileContent: Buffer.from([0, 1, 2, 255]) });
  await cloud.getTempFileURL({ fileList: [fileID] });
  await cloud.downloadFile({ fileID });
  await cloud.deleteFile({ fileList: [fileID] });
}

const describeRecord = (record: WireRecord | undefined): string => (record ? `${record.method} ${record.path}${record.action ? ` ${record.action}` : ''}` : '(none)');

test('the SDK sends exactly the requests of the stored contract', async () => {
  await script();
  const actual = JSON.parse(JSON.stringify(recorder.records)) as WireRecord[];
  if (process.env.UPDATE_CONTRACT === '1') {
    fs.writeFileSync(STORED, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  if (!fs.existsSync(STORED)) throw new Error(`${STORED} is missing: run UPDATE_CONTRACT=1 npx jest test/emulator/contract to record it`);
  const expected = JSON.parse(fs.readFileSync(STORED, 'utf8')) as WireRecord[];
  const first = [...Array(Math.max(actual.length, expected.length)).keys()].find((i) => JSON.stringify(actual[i]) !== JSON.stringify(expected[i]));
  if (first !== undefined) {
    throw new Error(
      `the SDK's wire format changed at request #${first + 1} of ${expected.length} (expected ${describeRecord(expected[first])}, got ${describeRecord(actual[first])}).\n` +
        `expected: ${JSON.stringify(expected[first], null, 2)}\nactual: ${JSON.stringify(actual[first], null, 2)}\n` +
        'Check that the emulator serves the new format, then refresh the copy with UPDATE_CONTRACT=1.',
    );
  }
  expect(actual).toEqual(expected);
});
