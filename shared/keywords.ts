/**
 * Subscription-message keywords: the rule of each keyword of a template, read from its key, and the
 * check of a send's data against those rules before anything reaches WeChat. WeChat answers a value
 * it does not like with 47003 for the whole send; checking first names the field while the operator
 * is still there to fix it.
 *
 * The rules are WeChat's value rules ("订阅消息参数值内容限制说明", Platform sources §D.1). Lengths
 * count Unicode code points, so an emoji or a rare Han character outside the BMP counts once. Where
 * §D.1 is silent, Rukou chooses what WeChat's own examples show, and errs on the strict side (a value
 * refused here is one the operator can rewrite; a value WeChat refuses fails the whole send):
 * - letters are the ASCII letters A–Z and a–z; digits are 0–9;
 * - symbols are the printable ASCII punctuation characters `!"#$%&'()*+,-./:;<=>?@[\]^_` and
 *   backtick, `{|}~`; a space is not a symbol (only a `name` may also hold spaces and the middle dot `·`);
 * - Chinese characters are those of the Han script (`\p{Script=Han}`), punctuation excluded;
 * - `thing` takes any clean text (control characters and lone surrogates are refused for every rule);
 * - `number` is digits with at most one decimal point inside (`12`, `88.88`), no sign, and the point
 *   counts towards the 32;
 * - `amount` is an optional currency symbol (`¥ ￥ $ € £`), digits with an optional decimal part,
 *   and an optional trailing `元` (`¥100.50`, `100元`, `100.50`); the 10 digits count the integer
 *   and decimal parts together;
 * - `date` and `time` points: a date written `2019年10月1日` or `2019-10-01` (month and day with one or
 *   two digits, a real calendar day), a time `15:01` or `15:01:00` (hour 0–23, one or two digits),
 *   a single space between date and time (optional after `日`); a range is two points joined by
 *   `~`, with optional spaces around it; a `time` point needs a time, a `date` point a date;
 * - `car_number` is 1 to 8 characters: letters and digits, the first and the last may be Chinese;
 * - `enum` can only be checked against the template's enum values; without them the value is
 *   refused, so a send never goes out unchecked;
 * - a value of spaces only is empty; a key whose rule is not in §D.1's table is refused.
 *
 * @example
 * keywordRule('character_string12')                     // 'character_string'
 * templateKeywords('商品:{{thing1.DATA}}\n单号:{{character_string2.DATA}}') // ['thing1', 'character_string2']
 * checkTemplateData(['thing1', 'phrase3'], { thing1: '蓝色卫衣', phrase3: '已发货' }) // the data, typed
 * checkTemplateData(['phrase3'], { phrase3: 'shipped' }) // throws ValidationError, field 'data.phrase3'
 */
import { ValidationError } from './errors';
import { isRecord, quoted, textProblem } from './input';
import { isChinaDay } from './time';

/** The keyword types of §D.1's value-rule table. */
export const KEYWORD_RULES = ['thing', 'number', 'letter', 'symbol', 'character_string', 'time', 'date', 'amount', 'phone_number', 'car_number', 'name', 'phrase', 'enum'] as const;

export type KeywordRule = (typeof KEYWORD_RULES)[number];

/** A send's data as operators write it: keyword key → value. */
export type TemplateData = Record<string, string>;

/** The enum values of a template's `enum` keywords, by key (`{ enum4: ['待支付', '已支付'] }`). */
export type EnumValues = Readonly<Record<string, readonly string[]>>;

const KEY_PATTERN = /^([a-z]+(?:_[a-z]+)*)(\d+)$/;
const RULES: ReadonlySet<string> = new Set(KEYWORD_RULES);

/**
 * The rule of a keyword from its key: the key without its trailing number (`thing1` → `thing`,
 * `character_string12` → `character_string`), or undefined when the key is not written that way or
 * names a type §D.1 does not list.
 */
export function keywordRule(key: string): KeywordRule | undefined {
  const match = KEY_PATTERN.exec(key);
  return match !== null && RULES.has(match[1]) ? (match[1] as KeywordRule) : undefined;
}

/**
 * The keyword keys of a template's content (`getTemplateList`'s `content`, where each keyword is
 * written `{{thing1.DATA}}`), each once, in the order they first appear.
 */
export function templateKeywords(content: string): string[] {
  const keys = [...content.matchAll(/\{\{([A-Za-z_]+\d+)\.DATA\}\}/g)].map((match) => match[1]);
  return [...new Set(keys)];
}

