import { fateOf, FIRST_RETRY_MS, MAX_ATTEMPTS, MAX_RECIPIENTS, messagePage, nextAttemptAt, readSendRequest, readTemplatesRequest } from '../../shared/messages';
import { ValidationError } from '../../shared/errors';

const GOOD = { templateId: 'T-1', to: ['o-ann', 'o-bob', 'o-ann'], data: { thing1: 'x' }, page: '/pages/item/item?id=7', idempotencyKey: 'launch:7' };

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
};

describe('readSendRequest', () => {
  test('takes a send: recipients once each in order, the page without its leading "/"', () => {
    expect(readSendRequest(GOOD)).toEqual({ templateId: 'T-1', to: ['o-ann', 'o-bob'], data: { thing1: 'x' }, page: 'pages/item/item?id=7', idempotencyKey: 'launch:7' });
    expect(readSendRequest({ ...GOOD, page: undefined })).not.toHaveProperty('page');
  });

  test.each([
    [{ templateId: 7 }, 'templateId'],
    [{ to: [] }, 'to'],
    [{ to: 'o-ann' }, 'to'],
    [{ to: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `o-${i}`) }, 'to'],
    [{ to: ['o-ann', 'o ann'] }, 'to.1'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ idempotencyKey: 'a b' }, 'idempotencyKey'],
    [{ page: 'pages/a\nb' }, 'page'],
    [{ page: 7 }, 'page'],
    [{ page: 'pages/item/item?rk_msg=forged' }, 'page'],
    // the ids of other returns: one entry would credit two
    [{ page: 'pages/item/item?rk_card=forged' }, 'page'],
    [{ page: 'pages/item/item?rk_sh=forged' }, 'page'],
    // a fragment, which a Mini Program's page has not, where rk_msg would be lost
    [{ page: 'pages/item/item?id=7#top' }, 'page'],
    [{ page: '?id=7' }, 'page'],
    [{ page: 'pages/../secret' }, 'page'],
    // a misspelt page would send a message that opens nothing
    [{ pgae: 'pages/item/item' }, 'pgae'],
    [{ userInfo: { openId: 'o-x' } }, 'userInfo'],
  ])('refuses %j naming %s', (change, field) => {
    expect(fieldOf(() => readSendRequest({ ...GOOD, ...change }))).toBe(field);
  });
});

describe('readTemplatesRequest', () => {
  test('refresh is true, false or left out (null as left out)', () => {
    expect([{}, { refresh: true }, { refresh: false }, { refresh: null }].map((input) => readTemplatesRequest({ action: 'templates', ...input }).refresh)).toEqual([false, true, false, false]);
  });
  test.each([
    [{ refresh: 'yes' }, 'refresh'],
    [{ refresh: 1 }, 'refresh'],
    [{ refesh: true }, 'refesh'],
  ])('refuses %j naming %s', (change, field) => {
    expect(fieldOf(() => readTemplatesRequest({ action: 'templates', ...change }))).toBe(field);
  });
});

test('messagePage adds rk_msg to a page with or without a query', () => {
  expect(messagePage('pages/item/item?id=7', 'M1')).toBe('pages/item/item?id=7&rk_msg=M1');
  expect(messagePage('pages/index/index', 'M1')).toBe('pages/index/index?rk_msg=M1');
});

test('fateOf: 0 sent, 43101 refused, a request that can never succeed invalid, anything else retrying', () => {
  expect([0, 43101, 40003, 40037, 41030, 47003, 45009, -1, 42].map((errcode) => fateOf(errcode).fate)).toEqual(['sent', 'refused', 'invalid', 'invalid', 'invalid', 'invalid', 'retrying', 'retrying', 'retrying']);
});

test('nextAttemptAt doubles the wait after each failed attempt, and gives none after the last', () => {
  const at = new Date('2024-05-20T04:00:00Z');
  expect(Array.from({ length: MAX_ATTEMPTS }, (_, i) => nextAttemptAt(i + 1, at)?.getTime())).toEqual([1, 2, 4, 8].map((n) => at.getTime() + n * FIRST_RETRY_MS).concat([undefined as unknown as number]));
});
