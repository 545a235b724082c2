import fc from 'fast-check';
import { textProblem } from '../../shared/input';
import { parseEntry } from '../../shared/entry';
import { entryErrors, validateEntry } from '../../shared/schemas';

const enter = (scene: number, query: Record<string, string>, extra: Record<string, unknown> = {}): ReturnType<typeof parseEntry> =>
  parseEntry({ scene, path: 'pages/index/index', query, ...extra }, true);

describe('channel key: first match wins', () => {
  it('takes rk_ch from the page query before anything else', () => {
    const entry = enter(1047, { rk_ch: 'flyer', scene: 'rk_ch%3Dposter7' });
    expect(entry).toMatchObject({ channel: 'flyer', channelSource: 'query' });
  });

  it('reads a packed Mini Program code scene written k=v&k=v', () => {
    const entry = enter(1047, { scene: encodeURIComponent('rk_ch=poster7&utm_source=x') });
    expect(entry).toMatchObject({ channel: 'poster7', channelSource: 'scene', category: 'QR code', bucket: 'offline-qr' });
  });

  it('reads a bare packed scene as the channel key on code scenes only', () => {
    expect(enter(1048, { scene: 'store42' })).toMatchObject({ channel: 'store42', channelSource: 'scene' });
    expect(enter(1001, { scene: 'store42' }).channel).toBeUndefined();
  });

  it('reads a packed k=v scene on code scenes only: a card shared from a page a code opened carries it on', () => {
    const scene = encodeURIComponent('rk_ch=poster7');
    expect(enter(1049, { scene })).toMatchObject({ channel: 'poster7', channelSource: 'scene' });
    for (const cardScene of [1007, 1008, 1044]) {
      const entry = enter(cardScene, { scene, rk_sh: 'sh-123456' });
      expect([entry.channel, entry.shareId]).toEqual([undefined, 'sh-123456']);
    }
  });

  it('ignores a packed scene longer than a Mini Program code can hold', () => {
    expect(enter(1047, { scene: 'x'.repeat(33) }).channel).toBeUndefined();
  });

  it('reads rk_ch and our ids from an ordinary QR code URL on scan scenes with scancode_time', () => {
    const q = encodeURIComponent('https://example.com/go?rk_ch=bus-stop&rk_msg=m1&utm_source=x');
    expect(enter(1011, { q, scancode_time: '1700000000' })).toMatchObject({ channel: 'bus-stop', channelSource: 'qr', messageId: 'm1' });
    expect(enter(1011, { q }).channel).toBeUndefined(); // no scancode_time: not an ordinary-QR launch
    expect(enter(1047, { q, scancode_time: '1700000000' }).channel).toBeUndefined();
  });

  it('gives no channel for an ordinary QR URL without rk_ch, but keeps its utm tags', () => {
    const q = encodeURIComponent('https://example.com/shop/7?utm_source=poster&utm_campaign=spring');
    const entry = enter(1012, { q, scancode_time: '1' });
    expect(entry.channel).toBeUndefined();
    expect(entry.campaign).toEqual({ source: 'poster', campaign: 'spring' });
    expect(entry.query.q).toBe('https://example.com/shop/7?utm_source=poster&utm_campaign=spring');
  });

  it('keeps utm tags as a campaign only when there is no channel key', () => {
    expect(enter(1089, { utm_source: 'newsletter', utm_medium: 'email' })).toMatchObject({ campaign: { source: 'newsletter', medium: 'email' } });
    const both = enter(1089, { rk_ch: 'c1', utm_source: 'newsletter' });
    expect(both.channel).toBe('c1');
    expect(both.campaign).toBeUndefined();
  });
});

describe('share, message and card ids', () => {
  it('reads rk_sh, rk_msg and rk_card from the query, decoded', () => {
    expect(enter(1007, { rk_sh: 'abc-DEF_123', rk_msg: 'msg1', rk_card: 'card%2D9' })).toMatchObject({ shareId: 'abc-DEF_123', messageId: 'msg1', cardId: 'card-9' });
  });

  it('drops ids that are not ids', () => {
    const entry = enter(1007, { rk_sh: 'a b', rk_msg: '<script>', rk_card: 'x'.repeat(65) });
    expect(entry.shareId).toBeUndefined();
    expect(entry.messageId).toBeUndefined();
    expect(entry.cardId).toBeUndefined();
  });
});

describe('re-opens', () => {
  it('marks Quick entries (favourites, recent lists, the floating window) and Moments snapshots, not ordinary card opens', () => {
    for (const scene of [1010, 1089, 1131, 1001, 1023]) expect(enter(scene, { rk_sh: 'share-001' })).toMatchObject({ reopen: true, shareId: 'share-001' });
    expect(enter(1154, { rk_sh: 'share-001' }).reopen).toBe(true);
    expect(enter(1007, { rk_sh: 'share-001' }, { apiCategory: 'browseOnly' }).reopen).toBe(true);
    expect(enter(1007, { rk_sh: 'share-001' }, { apiCategory: 'default' }).reopen).toBe(false);
  });
});

