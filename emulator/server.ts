import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { clockService, type ClockService } from './clock';
import { BackendError } from './errors';
import { checkPath, foreignRequestProblem, Refusal, readWireParams, refuseAsEmulator, sendBytes, sendJson, type Params } from './http';
import { InvocationRegistry } from './invocations';
import { lockDataDir, takenOver } from './lock';
import { createLogger, type Logger } from './log';
import { loadProject, type Project } from './project';
import { provideLocalSecrets } from './secrets';
import { EMULATOR_HEADER, VERSION } from './signature';

/** What a service answers to one admin action: a JSON object, or raw bytes (wx.openApi's protobuf). */
export type AdminAnswer = Record<string, unknown> | Buffer;
export interface AdminCall {
  params: Params;
  headers: IncomingHttpHeaders;
}
export type AdminAction = (call: AdminCall) => Promise<AdminAnswer> | AdminAnswer;

/**
 * An HTTP face of a service: a method and a path, a prefix when it ends in `/` (`rest` is what
 * follows it, still percent-encoded but known to decode) and the whole path otherwise or when
 * `exact` (`/` itself, which would otherwise be the prefix of every path).
 */
export interface Route {
  method: string;
  prefix: string;
  exact?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void>;
  /**
   * How this face answers a request it refuses (an unreadable path or body, a wrong method), in
   * the shape its callers read; `{code, message}` with the refusal's status when absent.
   */
  refuse?(res: ServerResponse, refusal: Refusal): void;
}

/** One emulated backend service: the admin actions it serves, its own routes, its shutdown. */
export interface Service {
  actions?: Record<string, AdminAction>;
  routes?: Route[];
  close?(): Promise<void>;
}

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  projectRoot: string;
  verbose: boolean;
  /** Fire timer triggers as the clock passes them (tests turn this off and fire them explicitly). */
  timers: boolean;
  /** Start the emulator's clock at this instant (epoch ms) instead of the machine's time. */
  clock?: number;
}

/** Everything a service may need from the running emulator. */
export interface EmulatorContext {
  options: EmulatorOptions;
  project: Project;
  log: Logger;
  invocations: InvocationRegistry;
  /** Looks up a service started earlier (by its factory), e.g. the functions runtime for triggers. */
  service<T extends Service>(factory: ServiceFactory): T;
  /** http://127.0.0.1:PORT, known once listening. */
  url(): string;
}

export interface Emulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

export type ServiceFactory = (context: EmulatorContext) => Promise<Service> | Service;

/**
 * Starts the local CloudBase: one HTTP server on 127.0.0.1 in front of the services. The real
 * wx-server-sdk sends every call to POST /admin with an `action` field; services register the
 * actions they serve and any routes of their own. It holds its data directory's lock
 * (lock.ts) from before it reads or writes anything there until it has closed. A start that is
 * refused (a project it cannot run, a port taken) leaves the directory as it found it.
 *
 * @throws DataDirInUse when another running emulator holds the data directory
 */
