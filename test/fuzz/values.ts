/**
 * What the fuzzers send: values with the shapes that break code (wrong types, huge strings, deep
 * nesting, `$` and `.` keys, `__proto__`, lone surrogates and NUL, NaN and ±Infinity), and the one
 * encoder that turns them into the bytes a route reads.
 *
 * JSON cannot carry NaN or ±Infinity, so each reaches a route as its callers send it: a Mini
 * Program's JSON.stringify makes them null (`nonFinite`), a JSON text can still say `1e400` (which
 * parses to Infinity) or a bare `NaN` (which is not JSON: the door's refusal), and the SDK's EJSON
 * says `{"$numberDouble": "NaN"}` (the wire suite's own values). Big values are markers (`Huge`,
 * `Deep`, `Raw`) that print short in a counterexample and are only written out by `jsonText`.
 */
import fc from 'fast-check';

/** A string of `count` repetitions of `unit`, written out only when sent. */
export class Huge {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}

  get text(): string {
    return this.unit.repeat(this.count);
  }

  [fc.toStringMethod](): string {
    return `Huge(${JSON.stringify(this.unit)} × ${this.count})`;
  }
}

/** `levels` objects (`{"a": …}`) or arrays nested in each other around `null`. */
export class Deep {
  constructor(
    readonly levels: number,
    readonly kind: 'object' | 'array',
  ) {}

  get text(): string {
    return this.kind === 'object' ? `${'{"a":'.repeat(this.levels)}null${'}'.repeat(this.levels)}` : `${'['.repeat(this.levels)}null${']'.repeat(this.levels)}`;
  }

  [fc.toStringMethod](): string {
    return `Deep(${this.levels} ${this.kind}s)`;
  }
}

/** JSON text written as it is: `1e400` (Infinity once parsed), `-0`, or `NaN`, which no JSON reader takes. */
class Raw {
  constructor(readonly text: string) {}

  [fc.toStringMethod](): string {
    return `Raw(${this.text})`;
  }
}

/**
 * The JSON text of a value as a caller would send it: JSON.stringify's rules (NaN and ±Infinity
 * become null, undefined fields are left out, lone surrogates escaped), with the markers written out.
 */
export function jsonText(value: unknown): string {
  if (value instanceof Huge) return JSON.stringify(value.text);
  if (value instanceof Deep || value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : jsonText(item))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.keys(value).flatMap((key) => {
      const item = (value as Record<string, unknown>)[key];
      return item === undefined ? [] : [`${JSON.stringify(key)}:${jsonText(item)}`];
    });
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a route that parses JSON receives of a value, or undefined when its text is not JSON (a bare NaN). */
export function received(value: unknown): unknown {
  try {
    return JSON.parse(jsonText(value));
  } catch {
    return undefined;
  }
}

/**
 * What a function receives of a value sent through the client gateway: the body parsed, then
 * carried to the worker as JSON again, where ±Infinity (a `1e400` in the body) becomes null.
 */
export function delivered(value: unknown): unknown {
  const got = received(value);
  return got === undefined ? undefined : JSON.parse(JSON.stringify(got) ?? 'null');
}

/**
 * The event a function gets for a gateway request `{data}` (or `{}`), from the body as parsed
 * (`received`): missing or null data made {}, then carried to the worker as JSON (`delivered`'s
 * last step: -1e400 arrives as null, not as {}). The `userInfo` the gateway adds is left out:
 * every function drops it.
 */
export function eventOfBody(body: unknown): unknown {
  const data = (body as { data?: unknown }).data ?? {};
  return JSON.parse(JSON.stringify(data) ?? 'null');
}

/** An object with exactly these own fields, `__proto__` among them when named (a plain literal would set the prototype). */
export const objectOf = (entries: [string, unknown][]): Record<string, unknown> => Object.fromEntries(entries);

/** Characters that strain text handling: controls, NUL, lone surrogate halves, a pair, separators, `$`, `.`, escapes, names of Object's own properties. */
const ODD_UNITS = ['\u0000', '\u0001', '\u001f', '\u007f', '\u0080', '\u009f', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', '\u2028', '\u2029', '\ufeff', '\uffff', '$', '.', '%', '%00', '%2E', '%E4', '\\', '"', '/', '~', ' ', '首', '__proto__', 'constructor', 'toString'];
/** The controls and lone surrogate halves: what `track` calls unclean text. */
const UNCLEAN_UNITS = ['\u0000', '\u0001', '\n', '\u001f', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff'];
/** Clean, but every kind of clean: punctuation that means something to a database or a URL, C1 controls (allowed), astral characters. */
const CLEAN_ODD_UNITS = ['\u0080', '\u009f', '\ud83d\ude00', '\u2028', '\ufeff', '\uffff', '$', '.', '%', '%00', '%2E', '%E4', '\\', '"', '/', '~', ' ', '首', '__proto__', 'constructor'];

const asciiUnit = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 });
/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const cleanCodeUnit = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xffff })).map((code) => String.fromCharCode(code));

