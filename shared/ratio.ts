/** 0 when the denominator is 0: an empty day has no ratio, and a document stays plain numbers. Rounded to 4 places. */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : 0;
}
