/**
 * A text as a spreadsheet shows it instead of running it: one starting like a formula (=, +, -, @,
 * a tab or a carriage return: a channel named "=HYPERLINK(…)") is written after a ', which makes it
 * text (OWASP, CSV injection).
 */
export const formulaSafe = (text: string): string => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180): a number to `digits` decimals, a text made formula-safe. */
export function csvField(value: string | number, digits = 0): string {
  const text = typeof value === 'number' ? value.toFixed(digits) : formulaSafe(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
