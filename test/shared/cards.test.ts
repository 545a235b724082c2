import fc from 'fast-check';
import { cardFateOf, cardFor, cardPage, CARD_LIMITS, CS_WINDOW, HOME_CARD, NO_WINDOW, noteTurn, readCardRules, readSetCardRules, windowRefusal } from '../../shared/cards';
import { parseEntry } from '../../shared/entry';
import { ValidationError } from '../../shared/errors';
import { cardIdOf } from '../../shared/ids';

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
};

const DEALS = { title: '本周优惠', page: 'pages/deals/deals' };
const ITEM = { title: '帆布包', page: 'pages/item/item?id=7', thumb: 'cloud://env-1.7275/covers/bag.png' };
const RULES = readCardRules({
  keywords: [
    { keyword: '优惠', card: DEALS },
    { keyword: 'Bag', card: ITEM },
  ],
  sessionFroms: [{ sessionFrom: 'goods-7', card: ITEM }],
});

describe('cardFor: which card answers a turn of the chat', () => {
  test('no rules set: the home card, for a text and for an entry', () => {
    expect(cardFor(undefined, { kind: 'text', content: '你好' })).toEqual({ card: HOME_CARD, rule: 'default' });
    expect(cardFor(undefined, { kind: 'enter-session', sessionFrom: 'goods-7' })).toEqual({ card: HOME_CARD, rule: 'default' });
  });

  test('a text is answered by the first keyword it contains, letters without case and full-width as ASCII', () => {
    expect(cardFor(RULES, { kind: 'text', content: '有优惠吗？' })).toEqual({ card: DEALS, rule: 'keyword:优惠' });
    expect(cardFor(RULES, { kind: 'text', content: 'ＢＡＧ 优惠' })).toEqual({ card: DEALS, rule: 'keyword:优惠' });
    expect(cardFor(RULES, { kind: 'text', content: 'a BAG please' })).toEqual({ card: ITEM, rule: 'keyword:Bag' });
  });

  test('an entry is answered by its exact session-from; a keyword never answers an entry, a session-from never a text', () => {
    expect(cardFor(RULES, { kind: 'enter-session', sessionFrom: 'goods-7' })).toEqual({ card: ITEM, rule: 'sessionFrom:goods-7' });
    expect(cardFor(RULES, { kind: 'enter-session', sessionFrom: 'goods-77' })).toEqual({ card: HOME_CARD, rule: 'default' });
    expect(cardFor(RULES, { kind: 'enter-session', sessionFrom: '优惠' })).toEqual({ card: HOME_CARD, rule: 'default' });
    expect(cardFor(RULES, { kind: 'text', content: 'goods-7' })).toEqual({ card: HOME_CARD, rule: 'default' });
    expect(cardFor(RULES, { kind: 'enter-session' })).toEqual({ card: HOME_CARD, rule: 'default' });
  });

  test('the rules\' default answers what no rule matches; default false answers nothing', () => {
    expect(cardFor({ ...RULES, default: DEALS }, { kind: 'text', content: 'hi' })).toEqual({ card: DEALS, rule: 'default' });
    expect(cardFor({ ...RULES, default: false }, { kind: 'text', content: 'hi' })).toBeUndefined();
    expect(cardFor({ ...RULES, default: false }, { kind: 'text', content: '优惠' })).toEqual({ card: DEALS, rule: 'keyword:优惠' });
  });

  test('property: whatever the text, a keyword it contains wins over the default', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        expect(cardFor(RULES, { kind: 'text', content: `${before}优惠${after}` })?.rule).toBe('keyword:优惠');
      }),
    );
  });
});

