import fc from 'fast-check';
import {
  changesNothing,
  codeScene,
  dueForRenewal,
  isWeChatScene,
  KEY_PATTERN,
  linkQuery,
  MAX_KEY_LENGTH,
  MAX_ROWS,
  plainSchemeUrl,
  readChannelKey,
  readChannelsCsv,
  readCreateChannel,
  readCreateChannels,
  readListChannels,
  readUpdateChannel,
  weChatRefusal,
  type ChannelChange,
} from '../../shared/channels';
import { parseEntry } from '../../shared/entry';
import { RukouError } from '../../shared/errors';
import type { ChannelDoc } from '../../shared/model';
import { DAY_MS } from '../../shared/time';

/** The refusal `run` throws, as a function answers it. */
const refusalOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    if (error instanceof RukouError) return error.toJSON();
    throw error;
  }
  throw new Error('expected a refusal');
};

const CODE = { action: 'createChannel', kind: 'wxacode', key: 'store-12', name: '南山店', page: 'pages/index/index' };
const key = fc.stringMatching(KEY_PATTERN);

describe('the channel key', () => {
  test('1–26 letters, digits, _ or -, exactly as given', () => {
    expect(readChannelKey('store-12')).toBe('store-12');
    expect(readChannelKey('A_b-9')).toBe('A_b-9');
    expect(readChannelKey('k'.repeat(MAX_KEY_LENGTH))).toBe('k'.repeat(26));
  });

  test.each([
    ['empty', ''],
    ['spaces around it (never trimmed into another key)', ' A_b-9 '],
    ['a line break after it', 'x\n'],
    ['27 characters', 'k'.repeat(27)],
    ['an ampersand, which breaks a scene\'s pairs', 'a&b'],
    ['an equals sign', 'a=b'],
    ['a percent sign, which WeChat refuses in a scene', 'a%20b'],
    ['a space inside', 'store 12'],
    ['Chinese, which a scene cannot hold', '南山店'],
    ['a plus, a space in a query', 'a+b'],
    ['a dot', 'store.12'],
    ['not text', 12],
  ])('refused: %s, with the rule and the field', (_, value) => {
    expect(refusalOf(() => readChannelKey(value))).toEqual({ code: 'INVALID_INPUT', field: 'key', message: expect.stringContaining('1–26 letters, digits, _ or -') });
  });

  test('every key is a scene WeChat takes, bare and as rk_ch=<key>, and every entry reads it back exactly', () => {
    fc.assert(
      fc.property(key, fc.constantFrom(1047, 1048, 1049), (k, scene) => {
        expect([isWeChatScene(k), isWeChatScene(codeScene(k))]).toEqual([true, true]);
        // WeChat hands a code's scene URL-encoded (§E.1); schemes and links hand their query parsed (§E.3)
        expect(parseEntry({ scene, path: 'pages/index/index', query: { scene: encodeURIComponent(codeScene(k)) } }, true)).toMatchObject({ channel: k, channelSource: 'scene' });
        expect(parseEntry({ scene, path: 'pages/index/index', query: { scene: encodeURIComponent(k) } }, true)).toMatchObject({ channel: k, channelSource: 'scene' });
        const query = Object.fromEntries(new URLSearchParams(linkQuery(k)));
        expect(parseEntry({ scene: 1194, path: 'pages/index/index', query }, true)).toMatchObject({ channel: k, channelSource: 'query' });
      }),
    );
  });

  test('WeChat\'s own scene rule: at most 32 visible characters of its set', () => {
    expect(isWeChatScene('rk_ch=' + 'k'.repeat(26))).toBe(true);
    expect(isWeChatScene('rk_ch=' + 'k'.repeat(27))).toBe(false);
    expect(isWeChatScene("a!#$&'()*+,/:;=?@-._~")).toBe(true);
    for (const scene of ['', 'a b', 'a%20', '南山', 'a"b']) expect(isWeChatScene(scene)).toBe(false);
  });
});

