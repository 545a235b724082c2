/**
 * The README's notation for an answer, `{ from, to, top: [{ key, entries, zh? }], next? }`, read
 * as a shape: each object's keys (`?` optional), and the shapes of the objects and lists of
 * objects it holds. Anything else a key names (`[ids]`, `"…"`, an alternative `{ … } | { … }`
 * inside a list) is not looked into.
 */
export interface Shape {
  required: string[];
  optional: string[];
  /** The shape of a key's object, or of each element of its list (`list: true`). */
  nested: Record<string, { shape: Shape; list: boolean }>;
}

/** The shape of the first `{ … }` in `text` (backticks and line breaks ignored). */
export function shapeOf(text: string): Shape {
  const source = text.replace(/`/g, '').replace(/\\\|/g, '|').replace(/\s+/g, ' ');
  const start = source.indexOf('{');
  if (start < 0) throw new Error(`no { … } in ${text}`);
  let i = start;
  const space = (): void => {
    while (source[i] === ' ') i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at ${i} of ${source}`);
  };
  /** Skips a value this notation does not look into, up to the `,` or `}` that ends it. */
  const skipValue = (): void => {
    let depth = 0;
    for (; i < source.length; i++) {
      const c = source[i];
      if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
    }
  };
  const object = (): Shape => {
    if (source[i] !== '{') fail('expected {');
    i++;
    const shape: Shape = { required: [], optional: [], nested: {} };
    for (;;) {
      space();
      if (source[i] === '}') {
        i++;
        return shape;
      }
      const key = /^"?([A-Za-z_$][\w$]*)"?(\?)?/.exec(source.slice(i));
      if (!key) return fail('expected a key');
      i += key[0].length;
      (key[2] ? shape.optional : shape.required).push(key[1]);
      space();
      if (source[i] === ':') {
        i++;
        space();
        if (source[i] === '{') shape.nested[key[1]] = { shape: object(), list: false };
        else if (source[i] === '[' && source[i + 1] === '{') {
          i++;
          const element = object();
          space();
          if (source[i] === ']') {
            i++;
            shape.nested[key[1]] = { shape: element, list: true };
          } else skipValue();
          if (source[i] === ']') i++;
        } else skipValue();
      }
      space();
      if (source[i] === ',') i++;
      else if (source[i] !== '}') fail('expected , or }');
    }
  };
  return object();
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How `value` differs from `shape`: each key missing or not documented, by its path. */
export function differences(shape: Shape, value: unknown, path = 'answer'): string[] {
  if (!isObject(value)) return [`${path} is not an object: ${JSON.stringify(value)}`];
  const found: string[] = [];
  for (const key of shape.required) if (!Object.hasOwn(value, key)) found.push(`${path}.${key} is missing`);
  for (const key of Object.keys(value)) if (!shape.required.includes(key) && !shape.optional.includes(key)) found.push(`${path}.${key} is not documented`);
  for (const [key, { shape: inner, list }] of Object.entries(shape.nested)) {
    const held = value[key];
    if (held === undefined || held === null) continue;
    if (!list) found.push(...differences(inner, held, `${path}.${key}`));
    else if (!Array.isArray(held)) found.push(`${path}.${key} is not a list`);
    else held.forEach((element, index) => found.push(...differences(inner, element, `${path}.${key}.${index}`)));
  }
  return found;
}