test('setCardRules takes its rules and nothing else, at any depth: a misspelt thumb is refused, not read as left out', () => {
  expect(readSetCardRules({ action: 'setCardRules', rules: { default: false } })).toEqual({ keywords: [], sessionFroms: [], default: false });
  expect(() => readSetCardRules({ action: 'setCardRules', rules: { default: false }, x: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'x' }));
  const refused = (rules: unknown): unknown => {
    try {
      readCardRules(rules);
    } catch (error) {
      return { field: (error as { field?: string }).field, message: (error as Error).message };
    }
    return 'taken';
  };
  expect(refused({ keywords: [{ keyword: 'a', card: DEALS, oops: 1 }] })).toEqual({ field: 'rules.keywords.0.oops', message: 'unknown field "oops" in rules.keywords.0: the fields are keyword, card.' });
  expect(refused({ sessionFroms: [{ sessionFrom: 'x', card: { ...DEALS, thumbnail: 'cloud://x.png' } }] })).toEqual({ field: 'rules.sessionFroms.0.card.thumbnail', message: 'unknown field "thumbnail" in rules.sessionFroms.0.card: the fields are title, page, thumb.' });
  expect(refused({ default: { ...DEALS, thum: 'cloud://x.png' } })).toMatchObject({ field: 'rules.default.thum' });
  expect(refused({ keywords: [], sessions: [] })).toMatchObject({ field: 'rules.sessions' });
  // lists left out are empty: {} is no rule at all, the home card answering
  expect(readCardRules({})).toEqual({ keywords: [], sessionFroms: [] });
});