describe('createChannel', () => {
  test('defaults: release, checkPath true, 30 days; no tags; a leading "/" dropped from the page', () => {
    expect(readCreateChannel({ ...CODE, page: '/pages/index/index' })).toEqual({
      request: { key: 'store-12', name: '南山店', kind: 'wxacode', page: 'pages/index/index', tags: [] },
      options: { envVersion: 'release', checkPath: true, expireDays: 30 },
    });
    // ten tags and a repeat are ten tags
    expect(readCreateChannel({ ...CODE, tags: [...Array.from({ length: 10 }, (_, i) => `t${i}`), 't0'] }).request.tags).toHaveLength(10);
    expect(readCreateChannel({ ...CODE, kind: 'urllink', group: ' 深圳 ', tags: ['spring', 'spring', 'poster'], envVersion: 'trial', expireDays: 7, checkPath: null })).toEqual({
      request: { key: 'store-12', name: '南山店', kind: 'urllink', page: 'pages/index/index', tags: ['spring', 'poster'], group: '深圳' },
      options: { envVersion: 'trial', checkPath: true, expireDays: 7 },
    });
  });

  test.each([
    [{ kind: 'qrcode' }, 'kind'],
    [{ kind: undefined }, 'kind'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(65) }, 'name'],
    [{ name: 'a\u0000b' }, 'name'],
    [{ page: 'pages/index/index?id=7' }, 'page'],
    [{ page: 'pages/../secret' }, 'page'],
    [{ page: '' }, 'page'],
    [{ tags: 'spring' }, 'tags'],
    [{ tags: ['a|b'] }, 'tags.0'],
    [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags'],
    [{ group: '' }, 'group'],
    [{ envVersion: 'beta' }, 'envVersion'],
    [{ checkPath: 'false' }, 'checkPath'],
    [{ expireDays: 0 }, 'expireDays'],
    [{ expireDays: 31 }, 'expireDays'],
    [{ expireDays: 1.5 }, 'expireDays'],
    [{ scene: 'rk_ch=x' }, 'scene'],
  ])('%j is refused naming %s', (change, field) => {
    expect(refusalOf(() => readCreateChannel({ ...CODE, ...change }))).toMatchObject({ code: 'INVALID_INPUT', field });
  });
});

describe('the plain scheme (scene 1286)', () => {
  test('appid, path, the URL-encoded rk_ch query and the version, with no expiry', () => {
    const url = plainSchemeUrl({ appid: 'wx0000000000000000', page: 'pages/shop/index', key: 'store-12', envVersion: 'release' });
    expect(url).toBe('weixin://dl/business/?appid=wx0000000000000000&path=pages/shop/index&query=rk_ch%3Dstore-12&env_version=release');
    const params = new URL(url).searchParams;
    expect(Object.fromEntries(params)).toEqual({ appid: 'wx0000000000000000', path: 'pages/shop/index', query: 'rk_ch=store-12', env_version: 'release' });
  });
});

describe('the CSV of channels', () => {
  const HEADER = 'key,name,kind,page,group,tags';

  test('a header row, then a channel a row: quoted cells, tags by |, a BOM, CRLF, blank lines skipped but counted', () => {
    const csv = `\uFEFF${HEADER}\r\nstore-1,"南山店, 2F",wxacode,pages/index/index,深圳,spring|poster\r\n\r\nlink-1,"Say ""hi""",urllink,/pages/shop/index,,\r\n`;
    expect(readChannelsCsv(csv)).toEqual([
      { row: 2, request: { key: 'store-1', name: '南山店, 2F', kind: 'wxacode', page: 'pages/index/index', group: '深圳', tags: ['spring', 'poster'] } },
      { row: 4, request: { key: 'link-1', name: 'Say "hi"', kind: 'urllink', page: 'pages/shop/index', tags: [] } },
    ]);
  });

  test('columns in any order and any case; group and tags may be left out', () => {
    expect(readChannelsCsv('Page,KIND,name,key\npages/a/a,plainscheme,A,a-1')).toEqual([{ row: 2, request: { key: 'a-1', name: 'A', kind: 'plainscheme', page: 'pages/a/a', tags: [] } }]);
    // spaces after commas, as people type a CSV by hand: every cell is trimmed, kind and key too
    expect(readChannelsCsv('key, name, kind, page\n lead , A , plainscheme , pages/a/a ')).toEqual([{ row: 2, request: { key: 'lead', name: 'A', kind: 'plainscheme', page: 'pages/a/a', tags: [] } }]);
  });

  test.each([
    ['no header', 'store-1,南山店,wxacode,pages/index/index'],
    ['a required column missing', 'key,name,kind\nstore-1,南山店,wxacode'],
    ['an unknown column', 'key,name,kind,page,url\nstore-1,南山店,wxacode,pages/index/index,x'],
    ['a column twice', 'key,name,kind,page,key\n'],
    ['an empty text', ''],
  ])('%s: the whole CSV is refused, naming csv', (_, csv) => {
    expect(refusalOf(() => readChannelsCsv(csv))).toMatchObject({ code: 'INVALID_INPUT', field: 'csv' });
  });

  test('a malformed row fails alone, with its row number, its key when it has one, and the reason', () => {
    const csv = [
      HEADER,
      'good-1,One,wxacode,pages/index/index,,',
      'bad key,Two,wxacode,pages/index/index,,',
      'good-2,Three,qrcode,pages/index/index,,',
      'good-3,"Four,wxacode,pages/index/index,,',
      'good-4,Five,wxacode',
      'good-5,Six,urlscheme,pages/index/index?x=1,,',
      'good-6,Seven,urlscheme,pages/index/index,,',
    ].join('\n');
    expect(readChannelsCsv(csv)).toEqual([
      { row: 2, request: expect.objectContaining({ key: 'good-1' }) },
      { row: 3, error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'key' }) },
      { row: 4, key: 'good-2', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'kind' }) },
      { row: 5, error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'csv', message: expect.stringContaining('quote') }) },
      { row: 6, key: 'good-4', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'csv', message: expect.stringContaining('3 cells') }) },
      { row: 7, key: 'good-5', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'page' }) },
      { row: 8, request: expect.objectContaining({ key: 'good-6' }) },
    ]);
  });

  test(`at most ${MAX_ROWS} rows a call`, () => {
    const rows = (n: number): string => [HEADER, ...Array.from({ length: n }, (_, i) => `k-${i},N,plainscheme,pages/index/index,,`)].join('\n');
    expect(readChannelsCsv(rows(MAX_ROWS))).toHaveLength(MAX_ROWS);
    expect(refusalOf(() => readChannelsCsv(rows(MAX_ROWS + 1)))).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'csv', message: expect.stringContaining('at most 100') });
  });
});

