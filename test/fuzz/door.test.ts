/**
 * The door fuzzed (README, "What is checked at the door"): paths no route serves (404), routes
 * asked with a method they do not take (each in its callers' shape), and the database's stats,
 * GET only, with any query and body.
 */
import fc from 'fast-check';
import { expectClientRefusal, expectEmulatorRefusal, fuzz, wireVerdict, type Verdict } from './harness';
import { anyBody, expectJson, fixtureEmulator, headerValue, JSON_TYPE, percent, queryString } from './routes';
import { oddText } from './values';

const fixture = fixtureEmulator();

// ————— the database's stats: GET only, any query, any body; it reads and writes nothing —————

for (const [route, shape] of [['/__rukou/database/stats', { logBytes: expect.any(Number), compactions: expect.any(Number), compacting: expect.any(Boolean), openTransactions: expect.any(Number) }]] as const) {
  fuzz(__filename, fixture.emulator, {
    name: `GET ${route}`,
    inputs: fc.record({ query: queryString, body: anyBody, header: headerValue }),
    mayWrite: () => false,
    async send({ query, body, header }): Promise<Verdict> {
      const answer = await fixture.request({ method: 'GET', path: `${route}${query}`, headers: { 'x-fuzz': header, ...(body === undefined ? {} : JSON_TYPE) }, body });
      expect(expectJson(answer)).toMatchObject(shape);
      return 'answered';
    },
  });
}

// ————— the door: paths no route serves, and routes asked with a method they do not take —————

/** Every route of the emulator (server.ts and each service), as the door matches them: a prefix ends in "/". */
const ROUTES: { method: string; prefix: string; face: 'wire' | 'client' | 'emulator' | 'cos'; exact?: boolean }[] = [
  { method: 'POST', prefix: '/admin', face: 'wire' },
  { method: 'POST', prefix: '/functions/', face: 'client' },
  { method: 'POST', prefix: '/triggers/', face: 'client' },
  { method: 'GET', prefix: '/__rukou/database/stats', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/functions/stats', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/openapi/calls', face: 'emulator' },
  { method: 'DELETE', prefix: '/__rukou/openapi/calls', face: 'emulator' },
  { method: 'POST', prefix: '/__rukou/wechat/cloudid', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/clock', face: 'emulator' },
  { method: 'POST', prefix: '/__rukou/clock', face: 'emulator' },
  { method: 'PUT', prefix: '/__rukou/storage/', face: 'cos' },
  { method: 'GET', prefix: '/__rukou/storage/', face: 'cos' },
  { method: 'GET', prefix: '/http/', face: 'emulator' },
  { method: 'POST', prefix: '/http/', face: 'emulator' },
  { method: 'GET', prefix: '/', face: 'emulator', exact: true },
  { method: 'GET', prefix: '/dashboard', face: 'emulator' },
  { method: 'GET', prefix: '/dashboard/', face: 'emulator' },
];
const routesOf = (route: string): typeof ROUTES => ROUTES.filter(({ prefix, exact }) => (prefix.endsWith('/') && !exact ? route.startsWith(prefix) : route === prefix));

const doorCase = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom(...ROUTES.map(({ prefix }) => prefix), '/', '/admin/', '/adminx', '/functions', '/__rukou', '/__rukou/clock/x', '/__rukou/storage', '//admin', '/%', '/%E4', '/functions/%', '/triggers/%zz', '/__rukou/storage/%'),
      fc.array(oddText(8), { maxLength: 3 }).map((segments) => `/${segments.map(percent).join('/')}`),
    ),
    body: fc.option(oddText(20), { nil: undefined }),
  })
  // a route asked with its own method is that route's target
  .filter(({ method, path: route }) => !routesOf(route).some((one) => one.method === method));

fuzz(__filename, fixture.emulator, {
  name: 'any other method and path',
  inputs: doorCase,
  mayWrite: () => false,
  async send({ method, path: route, body }): Promise<Verdict> {
    const answer = await fixture.request({ method, path: route, headers: body === undefined ? {} : JSON_TYPE, body });
    const candidates = routesOf(route);
    if (candidates.length === 0) {
      expectEmulatorRefusal(answer, 404, 'NOT_FOUND');
      return 'refused';
    }
    // the route's own refusal of a method it does not take, in its callers' shape
    switch (candidates[0].face) {
      case 'wire':
        expect(wireVerdict(answer)).toBe('refused');
        break;
      case 'client':
        expectClientRefusal(answer, -501007);
        break;
      case 'emulator':
        expectEmulatorRefusal(answer, 405);
        break;
      case 'cos':
        expect({ status: answer.status, type: answer.type, code: /<Code>(\w+)<\/Code>/.exec(answer.text)?.[1] }).toEqual({ status: 405, type: 'application/xml', code: 'MethodNotAllowed' });
    }
    return 'refused';
  },
});

