import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scenarioConfig } from '../../test/support/engine-harness.js';
import { parseSamples, sampleValue } from '../../test/support/prometheus.js';
import { deployment } from '../chat/test-support/deployments.js';
import type { Deployment, DeploymentState } from '../core/deployment.js';
import { createLogger } from '../core/logger.js';
import { createEventBus } from '../engine/events.js';
import type { DeploymentCount } from '../store/types.js';
import { chatCallRecorder, createMetrics, type MetricsSources } from './metrics.js';

function setup(counts: (states: readonly DeploymentState[]) => Promise<DeploymentCount[]>) {
  const lines: string[] = [];
  const log = createLogger(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const events = createEventBus((err) => {
    throw err;
  });
  let inFlight = 0;
  const sources: MetricsSources = {
    config: scenarioConfig('/nonexistent'),
    store: { countDeployments: counts },
    events,
    inFlight: () => inFlight,
    log,
  };
  const metrics = createMetrics(sources);
  return {
    metrics,
    events,
    lines,
    setInFlight: (n: number) => {
      inFlight = n;
    },
    scrape: async () => parseSamples(await metrics.scrape()),
  };
}

const none = async () => [];

function finished(d: Deployment, from: DeploymentState) {
  return {
    type: 'transition' as const,
    deployment: d,
    transition: { from, to: d.state, actor: 'slipway', reason: null },
  };
}

describe('metrics', () => {
  it('counts deployments that reach a final state, with the duration of those that ran', async () => {
    const { events, scrape } = setup(none);
    const start = new Date('2026-03-01T10:00:00Z');
    const plus = (s: number) => new Date(start.getTime() + s * 1000);
    events.emit(finished(deployment({ state: 'verifying', startedAt: start }), 'running'));
    events.emit(
      finished(
        deployment({ id: 'd-1', state: 'succeeded', startedAt: start, finishedAt: plus(90) }),
        'verifying',
      ),
    );
    events.emit(
      finished(
        deployment({ id: 'd-2', state: 'failed', startedAt: start, finishedAt: plus(4) }),
        'running',
      ),
    );
    // Cancelled before it ran: counted, but it has no duration.
    events.emit(finished(deployment({ id: 'd-3', state: 'cancelled' }), 'awaiting_approval'));
    const samples = await scrape();
    const target = { service: 'web', environment: 'staging' };
    const count = (outcome: string) =>
      sampleValue(samples, 'slipway_deployments_finished_total', { ...target, outcome });
    expect(count('succeeded')).toBe(1);
    expect(count('failed')).toBe(1);
    expect(count('cancelled')).toBe(1);
    expect(count('verifying')).toBeUndefined();
    const duration = (suffix: string, outcome: string, le?: string) =>
      sampleValue(samples, `slipway_deployment_duration_seconds_${suffix}`, {
        ...target,
        outcome,
        ...(le ? { le } : {}),
      });
    expect(duration('sum', 'succeeded')).toBe(90);
    expect(duration('bucket', 'succeeded', '60')).toBe(0);
    expect(duration('bucket', 'succeeded', '120')).toBe(1);
    expect(duration('sum', 'failed')).toBe(4);
    expect(duration('count', 'cancelled')).toBeUndefined();
  });

  it('reads queue depth and waiting approvals from the store at each scrape', async () => {
    let queued = 3;
    const asked: string[][] = [];
    const { scrape, setInFlight } = setup(async (states) => {
      asked.push([...states]);
      if (states.includes('queued'))
        return queued
          ? [{ service: 'web', environment: 'staging', state: 'queued', count: 3 }]
          : [];
      return [{ service: 'web', environment: 'production', state: 'awaiting_approval', count: 1 }];
    });
    setInFlight(2);
    let samples = await scrape();
    expect(
      sampleValue(samples, 'slipway_deployments_queued', {
        service: 'web',
        environment: 'staging',
      }),
    ).toBe(3);
    expect(
      sampleValue(samples, 'slipway_deployments_awaiting_approval', {
        service: 'web',
        environment: 'production',
      }),
    ).toBe(1);
    expect(sampleValue(samples, 'slipway_deployments_in_flight')).toBe(2);
    expect(asked).toEqual(expect.arrayContaining([['queued'], ['awaiting_approval']]));

    queued = 0;
    setInFlight(0);
    samples = await scrape();
    // A drained queue reads 0 for every configured target, rather than vanishing.
    const depth = (service: string, environment: string) =>
      sampleValue(samples, 'slipway_deployments_queued', { service, environment });
    expect(depth('web', 'staging')).toBe(0);
    expect(depth('api', 'production')).toBe(0);
    // api is not deployable to perf: no series for it.
    expect(depth('api', 'perf')).toBeUndefined();
    expect(sampleValue(samples, 'slipway_deployments_in_flight')).toBe(0);
  });

  it('still answers a scrape when the store does not, and says so in the log', async () => {
    const { scrape, lines } = setup(() => Promise.reject(new Error('database is down')));
    const samples = await scrape();
    expect(samples.some((s) => s.name === 'slipway_deployments_queued')).toBe(false);
    expect(sampleValue(samples, 'slipway_deployments_in_flight')).toBe(0);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(lines.join('')).toContain('could not count deployments');
  });

  it('keeps one registry per app, so two apps in one process count apart', async () => {
    const a = setup(none);
    const b = setup(none);
    a.metrics.webhook('build', 401);
    a.metrics.webhook('build', 401);
    b.metrics.webhook('github', 200);
    const sa = await a.scrape();
    const sb = await b.scrape();
    expect(sampleValue(sa, 'slipway_webhook_requests_total', { hook: 'build', code: '401' })).toBe(
      2,
    );
    expect(sampleValue(sb, 'slipway_webhook_requests_total', { hook: 'build' })).toBeUndefined();
    expect(sampleValue(sb, 'slipway_webhook_requests_total', { hook: 'github', code: '200' })).toBe(
      1,
    );
    expect(a.metrics.contentType).toContain('text/plain');
  });

  it('counts chat calls by result, and the calls that waited out a 429 and for how long', async () => {
    const { metrics, scrape } = setup(none);
    const record = chatCallRecorder(metrics);
    record({ method: 'chat.postMessage', ok: true, retriedAfterMs: 0 });
    record({ method: 'chat.postMessage', ok: true, retriedAfterMs: 2_000 });
    record({ method: 'chat.update', ok: false, retriedAfterMs: 500, error: 'retryable' });
    const samples = await scrape();
    const calls = (method: string, result: string) =>
      sampleValue(samples, 'slipway_chat_api_calls_total', { method, result });
    expect(calls('chat.postMessage', 'ok')).toBe(2);
    expect(calls('chat.update', 'retryable')).toBe(1);
    expect(calls('chat.update', 'ok')).toBeUndefined();
    const limited = (name: string, method: string) => sampleValue(samples, name, { method });
    expect(limited('slipway_chat_rate_limited_calls_total', 'chat.postMessage')).toBe(1);
    expect(limited('slipway_chat_rate_limit_wait_seconds_total', 'chat.postMessage')).toBe(2);
    expect(limited('slipway_chat_rate_limit_wait_seconds_total', 'chat.update')).toBe(0.5);
  });
});
