import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../core/errors.js';
import type { WebhookName } from '../observability/metrics.js';
import { answerBeforeBody, bodyStillArriving } from './body.js';

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
          params[name] = decodeSegment(m[i + 1] ?? '');
        });
        return { route, params };
      }
      return allowed.length > 0 ? { allowed } : null;
    },
  };
}

/** A path segment as sent, %-escapes decoded; a malformed escape is the client's mistake (400). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError(
      `The path segment "${segment}" has a malformed %-escape: escape each byte as % and two hex digits, in UTF-8.`,
    );
  }
}

/**
 * Answers with JSON. When the request's body is still arriving (refused before it was read, or
 * over its limit), the connection is drained and closed after the answer (body.ts).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  };
  if (bodyStillArriving(res.req)) {
    answerBeforeBody(res, status, headers, text);
    return;
  }
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * A route mounted while what it needs is not set (a secret, a token, a platform's credentials):
 * 503 `not_configured` with what to set, so whoever points a platform or CI at Slipway learns it
 * from the answer rather than from a 404 or a 401 that says nothing of the cause.
 */
export function sendNotConfigured(res: ServerResponse, message: string): void {
  sendJson(res, 503, { error: 'not_configured', message });
}
