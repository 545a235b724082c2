/**
 * A refusal is `{code, message, field?}` and nothing else: the field at fault as a dotted path,
 * the numbers a caller needs in the message, never a library's own error objects.
 */
import { RukouError } from '../../shared/errors';
import { quoted, refuseUnknown } from '../../shared/input';
import { validateBatch } from '../../shared/schemas';
import { backfillRange, rankInput, statsRange } from '../../shared/stats-input';

const range = { action: 'overview', from: '2024-03-01', to: '2024-03-07' };

/** The answer a function gives for what `run` throws. */
function refusalOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof RukouError) return JSON.parse(JSON.stringify({ error }));
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('operator inputs', () => {
  test.each([
    ['a malformed day', { ...range, from: '2024-3-1' }, 'from'],
    ['a day that does not exist', { ...range, to: '2024-02-30' }, 'to'],
    ['an unknown field', { ...range, $where: 'sleep(1)' }, '$where'],
    ['a missing field', { action: 'overview', from: '2024-03-01' }, 'to'],
    ['an operator for a value', { ...range, to: { $gt: '' } }, 'to'],
    ['an unknown field named ""', { ...range, '': 1 }, ''],
  ])('%s names its field', (_, input, field) => {
    const answer = refusalOf(() => statsRange(input));
    expect(answer).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining(`"${field}"`), field } });
  });

  test('a dimension outside the list names the dimension and the allowed values', () => {
    expect(refusalOf(() => rankInput({ ...range, dimension: 'openid' }))).toEqual({
      error: { code: 'INVALID_INPUT', message: 'Invalid input: field "dimension" must be one of "scene", "category", "bucket", "page", null.', field: 'dimension' },
    });
  });

  test('two fields at fault: both are in the message, no field is singled out', () => {
    const answer = refusalOf(() => statsRange({ action: 'overview', from: 1, to: 2 })) as { error: Record<string, unknown> };
    expect(Object.keys(answer.error).sort()).toEqual(['code', 'message']);
    expect(answer.error.message).toEqual(expect.stringMatching(/"from".*"to"/));
  });

  test('a range too long says its length and the limit in the message, and carries nothing else', () => {
    expect(refusalOf(() => backfillRange({ action: 'backfill', from: '2024-01-01', to: '2024-04-02' }, '2024-05-20'))).toEqual({
      error: { code: 'LIMIT_EXCEEDED', message: 'The range has 93 days; at most 92 are allowed per call: split it.' },
    });
  });

  test('no answer carries ajv\'s own error objects', () => {
    for (const input of [{ ...range, from: 7 }, { ...range, extra: true }, {}, { ...range, limit: 1000 }]) {
      const text = JSON.stringify(refusalOf(() => rankInput(input)));
      expect(text).not.toMatch(/schemaPath|instancePath|keyword|params|details/);
    }
  });
});

describe('track events', () => {
  const page = (extra: Record<string, unknown>): Record<string, unknown> => ({ id: 'event-0001', seq: 1, at: Date.UTC(2024, 4, 1), type: 'page', path: 'pages/a/a', ...extra });

  test.each([
    ['a wrong type', page({ path: 7 }), 'path'],
    ['an unknown field', page({ openid: 'o-fake' }), 'openid'],
    ['a missing field', { id: 'event-0001', seq: 1, at: Date.UTC(2024, 4, 1), type: 'page' }, 'path'],
    ['an unknown type', page({ type: 'click' }), 'type'],
    ['an unknown field named ""', page({ '': 'x' }), ''],
  ])('%s is rejected with its field', (_, event, field) => {
    expect(validateBatch({ v: 1, events: [event] }).rejected).toEqual([{ id: 'event-0001', code: 'INVALID_INPUT', message: expect.stringContaining(`"${field}"`), field }]);
  });
});

describe('a caller\'s text in a refusal', () => {
  it('is cut to 63 UTF-16 units and … in the message, and to 64 in the field, never splitting a surrogate pair', () => {
    const key = `${'k'.repeat(62)}😀${'x'.repeat(100_000)}`;
    const refusal = (() => {
      try {
        refuseUnknown({ [key]: 1 }, ['a'], 'rules');
      } catch (error) {
        return error as RukouError;
      }
      throw new Error('taken');
    })();
    expect(refusal.field).toBe(`rules.${'k'.repeat(62)}😀`);
    expect(refusal.message).toBe(`unknown field ${JSON.stringify(`${'k'.repeat(62)}…`)} in rules: the fields are a.`);
    expect(quoted('é'.repeat(64))).toBe(JSON.stringify('é'.repeat(64)));
    expect(quoted(`${'e'.repeat(62)}😀😀`)).toBe(JSON.stringify(`${'e'.repeat(62)}…`));
  });
});
