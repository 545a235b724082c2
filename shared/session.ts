/**
 * Sessions. A user's session starts at their first entry of the day and at every entry that comes
 * `SESSION_GAP_MS` or more after their previous entry (event time). The tracker uses the same gap
 * to tell a real return from a pause (`miniprogram/tracker`, kept equal by a test), the track
 * plan to count a card once per session, and the rollup to count sessions.
 */
export const SESSION_GAP_MS = 30 * 60_000;

/** Cards remembered per session: a session that opens more cards than this may count an early one twice. */
export const MAX_SESSION_RETURNS = 20;

/** Whether two entries' event times (epoch ms) fall in one session. */
export const sameSession = (a: number, b: number): boolean => Math.abs(a - b) < SESSION_GAP_MS;
