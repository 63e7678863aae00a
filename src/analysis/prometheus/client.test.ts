import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsApp, startMetricsApp } from '../../../test/support/metrics-app.js';
import { freePort } from '../../../test/support/ports.js';
import { type PrometheusProcess, startPrometheus } from '../../../test/support/prometheus.js';
import { ConfigError } from '../../core/errors.js';
import { createPrometheusClient, PrometheusError, resultValues } from './client.js';
import { prometheusConnection } from './settings.js';

describe('Prometheus client against a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  let app: MetricsApp;

  beforeAll(async () => {
    app = await startMetricsApp({ rps: 100, errorRatio: 0.12 });
    prometheus = await startPrometheus([
      { target: app.target, labels: { app: 'web-canary', version: '1.4.2' } },
    ]);
  });
  afterAll(async () => {
    await prometheus?.remove();
    await app?.stop();
  });

  it('reads an instant vector with its labels', async () => {
    const client = createPrometheusClient({ url: prometheus.url });
    const result = await client.query('http_requests_total{app="web-canary",code="500"}');
    expect(result.type).toBe('vector');
    if (result.type !== 'vector') return;
    expect(result.series).toHaveLength(1);
    expect(result.series[0]?.labels).toMatchObject({
      app: 'web-canary',
      version: '1.4.2',
      code: '500',
    });
    expect(result.series[0]?.value).toBeGreaterThan(0);
  });

  it('reads the error ratio the app serves', async () => {
    const client = createPrometheusClient({ url: prometheus.url });
    const result = await client.query(
      'sum(rate(http_requests_total{app="web-canary",code=~"5.."}[5s])) / sum(rate(http_requests_total{app="web-canary"}[5s]))',
    );
    expect(resultValues(result)[0]).toBeCloseTo(0.12, 6);
  });

  it('tells no data (an empty vector, NaN) from numbers, and reads infinities', async () => {
    const client = createPrometheusClient({ url: prometheus.url });
    expect(resultValues(await client.query('http_requests_total{app="nobody"}'))).toEqual([]);
    expect(resultValues(await client.query('0 / 0'))[0]).toBeNaN();
    expect(await client.query('scalar(vector(1)) * 2')).toMatchObject({ type: 'scalar', value: 2 });
    expect(resultValues(await client.query('vector(1) / 0'))).toEqual([Number.POSITIVE_INFINITY]);
    expect(resultValues(await client.query('vector(-1) / 0'))).toEqual([Number.NEGATIVE_INFINITY]);
  });

  it("reports a query Prometheus cannot parse with Prometheus' own message and position", async () => {
    const client = createPrometheusClient({ url: prometheus.url });
    const error = await client.query('sum(rate(x{a="b"}[1m])))').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'query', errorType: 'bad_data' });
    expect((error as Error).message).toBe(
      'Prometheus refused the query: invalid parameter "query": 1:25: parse error: unexpected right parenthesis \')\'',
    );
  });

  it('refuses a range vector, saying how to make it a number', async () => {
    const client = createPrometheusClient({ url: prometheus.url });
    await expect(client.query('http_requests_total[1m]')).rejects.toMatchObject({
      kind: 'response',
      message: expect.stringContaining('range vector'),
    });
  });

  it('says Prometheus is unreachable when nothing listens', async () => {
    const client = createPrometheusClient({ url: `http://127.0.0.1:${await freePort()}` });
    await expect(client.query('up')).rejects.toMatchObject({
      kind: 'unreachable',
      message: expect.stringMatching(/is unreachable: ECONNREFUSED$/),
    });
  });
});

describe('Prometheus client against what stands in front of Prometheus', () => {
  let server: Server;
  let url: string;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += String(chunk);
      });
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        handle(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the query under a path prefix with the bearer token and a server-side timeout', async () => {
    handle = (_req, res) =>
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    seen.length = 0;
    const client = createPrometheusClient({ url, token: 's3cret', timeoutMs: 4_000 });
    await client.query('up', { time: new Date(1_700_000_000_500) });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({
      query: 'up',
      timeout: '3500ms',
      time: '1700000000.5',
    });
  });

  it("says what a proxy answered when it is not Prometheus' answer", async () => {
    handle = (_req, res) => res.writeHead(502, 'Bad Gateway').end('<html>upstream down</html>');
    await expect(createPrometheusClient({ url }).query('up')).rejects.toMatchObject({
      kind: 'http',
      message: `Prometheus at ${url} answered 502 Bad Gateway: <html>upstream down</html>`,
    });
  });

  it("keeps Prometheus' own error when it answers with an error status", async () => {
    handle = (_req, res) =>
      res
        .writeHead(503)
        .end(JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' }));
    await expect(createPrometheusClient({ url }).query('up')).rejects.toMatchObject({
      kind: 'query',
      errorType: 'timeout',
    });
  });

  it('gives up after its timeout', async () => {
    handle = () => {
      // Never answers.
    };
    const started = Date.now();
    await expect(createPrometheusClient({ url, timeoutMs: 300 }).query('up')).rejects.toMatchObject(
      {
        kind: 'timeout',
        message: `Prometheus at ${url} did not answer within 300 ms`,
      },
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("rethrows the caller's abort rather than blaming Prometheus", async () => {
    handle = () => {
      // Never answers.
    };
    const controller = new AbortController();
    const query = createPrometheusClient({ url }).query('up', { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(query).rejects.toThrow('shutting down');
  });
});

describe('prometheusConnection', () => {
  it("takes the analysis' URL first, else PROMETHEUS_URL, and the token from the environment", () => {
    expect(prometheusConnection('http://a:9090', { PROMETHEUS_URL: 'http://b:9090' })).toEqual({
      url: 'http://a:9090',
    });
    expect(
      prometheusConnection(null, { PROMETHEUS_URL: 'http://b:9090', PROMETHEUS_TOKEN: 't' }),
    ).toEqual({ url: 'http://b:9090', token: 't' });
  });

  it('reads the token from the file PROMETHEUS_TOKEN_FILE names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-prometheus-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'from-a-file\n');
      expect(
        prometheusConnection('http://a:9090', { PROMETHEUS_TOKEN_FILE: join(dir, 'token') }),
      ).toEqual({ url: 'http://a:9090', token: 'from-a-file' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to fix a missing or malformed URL', () => {
    expect(() => prometheusConnection(null, {})).toThrow(ConfigError);
    expect(() => prometheusConnection(null, {})).toThrow(/PROMETHEUS_URL/);
    expect(() => prometheusConnection(null, { PROMETHEUS_URL: 'prometheus:9090' })).toThrow(
      'PROMETHEUS_URL is "prometheus:9090", not an http(s) URL',
    );
  });
});
