/**
 * cloudbaserc.json's functions as the CloudBase CLI deploys them: each entry with the file's
 * `functionDefaultConfig` under it, merged as @cloudbase/cli 2.12.10 merges them
 * (`lodash.merge({}, config.functionDefaultConfig, rawConfig)`), so that a function's own value wins
 * and its `envVariables` add to the default's one by one; and the memory sizes the cloud takes.
 * One reading for the emulator (project.ts) and for the deploy (scripts/deploy/plan.js and
 * checks.js, which read it built, dist/cloudbaserc.js), so that a function runs here with the
 * settings the cloud gets.
 *
 * @example
 *   declaredFunctions({ functionDefaultConfig: { timeout: 10, envVariables: { A: 'a' } }, functions: [{ name: 'f', envVariables: { B: 'b' } }] })
 *   // → [{ timeout: 10, envVariables: { A: 'a', B: 'b' }, name: 'f' }]
 */

import { isJsonObject } from './json-object';

/**
 * The memory a function may have, MB, and what the CLI gives one that names none (`func.memorySize
 * || 256`, @cloudbase/cli 2.12.10): CloudBase's function configuration
 * (docs.cloudbase.net/en/cli-v1/functions/configs, Platform sources §A.4).
 */
export const MEMORY_SIZES: readonly number[] = [128, 256, 512, 1024, 2048];
export const DEFAULT_MEMORY_MB = 256;

/** `over` merged into `base` as lodash.merge merges them: objects field by field, arrays element by element, anything else replaced. */
function merged(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    over.forEach((value, i) => (out[i] = merged(out[i], value)));
    return out;
  }
  if (!isJsonObject(base) || !isJsonObject(over)) return over;
  const out = { ...base };
  // lodash.merge never reads a `__proto__` key (its safeGet): JSON.parse makes one an own field
  for (const [key, value] of Object.entries(over)) if (key !== '__proto__') out[key] = merged(out[key], value);
  return out;
}

/**
 * Each entry of `functions`, in its order, with `functionDefaultConfig` under it, of the shape
 * `Entry` the caller reads it as (JSON as written, unchecked, like any file read here).
 */
export function declaredFunctions<Entry = Record<string, unknown>>(rc: { functions?: unknown; functionDefaultConfig?: unknown }): Entry[] {
  const entries: unknown[] = Array.isArray(rc.functions) ? rc.functions : [];
  return entries.map((entry) => merged(merged({}, rc.functionDefaultConfig), entry) as Entry);
}

/**
 * The names declared more than once among `functions`, each once: the CLI deploys the entries five
 * at a time (@cloudbase/cli 2.12.10 deployAllFunction), so which entry's settings the cloud keeps
 * would be a race. The emulator refuses to start on them and the deploy to send them.
 */
export function repeatedNames(functions: readonly { name: string }[]): string[] {
  const names = functions.map((fn) => fn.name);
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}
