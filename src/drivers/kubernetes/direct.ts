import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';

/**
 * JSON calls to the API server through node:https on keep-alive connections, with the
 * kubeconfig's credentials applied by client-node itself (`applyToHTTPSOptions`: the client
 * certificate, a bearer token, auth and exec plugins, basic auth, impersonation, the CA and
 * `tls-server-name`), read again on each call as the generated clients do.
 *
 * It carries the write a deploy waits on. Through the generated clients the same PATCH costs
 * more than the round trip: their middleware chain, undici, and the answer walked into model
 * classes. A failure is thrown as the generated clients throw it (an `ApiException` with the
 * status and the API server's Status body, or the transport's error), so `explain` and
 * `withRetry` treat both alike. The answer is plain JSON: its timestamps stay strings.
 */
export class DirectApi {
  // Keep-alive, most recent socket first; idle sockets do not hold the process open. The agent
  // pools sockets by their TLS options, the certificate's bytes included, so a certificate
  // renewed on disk opens a pool of its own.
  readonly #agent = new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 60_000 });
  readonly #base: URL;

  private constructor(
    private readonly config: KubeConfig,
    server: string,
  ) {
    this.#base = new URL(server.endsWith('/') ? server : `${server}/`);
  }

  /**
   * Direct calls for the kubeconfig's current cluster; null when its server is reached through
   * a proxy or over plain HTTP, which the generated clients' own agents handle.
   */
  static for(config: KubeConfig): DirectApi | null {
    const cluster = config.getCurrentCluster();
    if (!cluster?.server.startsWith('https://') || cluster.proxyUrl) return null;
    return new DirectApi(config, cluster.server);
  }

  /** Sends `body` as `contentType` to `path` (relative to the server, which may have a prefix). */
  async send<T>(
    method: 'GET' | 'PATCH',
    path: string,
    body: unknown,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<T> {
    const options: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(options);
    const url = new URL(path.replace(/^\//, ''), this.#base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    options.agent = this.#agent;
    options.method = method;
    options.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    options.port = url.port || 443;
    options.path = `${url.pathname}${url.search}`;
    options.headers = {
      ...options.headers,
      Accept: 'application/json',
      ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
    };
    if (signal) options.signal = signal;
    return new Promise<T>((resolve, reject) => {
      const request = https.request(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(
              new ApiException(
                status,
                `HTTP-Code: ${status}\nMessage: ${method} ${url.pathname} failed`,
                text,
                flat(response.headers),
              ),
            );
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch (err) {
            reject(err);
          }
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  }
}

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
