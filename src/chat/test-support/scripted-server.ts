import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the scripted server received. */
export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The client's port: the same port means the same connection. */
  port: number | undefined;
}

export type Answer = (res: ServerResponse, seen: Seen) => void | Promise<void>;

/**
 * A tiny HTTP server standing in for a platform's API in its client's tests (Slack's Web API and
 * response_urls, the Bot Connector, Entra's token endpoint): each request takes the next scripted
 * answer for its method and path (else `unscripted`), and every request is kept, so a test fails
 * when a call it expects was not made, or one it forbids was.
 */
export interface ScriptedServer {
  url: string;
  seen: Seen[];
  /** Queues answers for `METHOD /path` (the path as sent, %-escapes and all). */
  on(route: string, ...answers: Answer[]): void;
  close(): Promise<void>;
}

export interface ScriptedServerOptions {
  /** The answer to a request nothing was scripted for; by default 404 `NotScripted`. */
  unscripted?: Answer;
}

const NOT_SCRIPTED: Answer = (res, seen) =>
  json(res, 404, { error: { code: 'NotScripted', message: `${seen.method} ${seen.path}` } });

export async function startScriptedServer(
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const unscripted = options.unscripted ?? NOT_SCRIPTED;
  const seen: Seen[] = [];
  const script = new Map<string, Answer[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += String(chunk);
    });
    req.on('end', async () => {
      const request: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
        port: req.socket.remotePort,
      };
      seen.push(request);
      const next = script.get(`${request.method} ${decodeURI(request.path)}`)?.shift();
      await (next ?? unscripted)(res, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    on(route, ...answers) {
      script.set(route, [...(script.get(route) ?? []), ...answers]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with `status` and a JSON body, once. */
export const reply =
  (status: number, body: unknown = {}, headers: Record<string, string> = {}): Answer =>
  (res) =>
    json(res, status, body, headers);

/** Never answers: the client's timeout must end the call. */
export const hang: Answer = () => new Promise<void>(() => {});
