/**
 * Text a client sends to `track` is refused at the door when it holds a control character
 * (U+0000–U+001F, U+007F) or a lone surrogate, in any field, key or value: a NUL in one page path
 * used to make every stats answer covering its day fail.
 */
import fc from 'fast-check';
import { parseEntry } from '../../shared/entry';
import { textProblem } from '../../shared/input';
import { validateBatch } from '../../shared/schemas';

const AT = Date.UTC(2024, 4, 1, 8);
const enter = (options: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'event-bad-0001',
  seq: 0,
  at: AT,
  type: 'enter',
  cold: true,
  options: { scene: 1037, path: 'pages/index/index', query: { id: '7' }, ...options },
  ...extra,
});
const good = { id: 'event-good-001', seq: 1, at: AT, type: 'page', path: 'pages/a/a' };

/** String.prototype.isWellFormed (Node 20; the cloud's Node 18 lacks it, hence textProblem's own loop). */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

describe('clean text', () => {
  test('is well-formed Unicode without a control character, for any UTF-16 string', () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('\u0000', '\u001f', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', ' ', '~', '\u0080', '\u2028'),
    );
    fc.assert(
      fc.property(fc.string({ unit }), (text) => {
        const control = [...text].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f');
        expect(textProblem(text) === undefined).toBe(isWellFormed(text) && !control);
      }),
      { numRuns: 5000 },
    );
  });

  test('the problem names the character', () => {
    expect(textProblem('pages/a\u0000b')).toBe('contains the control character U+0000');
    expect(textProblem('tab\there')).toBe('contains the control character U+0009');
    expect(textProblem('del\u007f')).toBe('contains the control character U+007F');
    expect(textProblem('half \ud83d')).toBe('is not well-formed Unicode (a lone surrogate U+D83D)');
    expect(textProblem('\ude00 first')).toBe('is not well-formed Unicode (a lone surrogate U+DE00)');
    expect(textProblem('首页 😀 %2E $x __proto__ \u0080 \u2028')).toBeUndefined();
  });
});

describe('track refuses unclean text in any field, naming the field; the good events go on', () => {
  const events: [string, Record<string, unknown>, string][] = [
    ['a NUL in the entry path', enter({ path: 'pages/a\u0000b' }), 'options.path'],
    ['a newline in the entry path', enter({ path: 'pages/a\nb' }), 'options.path'],
    ['a lone surrogate in the entry path', enter({ path: 'pages/\ud800' }), 'options.path'],
    ['a DEL in a query value', enter({ query: { rk_ch: 'poster\u007f' } }), 'options.query.rk_ch'],
    ['a control character in a query key', enter({ query: { 'rk\u0001ch': 'poster' } }), 'options.query'],
    ['a lone surrogate in a query key', enter({ query: { '\udc00': 'x' } }), 'options.query'],
    ['a NUL in the shareTicket', enter({ shareTicket: 't\u0000' }), 'options.shareTicket'],
    ['a NUL in the referrer appId', enter({ referrerInfo: { appId: 'wx\u0000' } }), 'options.referrerInfo.appId'],
    ['a NUL in an extraData key', enter({ referrerInfo: { appId: 'wx1', extraData: { 'k\u0000': 1 } } }), 'options.referrerInfo.extraData'],
    ['a NUL in the apiCategory', enter({ apiCategory: 'default\u0000' }), 'options.apiCategory'],
    ['a NUL in the group cloudID', enter({}, { group: 'cloud\u0000id' }), 'group'],
    ['a NUL in a page view\'s path', { id: 'event-bad-0001', seq: 0, at: AT, type: 'page', path: '\u0000' }, 'path'],
    ['a NUL in a share\'s path', { id: 'event-bad-0001', seq: 0, at: AT, type: 'share', shareId: 'share-0001', path: 'pages/a/a?x=\u0000', to: 'chat' }, 'path'],
  ];

  test.each(events)('%s', (_, event, field) => {
    const batch = validateBatch({ v: 1, events: [event, good] });
    expect(batch.events).toEqual([good]);
    expect(batch.rejected).toEqual([{ id: 'event-bad-0001', code: 'INVALID_INPUT', message: expect.stringContaining(`"${field}"`), field }]);
    expect(batch.rejected[0].message).toMatch(/control character U\+00[0-7][0-9A-F]|lone surrogate U\+D[89A-F][0-9A-F]{2}/);
  });

  test('text that only looks odd is fine: dots, dollars, percents, __proto__, emoji, an empty path', () => {
    const odd = enter({ path: '', query: { 'a.b': '$x', __proto__x: '%2E', rk_ch: '__proto__' }, referrerInfo: { appId: 'wx1', extraData: { constructor: 1 } } });
    expect(validateBatch({ v: 1, events: [odd, { ...good, path: '首页/😀' }] }).rejected).toEqual([]);
  });

  test('extraData values are not read: they belong to the Mini Program that sent the user, and Rukou reads only the keys', () => {
    const event = enter({ referrerInfo: { appId: 'wx1', extraData: { note: 'line one\nline two', nested: { deep: '\u0000' } } } });
    expect(validateBatch({ v: 1, events: [event] })).toEqual({ events: [event], rejected: [] });
  });
});

describe('a channel decoded from a code or a URL', () => {
  test('is no channel when decoding gives it a control character', () => {
    for (const bad of ['%00', '%0A', '%7F']) {
      expect(parseEntry({ scene: 1047, path: 'p', query: { scene: `rk_ch%3Dpo${bad}ster` } }, true).channel).toBeUndefined();
      expect(parseEntry({ scene: 1011, path: 'p', query: { q: `https%3A%2F%2Fa.cn%2Fp%3Frk_ch%3Dpo${bad}ster`, scancode_time: '1' } }, true).channel).toBeUndefined();
    }
    expect(parseEntry({ scene: 1047, path: 'p', query: { scene: 'rk_ch%3Dposter%2E7' } }, true).channel).toBe('poster.7');
  });
});
