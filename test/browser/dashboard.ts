/**
 * What the browser suite and `npm run screenshots` share: Debian's chromium driven by
 * playwright-core, which downloads no browser of its own, and the dashboard signed in; and the
 * suites' reading of the CSVs the page makes.
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

/** `admin` at the emulator `url` over HTTP access with the operator's `token`, as the page calls it. */
export async function adminOver<T>(url: string, token: string, action: string, input: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${url}/http/admin`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ action, ...input }) });
  if (response.status !== 200) throw new Error(`admin ${action} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
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

/** RFC 4180 records of a CSV text. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  return records;
}

/**
 * From here on the page's CSV links are kept, not followed: with ten downloads from one page, one
 * click at times raised no download event on a loaded machine (Chromium limits a page's repeated
 * downloads; why it held that one back is not known), so the test reads each CSV from the link the
 * page made, which is what the browser saves. One download, before, is saved for real.
 */
export async function keepCsvLinks(page: Page): Promise<void> {
  await page.evaluate(`HTMLAnchorElement.prototype.click = function () {
    if (this.download) document.body.setAttribute('data-kept-csv', JSON.stringify({ name: this.download, href: this.href }));
  }`);
}

/** The CSV of the table `name`, from the link the page made for it (keepCsvLinks). */
export async function keptCsv(page: Page, name: string): Promise<string> {
  await page.evaluate(`document.body.removeAttribute('data-kept-csv')`);
  await page.click(`[data-csv="${name}"]`);
  await page.waitForSelector('body[data-kept-csv]', { state: 'attached' });
  const { name: file, href } = JSON.parse((await page.getAttribute('body', 'data-kept-csv')) ?? '{}') as { name: string; href: string };
  if (file !== `rukou-${name}.csv` || !href.startsWith('data:text/csv;charset=utf-8,')) throw new Error(`the CSV button of ${name} made ${file} at ${href.slice(0, 40)}…, not rukou-${name}.csv as a data: URL`);
  return decodeURIComponent(href.slice(href.indexOf(',') + 1));
}
