import { RetryableError, SlipwayError, withCause } from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';
import { CreatedAnnotation, FoundAnnotations } from './schema.js';

/** A failure retrying cannot mend: a refused token, a missing permission, a refused body. */
export class GrafanaError extends SlipwayError {
  override readonly code = 'grafana';
}

/** An annotation as POST /api/annotations takes it: epoch milliseconds, `timeEnd` for a region. */
export interface AnnotationBody {
  time: number;
  timeEnd?: number;
  tags: string[];
  text: string;
  dashboardUID?: string;
  panelId?: number;
}

/** What PATCH /api/annotations/{id} changes: the given fields, tags replaced as a whole. */
export type AnnotationPatch = Partial<Pick<AnnotationBody, 'time' | 'timeEnd' | 'tags' | 'text'>>;

export interface GrafanaClient {
  /** Creates the annotation; resolves to Grafana's id for it. */
  create(body: AnnotationBody, signal?: AbortSignal): Promise<number>;
  /** `gone` when Grafana has no annotation with that id (someone deleted it there). */
  patch(id: number, patch: AnnotationPatch, signal?: AbortSignal): Promise<'patched' | 'gone'>;
  /** The id of an annotation carrying every one of `tags`, or null. */
  findByTags(tags: readonly string[], signal?: AbortSignal): Promise<number | null>;
}

/** One request gives up after this long: Grafana answers annotation calls in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Grafana's annotations HTTP API (grafana.com/docs/grafana/latest/developers/http_api/annotations/),
 * with a service account token as a bearer token. 429, 5xx and unreachable become
 * RetryableError (the caller retries); the rest become a GrafanaError saying what to fix. The
 * token goes in one header and nowhere else.
 */
export function createGrafanaClient(options: {
  url: string;
  token: string;
  timeoutMs?: number;
}): GrafanaClient {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;

  async function call(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; json: unknown }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
      throw withCause(new RetryableError(`Grafana at ${base} cannot be reached: ${why}`), err);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // Kept as null: a proxy's HTML error page says nothing the status does not.
    }
    if (response.ok || response.status === 404) return { status: response.status, json };
    throw failure(method, path, response, json);
  }

  function failure(method: string, path: string, response: Response, json: unknown): Error {
    const said = messageOf(json);
    const what = `Grafana answered ${method} ${path} with ${response.status}${said ? ` (${said})` : ''}`;
    if (response.status === 429 || response.status >= 500) {
      return new RetryableError(what, retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status === 401) {
      return new GrafanaError(
        `${what}: GRAFANA_TOKEN is not a valid token for ${base}; create a new token for the service account and set GRAFANA_TOKEN to it`,
      );
    }
    if (response.status === 403) {
      return new GrafanaError(
        `${what}: the service account may not write annotations there; give it the Editor role (or annotations:create and annotations:write, and edit rights on the dashboard)`,
      );
    }
    return new GrafanaError(`${what}: Slipway's request was refused as written`);
  }

  return {
    async create(body, signal) {
      const { status, json } = await call('POST', '/api/annotations', body, signal);
      if (status === 404) {
        throw new GrafanaError(
          `Grafana answered POST /api/annotations with 404: GRAFANA_URL (${base}) does not look like Grafana's address; give the address its pages open at, with any sub-path`,
        );
      }
      const parsed = CreatedAnnotation.safeParse(json);
      if (!parsed.success) {
        throw new GrafanaError(
          `Grafana's answer to POST /api/annotations has no annotation id: ${JSON.stringify(json)?.slice(0, 200)}`,
        );
      }
      return parsed.data.id;
    },
    async patch(id, patch, signal) {
      const { status } = await call('PATCH', `/api/annotations/${id}`, patch, signal);
      return status === 404 ? 'gone' : 'patched';
    },
    async findByTags(tags, signal) {
      const query = new URLSearchParams([
        ...tags.map((tag) => ['tags', tag]),
        ['type', 'annotation'],
        ['limit', '1'],
      ]);
      const { status, json } = await call('GET', `/api/annotations?${query}`, undefined, signal);
      if (status === 404) return null;
      const parsed = FoundAnnotations.safeParse(json);
      return parsed.success ? (parsed.data[0]?.id ?? null) : null;
    },
  };
}

function messageOf(json: unknown): string | null {
  if (json && typeof json === 'object' && 'message' in json) {
    const message = (json as { message: unknown }).message;
    return typeof message === 'string' ? message.slice(0, 200) : null;
  }
  return null;
}
