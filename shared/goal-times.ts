/**
 * Time from entry to goal, and its median. Times are whole seconds (the goal's event time less the
 * credited entry's), counted in buckets: one per second below 16 s, then eight per doubling (each
 * about 9 % wide). A day's rollup keeps each key's bucket counts, so that the median of any range of
 * days is read from their sums exactly as a day's is: exact below 16 s, and above it the geometric
 * middle of its bucket, within 4.4 % of the true median (and the half second it is rounded to). An exact median would need every time of a
 * range kept, and the day's times of a key grouped one by one: past the cloud's 100 MB per `$group`
 * at a million users.
 *
 * @example
 * timeBucket(90)             // 35: 90 s is in [2^(51/8), 2^(52/8)) = [83.0, 90.5)
 * medianSeconds({ '35': 3 }) // 87: the geometric middle of that bucket
 */

/** Below this, a bucket is one second. */
const EXACT_BELOW = 16;
const PER_DOUBLING = 8;
/** Bucket `EXACT_BELOW` starts at 2^(2·PER_DOUBLING / PER_DOUBLING) = 16 s: the scale continues there. */
const OFFSET = 2 * PER_DOUBLING;

/** The first second of bucket `b`. */
const lowerEdge = (b: number): number => (b < EXACT_BELOW ? b : Math.ceil(2 ** ((b + OFFSET) / PER_DOUBLING)));

/** The bucket of a time in whole seconds (negative times, a phone clock's leftover error, are 0). */
export function timeBucket(seconds: number): number {
  const s = Math.max(0, Math.floor(seconds));
  if (s < EXACT_BELOW) return s;
  // the logarithm only guesses: the edges, whole seconds, decide
  let b = Math.floor(PER_DOUBLING * Math.log2(s)) - OFFSET;
  while (lowerEdge(b + 1) <= s) b += 1;
  while (lowerEdge(b) > s) b -= 1;
  return b;
}

/** What a bucket stands for: its second below 16 s, the geometric middle of its edges above. */
const middleOf = (b: number): number => (b < EXACT_BELOW ? b : 2 ** ((b + OFFSET + 0.5) / PER_DOUBLING));

/**
 * The median of the times counted in `histogram` (bucket → count), in whole seconds: the middle
 * time's bucket (of an even count, the mean of the two middle ones'), or null when it counts none.
 */
export function medianSeconds(histogram: Readonly<Record<string, number>>): number | null {
  const buckets = Object.entries(histogram)
    .map(([bucket, count]) => [Number(bucket), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const n = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (n === 0) return null;
  const at = (rank: number): number => {
    let seen = 0;
    for (const [bucket, count] of buckets) {
      seen += count;
      if (rank < seen) return middleOf(bucket);
    }
    return middleOf(buckets[buckets.length - 1][0]);
  };
  return Math.round((at(Math.floor((n - 1) / 2)) + at(Math.floor(n / 2))) / 2);
}

/** Adds one histogram into another (a range's days, or a day's rows). */
export function addHistogram(into: Record<string, number>, from: Readonly<Record<string, number>>): Record<string, number> {
  for (const [bucket, count] of Object.entries(from)) into[bucket] = (Object.hasOwn(into, bucket) ? into[bucket] : 0) + count;
  return into;
}
