import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/ports.js';
import { type PrometheusProcess, startPrometheus } from '../../test/support/prometheus.js';
import { formatIssues, parseConfig, placeIssues } from '../config/load.js';
import { checkAnalysisQueries } from './config-check.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** A service with a canary in production; `query` is the success-rate metric's (line 21). */
function yaml(query: string, url?: string): string {
  return [
    'environments:', // 1
    '  - name: production', // 2
    '    order: 1', // 3
    'services:', // 4
    '  - name: web', // 5
    '    driver: { driver: kubernetes, options: { namespace: shop, canary: { router: replicas } } }', // 6
    '    environments:', // 7
    '      production:', // 8
    '        driver: kubernetes', // 9
    '        strategy:', // 10
    '          canary:', // 11
    '            steps: [5, 50, 100]', // 12
    '            analysis:', // 13
    url ? `              prometheus: { url: "${url}" }` : '              interval: 1m', // 14
    `              minSamples: 'sum(increase(http_requests_total{app="{canary}"}[{interval}])) >= 50'`, // 15
    '              metrics:', // 16
    '                - name: errors', // 17
    `                  query: 'sum(rate(http_requests_total{app="{canary}",code=~"5.."}[{interval}]))'`, // 18
    '                  thresholdRange: { max: 1 }', // 19
    '                - name: success-rate', // 20
    `                  query: '${query}'`, // 21
    '                  thresholdRange: { min: 0.95 }', // 22
  ].join('\n');
}

const GOOD =
  'sum(rate(http_requests_total{app="{canary}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{app="{canary}"}[{interval}]))';
// One ")" too many at the end.
const BAD = `${GOOD})`;

function configOf(text: string) {
  const result = parseConfig(text);
  if (!result.ok) throw new Error(formatIssues(result.errors));
  return result.config;
}

describe('config check sends analysis queries to Prometheus', () => {
  let prometheus: PrometheusProcess;
  let dir: string;

  beforeAll(async () => {
    prometheus = await startPrometheus();
    dir = mkdtempSync(join(tmpdir(), 'slipway-config-check-'));
  });
  afterAll(async () => {
    await prometheus?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes queries Prometheus accepts, from PROMETHEUS_URL', async () => {
    const checked = await checkAnalysisQueries(configOf(yaml(GOOD)), {
      env: { PROMETHEUS_URL: prometheus.url },
    });
    expect(checked).toEqual({ errors: [], warnings: [] });
  });

  it("refuses a query Prometheus cannot parse, with Prometheus' message and the place as written", async () => {
    const text = yaml(BAD, prometheus.url);
    const checked = await checkAnalysisQueries(configOf(text), { env: {} });
    expect(checked.warnings).toEqual([]);
    const [issue, ...rest] = placeIssues(text, checked.errors);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      line: 21,
      path: 'services[0].environments.production.strategy.canary.analysis.metrics[1].query',
      // Prometheus counts in the query it was sent, "web-canary" and "1m" filled in, and
      // points just after the token it did not expect.
      message:
        "Prometheus refuses this query: 1:121: parse error: unexpected right parenthesis ')'",
    });
    expect(issue?.fix).toBe(
      `correct the PromQL at column ${BAD.length + 1} of the query as written: …sts_total{app="{canary}"}[{interval}])))⟨here⟩`,
    );
  });

  it('refuses a query that returns a range vector', async () => {
    const checked = await checkAnalysisQueries(
      configOf(yaml('http_requests_total{app="{canary}"}[{interval}]', prometheus.url)),
      { env: {} },
    );
    expect(checked.errors).toEqual([
      expect.objectContaining({
        path: [
          'services',
          0,
          'environments',
          'production',
          'strategy',
          'canary',
          'analysis',
          'metrics',
          1,
          'query',
        ],
        message: expect.stringContaining('range vector'),
      }),
    ]);
  });

  it('only warns when Prometheus cannot be reached, or no URL is given', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const away = await checkAnalysisQueries(configOf(yaml(BAD, unreachable)), { env: {} });
    expect(away.errors).toEqual([]);
    expect(away.warnings).toEqual([
      expect.objectContaining({
        message: `queries not checked: Prometheus at ${unreachable} is unreachable: ECONNREFUSED`,
      }),
    ]);
    const nowhere = await checkAnalysisQueries(configOf(yaml(BAD)), { env: {} });
    expect(nowhere.errors).toEqual([]);
    expect(nowhere.warnings.map((w) => w.message)).toEqual([
      'these queries were not checked: no Prometheus URL',
    ]);
  });

  it('slipway config check prints the refusal at its line and exits 1', async () => {
    const file = join(dir, 'slipway.yaml');
    writeFileSync(file, yaml(BAD));
    const run = await cli(['config', 'check', '--config', file], {
      PROMETHEUS_URL: prometheus.url,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      `${file}:21:26 services[0].environments.production.strategy.canary.analysis.metrics[1].query: Prometheus refuses this query: 1:121: parse error: unexpected right parenthesis ')' — fix: correct the PromQL at column ${BAD.length + 1} of the query as written`,
    );
    expect(run.stderr).toContain('1 problem(s)');

    writeFileSync(file, yaml(GOOD));
    const good = await cli(['config', 'check', '--config', file], {
      PROMETHEUS_URL: prometheus.url,
    });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('is valid');
  });
});

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/index.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}
