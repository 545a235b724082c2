import { ValidationError } from '../../shared/errors';
import { MAX_EVENT_BYTES, validateBatch } from '../../shared/schemas';

const AT = Date.UTC(2024, 4, 1, 8);
const page = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id, seq: 1, at: AT, type: 'page', path: 'pages/a/a', ...extra });
const enter = (id: string, options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  seq: 0,
  at: AT,
  type: 'enter',
  cold: true,
  options: { scene: 1007, path: 'pages/index/index', query: { rk_sh: 'share-0001' }, ...options },
  ...extra,
});

describe('a batch is refused whole only when it is not a batch', () => {
  it.each([
    ['not an object', 'events'],
    ['an array', []],
    ['no events', { v: 1, events: [] }],
    ['events not an array', { v: 1, events: {} }],
    ['a wrong version', { v: 2, events: [page('event-0001')] }],
    ['an unknown batch field', { v: 1, events: [page('event-0001')], openid: 'o1' }],
    ['51 events', { v: 1, events: Array.from({ length: 51 }, (_, i) => page(`event-${String(i).padStart(4, '0')}`)) }],
  ])('%s', (_, input) => {
    expect(() => validateBatch(input)).toThrow(ValidationError);
  });

  it('50 events are fine', () => {
    const batch = validateBatch({ v: 1, events: Array.from({ length: 50 }, (_, i) => page(`event-${String(i).padStart(4, '0')}`)) });
    expect(batch.events).toHaveLength(50);
    expect(batch.rejected).toEqual([]);
  });
});

describe('events are validated one by one', () => {
  it('accepts each event type in its documented shape', () => {
    const events = [
      enter('event-0001', { shareTicket: 't', referrerInfo: { appId: 'wx1', extraData: { a: { deep: 1 } } }, chatType: 3, apiCategory: 'default' }, { group: 'cloudid-1' }),
      { id: 'event-0002', seq: 2, at: AT, type: 'share', shareId: 'share-0002', path: 'pages/a/a?x=1', to: 'chat' },
      page('event-0003'),
      { id: 'event-0004', seq: 4, at: AT, type: 'hide', stayMs: 1200 },
    ];
    expect(validateBatch({ v: 1, events })).toEqual({ events, rejected: [] });
  });

  it('a bad event is named with its field and does not spoil the good ones', () => {
    const batch = validateBatch({ v: 1, events: [page('event-0001'), page('event-0002', { path: 7 }), enter('event-0003', { scene: 'x1007' }), page('event-0004')] });
    expect(batch.events.map((e) => e.id)).toEqual(['event-0001', 'event-0004']);
    expect(batch.rejected).toEqual([
      { id: 'event-0002', code: 'INVALID_INPUT', message: expect.stringContaining('"path"'), field: 'path' },
      { id: 'event-0003', code: 'INVALID_INPUT', message: expect.stringContaining('"options.scene"'), field: 'options.scene' },
    ]);
  });

  it('rejects identity in the payload as an unknown field, at any depth', () => {
    const batch = validateBatch({ v: 1, events: [page('event-0001', { openid: 'o-fake' }), enter('event-0002', { unionid: 'u-fake' })] });
    expect(batch.events).toEqual([]);
    expect(batch.rejected[0].message).toContain('unknown field "openid"');
    expect(batch.rejected[1].message).toContain('unknown field "options.unionid"');
    expect(batch.rejected.map((rejection) => rejection.message)).toEqual([expect.stringContaining('identity comes from WeChat'), expect.stringContaining('identity comes from WeChat')]);
  });

  it('an unknown field that names no one is only not the contract\'s (a break-it pass: options.group was told identity comes from WeChat)', () => {
    const batch = validateBatch({ v: 1, events: [enter('event-0001', { group: 'cloud-id' })] });
    expect(batch.rejected).toEqual([{ id: 'event-0001', code: 'INVALID_INPUT', field: 'options.group', message: expect.stringMatching(/unknown field "options\.group".*: remove it$/) }]);
  });

  it('refuses an event nested deeper than the stack is tall without overflowing it, and goes on with the others', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = [deep];
    const batch = validateBatch({ v: 1, events: [enter('event-0001', { referrerInfo: { extraData: { a: deep } } }), page('event-0002')] });
    expect(batch.rejected).toEqual([{ id: 'event-0001', code: 'INVALID_INPUT', message: expect.stringContaining('levels deep') }]);
    expect(batch.events.map((event) => event.id)).toEqual(['event-0002']);
  });

  it('accepts any whole clock reading: a phone reset to 1970 or set years ahead is corrected by sentAt, not refused', () => {
    const events = [page('event-0001', { at: 300_000 }), page('event-0002', { at: Date.UTC(2150, 0, 1) })];
    expect(validateBatch({ v: 1, sentAt: 300_500, events })).toEqual({ sentAt: 300_500, events, rejected: [] });
  });

  it('accepts a scene sent as a string of digits, as some runtimes give it', () => {
    const events = ['1168', '0', '999999'].map((scene, i) => enter(`event-000${i}`, { scene }));
    expect(validateBatch({ v: 1, events })).toEqual({ events, rejected: [] });
  });

  it.each(['', '-1', '1.5', ' 1168', '1168 ', '1e3', '0x10', '1234567', '１１６８'])('refuses the scene string %j, naming options.scene and both accepted forms', (scene) => {
    expect(validateBatch({ v: 1, events: [enter('event-0001', { scene })] }).rejected).toEqual([
      { id: 'event-0001', code: 'INVALID_INPUT', message: expect.stringMatching(/"options\.scene" must be integer or must match pattern/), field: 'options.scene' },
    ]);
  });

  it.each([
    ['a short id', page('short')],
    ['an id with odd characters', page('event 0001')],
    ['a negative seq', page('event-0001', { seq: -1 })],
    ['a fractional seq', page('event-0001', { seq: 1.5 })],
    ['a negative clock reading', page('event-0001', { at: -1 })],
    ['a fractional clock reading', page('event-0001', { at: AT + 0.5 })],
    ['an unknown type', { id: 'event-0001', seq: 0, at: AT, type: 'click' }],
    ['a share to nowhere', { id: 'event-0001', seq: 0, at: AT, type: 'share', shareId: 'share-0001', path: 'p', to: 'email' }],
    ['a non-string query value', enter('event-0001', { query: { n: 1 } })],
    ['too many query keys', enter('event-0001', { query: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) })],
    ['a long query value', enter('event-0001', { query: { k: 'v'.repeat(1025) } })],
    ['a long path', page('event-0001', { path: 'p'.repeat(513) })],
    ['an enter without cold', { ...enter('event-0001'), cold: undefined }],
    ['an oversized extraData', enter('event-0001', { referrerInfo: { extraData: { blob: 'x'.repeat(MAX_EVENT_BYTES) } } })],
    ['a null event', null],
  ])('rejects %s', (_, event) => {
    const batch = validateBatch({ v: 1, events: [event] });
    expect(batch.events).toEqual([]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0].code).toBe('INVALID_INPUT');
  });
});