export async function startEmulator(options: EmulatorOptions, factories: ServiceFactory[]): Promise<Emulator> {
  const log = createLogger(options.verbose);
  const lock = lockDataDir(options.dataDir);
  if (lock.tookOverFrom !== undefined) log.info(takenOver(options.dataDir, lock.tookOverFrom));
  try {
    // the secrets first: the project's `{{env.X}}` are filled from them
    provideLocalSecrets(options.dataDir);
    const project = loadProject(options.projectRoot);
    if (project.functions.size === 0) log.warn(`no cloud function under ${project.functionRoot}: a function is a folder there with its package.json (the wrong --project?)`);
    const emulator = await startServer(options, project, log, factories);
    return {
      ...emulator,
      async close() {
        await emulator.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.abandon();
    throw error;
  }
}

/** The server and its services, started in order; a service that fails to start stops the server. */
async function startServer(options: EmulatorOptions, project: Project, log: Logger, factories: ServiceFactory[]): Promise<Emulator> {
  let baseUrl = '';
  const started = new Map<ServiceFactory, Service>();
  const context: EmulatorContext = {
    options,
    project,
    log,
    invocations: new InvocationRegistry(),
    url: () => baseUrl,
    service<T extends Service>(factory: ServiceFactory): T {
      const service = started.get(factory);
      if (!service) throw new Error('a service asked for another that has not started yet: check the order in services.ts');
      return service as T;
    },
  };

  const actions = new Map<string, AdminAction>();
  const routes: Route[] = [];
  const services: Service[] = [];
  const server = createServer((req, res) => {
    res.setHeader(EMULATOR_HEADER, VERSION);
    void dispatch(req, res).catch((error: unknown) => {
      log.warn(`${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
      res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;

  const matches = (route: Route, path: string): boolean => (route.prefix.endsWith('/') && !route.exact ? path.startsWith(route.prefix) : path === route.prefix);

  /**
   * The door. Finds the route by path and method (HEAD as GET), refuses a wrong method or an undecodable path in that
   * route's shape, and answers anything a route throws as that route's refusal: whatever a caller
   * sends gets an answer, and only the emulator's own faults answer 500.
   */
  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const candidates = routes.filter((route) => matches(route, path));
    if (candidates.length === 0) return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route for ${req.method} ${path}` });
    // HEAD is GET without the body, which Node leaves out of a HEAD's answer itself (RFC 9110 §9.3.2)
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = candidates.find((r) => r.method === method) ?? candidates[0];
    try {
      const foreign = foreignRequestProblem(req.headers, (server.address() as AddressInfo).port);
      if (foreign) throw new Refusal(403, foreign);
      if (route.method !== method) {
        res.setHeader('allow', candidates.map((r) => r.method).join(', '));
        throw new Refusal(405, `${path} takes ${candidates.map((r) => r.method).join(' or ')}, not ${req.method}`);
      }
      checkPath(path);
      await route.handle(req, res, path.slice(route.prefix.length));
    } catch (error) {
      if (!(error instanceof Refusal)) log.warn(`${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
      const refusal = error instanceof Refusal ? error : new Refusal(500, String(error), 'SYS_ERR');
      if (res.headersSent) res.destroy();
      else if (route.refuse) route.refuse(res, refusal);
      else refuseAsEmulator(res, refusal);
    }
  }

  /** `POST /admin`: the backend answers everything with HTTP 200 and `{code, message}` in the body, which is all the SDK reads. */
  async function admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    let action = '?';
    try {
      const params = await readWireParams(req);
      if (typeof params.action !== 'string') throw new BackendError('INVALID_ACTION', 'the body must name an action, e.g. {"action": "database.getDocument", …}');
      action = params.action;
      const handler = actions.get(action);
      if (!handler) throw new BackendError('INVALID_ACTION', `the emulator does not serve the action "${action}"`);
      const serve = (): Promise<AdminAnswer> | AdminAnswer => handler({ params, headers: req.headers });
      // a request of an invocation at its own instant is served at it: the database's time, a cloudID's expiry …
      const offsetMs = context.invocations.lookup(params.wxCloudApiToken)?.clockOffsetMs;
      const answer = await (offsetMs === undefined ? serve() : context.service<ClockService>(clockService).clock.within(offsetMs, serve));
      if (Buffer.isBuffer(answer)) sendBytes(res, 200, answer);
      else sendJson(res, 200, { requestId, ...answer });
      log.call('admin', action, performance.now() - started, 'ok');
    } catch (error) {
      const code = error instanceof BackendError ? error.code : 'SYS_ERR';
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof BackendError)) log.warn(`admin ${action}: ${error instanceof Error ? error.stack : message}`);
      sendJson(res, 200, { code, message, requestId });
      log.call('admin', action, performance.now() - started, code);
    }
  }
  routes.push({
    method: 'POST',
    prefix: '/admin',
    handle: admin,
    refuse: (res, refusal) => sendJson(res, 200, { code: refusal.code, message: refusal.message, requestId: randomUUID() }),
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  try {
    for (const factory of factories) {
      const service = await factory(context);
      started.set(factory, service);
      services.push(service);
      for (const [name, handler] of Object.entries(service.actions ?? {})) actions.set(name, handler);
      routes.push(...(service.routes ?? []));
    }
  } catch (error) {
    server.close();
    throw error;
  }

  return {
    url: baseUrl,
    port,
    async close() {
      for (const service of [...services].reverse()) await service.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