describe('share ids', () => {
  it('are read from a card\'s page query (the Share category), never from a code, a link or another entry', () => {
    for (const scene of [1007, 1008, 1044, 1096, 1036]) expect(enter(scene, { rk_sh: 'share-001' })).toMatchObject({ shareId: 'share-001', reopen: false });
    // a link (URL scheme, URL link), a search, an Official Account article, another Mini Program, a scene nobody lists
    for (const scene of [1065, 1194, 1053, 1058, 1037, 4242]) expect(enter(scene, { rk_sh: 'share-001' }).shareId).toBeUndefined();
    expect(enter(1047, { scene: encodeURIComponent('rk_sh=share-001') }).shareId).toBeUndefined();
    expect(enter(1047, { rk_sh: 'share-001' }).shareId).toBeUndefined();
    expect(enter(1011, { q: encodeURIComponent('https://x.com/?rk_sh=share-001'), scancode_time: '1' }).shareId).toBeUndefined();
    // a card's open reads rk_sh from its query only
    expect(enter(1007, { scene: encodeURIComponent('rk_sh=share-001') }).shareId).toBeUndefined();
  });
});

describe('context fields', () => {
  it('keeps the referrer appId, only the keys of extraData, chatType and apiCategory', () => {
    const entry = parseEntry(
      { scene: 1037, path: '/pages/a/a', query: {}, referrerInfo: { appId: 'wxabc', extraData: { token: 'secret', n: 1 } }, chatType: 3, apiCategory: 'embedded' },
      false,
    );
    expect(entry).toMatchObject({ path: 'pages/a/a', cold: false, referrerAppId: 'wxabc', extraDataKeys: ['token', 'n'], chatType: 3, apiCategory: 'embedded' });
    expect(JSON.stringify(entry)).not.toContain('secret');
  });

  it('classifies unknown scenes as Unknown and keeps them', () => {
    expect(enter(4242, {})).toMatchObject({ scene: 4242, category: 'Unknown', bucket: 'in-wechat' });
  });

  it('caps the query and drops keys a document cannot hold', () => {
    const query = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(2000)]));
    const entry = enter(1001, { ...query, 'a.b': '1', $where: '1' });
    expect(Object.keys(entry.query)).toHaveLength(30);
    expect(entry.query.k0).toHaveLength(1024);
    expect(entry.query['a.b']).toBeUndefined();
    expect(entry.query.$where).toBeUndefined();
  });

  it('survives malformed percent-encoding', () => {
    expect(enter(1047, { scene: '%E0%A4%A', rk_ch: '%zz' })).toMatchObject({ channel: '%zz', query: { scene: '%E0%A4%A' } });
  });
});

describe('text that would turn unclean', () => {
  it('cuts long texts between characters, never between the halves of a surrogate pair', () => {
    const path = `a${'😀'.repeat(300)}`;
    const entry = parseEntry({ scene: 1001, path, query: { q: `x${'🎉'.repeat(600)}` }, apiCategory: `a${'😀'.repeat(20)}` }, true);
    for (const text of [entry.path, entry.query.q, String(entry.apiCategory)]) expect(textProblem(text)).toBeUndefined();
    expect(entry.path).toBe(path.slice(0, 511));
  });

  it('stores a query value that decodes to a control character as it was sent, and reads no campaign or channel from it', () => {
    const entry = parseEntry({ scene: 1001, path: 'p', query: { x: '%00', rk_ch: 'a%00b', utm_source: 'news%0Aletter' } }, true);
    expect(entry.query).toEqual({ x: '%00', rk_ch: 'a%00b', utm_source: 'news%0Aletter' });
    expect(entry.channel).toBeUndefined();
    expect(entry.campaign).toBeUndefined();
  });
});

describe('property: the parser never throws and always answers a valid entry', () => {
  const queryValue = fc.oneof(
    fc.string(),
    fc.webUrl({ withQueryParameters: true }).map((url) => encodeURIComponent(url)),
    fc.dictionary(fc.constantFrom('rk_ch', 'rk_sh', 'rk_msg', 'rk_card', 'utm_source', 'utm_campaign', 'x'), fc.string({ maxLength: 20 })).map((pairs) =>
      encodeURIComponent(new URLSearchParams(pairs).toString()),
    ),
  );
  const query = fc.dictionary(fc.oneof(fc.constantFrom('scene', 'q', 'scancode_time', 'rk_ch', 'rk_sh', 'utm_source', 'utm_medium'), fc.string()), queryValue);
  const options = fc.record(
    {
      scene: fc.oneof(fc.constantFrom(1007, 1008, 1010, 1011, 1012, 1013, 1044, 1047, 1048, 1154, 4242), fc.integer(), fc.string(), fc.double()),
      path: fc.oneof(fc.string(), fc.constant(undefined), fc.integer()),
      query: fc.oneof(query, fc.anything()),
      referrerInfo: fc.oneof(fc.record({ appId: fc.anything(), extraData: fc.anything() }, { requiredKeys: [] }), fc.anything()),
      chatType: fc.oneof(fc.integer(), fc.anything()),
      apiCategory: fc.oneof(fc.constantFrom('default', 'browseOnly', 'embedded'), fc.anything()),
    },
    { requiredKeys: [] },
  );

  it('for structured but hostile options', () => {
    fc.assert(
      fc.property(options, fc.boolean(), (raw, cold) => {
        const entry = parseEntry(raw, cold);
        if (!validateEntry(entry)) throw new Error(`${entryErrors()}: ${JSON.stringify(entry)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('for anything at all', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (raw, cold) => {
        expect(validateEntry(parseEntry(raw, cold as boolean))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
