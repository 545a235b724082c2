/**
 * `npm run screenshots`: the README's pictures of the dashboard, taken of the demo. Seeds the
 * whole demo into a fresh data directory (its days end today), signs in with Debian's chromium and
 * saves docs/dashboard.png (1280 px wide, the whole page: every section to retention and goals) and
 * docs/dashboard-phone.png (a phone's screen). Chinese text needs a CJK font on the machine (`apt-get install -y fonts-wqy-microhei`).
 */
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/emulator';
import { chartsDrawn, launchChromium, sectionsDrawn, signIn } from '../test/browser/dashboard';
import { seededEmulator } from '../test/helpers/demo';
import { DEMO } from './plan';

const SHOTS = [
  { file: 'dashboard.png', viewport: { width: 1280, height: 900 }, phone: false, fullPage: true },
  { file: 'dashboard-phone.png', viewport: { width: 390, height: 844 }, phone: true, fullPage: false },
];

async function main(): Promise<void> {
  const started = performance.now();
  const seeded = await seededEmulator({ days: DEMO.days, scale: 1 });
  const browser = await launchChromium();
  try {
    for (const shot of SHOTS) {
      const page = await browser.newPage({ viewport: shot.viewport, isMobile: shot.phone, hasTouch: shot.phone });
      await signIn(page, seeded.emulator.url, seeded.token);
      await sectionsDrawn(page);
      await chartsDrawn(page);
      const file = path.join(REPO_ROOT, 'docs', shot.file);
      await page.screenshot({ path: file, fullPage: shot.fullPage });
      console.log(`saved ${path.relative(REPO_ROOT, file)}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await seeded.stop();
  }
  console.log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
