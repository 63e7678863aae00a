import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsApp, startMetricsApp } from '../../test/support/metrics-app.js';
import { type PrometheusProcess, startPrometheus } from '../../test/support/prometheus.js';
import type { Analysis } from '../config/analysis.js';
import { runCheck } from './check.js';
import { analysisPlan } from './plan.js';
import { createPrometheusClient } from './prometheus/client.js';
import { AnalysisRun } from './run.js';

/** The analysis from the canary example, on a 5 s interval so a test waits seconds, not minutes. */
const ANALYSIS: Analysis = {
  interval: '5s',
  minSamples: 'sum(increase(http_requests_total{app="{canary}"}[{interval}])) >= 50',
  metrics: [
    {
      name: 'success-rate',
      query:
        'sum(rate(http_requests_total{app="{canary}",code!~"5.."}[{interval}])) / sum(rate(http_requests_total{app="{canary}"}[{interval}]))',
      thresholdRange: { min: 0.95 },
    },
    {
      name: 'latency-vs-primary',
      query: p90('{canary}'),
      baseline: p90('{primary}'),
      maxRatio: 1.2,
    },
  ],
};

/** A 90th percentile: with every request in one bucket it reads exactly (0.475, not 0.4975…). */
function p90(app: string): string {
  return `histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{app="${app}"}[{interval}])))`;
}

function values(canary: string) {
  return {
    service: 'web',
    environment: 'production',
    namespace: 'shop',
    canary,
    primary: 'web-primary',
    version: '1.4.2',
    previousVersion: '1.4.1',
  };
}

describe('runCheck against a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  const apps: MetricsApp[] = [];

  beforeAll(async () => {
    const instances = {
      'web-primary': { rps: 100, errorRatio: 0.005, latencyMs: 80 },
      'web-canary-healthy': { rps: 100, errorRatio: 0.01, latencyMs: 80 },
      'web-canary-erroring': { rps: 100, errorRatio: 0.12, latencyMs: 80 },
      'web-canary-idle': { rps: 0 },
      'web-canary-slow': { rps: 100, errorRatio: 0, latencyMs: 300 },
    };
    const targets = [];
    for (const [app, traffic] of Object.entries(instances)) {
      const started = await startMetricsApp(traffic);
      apps.push(started);
      targets.push({ target: started.target, labels: { app, version: '1.4.2' } });
    }
    prometheus = await startPrometheus(targets);
    // Rates over the 5 s interval read true once 5 s of scrapes exist.
    await prometheus.waitForHistory(5);
  });
  afterAll(async () => {
    await prometheus?.remove();
    await Promise.all(apps.map((app) => app.stop()));
  });

  const client = () => createPrometheusClient({ url: prometheus.url });

  it('passes a healthy canary, with each value against its threshold', async () => {
    const result = await runCheck(analysisPlan(ANALYSIS), {
      prometheus: client(),
      values: values('web-canary-healthy'),
    });
    expect(result.verdict, result.message).toBe('pass');
    // 100 requests a second for 5 s.
    expect(result.samples?.value).toBeCloseTo(500, -2);
    expect(result.metrics).toEqual([
      {
        name: 'success-rate',
        value: expect.closeTo(0.99, 6),
        threshold: '>= 0.95',
        verdict: 'pass',
        message: 'success-rate 0.99 (>= 0.95)',
      },
      {
        name: 'latency-vs-primary',
        value: expect.closeTo(0.095, 6),
        baseline: expect.closeTo(0.095, 6),
        threshold: '<= 1.2× the primary',
        verdict: 'pass',
        message: "latency-vs-primary 0.095 is 1× the primary's 0.095 (<= 1.2× the primary)",
      },
    ]);
  });

  it('fails a canary at 12% errors, with the measured value in the message', async () => {
    const plan = analysisPlan(ANALYSIS);
    const result = await runCheck(plan, {
      prometheus: client(),
      values: values('web-canary-erroring'),
    });
    expect(result.verdict).toBe('fail');
    expect(result.message).toBe('success-rate 0.88 < 0.95');
    expect(result.metrics[0]?.value).toBeCloseTo(0.88, 6);
    const run = new AnalysisRun(plan);
    expect(run.record(result)).toEqual({
      action: 'abort',
      cause: 'failed',
      reason: 'success-rate 0.88 < 0.95 (1 failed check, failureLimit 0)',
    });
  });

  it('is inconclusive, not failed, below minSamples, and says how many samples it saw', async () => {
    for (const canary of ['web-canary-idle', 'web-canary-that-never-started']) {
      const result = await runCheck(analysisPlan(ANALYSIS), {
        prometheus: client(),
        values: values(canary),
      });
      expect(result).toMatchObject({
        verdict: 'inconclusive',
        samples: { value: 0, min: 50 },
        metrics: [],
        message: '0 samples, 50 needed (minSamples): waiting for traffic',
      });
    }
  });

  it('is inconclusive when a metric has no data, even without minSamples', async () => {
    const { minSamples: _, ...withoutBar } = ANALYSIS;
    const result = await runCheck(analysisPlan(withoutBar), {
      prometheus: client(),
      values: values('web-canary-idle'),
    });
    expect(result.verdict).toBe('inconclusive');
    expect(result.message).toBe('success-rate: no data; latency-vs-primary: no data');
  });

  it('fails a canary slower than the primary by more than maxRatio, naming both values', async () => {
    const result = await runCheck(analysisPlan(ANALYSIS), {
      prometheus: client(),
      values: values('web-canary-slow'),
    });
    expect(result.verdict).toBe('fail');
    expect(result.message).toBe("latency-vs-primary 0.475 is 5× the primary's 0.095 (> 1.2×)");
    expect(result.metrics[1]).toMatchObject({
      value: expect.closeTo(0.475, 6),
      baseline: expect.closeTo(0.095, 6),
    });
  });

  it('judges a successCondition over several series with result[i]', async () => {
    const byCode = (condition: string): Analysis => ({
      interval: '5s',
      metrics: [
        {
          name: 'rates-by-code',
          // sort() fixes the order: the 5xx rate (the smaller) first.
          query: 'sort(sum by (code) (rate(http_requests_total{app="{canary}"}[{interval}])))',
          successCondition: condition,
        },
      ],
    });
    const context = { prometheus: client(), values: values('web-canary-erroring') };
    const passing = await runCheck(
      analysisPlan(byCode('result[0] < 20 and result[1] > 50')),
      context,
    );
    expect(passing.verdict, passing.message).toBe('pass');
    // Absolute rates move with scrape timing by a few thousandths; ratios do not.
    expect(passing.metrics[0]?.values).toEqual([expect.closeTo(12, 0), expect.closeTo(88, 0)]);
    const failing = await runCheck(analysisPlan(byCode('result[0] < 1')), context);
    expect(failing.message).toMatch(
      /^rates-by-code \[1[12][.\d]*, 8[78][.\d]*\] fails result\[0\] < 1$/,
    );
    const ambiguous = await runCheck(analysisPlan(byCode('result < 1')), context);
    expect(ambiguous.verdict).toBe('error');
    expect(ambiguous.message).toContain('"result" is ambiguous');
  });

  it('errors, without failing, on a query Prometheus refuses or a placeholder without value', async () => {
    const broken: Analysis = {
      interval: '5s',
      metrics: [
        {
          name: 'typo',
          query: 'sum(rate(http_requests_total[{interval}])))',
          thresholdRange: { max: 1 },
        },
        {
          name: 'versus-before',
          query: 'sum(up{version="{previousVersion}"})',
          thresholdRange: { min: 1 },
        },
        { name: 'by-app', query: 'sum by (app) (up)', thresholdRange: { min: 1 } },
      ],
    };
    const { previousVersion: _, ...firstDeploy } = values('web-canary-healthy');
    const result = await runCheck(analysisPlan(broken), {
      prometheus: client(),
      values: firstDeploy,
    });
    expect(result.verdict).toBe('error');
    expect(result.metrics.map((m) => m.message)).toEqual([
      'typo: Prometheus refused the query: invalid parameter "query": 1:36: parse error: unexpected right parenthesis \')\' (at column 44 of the query as written)',
      expect.stringMatching(/^versus-before: \{previousVersion\} has no value for this deployment/),
      expect.stringMatching(/^by-app: the query returned 5 series, not one value/),
    ]);
  });

  it('stops when its signal aborts instead of returning a verdict', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deployment cancelled'));
    await expect(
      runCheck(analysisPlan(ANALYSIS), {
        prometheus: client(),
        values: values('web-canary-healthy'),
        signal: controller.signal,
      }),
    ).rejects.toThrow('deployment cancelled');
  });
});

