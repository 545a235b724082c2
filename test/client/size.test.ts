/** The tracker ships inside every user's Mini Program package: it stays under its 8 KB budget. */
const { measure } = require('../../scripts/tracker-size.js') as { measure: () => Promise<{ minified: number; gzipped: number; goal: number }> };

test('the tracker, bundled and minified, is under 8 KB', async () => {
  const size = await measure();
  expect(size.goal).toBe(8192);
  expect(size.minified).toBeGreaterThan(1000);
  expect(size.minified).toBeLessThan(size.goal);
});
