/**
 * `handler` and `route`, the frame of every function: what they answer for an event of any shape,
 * an action of any shape, and HTTP access, before and after the function's own code runs.
 */
import { ValidationError } from '../../shared/errors';
import { handler, route } from '../../server/handler';

const actions = route<null>({ overview: async () => 'overviewed', today: async () => 'today so far' });
const main = handler(async (event) => actions(event, null));

describe('route', () => {
  test.each([
    [{ action: 'overview' }, 'overviewed'],
    [{ action: 'today', userInfo: { openId: 'o-x' } }, 'today so far'],
  ])('%j runs its action', async (event, answer) => {
    expect(await main(event)).toBe(answer);
  });

  test.each([
    [{}, 'No action. Known actions: overview, today.'],
    [{ action: 'constructor' }, 'Unknown action "constructor". Known actions: overview, today.'],
    [{ action: 1 }, 'The action must be a string, not a number. Known actions: overview, today.'],
    [{ action: ['today'] }, 'The action must be a string, not an array. Known actions: overview, today.'],
    [{ action: { today: 1 } }, 'The action must be a string, not an object. Known actions: overview, today.'],
    [{ action: null }, 'The action must be a string, not null. Known actions: overview, today.'],
  ])('%j is refused on field action, saying what was wrong', async (event, message) => {
    expect(await main(event)).toEqual({ error: { code: 'INVALID_INPUT', message, field: 'action' } });
  });
});

describe('handler', () => {
  test.each([
    [null, 'null'],
    [[{ action: 'today' }], 'an array'],
    ['today', 'a string'],
    [7, 'a number'],
  ])('%j is no event', async (event, kind) => {
    expect(await main(event)).toEqual({ error: { code: 'INVALID_INPUT', message: `The event must be a JSON object; this one is ${kind}.` } });
  });

  test('HTTP access is answered as HTTP access: the answer with 200, a refusal with its 4xx, and its body the same', async () => {
    const http = (body: unknown): Record<string, unknown> => ({ httpMethod: 'POST', path: '/x', headers: {}, body: JSON.stringify(body) });
    const echo = handler(async (event) => {
      if (event.body === JSON.stringify({ refuse: true })) throw new ValidationError('Refused on purpose.', 'refuse');
      return { answered: true };
    });
    expect(await echo(http({}))).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"answered":true}', isBase64Encoded: false });
    expect(await echo(http({ refuse: true }))).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ error: { code: 'INVALID_INPUT', message: 'Refused on purpose.', field: 'refuse' } }),
      isBase64Encoded: false,
    });
  });

  test('anything that is not a refusal still throws: a function failure', async () => {
    const failing = handler(async () => {
      throw new TypeError('a bug');
    });
    await expect(failing({})).rejects.toThrow('a bug');
    await expect(failing({ httpMethod: 'GET', headers: {} })).rejects.toThrow('a bug');
  });
});
