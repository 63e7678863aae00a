import { SlipwayError } from '../../core/errors.js';
import { QueryResponse } from './schema.js';

/** One series of an instant vector: its labels and its value at the query time. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** What an instant query returned. An empty vector is an answer ("no data"), not an error. */
export type QueryResult =
  | { type: 'vector'; series: Series[]; warnings: string[] }
  | { type: 'scalar'; value: number; warnings: string[] };

/**
 * Why a query has no answer:
 * - `unreachable`: no connection (refused, DNS, reset);
 * - `timeout`: no answer in time;
 * - `http`: an answer that is not Prometheus' (a proxy's 502, a login page);
 * - `query`: Prometheus refused the query (`status: error`); `errorType` is its own,
 *   `bad_data` for a query that does not parse;
 * - `response`: an answer Slipway cannot use (a range vector, a string).
 */
export type PrometheusErrorKind = 'unreachable' | 'timeout' | 'http' | 'query' | 'response';

export class PrometheusError extends SlipwayError {
  override readonly code = 'prometheus';
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
    readonly errorType?: string,
  ) {
    super(message, errorType ? { kind, errorType } : { kind });
  }
}

export interface PrometheusClient {
  readonly url: string;
  /** An instant query at `time` (default: Prometheus' now). Throws PrometheusError. */
  query(promql: string, options?: { signal?: AbortSignal; time?: Date }): Promise<QueryResult>;
}

export interface PrometheusClientOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Per query; Prometheus is asked to stop evaluating a little before. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  const endpoint = new URL('api/v1/query', base);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? fetch;
  const where = `Prometheus at ${options.url}`;

  return {
    url: options.url,
    async query(promql, { signal, time } = {}) {
      // POST with a form body, which the API accepts like GET, so long queries fit.
      const body = new URLSearchParams({
        query: promql,
        timeout: `${Math.max(1, timeoutMs - 500)}ms`,
      });
      if (time) body.set('time', (time.getTime() / 1000).toString());
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers,
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        text = await response.text();
      } catch (err) {
        // The caller's own abort (shutdown, a cancelled deployment) is not Prometheus' fault.
        if (signal?.aborted) throw signal.reason ?? err;
        if (timeout.aborted) {
          throw new PrometheusError('timeout', `${where} did not answer within ${timeoutMs} ms`);
        }
        throw new PrometheusError('unreachable', `${where} is unreachable: ${networkReason(err)}`);
      }
      return parseAnswer(response, text, where);
    },
  };
}

function parseAnswer(response: Response, text: string, where: string): QueryResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = QueryResponse.safeParse(json);
  if (!parsed.success) {
    if (!response.ok) {
      throw new PrometheusError(
        'http',
        `${where} answered ${response.status} ${response.statusText}: ${snippet(text)}`,
      );
    }
    throw new PrometheusError(
      'response',
      `${where} answered something that is not a query result: ${snippet(text)}`,
    );
  }
  const answer = parsed.data;
  if (answer.status === 'error') {
    throw new PrometheusError(
      'query',
      `Prometheus refused the query: ${answer.error}`,
      answer.errorType,
    );
  }
  const warnings = answer.warnings ?? [];
  const { data } = answer;
  switch (data.resultType) {
    case 'vector':
      return {
        type: 'vector',
        series: data.result.map((s) => ({ labels: s.metric, value: sampleValue(s.value[1]) })),
        warnings,
      };
    case 'scalar':
      return { type: 'scalar', value: sampleValue(data.result[1]), warnings };
    case 'matrix':
      throw new PrometheusError(
        'response',
        'the query returns a range vector: wrap the selector in a function such as rate(…[{interval}]) or avg_over_time(…), or drop the [range]',
      );
    case 'string':
      throw new PrometheusError('response', 'the query returns a string, not a number');
  }
}

/** Go's strconv formatting of floats: "+Inf", "-Inf" and "NaN" besides decimals. */
export function sampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** The values of a result, one per series in Prometheus' order; a scalar is one value. */
export function resultValues(result: QueryResult): number[] {
  return result.type === 'scalar' ? [result.value] : result.series.map((s) => s.value);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}