/** Text of every kind, clean or not. */
export const oddText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof({ weight: 4, arbitrary: asciiUnit }, { weight: 2, arbitrary: fc.constantFrom(...ODD_UNITS) }, { weight: 1, arbitrary: codeUnit }), maxLength });

/** Text without a control character or a lone surrogate, at most `max` code points (as ajv counts `maxLength`). */
export const cleanText = (max: number, min = 0): fc.Arbitrary<string> =>
  fc
    .string({ unit: fc.oneof({ weight: 4, arbitrary: asciiUnit }, { weight: 2, arbitrary: fc.constantFrom(...CLEAN_ODD_UNITS) }, { weight: 1, arbitrary: cleanCodeUnit }), minLength: min, maxLength: Math.min(max, 40) })
    .filter((text) => [...text].length <= max && [...text].length >= min);

/** Clean text with one unclean character put somewhere in it. */
export const uncleanText = (max: number): fc.Arbitrary<string> =>
  fc.tuple(cleanText(Math.max(0, max - 1)), fc.constantFrom(...UNCLEAN_UNITS), fc.nat()).map(([text, bad, at]) => {
    const points = [...text];
    const index = points.length === 0 ? 0 : at % (points.length + 1);
    return [...points.slice(0, index), bad, ...points.slice(index)].join('');
  });

/** Keys that mean something to a database, to JavaScript or to a path. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$where', '$set', '$numberDouble', 'a.b', '.', '$', '', ' ', '\u0000', '\ud800', '_id', 'x'.repeat(65)),
  oddText(12),
);

/** Numbers at the edges: -0, fractions, past 32 bits, past 2^53, the largest and smallest doubles, past a Date's range. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-0, 0.5, -1, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, Number.MIN_VALUE, 8.64e15 + 1, -8.64e15 - 1),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** NaN and ±Infinity as a Mini Program sends them (null, through JSON.stringify), as text, or as a JSON number too big for a double (±Infinity once parsed). */
const nonFinite: fc.Arbitrary<unknown> = fc.constantFrom(NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', new Raw('1e400'), new Raw('-1e400'));

export const hugeText = (minBytes: number, maxBytes: number): fc.Arbitrary<Huge> =>
  fc.tuple(fc.constantFrom('x', '首', '\ud83d\ude00', '\u0000', '"'), fc.integer({ min: minBytes, max: maxBytes })).map(([unit, bytes]) => new Huge(unit, Math.ceil(bytes / Buffer.byteLength(JSON.stringify(unit).slice(1, -1)))));

export const deep = (minLevels: number, maxLevels: number): fc.Arbitrary<Deep> => fc.tuple(fc.integer({ min: minLevels, max: maxLevels }), fc.constantFrom('object' as const, 'array' as const)).map(([levels, kind]) => new Deep(levels, kind));

const scalar: fc.Arbitrary<unknown> = fc.oneof(fc.constant(null), fc.boolean(), oddNumber, oddText(), nonFinite);

/** Any value JSON can say, nested a few levels, with odd keys, odd text and odd numbers. */
export const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 4 }).map(objectOf),
  ),
})).value;

/**
 * A value that is not of JSON type `type` once it arrives (`delivered` to a function by default,
 * or `received` by a route): NaN arrives as null, as JSON makes it.
 */
export function notOfType(type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array', arrival: (value: unknown) => unknown = delivered): fc.Arbitrary<unknown> {
  return fc.oneof(anyValue, hugeText(1, 64), deep(1, 40)).filter((value) => {
    const got = arrival(value);
    if (got === undefined) return false;
    switch (type) {
      case 'object':
        return typeof got !== 'object' || got === null || Array.isArray(got);
      case 'array':
        return !Array.isArray(got);
      case 'integer':
        return !Number.isInteger(got);
      default:
        return typeof got !== type;
    }
  });
}
