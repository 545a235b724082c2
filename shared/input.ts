/**
 * What every function checks about what a caller sends before any domain rule sees it: that a
 * value is a JSON object, that a text is clean, and what ajv found wrong, said as a message and
 * the dotted path of the field at fault (a refusal carries `{code, message, field?}`, never ajv's
 * own error objects: see shared/errors.ts).
 *
 * @example
 * textProblem('pages/a\u0000b') // → 'contains the control character U+0000'
 * describeErrors(validate.errors) // → { message: 'field "from" must match pattern …', field: 'from' }
 */
import type { ErrorObject } from 'ajv';
import { ValidationError } from './errors';

/** A JSON object: not null, not an array. */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const hex = (code: number): string => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a text is not clean, or undefined when it is. Unclean: a control character (U+0000–U+001F,
 * U+007F), which no path, key or id has any use for and which stores cannot all keep (a field name
 * cannot hold NUL), or a lone UTF-16 surrogate, which is not Unicode text at all and turns into
 * U+FFFD (or fails) on the way to UTF-8. Checked by code unit, because the cloud runs Node 18,
 * which lacks `String.prototype.isWellFormed`.
 */
export function textProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return `contains the control character ${hex(code)}`;
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return `is not well-formed Unicode (a lone surrogate ${hex(code)})`;
    i += 1;
  }
  return undefined;
}

/**
 * `text` cut to at most `max` UTF-16 code units, never between the two halves of a surrogate pair
 * (a cut there would make the lone surrogate that `textProblem` refuses).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** A caller's text as a message may show it: quoted, control characters escaped, at most 64 characters, a cut one ending in "…". */
export const quoted = (text: string): string => JSON.stringify(text.length > 64 ? `${clip(text, 63)}…` : text);

let graphemes: Intl.Segmenter | undefined;
/** Characters as people count them: grapheme clusters, so that a family emoji (five code points) or a flag (two) is one. */
const characters = (text: string): number => [...(graphemes ??= new Intl.Segmenter('zh', { granularity: 'grapheme' })).segment(text)].length;

/**
 * An operator's text (a channel's name, a tag, a card's title, a keyword): trimmed, then 1–`max`
 * characters counted as people count them (grapheme clusters: an emoji is one), no control characters.
 *
 * @throws ValidationError on `field`, saying it must be `what`
 */
export function readText(value: unknown, field: string, max: number, what: string): string {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const length = text === undefined ? 0 : characters(text);
  if (text === undefined || length === 0 || length > max || textProblem(text)) throw new ValidationError(`${field} must be ${what}: 1–${max} characters, no control characters.`, field);
  return text;
}

/**
 * Refuses an input with a field not in `known` (ValidationError naming the first such field, and
 * listing the known ones): a misspelt optional field must not be read as left out. `path` is where
 * the input sits in the call (`rules.keywords.0`), which the field's name then starts with; none
 * for the call itself or a part answered on its own (a row of `createChannels`, with its index).
 */
export function refuseUnknown(input: Record<string, unknown>, known: readonly string[], path = ''): void {
  const unknown = Object.keys(input).find((field) => !known.includes(field));
  // the field names the key as far as an answer carries a caller's text: its first 64 UTF-16 units
  if (unknown !== undefined) throw new ValidationError(`unknown field ${quoted(unknown)}${path ? ` in ${path}` : ''}: the fields are ${known.join(', ')}.`, path ? `${path}.${clip(unknown, 64)}` : clip(unknown, 64));
}

/**
 * Whether a JSON value nests at most `max` objects or arrays deep. Iterative, because the value
 * may be nested deeper than the stack is tall (a 10 KB body can nest 5,000 levels), which is what
 * this guards `JSON.stringify` and recursive validators against.
 */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return false;
    for (const inner of Object.values(current)) stack.push([inner, depth + 1]);
  }
  return true;
}

/** A validator as ajv's standalone code exports it (`dist/validators/`): whether `data` is valid, and if not, why. */
export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The path of the field an ajv error is about: [] for the input itself, [''] for a field named "". */
function pathOf(error: ErrorObject): string[] {
  const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return path;
}

/** Whether `error` is one of the reasons for `parent` (the failure of one of its anyOf branches). */
const isBranchOf = (error: ErrorObject, parent: ErrorObject): boolean => parent.keyword === 'anyOf' && error.schemaPath.startsWith(`${parent.schemaPath}/`);

/** Values of a list an `enum` refusal shows: the lists of Rukou's schemas (dimensions, models, days) are shorter. */
const ALLOWED_SHOWN = 12;

/** What an error wanted, in words; an `enum` names its values (ajv says only "must be equal to one of the allowed values"). */
function wantedBy(error: ErrorObject): string | undefined {
  if (error.keyword !== 'enum') return error.message;
  const values = (error.params as { allowedValues: unknown[] }).allowedValues;
  return `must be one of ${values.slice(0, ALLOWED_SHOWN).map((value) => JSON.stringify(value)).join(', ')}${values.length > ALLOWED_SHOWN ? ', …' : ''}`;
}

function phrase(error: ErrorObject, all: ErrorObject[]): string {
  const path = pathOf(error);
  const field = path.join('.');
  if (error.keyword === 'additionalProperties') return `unknown field ${quoted(field)}`;
  if (error.keyword === 'required') return `missing field ${quoted(field)}`;
  // anyOf only says that no branch matched: say what each branch wanted instead
  const wanted = error.keyword === 'anyOf' ? all.filter((branch) => isBranchOf(branch, error)).map(wantedBy).join(' or ') : wantedBy(error);
  return `field ${path.length > 0 ? quoted(field) : '"(input)"'} ${wanted || 'is invalid'}`;
}

/**
 * ajv's errors as one message (each problem once, in order) and, when every problem is about the
 * same field, that field (a field named "" included; the input itself is no field).
 */
export function describeErrors(errors: ErrorObject[] | null | undefined): { message: string; field?: string } {
  const all = errors ?? [];
  const reported = all.filter((error) => !all.some((parent) => isBranchOf(error, parent)));
  if (reported.length === 0) return { message: 'the input is invalid' };
  const paths = new Map(reported.map((error) => [JSON.stringify(pathOf(error)), pathOf(error)]));
  const [path] = paths.values();
  return { message: [...new Set(reported.map((error) => phrase(error, all)))].join('; '), ...(paths.size === 1 && path.length > 0 ? { field: path.join('.') } : {}) };
}
