import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookName } from '../observability/metrics.js';

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  url: URL,
) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/api/deployments/:id` style: `:name` matches one path segment. */
  path: string;
  handler: Handler;
  /** A webhook names itself so its requests are counted by answer (`slipway_webhook_requests_total`). */
  hook?: WebhookName;
}

interface Compiled extends Route {
  pattern: RegExp;
  names: string[];
}

export interface Router {
  add(route: Route): void;
  match(
    method: string,
    pathname: string,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } | null;
}

export function createRouter(): Router {
  const routes: Compiled[] = [];
  return {
    add(route) {
      const names: string[] = [];
      const source = route.path
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      routes.push({ ...route, pattern: new RegExp(`^${source}/?$`), names });
    },
    match(method, pathname) {
      const allowed: string[] = [];
      for (const route of routes) {
        const m = route.pattern.exec(pathname);
        if (!m) continue;
        if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
          allowed.push(route.method);
          continue;
        }
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1] ?? '');
        });
        return { route, params };
      }
      return allowed.length > 0 ? { allowed } : null;
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Reads a request body up to `limit` bytes; larger bodies are refused, not truncated (the
 * request is destroyed: nothing more of it is read). Listens for events rather than iterating
 * the stream: an async iterator per request was a measurable share of a slash command's cost.
 */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | null) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      settle(
        Object.assign(new Error(`request body is larger than ${limit} bytes`), { status: 413 }),
      );
      req.destroy();
    };
    const onEnd = () => settle(null);
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(new Error('the request closed before its body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
