import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Auth } from './auth.js';
import type { createConnector } from './connector.js';
import { matchRoute, type Route, threadOf } from './connector.js';
import { type Answer, teamsError, UNAUTHORIZED } from './errors.js';
import type { Faults } from './faults.js';
import type { RateLimiter } from './rate-limit.js';
import type { State } from './state.js';
import type { TokenEndpoint } from './token-endpoint.js';

/** Where the Connector API lives under the double, like Teams' regional `/amer/`. */
export const SERVICE_PATH = '/amer';

/**
 * "The request content length exceeded limit of 262144 bytes" is the connector's answer to a
 * body over 256 KiB (seen from Teams: github.com/microsoft/botframework-sdk/issues/6669).
 */
const MAX_REQUEST_BYTES = 262_144;
/** Beyond this the double stops reading instead of buffering whatever a client sends. */
const HARD_LIMIT_BYTES = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > HARD_LIMIT_BYTES) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    ...answer.headers,
  });
  res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function faultAnswer(status: number, retryAfterSec: number): Answer {
  if (status === 429) {
    return teamsError(429, 'Throttled', 'Too many requests.', {
      'retry-after': String(retryAfterSec),
    });
  }
  if (status === 412) {
    return teamsError(412, 'PreconditionFailed', 'Precondition failed, please try again.');
  }
  if (status === 503) return teamsError(503, 'ServiceUnavailable', 'Service is unavailable.');
  if (status === 504) return teamsError(504, 'GatewayTimeout', 'Gateway Timeout.');
  return teamsError(status, 'ServiceError', 'Internal server error.');
}

export function createLocalTeamsServer(deps: {
  baseUrl: () => string;
  auth: Auth;
  token: TokenEndpoint;
  connector: ReturnType<typeof createConnector>;
  faults: Faults;
  limiter: RateLimiter;
  state: State;
  log: Logger;
}): Server {
  const { auth, connector, faults, limiter, state } = deps;
  const log = deps.log.child({ component: 'local-teams-http' });

  async function connectorCall(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ) {
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const matched = matchRoute(method, path);
    const route: Route | undefined = 'operation' in matched ? matched : undefined;
    const operation = route?.operation ?? 'unknown';
    const gone = () => res.destroyed || req.socket.destroyed;
    let answer: Answer;
    if (raw.length > MAX_REQUEST_BYTES) {
      const message = `The request content length exceeded limit of ${MAX_REQUEST_BYTES} bytes.`;
      answer = teamsError(413, 'MessageSizeTooBig', message);
    } else if (!auth.isBotToken(req.headers.authorization)) {
      answer = UNAUTHORIZED;
    } else if (!route) {
      answer = matched as Answer;
    } else {
      answer = await act(route, raw, method, path, query, gone);
    }
    const body = answer.body as { id?: string; error?: { code?: string } } | undefined;
    const conversationId = route?.operation === 'createConversation' ? body?.id : route?.params[0];
    state.recordCall({
      method,
      path,
      operation,
      status: gone() ? 0 : answer.status,
      errorCode: gone() ? 'client_gone' : body?.error?.code,
      conversationId,
      activityId: route?.params[1] ?? (answer.status < 300 ? body?.id : undefined),
    });
    if (!gone()) send(res, answer);
  }

  async function act(
    route: Route,
    raw: Buffer,
    method: string,
    path: string,
    query: URLSearchParams,
    gone: () => boolean,
  ): Promise<Answer> {
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return teamsError(
        400,
        'BadSyntax',
        `The request body is not JSON: ${(err as Error).message}`,
      );
    }
    const fault = faults.decide(route.operation, method, path);
    if (fault.delayMs > 0 && fault.delayWhen === 'before') {
      await sleep(fault.delayMs);
      if (gone()) return teamsError(499, 'ServiceError', 'client gone');
    }
    let answer: Answer;
    if (fault.status) {
      answer = faultAnswer(fault.status, fault.retryAfterSec ?? 1);
    } else {
      const rate = limiter.take(route.scenario, threadOf(route, body));
      answer = rate.ok
        ? connector.handle(route, body, query)
        : faultAnswer(429, rate.retryAfterSec);
    }
    if (fault.delayMs > 0 && fault.delayWhen === 'after') await sleep(fault.delayMs);
    return answer;
  }

  async function tokenCall(req: IncomingMessage, res: ServerResponse, tenant: string) {
    const raw = (await readBody(req)).toString('utf8');
    const path = `/${tenant}/oauth2/v2.0/token`;
    const fault = faults.decide('getToken', 'POST', path);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    const answer = fault.status
      ? faultAnswer(fault.status, fault.retryAfterSec ?? 1)
      : deps.token(tenant, new URLSearchParams(raw), req.headers.authorization);
    const error = (answer.body as { error?: unknown }).error;
    state.recordCall({
      method: 'POST',
      path,
      operation: 'getToken',
      status: answer.status,
      errorCode: typeof error === 'string' ? error : undefined,
    });
    send(res, answer);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local-teams');
    const path = url.pathname;
    if (path.startsWith(`${SERVICE_PATH}/`)) {
      return connectorCall(req, res, path.slice(SERVICE_PATH.length), url.searchParams);
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (token?.[1] && req.method === 'POST') return tokenCall(req, res, token[1]);
    if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      return send(res, { status: 200, body: auth.openIdConfiguration(deps.baseUrl()) });
    }
    if (req.method === 'GET' && path === '/v1/.well-known/keys') {
      return send(res, { status: 200, body: auth.channelKeys() });
    }
    if (req.method === 'GET' && /^\/[^/]+\/discovery\/v2\.0\/keys$/.test(path)) {
      return send(res, { status: 200, body: auth.loginKeys() });
    }
    send(res, teamsError(404, 'NotFound', `No such resource: ${req.method} ${path}`));
  }

  return createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'local-teams request failed');
      if (!res.headersSent) send(res, teamsError(500, 'ServiceError', 'Internal server error.'));
      else res.end();
    });
  });
}
