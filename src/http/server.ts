import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { toSlipwayError, ValidationError } from '../core/errors.js';
import type { Engine } from '../engine/index.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';
import { apiRefusal } from './api-access.js';
import { withPeople } from './api-people.js';
import { createReadiness } from './readiness.js';
import { createRouter, type Route, sendJson } from './router.js';
import { DeploymentsQuery, RefusalsQuery } from './schema.js';

export interface HttpDeps {
  engine: Engine;
  store: Store;
  log: Logger;
  /** When set, `/api/*` requires `Authorization: Bearer <token>`; unset, it answers loopback only. */
  apiToken?: string | undefined;
  /** Routes other adapters add (Slack, webhooks). */
  routes?: Route[];
  /** Served at `GET /metrics`, and told how each webhook request was answered. */
  metrics?: AppMetrics;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  /** Makes /readyz answer 503 so load balancers stop sending work (first step of shutdown). */
  setDraining(): void;
  close(): Promise<void>;
}

/** One server for the API, probes, and (later) Slack and webhooks (ARCHITECTURE.md, "http"). */
export function createHttpServer(deps: HttpDeps): HttpServer {
  const router = createRouter();
  let draining = false;
  const log = deps.log.child({ component: 'http' });
  const readiness = createReadiness({ store: deps.store, log });

  router.add({
    method: 'GET',
    path: '/healthz',
    handler: (_req, res) => sendJson(res, 200, { status: 'ok' }),
  });
  router.add({
    method: 'GET',
    path: '/readyz',
    handler: async (_req, res) => {
      const store = await readiness.check();
      const ready = !draining && store.ready;
      const checks = { shutdown: draining ? 'draining' : 'ok', ...store.checks };
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    },
  });
  router.add({
    method: 'GET',
    path: '/api/deployments',
    handler: async (_req, res, _params, url) => {
      const query = parseQuery(DeploymentsQuery, url, res);
      if (!query) return;
      const { state, ...rest } = query;
      const deployments = await deps.engine.history({
        ...rest,
        ...(state ? { states: state } : {}),
      });
      const next = nextPage(deployments, query.limit, (d) => d.createdAt);
      sendJson(res, 200, await withPeople(deps.store, { deployments, next }, log));
    },
  });
  router.add({
    method: 'GET',
    path: '/api/deployments/:id',
    handler: async (_req, res, params) => {
      const id = params.id ?? '';
      const details = await deps.engine.details(id);
      if (!details)
        sendJson(res, 404, { error: 'not_found', message: `There is no deployment ${params.id}.` });
      // Refused requests that named it (a self-approval, a cancel by someone else): what was
      // attempted belongs beside what happened.
      else {
        const refusals = await deps.store.listRefusals({ deploymentId: id });
        sendJson(res, 200, await withPeople(deps.store, { ...details, refusals }, log));
      }
    },
  });
  router.add({
    method: 'GET',
    path: '/api/refusals',
    handler: async (_req, res, _params, url) => {
      const query = parseQuery(RefusalsQuery, url, res);
      if (!query) return;
      const refusals = await deps.store.listRefusals(query);
      const next = nextPage(refusals, query.limit, (r) => r.at);
      sendJson(res, 200, await withPeople(deps.store, { refusals, next }, log));
    },
  });
  const metrics = deps.metrics;
  if (metrics) {
    // Unauthenticated, like /healthz: Prometheus scrapes from inside the cluster, and the
    // numbers name services and environments, never secrets (README.md, "Observability").
    router.add({
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const text = await metrics.scrape();
        res.writeHead(200, {
          'content-type': metrics.contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      },
    });
  }
  for (const route of deps.routes ?? []) router.add(route);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url);
    // Before the path is decoded, so that no answer about it reaches a caller without access.
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      const refusal = apiRefusal(req, deps.apiToken);
      if (refusal) {
        return sendJson(res, refusal.status, { error: refusal.error, message: refusal.message });
      }
    }
    const found = router.match(req.method ?? 'GET', url.pathname);
    if (!found)
      return sendJson(res, 404, { error: 'not_found', message: `Nothing at ${url.pathname}.` });
    if ('allowed' in found) {
      res.setHeader('allow', found.allowed.join(', '));
      return sendJson(res, 405, {
        error: 'method_not_allowed',
        message: `Use ${found.allowed.join(' or ')} for ${url.pathname}.`,
      });
    }
    const hook = found.route.hook;
    // On finish, so that answers from the error handler below are counted too.
    if (hook && metrics) res.once('finish', () => metrics.webhook(hook, res.statusCode));
    await found.route.handler(req, res, found.params, url);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error = toSlipwayError(err);
      const status = (err as { status?: number }).status ?? error.status;
      if (status >= 500) log.error({ err, path: req.url }, 'request failed');
      // The client's mistake, not the server's: no stack, and not above debug.
      else log.debug({ path: req.url, status, error: error.code }, 'request refused');
      if (!res.headersSent)
        sendJson(res, status, {
          error: error.code,
          message: status >= 500 ? 'Internal error; see the server log.' : error.message,
        });
      else res.end();
    });
  });
  // Slack and load balancers keep connections alive; close idle ones promptly on shutdown.
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen(port, host = '0.0.0.0') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          // Said when serving, not when built: the CLI builds the app without listening.
          if (!deps.apiToken)
            log.warn(
              'SLIPWAY_API_TOKEN is not set: /api answers only clients on this machine (loopback)',
            );
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    setDraining() {
      draining = true;
    },
    close() {
      return new Promise((resolve) => {
        // Requests under way are answered; a kept-alive connection is closed as soon as it is
        // idle, and whatever still hangs on after 10 s is cut.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const cut = setTimeout(() => server.closeAllConnections(), 10_000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

/** The query string as `schema` reads it, or null after answering 400 with every problem. */
function parseQuery<T>(schema: z.ZodType<T>, url: URL, res: ServerResponse): T | null {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (parsed.success) return parsed.data;
  sendJson(res, 400, {
    error: 'invalid_query',
    message: parsed.error.issues
      .map((i) => `${i.path.join('.') || 'query'}: ${i.message}`)
      .join('; '),
  });
  return null;
}

/** The query of the next (older) page, or null when this page was the last one. */
function nextPage<T>(page: T[], limit: number, timeOf: (item: T) => Date): string | null {
  const last = page.at(-1);
  return page.length === limit && last
    ? `before=${encodeURIComponent(timeOf(last).toISOString())}`
    : null;
}

/** The request target as a URL; Node's parser lets through targets that URL cannot read. */
function parseUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://slipway.local');
  } catch {
    throw new ValidationError('The request target is not a path Slipway can read.');
  }
}
