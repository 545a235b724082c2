/**
 * A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). A text that a
 * spreadsheet would take for a formula (starting with =, +, -, @, a tab or a carriage return: a
 * channel named "=HYPERLINK(…)") is written after a ', which makes it text (OWASP, CSV injection).
 */
export function csvField(value: string | number, digits = 0): string {
  const text = typeof value === 'number' ? value.toFixed(digits) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