describe('createChannels', () => {
  test('a key repeated in one call fails at each repeat, naming the row that has it', () => {
    const { rows } = readCreateChannels({ action: 'createChannels', csv: 'key,name,kind,page\na-1,A,plainscheme,pages/a/a\na-1,B,wxacode,pages/a/a' });
    expect(rows).toEqual([
      { row: 2, request: expect.objectContaining({ key: 'a-1', name: 'A' }) },
      { row: 3, key: 'a-1', error: { code: 'CONFLICT', field: 'key', message: expect.stringContaining('row 2') } },
    ]);
  });

  test('rows instead of a CSV: each answered by its index', () => {
    const { rows, options } = readCreateChannels({ action: 'createChannels', rows: [{ key: 'a-1', name: 'A', kind: 'urlscheme', page: 'pages/a/a', tags: ['x'] }, { key: 'a-2', name: 'B', kind: 'urlscheme', page: 'pages/a/a', url: 'x' }, 7], expireDays: 10 });
    expect(options).toEqual({ envVersion: 'release', checkPath: true, expireDays: 10 });
    expect(rows).toEqual([
      { row: 0, request: { key: 'a-1', name: 'A', kind: 'urlscheme', page: 'pages/a/a', tags: ['x'] } },
      { row: 1, key: 'a-2', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'url' }) },
      { row: 2, error: expect.objectContaining({ code: 'INVALID_INPUT' }) },
    ]);
  });

  test('says how to send the channels when a call has neither, and to choose when it has both', () => {
    expect(refusalOf(() => readCreateChannels({ action: 'createChannels' }))).toMatchObject({ message: 'Send the channels as csv (text with a header row) or as rows (a list of channels).' });
    expect(refusalOf(() => readCreateChannels({ action: 'createChannels', csv: 'key', rows: [] }))).toMatchObject({ message: 'Send the channels either as csv (text with a header row) or as rows (a list of channels), not both.' });
  });

  test.each([
    [{}, 'csv'],
    [{ csv: 'key,name,kind,page', rows: [] }, 'rows'],
    [{ csv: 5 }, 'csv'],
    [{ rows: [] }, 'rows'],
    [{ csv: 'key,name,kind,page\n' }, 'csv'],
    [{ csv: 'key,name,kind,page\na,A,wxacode,pages/a/a', expireDays: 40 }, 'expireDays'],
  ])('%j is refused as a whole, naming %s', (input, field) => {
    expect(refusalOf(() => readCreateChannels({ action: 'createChannels', ...input }))).toMatchObject({ field });
  });

  test('more rows than a call takes is LIMIT_EXCEEDED', () => {
    const rows = Array.from({ length: MAX_ROWS + 1 }, (_, i) => ({ key: `k-${i}`, name: 'N', kind: 'plainscheme', page: 'pages/a/a' }));
    expect(refusalOf(() => readCreateChannels({ action: 'createChannels', rows }))).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'rows' });
  });
});

