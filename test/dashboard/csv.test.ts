/** A field of the dashboard's CSV (dashboard/src/csv.ts): RFC 4180 quoting, and no text a spreadsheet runs as a formula. */
import { csvField } from '../../dashboard/src/csv';

test('quotes a field with a comma, a quote or a line break; numbers to their decimals', () => {
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('two\nlines')).toBe('"two\nlines"');
  expect(csvField(12.345, 2)).toBe('12.35');
  expect(csvField(-3)).toBe('-3');
});

test('writes a text a spreadsheet would take for a formula after a \', as text', () => {
  expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  for (const text of ['+1', '-1+2', '@SUM(A1)', '\tx', '\rx']) expect(csvField(text).replace(/^"/, '')).toMatch(/^'/);
  expect(csvField('门店-A')).toBe('门店-A');
  expect(csvField('1089')).toBe('1089');
});
