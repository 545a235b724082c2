/** 0 when the denominator is 0: an empty day has no ratio, and a document stays plain numbers. Rounded to 4 places. */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : 0;
}

/**
 * Rounded to 4 places like `ratio`, but null when the denominator is 0: for a ratio whose
 * numerator can be more than 0 without it (return opens of cards shared on earlier days, on a day
 * nobody shared), where 0 would read as "none".
 */
export function ratioOrNull(numerator: number, denominator: number): number | null {
  return denominator > 0 ? ratio(numerator, denominator) : null;
}
