import type { Logger } from 'pino';
import { RetryableError } from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';
import { sleep } from '../../core/sleep.js';
import { ArgoCdError, type Attempt, explain, HttpFailure } from './errors.js';
import { Application, StreamMessage } from './schema.js';
import { sseMessages } from './sse.js';

/** Which application, as Argo CD's API addresses it. */
export interface AppRef {
  name: string;
  appNamespace?: string | undefined;
  project?: string | undefined;
}

/** Timings tests shorten; production uses the defaults. */
export interface ClientTuning {
  /** Attempts per request when Argo CD is unreachable or answers 5xx/429. */
  tries: number;
  /** First pause between attempts; it doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** One request (not the event stream) gives up after this long. */
  requestTimeoutMs: number;
}
export const DEFAULT_CLIENT_TUNING: ClientTuning = {
  tries: 5,
  backoffMs: 500,
  maxBackoffMs: 8_000,
  requestTimeoutMs: 30_000,
};

export interface SyncRequest {
  revision?: string | undefined;
  prune: boolean;
  /** Shown with the operation in Argo CD; Slipway finds its own operation by them. */
  infos: { name: string; value: string }[];
}

export interface ArgoCdClient {
  readonly server: string;
  get(ref: AppRef, signal: AbortSignal): Promise<Application>;
  /** PATCH /api/v1/applications/{name} with a JSON merge patch. */
  patch(ref: AppRef, patch: Record<string, unknown>, signal: AbortSignal): Promise<Application>;
  sync(ref: AppRef, request: SyncRequest, signal: AbortSignal): Promise<Application>;
  rollback(ref: AppRef, id: number, prune: boolean, signal: AbortSignal): Promise<Application>;
  /** DELETE /api/v1/applications/{name}/operation: stops the running operation. */
  terminate(ref: AppRef, signal: AbortSignal): Promise<void>;
  /** The application each time it changes, from /api/v1/stream/applications (server-sent events). */
  watch(ref: AppRef, signal: AbortSignal): AsyncGenerator<Application>;
}

/**
 * Argo CD's REST API (the grpc-gateway in front of its gRPC services, assets/swagger.json),
 * authenticated with a bearer token. Retryable failures are retried with exponential backoff;
 * the rest become sentences (errors.ts). The token goes in one header and nowhere else.
 */
export function createClient(
  server: string,
  token: string,
  log: Logger,
  tuning: ClientTuning = DEFAULT_CLIENT_TUNING,
): ArgoCdClient {
  const attempt = (ref: AppRef, action: Attempt['action'], doing: string): Attempt => ({
    action,
    doing,
    application: ref.name,
    appNamespace: ref.appNamespace,
    project: ref.project,
    server,
  });
  const path = (ref: AppRef, suffix = '') =>
    `/api/v1/applications/${encodeURIComponent(ref.name)}${suffix}`;
  const scope = (ref: AppRef) => ({
    ...(ref.appNamespace ? { appNamespace: ref.appNamespace } : {}),
    ...(ref.project ? { project: ref.project } : {}),
  });

  async function once(
    method: string,
    url: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        // argocd-server answers 415 to any method but GET without exactly this type, bodiless
        // DELETEs too (server/server.go enforceContentTypes, default --api-content-types).
        ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(tuning.requestTimeoutMs)]),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new HttpFailure(
        response.status,
        text,
        retryAfterMs(response.headers.get('retry-after')),
      );
    }
    return text ? JSON.parse(text) : {};
  }

  async function call(
    method: string,
    url: string,
    body: unknown,
    what: Attempt,
    signal: AbortSignal,
  ): Promise<unknown> {
    for (let i = 1; ; i++) {
      try {
        return await once(method, url, body, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const explained = explain(err, what);
        if (!(explained instanceof RetryableError) || i >= tuning.tries) throw explained;
        const pause = Math.min(
          tuning.maxBackoffMs,
          explained.retryAfterMs ?? tuning.backoffMs * 2 ** (i - 1),
        );
        log.warn({ method, url, try: i, pause, reason: explained.message }, 'argocd retrying');
        await sleep(pause, signal);
      }
    }
  }

  async function application(
    method: string,
    url: string,
    body: unknown,
    what: Attempt,
    signal: AbortSignal,
  ): Promise<Application> {
    const raw = await call(method, url, body, what, signal);
    const parsed = Application.safeParse(raw);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new ArgoCdError(
      `Argo CD answered in a shape Slipway does not know when it tried to ${what.doing} ${what.application} (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); is ARGOCD_SERVER the Argo CD API server?`,
      'invalid',
      200,
    );
  }

  return {
    server,

    get(ref, signal) {
      const query = new URLSearchParams();
      if (ref.appNamespace) query.set('appNamespace', ref.appNamespace);
      if (ref.project) query.set('projects', ref.project);
      const url = `${server}${path(ref)}${query.size ? `?${query}` : ''}`;
      return application('GET', url, undefined, attempt(ref, 'get', 'read'), signal);
    },

    patch(ref, patch, signal) {
      const body = {
        name: ref.name,
        patch: JSON.stringify(patch),
        patchType: 'merge',
        ...scope(ref),
      };
      const what = attempt(ref, 'update', 'set the version in');
      return application('PATCH', `${server}${path(ref)}`, body, what, signal);
    },

    sync(ref, request, signal) {
      const body = {
        name: ref.name,
        ...(request.revision ? { revision: request.revision } : {}),
        prune: request.prune,
        infos: request.infos,
        ...scope(ref),
      };
      const what = attempt(ref, 'sync', 'sync');
      return application('POST', `${server}${path(ref, '/sync')}`, body, what, signal);
    },

    rollback(ref, id, prune, signal) {
      const body = { name: ref.name, id, prune, ...scope(ref) };
      const what = attempt(ref, 'sync', 'roll back');
      return application('POST', `${server}${path(ref, '/rollback')}`, body, what, signal);
    },

    async terminate(ref, signal) {
      const query = new URLSearchParams(scope(ref));
      const url = `${server}${path(ref, '/operation')}${query.size ? `?${query}` : ''}`;
      await call('DELETE', url, undefined, attempt(ref, 'sync', 'stop the operation on'), signal);
    },

    async *watch(ref, signal) {
      const query = new URLSearchParams({ name: ref.name });
      if (ref.appNamespace) query.set('appNamespace', ref.appNamespace);
      if (ref.project) query.set('projects', ref.project);
      const what = attempt(ref, 'get', 'follow');
      const response = await fetch(`${server}/api/v1/stream/applications?${query}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        signal,
      }).catch((err: unknown) => {
        throw signal.aborted ? err : explain(err, what);
      });
      if (!response.ok || !response.body) {
        throw explain(new HttpFailure(response.status, await response.text()), what);
      }
      for await (const payload of sseMessages(response.body, signal)) {
        const message = StreamMessage.safeParse(JSON.parse(payload));
        if (!message.success) throw new Error('unexpected message on the event stream');
        if (message.data.error) {
          throw new Error(
            `the event stream ended with: ${message.data.error.message ?? 'an error'}`,
          );
        }
        const event = message.data.result;
        if (!event || event.application.metadata.name !== ref.name) continue;
        if (event.type === 'DELETED') throw new Error(`application ${ref.name} was deleted`);
        yield event.application;
      }
    },
  };
}
