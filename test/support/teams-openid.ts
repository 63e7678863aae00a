import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that reached the login side through the recorder. */
export interface LoginRequest {
  method: string;
  path: string;
  status: number;
}

export interface LoginRecorder {
  /** `http://127.0.0.1:<port>`: give Slipway `<url>/v1/.well-known/openidconfiguration`. */
  url: string;
  openIdMetadataUrl: string;
  requests(): LoginRequest[];
  close(): Promise<void>;
}

/**
 * A recording pass-through in front of the local Bot Connector's login side (OpenID metadata and
 * signing keys): the double answers, and the test can tell where Slipway took the keys that
 * checked its activities from, which the double's call log leaves out.
 */
export async function recordLoginSide(target: string): Promise<LoginRecorder> {
  const seen: LoginRequest[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    fetch(`${target}${path}`, { method: req.method ?? 'GET' })
      .then(async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        seen.push({ method: req.method ?? 'GET', path, status: answer.status });
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(body);
      })
      .catch((err: unknown) => {
        seen.push({ method: req.method ?? 'GET', path, status: 502 });
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openIdMetadataUrl: `${url}/v1/.well-known/openidconfiguration`,
    requests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
