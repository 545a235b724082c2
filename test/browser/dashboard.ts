/**
 * What the browser suite and `npm run screenshots` share: Debian's chromium driven by
 * playwright-core, which downloads no browser of its own, and the dashboard signed in.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian puts its chromium (`apt-get install -y chromium`). */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const found = CHROMIUM.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`Debian's chromium is not installed (looked for ${CHROMIUM.join(', ')}): the browser tests drive it. Install it with \`apt-get install -y chromium\` (.ci/run does); nothing is downloaded at run time.`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

/** Opens the dashboard and signs in with `token`. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('[data-control="token"]', token);
  await page.click('button[type="submit"]');
}

/** Waits until every section has drawn (ready, or its error). */
export async function sectionsDrawn(page: Page): Promise<void> {
  // run in the page, as text: the suites compile without the DOM's types
  await page.waitForFunction(`(() => {
    const bodies = [...document.querySelectorAll('.panel-body')];
    return bodies.length > 0 && bodies.every((body) => ['ready', 'error'].includes(body.getAttribute('data-state')));
  })()`);
}

/** Waits until every chart on the page is drawn (charts draw on the frame after their section). */
export async function chartsDrawn(page: Page): Promise<void> {
  await page.waitForFunction('document.querySelectorAll(".chart svg").length === document.querySelectorAll(".chart").length');
}
