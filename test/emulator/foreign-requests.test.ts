/**
 * The emulator has no credentials (a caller names its user in a header), so it serves no page of
 * another site (emulator/http.ts, foreignRequestProblem): not a form or fetch with another Origin,
 * which would have granted consents or moved the clock, and not a DNS-rebinding page, whose Host is
 * its own name, which could have read the operator's data. Its own pages and tools still reach it.
 */
import http from 'node:http';
import { emulatorNow, FIXTURE_PROJECT, startEmulator, type RunningEmulator } from '../helpers/emulator';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
});

afterAll(async () => {
  await emulator.stop();
});

/** A request with the headers a browser would send (fetch may not set Host), and its answer. */
function send(path: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; text: string }> {
  const { port } = new URL(emulator.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a page of another site is refused on every face, and changes nothing', async () => {
  const port = new URL(emulator.url).port;
  const before = await emulatorNow(emulator.url);
  const moved = await send('/__rukou/clock', { origin: 'https://evil.example' }, '{"advance":"1d"}');
  expect(moved.status).toBe(403);
  expect(JSON.parse(moved.text)).toEqual({ code: 'INVALID_PARAM', message: expect.stringContaining('"https://evil.example" may not call the emulator') });
  expect(await emulatorNow(emulator.url)).toBeLessThan(before + 86_400_000);
  // a simple form post: no preflight, so only the emulator can refuse it
  expect(JSON.parse((await send('/functions/whoami', { origin: 'null', 'content-type': 'text/plain' })).text)).toMatchObject({ errCode: -501007 });
  // DNS rebinding: the page's own name, now pointing at 127.0.0.1, with any header it likes
  const rebound = await send('/functions/whoami', { host: `rebind.attacker.example:${port}`, 'x-wx-openid': 'o-operator' });
  expect(JSON.parse(rebound.text)).toEqual({ errCode: -501007, errMsg: expect.stringContaining('"rebind.attacker.example') });
  expect(JSON.parse((await send('/admin', { host: `rebind.attacker.example:${port}` }, '{"action":"database.getDocument"}')).text)).toMatchObject({ code: 'INVALID_PARAM' });
  expect((await send('/http/whoami', { host: `127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
  // a storage URL, as COS refuses: 403 AccessDenied, not a fault of the emulator's
  const stored = await send('/__rukou/storage/rukou-fixture/a.txt', { origin: 'https://evil.example' });
  expect({ status: stored.status, code: /<Code>(\w+)<\/Code>/.exec(stored.text)?.[1] }).toEqual({ status: 403, code: 'AccessDenied' });
});

test("the emulator's own pages and tools are served: its own Origin, its loopback names, no Origin", async () => {
  const port = new URL(emulator.url).port;
  const ways: Record<string, string>[] = [{}, { origin: `http://127.0.0.1:${port}` }, { origin: `http://localhost:${port}`, host: `localhost:${port}` }];
  for (const headers of ways) {
    expect(JSON.parse((await send('/functions/whoami', { 'x-wx-openid': 'o-local', ...headers }, '{"data":{}}')).text)).toMatchObject({ result: { wxContext: { OPENID: 'o-local' } } });
  }
});
