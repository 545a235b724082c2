import fc from 'fast-check';
import { ValidationError } from '../../shared/errors';
import { checkTemplateData, KEYWORD_RULES, keywordProblem, keywordRule, templateKeywords } from '../../shared/keywords';

const SYMBOLS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
/** A Han character outside the BMP: two UTF-16 units, one character. */
const RARE_HAN = '\u{20000}';

const from = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const han = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((code) => String.fromCodePoint(code));
const accepts = (key: string, value: string): boolean => keywordProblem(key, value) === undefined;

/** The refusal checkTemplateData throws, or undefined when it answers. */
function refusal(keys: readonly string[], data: unknown, enums?: Record<string, string[]>): ValidationError | undefined {
  try {
    checkTemplateData(keys, data, enums);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
}

describe('the rule of a keyword is its key without the number', () => {
  it('reads every type of the table, the two-word one too', () => {
    expect(keywordRule('thing1')).toBe('thing');
    expect(keywordRule('character_string12')).toBe('character_string');
    expect(keywordRule('phone_number3')).toBe('phone_number');
    expect(keywordRule('car_number10')).toBe('car_number');
    for (const rule of KEYWORD_RULES) expect(keywordRule(`${rule}7`)).toBe(rule);
  });

  it('knows no rule for a key without a number, with capitals, or of a type the table does not list', () => {
    expect(keywordRule('thing')).toBeUndefined();
    expect(keywordRule('Thing1')).toBeUndefined();
    expect(keywordRule('1thing')).toBeUndefined();
    expect(keywordRule('short_thing2')).toBeUndefined();
    expect(keywordRule('thing1.DATA')).toBeUndefined();
  });
});

describe('templateKeywords reads the keys of a template content', () => {
  it('in order, each once', () => {
    expect(templateKeywords('商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{date3.DATA}}\n备注:{{thing1.DATA}}')).toEqual(['thing1', 'character_string2', 'date3']);
  });

  it('ignores what is not written {{key.DATA}}', () => {
    expect(templateKeywords('no keywords {{thing1}} {thing2.DATA} {{ thing3.DATA }}')).toEqual([]);
  });
});

describe('the value rules of §D.1', () => {
  const cases: [string, string[], string[]][] = [
    ['thing1', ['蓝色卫衣 XL', 'iPhone 15 Pro (256G)', '一二三四五六七八九十一二三四五六七八九十', '😀'.repeat(20)], ['一二三四五六七八九十一二三四五六七八九十一', '😀'.repeat(21)]],
    ['number2', ['0', '12', '88.88', '1'.repeat(32), `${'1'.repeat(30)}.5`], ['-1', '1.', '.5', '1.2.3', '1e5', '１２', '1,000', '1'.repeat(33), `${'1'.repeat(31)}.5`]],
    ['letter3', ['abc', 'XYZ', 'a'.repeat(32)], ['a1', 'é', 'ab c', '中', 'a'.repeat(33)]],
    ['symbol4', ['!', '~@#', '-_-', '$%^&*'], ['a!', '！', '¥', '$%^&*(', ' ', '!!! !']],
    ['character_string5', ['SF1234567890', 'A-001/2024', `${'x'.repeat(31)}#`], ['SF 123', '单号1', 'x'.repeat(33), '１']],
    ['time6', ['15:01', '9:05', '00:00', '23:59:59', '2019年10月1日 15:01', '2019年10月1日15:01', '2019-10-01 15:01', '2019-10-01 15:01:00', '15:01~17:00', '2019年10月1日 15:01 ~ 2019年10月1日 17:00', '2019-10-01 15:01~17:00'], ['24:00', '15:60', '15', '2019年10月1日', '2019-10-01', '2019-10-0115:01', '2019-02-29 10:00', '15:01~', '1:00~2:00~3:00', ' 15:01', '15:01 ', '15：01', '15:01～17:00']],
    ['date7', ['2019年10月1日', '2019-10-01', '2019-1-1', '2024年2月29日', '2019年10月1日 15:01', '2019-10-01 15:01:30', '2019年10月1日~2019年10月7日', '2019-10-01 ~ 2019-10-07', '2019年10月1日 15:01~2019年10月1日 17:00'], ['15:01', '2019/10/01', '2019.10.01', '19-10-01', '2019年10月', '2019-13-01', '2023年2月29日', '2019-04-31', '2019-10-01 25:00', '2019-10-01~']],
    ['amount8', ['¥100.50', '￥100', '100元', '100.50元', '$9.99', '€5', '£5', '100', '¥1234567890', '¥12345678.90'], ['¥', '元', '¥¥100', 'RMB100', '100美元', '-¥5', '¥-5', '1,000', '¥.5', '¥5.', '¥12345678901', '¥123456789.01', '100 元']],
    ['phone_number9', ['+86-0766-66888866', '13800138000', '(0766)6688', '1'.repeat(17)], ['138 0013 8000', '电话', 'tel:138', '1'.repeat(18)]],
    ['car_number10', ['粤A8Z888', '京A12345', '粤B1234学', '粤A1234挂', 'WJ12345', 'A', '粤'], ['粤A中8Z88', '粤A-8Z888', '粤A 8Z888', '粤A8Z88888', '粤粤AB']],
    ['name11', ['张三', '欧阳娜娜', '阿沛·阿旺晋美', 'John Smith', "O'Neil", '张三 Tom', '一二三四五六七八九十', 'a'.repeat(20)], ['张三3', 'R2D2', '一二三四五六七八九十一', '张abcdefghij', 'a'.repeat(21)]],
    ['phrase12', ['已发货', '配送中', '一二三四五', `${RARE_HAN}${RARE_HAN}`], ['已发货!', '已 发货', 'ok', '第1名', '一二三四五六', '已发货。']],
  ];

  it.each(cases)('%s keeps its rule', (key, good, bad) => {
    for (const value of good) expect([value, keywordProblem(key, value)]).toEqual([value, undefined]);
    for (const value of bad) expect([value, accepts(key, value)]).toEqual([value, false]);
  });

  it('refuses empty values and values of spaces only, for every rule', () => {
    for (const rule of KEYWORD_RULES) {
      expect(keywordProblem(`${rule}1`, '', ['x'])).toBe(`data.${rule}1 is empty: WeChat refuses empty values (${rule}).`);
      expect(accepts(`${rule}1`, '   ')).toBe(false);
    }
  });

  it('refuses control characters and lone surrogates even where any text goes', () => {
    expect(keywordProblem('thing1', 'two\nlines')).toBe('data.thing1 contains the control character U+000A.');
    expect(keywordProblem('thing1', 'half \ud83d')).toBe('data.thing1 is not well-formed Unicode (a lone surrogate U+D83D).');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(accepts('thing1', RARE_HAN.repeat(20))).toBe(true);
    expect(accepts('phrase1', RARE_HAN.repeat(5))).toBe(true);
    expect(accepts('phrase1', RARE_HAN.repeat(6))).toBe(false);
    expect(accepts('name1', RARE_HAN.repeat(10))).toBe(true);
  });

  it('says the field, the rule and what broke it', () => {
    expect(keywordProblem('thing1', '一二三四五六七八九十一二三四五六七八九十一')).toBe('data.thing1 (thing) must be at most 20 characters; it has 21: "一二三四五六七八九十一二三四五六七八九十一".');
    expect(keywordProblem('phrase3', 'shipped')).toBe('data.phrase3 (phrase) must be at most 5 Chinese characters and nothing else; it holds something else: "shipped".');
    expect(keywordProblem('amount2', '¥12345678901')).toMatch(/^data\.amount2 \(amount\) must be an amount: .*; it has 11 digits: "¥12345678901"\.$/);
  });

  it('takes only the template\'s values for an enum, and refuses when they are not known', () => {
    expect(keywordProblem('enum4', '已支付', ['待支付', '已支付'])).toBeUndefined();
    expect(keywordProblem('enum4', '已退款', ['待支付', '已支付'])).toBe('data.enum4 must be one of the template\'s enum values ("待支付", "已支付"); it is "已退款".');
    expect(keywordProblem('enum4', '已支付')).toMatch(/enum values were not given/);
  });

  it('refuses a keyword of a type it does not know rather than send it unchecked', () => {
    expect(keywordProblem('short_thing1', '好')).toMatch(/^data\.short_thing1: the keyword type of "short_thing1" is not one of WeChat's/);
  });
});

describe('the value rules hold for any value', () => {
  it('thing: any clean, non-blank text of at most 20 characters, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (value) => {
        const clean = ![...value].some((char) => char < ' ' || char === '\u007f') && value.trim().length > 0;
        expect(accepts('thing1', value)).toBe(clean && [...value].length <= 20);
      }),
      { numRuns: 2000 },
    );
  });

  it('letter, symbol, character_string, phone_number, phrase: their alphabet up to their length', () => {
    const rules: [string, fc.Arbitrary<string>, number][] = [
      ['letter1', from(LETTERS, 1, 40), 32],
      ['symbol1', from(SYMBOLS, 1, 8), 5],
      ['character_string1', from(LETTERS + DIGITS + SYMBOLS, 1, 40), 32],
      ['phone_number1', from(DIGITS + SYMBOLS, 1, 24), 17],
      ['phrase1', fc.string({ unit: han, minLength: 1, maxLength: 8 }), 5],
    ];
    for (const [key, values, max] of rules) {
      fc.assert(fc.property(values, (value) => expect(accepts(key, value)).toBe([...value].length <= max)));
    }
  });

  it('letter, symbol, character_string, phone_number, phrase: one character from outside the alphabet refuses the value', () => {
    const rules: [string, string, string][] = [
      ['letter1', LETTERS, `${DIGITS}${SYMBOLS} 中é`],
      ['symbol1', SYMBOLS, `${LETTERS}${DIGITS} ¥！。`],
      ['character_string1', LETTERS + DIGITS + SYMBOLS, ' 中１。'],
      ['phone_number1', DIGITS + SYMBOLS, `${LETTERS} 中`],
      ['phrase1', '已发货中', `${LETTERS}${DIGITS}${SYMBOLS} 。`],
    ];
    for (const [key, alphabet, outside] of rules) {
      fc.assert(
        fc.property(from(alphabet, 0, 3), fc.constantFrom(...outside), from(alphabet, 0, 1), (before, stranger, after) => {
          expect(accepts(key, `${before}${stranger}${after}`)).toBe(false);
        }),
      );
    }
  });

  it('number: digits with an optional decimal part, at most 32 characters in all', () => {
    fc.assert(
      fc.property(from(DIGITS, 1, 30), fc.option(from(DIGITS, 1, 6), { nil: undefined }), (whole, fraction) => {
        const value = fraction === undefined ? whole : `${whole}.${fraction}`;
        expect(accepts('number1', value)).toBe(value.length <= 32);
      }),
    );
  });

  it('amount: an optional currency symbol, at most 10 digits in all, an optional 元', () => {
    fc.assert(
      fc.property(fc.constantFrom('', '¥', '￥', '$'), from(DIGITS, 1, 9), fc.option(from(DIGITS, 1, 3), { nil: undefined }), fc.constantFrom('', '元'), (currency, whole, fraction, yuan) => {
        const digits = whole.length + (fraction?.length ?? 0);
        expect(accepts('amount1', `${currency}${whole}${fraction === undefined ? '' : `.${fraction}`}${yuan}`)).toBe(digits <= 10);
      }),
    );
  });

  const someDay = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true });
  const written = (day: Date, chinese: boolean): string =>
    chinese ? `${day.getUTCFullYear()}年${day.getUTCMonth() + 1}月${day.getUTCDate()}日` : day.toISOString().slice(0, 10);

  it('date and time: every real day in either writing, with or without a time, alone or as a range', () => {
    fc.assert(
      fc.property(someDay, fc.boolean(), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), (day, chinese, hour, minute) => {
        const date = written(day, chinese);
        const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
        expect(accepts('date1', date)).toBe(true);
        expect(accepts('date1', `${date} ${time}`)).toBe(true);
        expect(accepts('date1', `${date}~${date}`)).toBe(true);
        expect(accepts('time1', `${date} ${time}`)).toBe(true);
        expect(accepts('time1', `${time} ~ ${date} ${time}`)).toBe(true);
        expect(accepts('time1', date)).toBe(false);
        expect(accepts('date1', time)).toBe(false);
      }),
    );
  });

  it('date: a day the calendar does not have is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2099 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 29, max: 31 }), fc.boolean(), (year, month, day, chinese) => {
        const real = new Date(Date.UTC(year, month - 1, day)).getUTCMonth() === month - 1;
        const value = chinese ? `${year}年${month}月${day}日` : `${year}-${String(month).padStart(2, '0')}-${day}`;
        expect(accepts('date1', value)).toBe(real);
      }),
    );
  });

  it('name: with any Chinese at most 10 characters, else at most 20', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(han, fc.constantFrom(...LETTERS, ' ', '·', '-')), minLength: 1, maxLength: 24 }), (value) => {
        fc.pre(value.trim().length > 0);
        const chinese = [...value].some((char) => char >= '\u4e00' && char <= '\u9fa5');
        expect(accepts('name1', value)).toBe([...value].length <= (chinese ? 10 : 20));
      }),
    );
  });

  it('never throws, for any key and any text: it answers a sentence about data.<key> or nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEYWORD_RULES.map((rule) => `${rule}1`), 'short_thing1', 'x'), fc.string({ unit: 'binary', maxLength: 40 }), (key, value) => {
        const problem = keywordProblem(key, value, ['a']);
        if (problem !== undefined) expect(problem.startsWith(`data.${key}`)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('checkTemplateData checks a send against its template', () => {
  const keys = ['thing1', 'character_string2', 'date3'];
  const good = { thing1: '蓝色卫衣', character_string2: 'SF1234567890', date3: '2019年10月1日' };

  it('answers the data when every keyword keeps its rule', () => {
    expect(checkTemplateData(keys, good)).toEqual(good);
  });

  it('refuses data that is not an object, naming data', () => {
    for (const data of [undefined, null, 'x', ['蓝色卫衣']]) expect(refusal(keys, data)?.field).toBe('data');
  });

  it('refuses a key the template does not have, before anything else', () => {
    const error = refusal(keys, { ...good, thing1: '', thing9: 'extra' });
    expect(error?.toJSON()).toEqual({ code: 'INVALID_INPUT', field: 'data.thing9', message: 'data.thing9 is not a keyword of this template (its keywords: thing1, character_string2, date3).' });
  });

  it('refuses a missing keyword, naming it', () => {
    expect(refusal(keys, { thing1: '蓝色卫衣', date3: '2019-10-01' })?.field).toBe('data.character_string2');
  });

  it('refuses a value that is not text, and the first broken rule in the template\'s order', () => {
    expect(refusal(keys, { ...good, character_string2: 1234 })?.message).toBe('data.character_string2 must be text (a string), not number.');
    expect(refusal(keys, { ...good, thing1: '', date3: 'soon' })?.field).toBe('data.thing1');
    expect(refusal(keys, { ...good, date3: 'soon' })?.field).toBe('data.date3');
  });

  it('checks an enum against the values given for it', () => {
    expect(checkTemplateData(['enum1'], { enum1: '已支付' }, { enum1: ['已支付'] })).toEqual({ enum1: '已支付' });
    expect(refusal(['enum1'], { enum1: '已支付' }, { enum2: ['已支付'] })?.field).toBe('data.enum1');
  });

  it('is not fooled by keys of Object.prototype', () => {
    expect(refusal(['enum1'], { enum1: 'x' }, JSON.parse('{"__proto__": {"enum1": ["x"]}}'))?.field).toBe('data.enum1');
    expect(refusal(keys, JSON.parse('{"__proto__": "x"}'))?.field).toBe('data.__proto__');
    expect(refusal(['constructor1'], {})?.field).toBe('data.constructor1');
  });

  it('for any data throws only ValidationError naming data or one of its keys', () => {
    const value = fc.oneof(fc.string({ maxLength: 25 }), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys, 'thing9', 'toString'), value), (data) => {
        const error = refusal(keys, data);
        if (error === undefined) return;
        expect(['data', ...keys, 'thing9', 'toString'].map((key) => (key === 'data' ? key : `data.${key}`))).toContain(error.field);
      }),
    );
  });
});
