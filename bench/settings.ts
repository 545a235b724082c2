/**
 * A bench's size, rounds or seed from its environment variable: the default when unset or blank,
 * else a whole number within [min, max] ("1e7" is ten million). Anything else ends the bench before
 * it starts, naming the variable, with exit status 2: read as they were, "abc" events made a heap
 * flag of NaN, 0 rounds printed an empty table as a result, and -5 users a day whose checks passed.
 */
export function setting(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  const range = (n: number): string => n.toLocaleString('en');
  console.error(`${name} must be a whole number from ${range(min)} to ${range(max)} (unset: ${range(fallback)}), not ${JSON.stringify(process.env[name])}`);
  process.exit(2);
}