describe('an analysis run when Prometheus stops mid-run', () => {
  let prometheus: PrometheusProcess;
  let app: MetricsApp;

  beforeAll(async () => {
    app = await startMetricsApp({ rps: 100, errorRatio: 0.01, latencyMs: 80 });
    prometheus = await startPrometheus([
      { target: app.target, labels: { app: 'web-canary', version: '1.4.2' } },
    ]);
  });
  afterAll(async () => {
    await prometheus?.remove();
    await app?.stop();
  });

  it('errors each check and aborts once errors in a row exceed consecutiveErrorLimit', async () => {
    const plan = analysisPlan({
      ...ANALYSIS,
      metrics: ANALYSIS.metrics.slice(0, 1),
      consecutiveErrorLimit: 2,
    });
    const context = {
      prometheus: createPrometheusClient({ url: prometheus.url }),
      values: values('web-canary'),
    };
    const run = new AnalysisRun(plan);
    expect(run.record(await runCheck(plan, context)).action).toBe('advance');

    await prometheus.stop();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(run.record(await runCheck(plan, context)));
    expect(decisions.map((d) => d.action)).toEqual(['wait', 'wait', 'abort']);
    expect(decisions[2]).toEqual({
      action: 'abort',
      cause: 'errors',
      reason: `3 checks in a row could not be made (consecutiveErrorLimit 2): minSamples: Prometheus at ${prometheus.url} is unreachable: ECONNREFUSED`,
    });
    expect(run.state).toMatchObject({
      checks: 4,
      passes: 1,
      consecutiveErrors: 3,
      status: 'aborted',
    });
  });
});
