import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUBLIC, withOverrides } from '@microsoft/teams.api';
import { App, type HttpRouteHandler, type IHttpServerAdapter } from '@microsoft/teams.apps';
import type { LocalTeams } from '../index.js';

/**
 * A bot built with Microsoft's Teams SDK (`@microsoft/teams.apps`), pointed at the double:
 * its inbound validator reads the double's keys (`cloud.openIdMetadataUrl`), its outbound
 * token comes from the double's token endpoint (`token`), and it listens on a plain
 * node:http server through the SDK's `httpServerAdapter` seam. Tests of the double use it
 * to show that what the SDK accepts and sends, the double accepts and records.
 */

type AppOptions = NonNullable<ConstructorParameters<typeof App>[0]>;
type SdkLogger = NonNullable<AppOptions['logger']>;

const quiet: SdkLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  log() {},
  child: () => quiet,
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

export interface SdkBot {
  app: App;
  /** The messaging endpoint the double delivers to. */
  endpoint: string;
  close(): Promise<void>;
}

export async function startSdkBot(
  teams: LocalTeams,
  setup: (app: App) => void,
  options: Partial<AppOptions> = {},
): Promise<SdkBot> {
  const routes = new Map<string, HttpRouteHandler>();
  const adapter: IHttpServerAdapter = {
    registerRoute(method, path, handler) {
      routes.set(`${method} ${path}`, handler);
    },
  };
  const server = createServer((req, res) => {
    const handler = routes.get(`${req.method} ${req.url}`);
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    readJson(req)
      .then((body) => handler({ body, headers: req.headers as Record<string, string> }))
      .then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      })
      .catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
  });
  const app = new App({
    clientId: teams.config.appId,
    tenantId: teams.config.tenantId,
    token: (scope) => teams.requestToken({ scope: Array.isArray(scope) ? scope[0] : scope }),
    httpServerAdapter: adapter,
    cloud: withOverrides(PUBLIC, { openIdMetadataUrl: teams.openIdMetadataUrl }),
    logger: quiet,
    ...options,
  });
  setup(app);
  await app.initialize();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  teams.setBotEndpoint(endpoint);
  return {
    app,
    endpoint,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