const SYMBOL = '!-\\/:-@\\[-`{-~';
const HAN = String.raw`\p{Script=Han}`;
const only = (characters: string): RegExp => new RegExp(`^[${characters}]+$`, 'u');
/**
 * A pattern built at its first use. A class of Han characters (`\p{Script=Han}`, Unicode tables)
 * takes V8 about 0.2 ms to build, 0.9 ms for the four, on every cold start of `admin` and
 * `messages`, which most calls never use (README, cold start).
 */
const atFirstUse = (make: () => RegExp): (() => RegExp) => {
  let made: RegExp | undefined;
  return () => (made ??= make());
};

const LETTERS_ONLY = only('A-Za-z');
const SYMBOLS_ONLY = only(SYMBOL);
const CHARACTER_STRING = only(`0-9A-Za-z${SYMBOL}`);
const PHONE_NUMBER = only(`0-9${SYMBOL}`);
const HAN_ONLY = atFirstUse(() => only(HAN));
const NAME = atFirstUse(() => only(`${HAN}A-Za-z${SYMBOL} \u00b7`));
const HAS_HAN = atFirstUse(() => new RegExp(HAN, 'u'));
const NUMBER = /^\d+(?:\.\d+)?$/;
const AMOUNT = /^[¥￥$€£]?(\d+)(?:\.(\d+))?元?$/;
const CAR_NUMBER = atFirstUse(() => new RegExp(`^[${HAN}A-Za-z0-9](?:[A-Za-z0-9]*[${HAN}A-Za-z0-9])?$`, 'u'));

const DATE = String.raw`(\d{4})(?:年(\d{1,2})月(\d{1,2})日|-(\d{1,2})-(\d{1,2}))`;
const TIME = String.raw`([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
const DATE_POINT = new RegExp(`^${DATE}(?:(?:(?<=日) ?| )${TIME})?$`);
const TIME_POINT = new RegExp(`^(?:${DATE}(?:(?<=日) ?| ))?${TIME}$`);

const length = (value: string): number => [...value].length;

/** Whether year, month and day (as written, one or two digits) name a real day of the calendar (2019-02-29 does not). */
const realDay = (year: string, month: string, day: string): boolean => isChinaDay(`${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`);

/** Whether `value` is one point of `pattern`, or two joined by `~`, each with a real date if it has one. */
function isPointOrRange(value: string, pattern: RegExp): boolean {
  const points = value.split(/ *~ */);
  if (points.length > 2) return false;
  return points.every((point) => {
    const match = pattern.exec(point);
    if (match === null) return false;
    if (match[1] === undefined) return true;
    return realDay(match[1], match[2] ?? match[4], match[3] ?? match[5]);
  });
}

const CHINESE = 'Chinese characters';
const SYMBOLS = 'symbols (ASCII punctuation)';
const LETTERS = 'letters (A–Z, a–z)';

/** What each rule asks, as a message says it, and why a value breaks it (undefined: it does not). */
const CHECKS: Record<Exclude<KeywordRule, 'enum'>, { says: string; problem(value: string): string | undefined }> = {
  thing: { says: `at most 20 characters`, problem: (value) => (length(value) > 20 ? `it has ${length(value)}` : undefined) },
  number: {
    says: 'a number of at most 32 characters: digits, with an optional decimal point',
    problem: (value) => (!NUMBER.test(value) ? 'it is not digits with an optional decimal point' : length(value) > 32 ? `it has ${length(value)}` : undefined),
  },
  letter: { says: `at most 32 ${LETTERS}`, problem: (value) => (!LETTERS_ONLY.test(value) ? 'it holds something else' : length(value) > 32 ? `it has ${length(value)}` : undefined) },
  symbol: { says: `at most 5 ${SYMBOLS}`, problem: (value) => (!SYMBOLS_ONLY.test(value) ? 'it holds something else' : length(value) > 5 ? `it has ${length(value)}` : undefined) },
  character_string: {
    says: `at most 32 digits, ${LETTERS} or ${SYMBOLS}`,
    problem: (value) => (!CHARACTER_STRING.test(value) ? 'it holds something else' : length(value) > 32 ? `it has ${length(value)}` : undefined),
  },
  time: {
    says: 'a 24-hour time with an optional date before it (15:01, 2019年10月1日 15:01, 2019-10-01 15:01), or two joined by ~',
    problem: (value) => (isPointOrRange(value, TIME_POINT) ? undefined : 'it is not written that way, or names no real day'),
  },
  date: {
    says: 'a date with an optional 24-hour time after it (2019年10月1日, 2019-10-01 15:01), or two joined by ~',
    problem: (value) => (isPointOrRange(value, DATE_POINT) ? undefined : 'it is not written that way, or names no real day'),
  },
  amount: {
    says: 'an amount: an optional currency symbol (¥ ￥ $ € £), at most 10 digits with an optional decimal part, an optional 元 (¥100.50, 100元)',
    problem: (value) => {
      const match = AMOUNT.exec(value);
      if (match === null) return 'it is not written that way';
      const digits = match[1].length + (match[2]?.length ?? 0);
      return digits > 10 ? `it has ${digits} digits` : undefined;
    },
  },
  phone_number: {
    says: `at most 17 digits or ${SYMBOLS} (+86-0766-66888866)`,
    problem: (value) => (!PHONE_NUMBER.test(value) ? 'it holds something else' : length(value) > 17 ? `it has ${length(value)}` : undefined),
  },
  car_number: {
    says: `at most 8 characters: ${LETTERS} and digits, the first and the last may be Chinese (粤A8Z888)`,
    problem: (value) => (!CAR_NUMBER().test(value) ? 'it holds something else, or Chinese inside' : length(value) > 8 ? `it has ${length(value)}` : undefined),
  },
  name: {
    says: `at most 10 ${CHINESE}, or at most 20 ${LETTERS}, spaces, · or ${SYMBOLS}; a name with any Chinese counts as Chinese`,
    problem: (value) => {
      if (!NAME().test(value)) return 'it holds something else (digits?)';
      const max = HAS_HAN().test(value) ? 10 : 20;
      return length(value) > max ? `it has ${length(value)}` : undefined;
    },
  },
  phrase: { says: `at most 5 ${CHINESE} and nothing else`, problem: (value) => (!HAN_ONLY().test(value) ? 'it holds something else' : length(value) > 5 ? `it has ${length(value)}` : undefined) },
};

/**
 * Why `value` breaks the rule of keyword `key`, as a sentence naming the field `data.<key>` and the
 * rule (§D.1), or undefined when it keeps it. `enumValues` are the values the template allows for an
 * `enum` keyword.
 */
export function keywordProblem(key: string, value: string, enumValues?: readonly string[]): string | undefined {
  const field = `data.${key}`;
  const rule = keywordRule(key);
  if (rule === undefined) return `${field}: the keyword type of "${key}" is not one of WeChat's (${KEYWORD_RULES.join(', ')}), so its values cannot be checked.`;
  if (value.trim().length === 0) return `${field} is empty: WeChat refuses empty values (${rule}).`;
  const unclean = textProblem(value);
  if (unclean !== undefined) return `${field} ${unclean}.`;
  if (rule === 'enum') {
    if (enumValues === undefined) return `${field} is an enum keyword, and the template's enum values were not given, so it cannot be checked.`;
    return enumValues.includes(value) ? undefined : `${field} must be one of the template's enum values (${enumValues.map((option) => quoted(option)).join(', ')}); it is ${quoted(value)}.`;
  }
  const check = CHECKS[rule];
  const problem = check.problem(value);
  return problem === undefined ? undefined : `${field} (${rule}) must be ${check.says}; ${problem}: ${quoted(value)}.`;
}

