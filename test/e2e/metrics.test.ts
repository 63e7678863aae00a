import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import { webRequest } from '../support/engine-harness.js';
import { parseSamples, type Sample, sampleValue } from '../support/prometheus.js';
import { eventually, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * GET /metrics of a running Slipway, scraped over HTTP after real work: slash commands through
 * the local Slack (one 429 injected), deployments run by the command driver (one succeeds,
 * one fails), one waiting in the queue, one waiting for approval, and refused webhooks.
 */
let h: SlackHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function baseUrl(harness: SlackHarness): string {
  const { port } = harness.app.http.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function scrape(harness: SlackHarness): Promise<{ samples: Sample[]; type: string }> {
  const res = await fetch(`${baseUrl(harness)}/metrics`);
  expect(res.status).toBe(200);
  return { samples: parseSamples(await res.text()), type: res.headers.get('content-type') ?? '' };
}

async function deploymentOf(harness: SlackHarness, service: string, version: string) {
  return eventually(async () =>
    (await harness.app.engine.history({ service, limit: 10 })).find((d) => d.version === version),
  );
}

async function waitState(harness: SlackHarness, d: Deployment, state: Deployment['state']) {
  await eventually(async () => (await harness.app.store.getDeployment(d.id))?.state === state);
}

describe('GET /metrics', () => {
  it('reports deployments, queue, approvals, chat calls and webhooks as they happened', async () => {
    h = await startSlackHarness({ mode: 'http', ms: 900 });
    // The first message Slipway posts is answered 429 with Retry-After: 1, then accepted.
    h.slack.faults.next('chat.postMessage', { status: 429, retryAfterSec: 1 });

    await h.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'web 1.4.2 to staging' });
    const first = await deploymentOf(h, 'web', '1.4.2');
    await waitState(h, first, 'running');
    // Behind the running one, on the same target: it waits in the queue.
    const queued = await h.app.engine.request(webRequest({ version: '1.4.3' }));
    expect(queued.ok && queued.deployment.state).toBe('queued');
    const waiting = await h.app.engine.request(
      webRequest({ channel: 'C-DEPLOYS', environment: 'production' }),
    );
    expect(waiting.ok && waiting.deployment.state).toBe('awaiting_approval');

    const during = await scrape(h);
    const web = (environment: string) => ({ service: 'web', environment });
    expect(sampleValue(during.samples, 'slipway_deployments_queued', web('staging'))).toBe(1);
    expect(sampleValue(during.samples, 'slipway_deployments_in_flight')).toBe(1);

    // A version with "bad" in it crashes; nothing earlier is known, so it fails outright.
    await h.slack.slashCommand({
      user: 'U-DEV2',
      channel: 'C-API',
      text: 'api 2.0.0-bad to staging',
    });
    const bad = await deploymentOf(h, 'api', '2.0.0-bad');
    expect((await h.waitFinal(bad.id)).state).toBe('failed');
    expect((await h.waitFinal(first.id)).state).toBe('succeeded');
    if (queued.ok) expect((await h.waitFinal(queued.deployment.id)).state).toBe('succeeded');
    await h.settled();

    // Refused webhooks: no SLIPWAY_WEBHOOK_SECRET (503), no GITHUB_WEBHOOK_SECRET (503), and
    // an unsigned Slack request (401).
    const post = (path: string) =>
      fetch(`${baseUrl(h as SlackHarness)}${path}`, { method: 'POST', body: '{}' });
    expect((await post('/hooks/build')).status).toBe(503);
    expect((await post('/hooks/github')).status).toBe(503);
    expect((await post('/slack/events')).status).toBe(401);
    expect((await fetch(`${baseUrl(h)}/healthz`)).status).toBe(200);

    const { samples, type } = await scrape(h);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const finished = (service: string, outcome: string) =>
      sampleValue(samples, 'slipway_deployments_finished_total', {
        service,
        environment: 'staging',
        outcome,
      });
    expect(finished('web', 'succeeded')).toBe(2);
    expect(finished('api', 'failed')).toBe(1);
    expect(finished('web', 'failed')).toBeUndefined();
    const duration = (suffix: string, service: string, outcome: string) =>
      sampleValue(samples, `slipway_deployment_duration_seconds_${suffix}`, {
        service,
        environment: 'staging',
        outcome,
      });
    expect(duration('count', 'web', 'succeeded')).toBe(2);
    // Each deploy takes 0.9 s in the fake program, and every run is timed from its start.
    expect(duration('sum', 'web', 'succeeded')).toBeGreaterThanOrEqual(1.8);
    expect(duration('count', 'api', 'failed')).toBe(1);

    expect(sampleValue(samples, 'slipway_deployments_queued', web('staging'))).toBe(0);
    expect(sampleValue(samples, 'slipway_deployments_awaiting_approval', web('production'))).toBe(
      1,
    );
    expect(sampleValue(samples, 'slipway_deployments_awaiting_approval', web('staging'))).toBe(0);
    expect(sampleValue(samples, 'slipway_deployments_in_flight')).toBe(0);

    const calls = (method: string, result: string) =>
      sampleValue(samples, 'slipway_chat_api_calls_total', { method, result }) ?? 0;
    expect(calls('chat.postMessage', 'ok')).toBeGreaterThanOrEqual(2);
    expect(calls('chat.update', 'ok')).toBeGreaterThanOrEqual(1);
    const limited = (name: string) => sampleValue(samples, name, { method: 'chat.postMessage' });
    expect(limited('slipway_chat_rate_limited_calls_total')).toBeGreaterThanOrEqual(1);
    expect(limited('slipway_chat_rate_limit_wait_seconds_total')).toBeGreaterThanOrEqual(1);

    const hook = (name: string, code: string) =>
      sampleValue(samples, 'slipway_webhook_requests_total', { hook: name, code });
    expect(hook('build', '503')).toBe(1);
    expect(hook('github', '503')).toBe(1);
    expect(hook('slack', '401')).toBe(1);
    // The two slash commands, delivered by the local Slack and acknowledged.
    expect(hook('slack', '200')).toBe(2);

    // Everything acknowledged has been handled, and nothing was refused as busy.
    expect(sampleValue(samples, 'slipway_chat_events_waiting')).toBe(0);
    expect(sampleValue(samples, 'slipway_chat_commands_refused_busy_total')).toBe(0);

    // Node's process metrics are there too.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });
});