describe('listChannels and updateChannel', () => {
  test('list: filters, paging and their defaults', () => {
    expect(readListChannels({ action: 'listChannels' })).toEqual({ includeArchived: false, limit: 100 });
    expect(readListChannels({ action: 'listChannels', kind: 'urllink', group: '深圳', includeArchived: true, after: 'a-1', limit: 10 })).toEqual({ kind: 'urllink', group: '深圳', includeArchived: true, after: 'a-1', limit: 10 });
    for (const [input, field] of [[{ kind: 'x' }, 'kind'], [{ limit: 101 }, 'limit'], [{ after: 'a b' }, 'after'], [{ includeArchived: 1 }, 'includeArchived'], [{ sort: 'name' }, 'sort']] as const) {
      expect(refusalOf(() => readListChannels({ action: 'listChannels', ...input }))).toMatchObject({ code: 'INVALID_INPUT', field });
    }
  });

  test('update: rename, regroup (null: no group), retag, archive, with the version seen', () => {
    expect(readUpdateChannel({ action: 'updateChannel', key: 'a-1', name: ' New ', group: null, tags: [], archived: true, v: 3 })).toEqual({ key: 'a-1', v: 3, change: { name: 'New', group: null, tags: [], archived: true } });
  });

  test('update: a change to what the channel already is changes nothing', () => {
    const channel: ChannelDoc = { _id: 'a-1', name: 'A', tags: ['x', 'y'], archived: false, kind: 'wxacode', page: 'p/a/a', envVersion: 'release', createdAt: new Date(0), updatedAt: new Date(0), v: 2 };
    const same: ChannelChange[] = [{ name: 'A' }, { group: null }, { tags: ['x', 'y'] }, { archived: false }, { name: 'A', tags: ['x', 'y'], group: null }];
    for (const change of same) expect(changesNothing({ ...channel, tags: [...channel.tags] }, change)).toBe(true);
    const different: ChannelChange[] = [{ name: 'B' }, { group: 'g' }, { tags: ['y', 'x'] }, { tags: ['x'] }, { archived: true }, { name: 'A', archived: true }];
    for (const change of different) expect(changesNothing({ ...channel, tags: [...channel.tags] }, change)).toBe(false);
    expect(changesNothing({ ...channel, tags: [], group: 'g' }, { group: null })).toBe(false);
    expect(changesNothing({ ...channel, tags: [], group: 'g' }, { group: 'g' })).toBe(true);
  });

  test('update: the key, kind and page never change; something must', () => {
    expect(refusalOf(() => readUpdateChannel({ action: 'updateChannel', key: 'a-1', kind: 'urllink' }))).toMatchObject({ code: 'INVALID_INPUT', field: 'kind', message: expect.stringContaining('never changes') });
    expect(refusalOf(() => readUpdateChannel({ action: 'updateChannel', key: 'a-1', page: 'pages/b/b' }))).toMatchObject({ code: 'INVALID_INPUT', field: 'page' });
    expect(refusalOf(() => readUpdateChannel({ action: 'updateChannel', key: 'a-1', newKey: 'b' }))).toMatchObject({ code: 'INVALID_INPUT', field: 'newKey' });
    expect(refusalOf(() => readUpdateChannel({ action: 'updateChannel', key: 'a-1' }))).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refusalOf(() => readUpdateChannel({ action: 'updateChannel', key: 'a-1', name: 'x', v: 0 }))).toMatchObject({ code: 'INVALID_INPUT', field: 'v' });
  });
});

describe('renewal', () => {
  const now = new Date('2024-05-20T04:00:00Z');
  const link = (days: number, change: Partial<ChannelDoc> = {}): Pick<ChannelDoc, 'kind' | 'archived' | 'expiresAt'> => ({ kind: 'urlscheme', archived: false, expiresAt: new Date(now.getTime() + days * DAY_MS), ...change });

  test('schemes and links not archived that expire within 3 days, or have expired', () => {
    expect([link(3), link(2.5), link(-1), link(3, { kind: 'urllink' })].map((channel) => dueForRenewal(channel, now))).toEqual([true, true, true, true]);
    expect([link(3.01), link(1, { archived: true }), link(1, { kind: 'wxacode' }), { kind: 'plainscheme' as const, archived: false }].map((channel) => dueForRenewal(channel, now))).toEqual([false, false, false, false]);
  });
});

describe('WeChat\'s refusals, as Rukou answers them', () => {
  test.each([
    [40169, 'INVALID_INPUT', 'key', '40169'],
    [41030, 'INVALID_INPUT', 'page', 'checkPath'],
    [45009, 'LIMIT_EXCEEDED', undefined, 'try again in a minute'],
    [-1, 'UPSTREAM', undefined, 'busy'],
    [-604101, 'UPSTREAM', undefined, 'permissions.openapi'],
    [87654, 'UPSTREAM', undefined, '87654'],
  ])('%s is %s', (errcode, code, field, says) => {
    const refusal = weChatRefusal('wxacode.getUnlimited', errcode, 'some errmsg').toJSON();
    expect(refusal).toEqual({ code, message: expect.stringContaining(says), ...(field ? { field } : {}) });
    expect(refusal.message).toContain('Nothing was created');
  });
});
