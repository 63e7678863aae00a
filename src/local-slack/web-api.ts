import type { Logger } from 'pino';
import type { Faults } from './faults.js';
import { type Body, METHODS, type MethodContext } from './methods.js';
import type { RateLimiter } from './rate-limit.js';
import type { CallRecord } from './types.js';

export interface ApiRequest {
  method: string;
  contentType: string;
  authorization?: string | undefined;
  rawBody: string;
  query: URLSearchParams;
  /** True once the client has hung up (used by delayed faults). */
  isGone: () => boolean;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface WebApiDeps extends MethodContext {
  limiter: RateLimiter;
  faults: Faults;
  log: Logger;
}

export interface WebApi {
  /** `null` when the client left before a delayed call ran: nothing to answer. */
  handle(req: ApiRequest): Promise<ApiAnswer | null>;
  calls(method?: string): CallRecord[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Slack takes JSON or form bodies, plus query arguments (docs.slack.dev/apis/web-api). */
function readArgs(req: ApiRequest): { args: Record<string, unknown>; json: boolean } | string {
  const args: Record<string, unknown> = Object.fromEntries(req.query);
  const type = req.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (req.rawBody.length === 0) return { args, json: false };
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(req.rawBody);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return 'invalid_json';
      }
      return { args: { ...args, ...parsed }, json: true };
    } catch {
      return 'invalid_json';
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return {
      args: { ...args, ...Object.fromEntries(new URLSearchParams(req.rawBody)) },
      json: false,
    };
  }
  return type ? 'invalid_post_type' : 'missing_post_type';
}

/**
 * The Web API pipeline: count the call, apply injected faults, authenticate, check scopes,
 * apply rate limits, then run the method. Every API error is HTTP 200 `{ ok: false, error }`
 * as in Slack; only rate limits (429 + Retry-After) and injected 5xx change the status.
 */
export function createWebApi(deps: WebApiDeps): WebApi {
  const records: CallRecord[] = [];
  const { cfg, faults, limiter } = deps;
  const log = deps.log.child({ component: 'local-slack-web-api' });

  const json = (status: number, body: Body, headers: Record<string, string> = {}): ApiAnswer => ({
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body,
  });

  function authenticate(req: ApiRequest, args: Record<string, unknown>, json: boolean) {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.authorization ?? '')?.[1]?.trim();
    // Slack reads the token from the header or a form field; JSON bodies must use the header,
    // and apps.connections.open refuses a token passed as a POST parameter.
    const fromBody = json || req.method === 'apps.connections.open' ? undefined : args.token;
    const token = bearer ?? (typeof fromBody === 'string' ? fromBody : undefined);
    if (!token) return { error: 'not_authed' } as const;
    if (token === cfg.botToken) return { kind: 'bot' } as const;
    if (token === cfg.appToken) return { kind: 'app' } as const;
    return { error: 'invalid_auth' } as const;
  }

  function run(req: ApiRequest): ApiAnswer {
    const spec = METHODS[req.method];
    if (!spec) return json(200, { ok: false, error: 'unknown_method' });
    const read = readArgs(req);
    if (typeof read === 'string') return json(200, { ok: false, error: read });
    const { args } = read;
    const auth = authenticate(req, args, read.json);
    if ('error' in auth) return json(200, { ok: false, error: auth.error });
    if (auth.kind !== spec.token) return json(200, { ok: false, error: 'not_allowed_token_type' });
    const scopeHeaders: Record<string, string> = cfg.scopes
      ? { 'x-oauth-scopes': cfg.scopes.join(','), 'x-accepted-oauth-scopes': spec.scopes.join(',') }
      : {};
    if (cfg.scopes && spec.scopes.length > 0 && !spec.scopes.some((s) => cfg.scopes?.includes(s))) {
      return json(
        200,
        {
          ok: false,
          error: 'missing_scope',
          needed: spec.scopes[0],
          provided: cfg.scopes.join(','),
        },
        scopeHeaders,
      );
    }
    const limit = limiter.take(req.method, typeof args.channel === 'string' ? args.channel : '');
    if (!limit.ok) {
      return json(
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(limit.retryAfterSec) },
      );
    }
    return json(200, spec.run(args, deps), scopeHeaders);
  }

  function record(req: ApiRequest, answer: ApiAnswer | null, error?: string): void {
    const body = answer?.body;
    const channel = typeof body?.channel === 'string' ? body.channel : undefined;
    const entry: CallRecord = {
      method: req.method,
      at: deps.clock(),
      status: answer?.status ?? 0,
      ok: body?.ok === true,
      error: error ?? (typeof body?.error === 'string' ? body.error : undefined),
      channel,
      ts: [body?.ts, body?.message_ts].find((v): v is string => typeof v === 'string'),
    };
    records.push(entry);
    log.debug(entry, 'web api call');
  }

  return {
    async handle(req) {
      const fault = faults.decide(req.method);
      if (fault.delayMs > 0 && fault.delayWhen === 'before') {
        await sleep(fault.delayMs);
        if (req.isGone()) {
          record(req, null, 'client_gone');
          return null;
        }
      }
      let answer: ApiAnswer;
      if (fault.status === 429) {
        answer = json(
          429,
          { ok: false, error: 'ratelimited' },
          { 'retry-after': String(fault.retryAfterSec ?? 1) },
        );
      } else if (fault.status) {
        const error = fault.status === 503 ? 'service_unavailable' : 'internal_error';
        answer = json(fault.status, { ok: false, error });
      } else {
        answer = run(req);
      }
      record(req, answer);
      if (fault.delayMs > 0 && fault.delayWhen === 'after') await sleep(fault.delayMs);
      return answer;
    },
    calls(method) {
      return records.filter((r) => !method || r.method === method);
    },
  };
}