/**
 * Checks a send's `data` (`{ "<key>": "<value>" }`, every value a string) against the template's
 * keyword keys (`templateKeywords`) and their rules (§D.1): every key of the template must be given,
 * no other key may be, and each value must keep its keyword's rule. `enumValues` gives the allowed
 * values of `enum` keywords. Answers the data, typed.
 *
 * Throws ValidationError at the first problem, in the template's key order after unknown keys:
 * field `data` when data is not an object, else `data.<key>`, with a message that says the rule.
 */
export function checkTemplateData(keys: readonly string[], data: unknown, enumValues: EnumValues = {}): TemplateData {
  if (!isRecord(data)) throw new ValidationError(`data must be an object of keyword → value, e.g. { "${keys[0] ?? 'thing1'}": "…" }.`, 'data');
  const known = new Set(keys);
  const unknown = Object.keys(data).find((key) => !known.has(key));
  if (unknown !== undefined) throw new ValidationError(`data.${unknown} is not a keyword of this template (its keywords: ${keys.join(', ')}).`, `data.${unknown}`);
  for (const key of keys) {
    const value = Object.hasOwn(data, key) ? data[key] : undefined;
    if (value === undefined) throw new ValidationError(`data.${key} is missing: the template needs every keyword (${keys.join(', ')}).`, `data.${key}`);
    if (typeof value !== 'string') throw new ValidationError(`data.${key} must be text (a string), not ${value === null ? 'null' : typeof value}.`, `data.${key}`);
    const problem = keywordProblem(key, value, Object.hasOwn(enumValues, key) ? enumValues[key] : undefined);
    if (problem !== undefined) throw new ValidationError(problem, `data.${key}`);
  }
  return data as TemplateData;
}
