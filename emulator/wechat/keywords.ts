/**
 * What WeChat takes as the value of a subscription template's keyword, by the keyword's rule (the
 * key without its number: `thing1` is a `thing`). The table is WeChat's ("订阅消息参数值内容限制说明"
 * on the subscribeMessage.send page, README, Platform sources §D.1); the code is the
 * emulator's own (it never imports shared/, which holds Rukou's copy of the same rules).
 */

/** The rules of §D.1's table, by name. */
export const KEYWORD_RULES = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'time',
  'date',
  'amount',
  'phone_number',
  'car_number',
  'name',
  'phrase',
  'enum',
] as const;
export type KeywordRule = (typeof KEYWORD_RULES)[number];

const RULES: ReadonlySet<string> = new Set(KEYWORD_RULES);

/** The rule of a keyword from its key: `character_string12` → `character_string`; undefined for a key of no rule. */
export function ruleOf(key: string): KeywordRule | undefined {
  const match = /^([a-z_]+?)(\d+)$/.exec(key);
  return match && RULES.has(match[1]) ? (match[1] as KeywordRule) : undefined;
}

/** The keys of a template's content, in order: `商品名称:{{thing1.DATA}}\n…` → ['thing1', …]. */
export function templateKeys(content: string): string[] {
  return [...content.matchAll(/\{\{\s*([A-Za-z_]+\d+)\.DATA\s*\}\}/g)].map((match) => match[1]);
}

const HAN = /\p{Script=Han}/u;
const ALNUM = /^[A-Za-z0-9]$/;
/** An ASCII symbol: printable, neither a letter, a digit nor a space. */
const ASCII_SYMBOL = /^[!-/:-@[-`{-~]$/;
/** A symbol in the wider sense §D.1 uses for `symbol`: punctuation or a symbol of any script. */
const SYMBOL = /^[\p{P}\p{S}]$/u;

/** `2019年10月1日`, `2019-10-01` or `2019/10/01`. */
const DAY = String.raw`\d{4}(?:年\d{1,2}月\d{1,2}日|-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2})`;
/** `15:01` or `15:01:30`, 24-hour. */
const CLOCK = String.raw`(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?`;
const TIME_POINT = `(?:${DAY}\\s*)?${CLOCK}`;
const DATE_POINT = `${DAY}(?:\\s*${CLOCK})?`;
const range = (point: string): RegExp => new RegExp(`^${point}(?:\\s*~\\s*${point})?$`);
const TIME = range(TIME_POINT);
const DATE = range(DATE_POINT);
const CURRENCY = '[¥￥$€£₩]';
const AMOUNT = new RegExp(`^${CURRENCY}?\\d{1,10}(?:\\.\\d+)?元?$`);

/** Whether `value` (non-empty, as characters: code points) is one `rule` takes, by §D.1's table. */
export function valueFits(rule: KeywordRule, value: string): boolean {
  const chars = [...value];
  switch (rule) {
    case 'thing':
      return chars.length <= 20;
    case 'number':
      return chars.length <= 32 && /^\d+(?:\.\d+)?$/.test(value);
    case 'letter':
      return chars.length <= 32 && /^[A-Za-z]+$/.test(value);
    case 'symbol':
      return chars.length <= 5 && chars.every((c) => SYMBOL.test(c));
    case 'character_string':
      return chars.length <= 32 && chars.every((c) => ALNUM.test(c) || ASCII_SYMBOL.test(c));
    case 'time':
      return TIME.test(value);
    case 'date':
      return DATE.test(value);
    // "1 currency symbol + at most 10 digits, decimals allowed, may end with 元": read as an optional
    // symbol, since a value ending in 元 already names its currency
    case 'amount':
      return AMOUNT.test(value);
    case 'phone_number':
      return chars.length <= 17 && chars.every((c) => /^\d$/.test(c) || ASCII_SYMBOL.test(c));
    // at most 8; the first and the last may be Chinese (粤A12345, 粤A1234学), the rest letters or digits
    case 'car_number':
      return chars.length <= 8 && chars.every((c, i) => ALNUM.test(c) || (HAN.test(c) && (i === 0 || i === chars.length - 1)));
    // at most 10 Chinese characters, or 20 letters or symbols; a name with any Chinese counts as Chinese
    case 'name':
      if (!chars.every((c) => HAN.test(c) || /^[A-Za-z ]$/.test(c) || SYMBOL.test(c))) return false;
      return chars.length <= (chars.some((c) => HAN.test(c)) ? 10 : 20);
    case 'phrase':
      return chars.length <= 5 && chars.every((c) => HAN.test(c));
    // its values are the template's enum list, which the simulated templates do not carry: any is taken
    case 'enum':
      return true;
  }
}
