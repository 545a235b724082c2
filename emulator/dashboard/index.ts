import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sendBytes, sendJson } from '../http';
import { HTTP_ACCESS_PREFIX } from '../http-access';
import type { Route, Service } from '../server';

/** dist/dashboard/, which the build writes beside dist/rukou.js (where this module is bundled). */
const DASHBOARD_DIR = path.join(__dirname, 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * What the page reads to find `admin`: here, the emulator's HTTP access route; the copy the build
 * writes into dist/dashboard/ says `/admin`, the path README's deploy gives `admin`'s HTTP access
 * on the domain that also serves the page from static hosting.
 */
const LOCAL_CONFIG = { adminUrl: `${HTTP_ACCESS_PREFIX}admin` };

/**
 * The web dashboard (`dashboard/`, built into dist/dashboard/): `GET /` and `GET /dashboard` send
 * the browser to `/dashboard/`, which serves the built files as static hosting would.
 */
export function dashboardService(): Service {
  async function serve(_req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    // normalized first, so that `./config.json` is this answer too, not the built file's
    const file = path.posix.normalize(decodeURIComponent(rest) || 'index.html');
    if (file === 'config.json') return sendJson(res, 200, LOCAL_CONFIG);
    const full = path.resolve(DASHBOARD_DIR, file);
    // a path ending in `/` names a folder, which static hosting answers with its index.html: the dashboard has no folder but its own
    if (file.endsWith('/') || !full.startsWith(DASHBOARD_DIR + path.sep) || !fs.existsSync(full) || !fs.statSync(full).isFile()) {
      const built = fs.existsSync(path.join(DASHBOARD_DIR, 'index.html'));
      return sendJson(res, 404, { code: 'NOT_FOUND', message: built ? `the dashboard has no file ${JSON.stringify(file)}` : 'the dashboard is not built: run `npm run build`' });
    }
    sendBytes(res, 200, await fs.promises.readFile(full), TYPES[path.extname(full)] ?? 'application/octet-stream');
  }
  // `/` and `/dashboard` send the browser to `/dashboard/`, where the page's relative URLs (app.js, config.json) resolve
  const toDashboard = (prefix: string): Route => ({
    method: 'GET',
    prefix,
    exact: true,
    handle(_req, res) {
      res.writeHead(302, { location: '/dashboard/' });
      res.end();
      return Promise.resolve();
    },
  });
  return { routes: [toDashboard('/'), toDashboard('/dashboard'), { method: 'GET', prefix: '/dashboard/', handle: serve }] };
}