describe('readCardRules', () => {
  test('takes rules: pages without their leading "/", texts trimmed, null lists empty, null default absent', () => {
    expect(readCardRules({ keywords: [{ keyword: ' 优惠 ', card: { title: ' 本周优惠 ', page: '/pages/deals/deals' } }], sessionFroms: null, default: null })).toEqual({
      keywords: [{ keyword: '优惠', card: DEALS }],
      sessionFroms: [],
    });
    expect(readCardRules({ default: false })).toEqual({ keywords: [], sessionFroms: [], default: false });
    expect(readCardRules({ default: { ...ITEM, thumb: null } })).toEqual({ keywords: [], sessionFroms: [], default: { title: ITEM.title, page: ITEM.page } });
  });

  test.each([
    [null, 'rules'],
    [{ cards: [] }, 'rules.cards'],
    [{ keywords: {} }, 'rules.keywords'],
    [{ keywords: Array.from({ length: CARD_LIMITS.rules + 1 }, (_, i) => ({ keyword: `k${i}`, card: DEALS })) }, 'rules.keywords'],
    [{ keywords: ['优惠'] }, 'rules.keywords.0'],
    [{ keywords: [{ keyword: '', card: DEALS }] }, 'rules.keywords.0.keyword'],
    [{ keywords: [{ keyword: 'x'.repeat(CARD_LIMITS.keywordLength + 1), card: DEALS }] }, 'rules.keywords.0.keyword'],
    [{ keywords: [{ keyword: 'a\u0000', card: DEALS }] }, 'rules.keywords.0.keyword'],
    [{ keywords: [{ keyword: 'Bag', card: DEALS }, { keyword: 'ｂａｇ', card: ITEM }] }, 'rules.keywords.1'],
    [{ keywords: [{ keyword: '优惠' }] }, 'rules.keywords.0.card'],
    [{ keywords: [{ keyword: '优惠', card: { page: 'pages/a/a' } }] }, 'rules.keywords.0.card.title'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'https://example.com/a' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/a/a?rk_card=x' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/a/a?rk_msg=x' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/a/a?a=1#frag' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '😀'.repeat(CARD_LIMITS.keywordLength + 1), card: DEALS }] }, 'rules.keywords.0.keyword'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: '../x' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/./a' } }] }, 'rules.keywords.0.card.page'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/a/a', thumb: 'https://example.com/a.png' } }] }, 'rules.keywords.0.card.thumb'],
    [{ keywords: [{ keyword: '优惠', card: { title: 't', page: 'pages/a/a', thumb: 'cloud://env/a.gif' } }] }, 'rules.keywords.0.card.thumb'],
    [{ sessionFroms: [{ sessionFrom: 7, card: DEALS }] }, 'rules.sessionFroms.0.sessionFrom'],
    [{ sessionFroms: [{ sessionFrom: 'a', card: DEALS }, { sessionFrom: 'a', card: ITEM }] }, 'rules.sessionFroms.1'],
    [{ default: 'home' }, 'rules.default'],
    [{ default: { title: 'x'.repeat(CARD_LIMITS.titleLength + 1), page: 'pages/a/a' } }, 'rules.default.title'],
  ])('refuses %j, naming %s', (rules, field) => {
    expect(fieldOf(() => readCardRules(rules))).toBe(field);
  });

  test('counts characters as people do: an emoji is one, a family or a flag too', () => {
    const emoji = readCardRules({ keywords: [{ keyword: '😀'.repeat(CARD_LIMITS.keywordLength), card: { ...DEALS, title: '🎉'.repeat(CARD_LIMITS.titleLength) } }] });
    expect(emoji.keywords[0].card.title).toBe('🎉'.repeat(CARD_LIMITS.titleLength));
    const family = '👨‍👩‍👧'.repeat(7) + '🇨🇳'.repeat(16) + '👍🏽'.repeat(7);
    expect(readCardRules({ keywords: [{ keyword: family, card: DEALS }] }).keywords[0].keyword).toBe(family);
    expect(fieldOf(() => readCardRules({ keywords: [{ keyword: `${family}x`, card: DEALS }] }))).toBe('rules.keywords.0.keyword');
  });
});

describe('cardPage and the card id', () => {
  test('the id rides in the page as rk_card, and the entry it opens carries it', () => {
    const cardId = cardIdOf('o-ann', 'msg:23456789012345678901');
    expect(cardId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(cardIdOf('o-ann', 'msg:23456789012345678901')).toBe(cardId);
    expect(cardIdOf('o-bob', 'msg:23456789012345678901')).not.toBe(cardId);
    expect(cardPage('pages/deals/deals', cardId)).toBe(`pages/deals/deals?rk_card=${cardId}`);
    const page = cardPage('pages/item/item?id=7', cardId);
    expect(page).toBe(`pages/item/item?id=7&rk_card=${cardId}`);
    const entry = parseEntry({ scene: 1073, path: 'pages/item/item', query: Object.fromEntries(new URLSearchParams(page.split('?')[1])) }, true);
    expect(entry).toMatchObject({ scene: 1073, cardId });
  });
});

describe('the window (§D.5)', () => {
  const T = Date.parse('2024-05-20T04:00:00Z');

  test('no message and no entry: 45015; a message opens 5 replies for 48 h; an entry 2 for a minute', () => {
    expect(windowRefusal(NO_WINDOW, T)).toBe(45015);
    const wrote = noteTurn(NO_WINDOW, 'message', T, 'msg:1');
    expect(windowRefusal(wrote, T + CS_WINDOW.afterMessage.ms)).toBeUndefined();
    expect(windowRefusal(wrote, T + CS_WINDOW.afterMessage.ms + 1)).toBe(45015);
    expect(windowRefusal({ ...wrote, sentSinceMessage: 5 }, T)).toBe(45047);
    const entered = noteTurn(NO_WINDOW, 'enter', T, 'evt:1');
    expect(windowRefusal({ ...entered, sentSinceEnter: 1 }, T + 60_000)).toBeUndefined();
    expect(windowRefusal({ ...entered, sentSinceEnter: 2 }, T)).toBe(45047);
    expect(windowRefusal(entered, T + 60_001)).toBe(45015);
  });

  test('a new message starts the count again; the same push delivered again, or an older one, does not', () => {
    const used = { ...noteTurn(NO_WINDOW, 'message', T, 'msg:1'), sentSinceMessage: 5 };
    expect(noteTurn(used, 'message', T, 'msg:1')).toBe(used);
    expect(noteTurn(used, 'message', T - 1000, 'msg:0')).toBe(used);
    expect(noteTurn(used, 'message', T + 1000, 'msg:2')).toMatchObject({ lastMessageAt: T + 1000, sentSinceMessage: 0 });
    expect(noteTurn(used, 'enter', T, 'evt:1')).toMatchObject({ sentSinceMessage: 5, enteredAt: T, sentSinceEnter: 0 });
  });

  test('fates: 0 sent; 45015 and 45047 refused; anything else failed', () => {
    expect([0, 45015, 45047, 40007, -1, 45009].map(cardFateOf)).toEqual(['sent', 'refused', 'refused', 'failed', 'failed', 'failed']);
  });
});
