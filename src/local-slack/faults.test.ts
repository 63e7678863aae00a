import { ErrorCode, LogLevel, retryPolicies, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChaosOptions } from './faults.js';
import { createLocalSlack, type LocalSlack } from './index.js';

const CHANNELS = [{ id: 'C0DEPLOYS', name: 'deploys' }];
const FAST = { 'chat.postMessage': { perMinute: 60_000, burst: 1_000, per: 'channel' as const } };

let slack: LocalSlack;
let apiUrl: string;
const client = (retryConfig = retryPolicies.rapidRetryPolicy, timeout = 0) =>
  new WebClient(slack.config.botToken, {
    slackApiUrl: apiUrl,
    logLevel: LogLevel.ERROR,
    retryConfig,
    timeout,
  });

beforeEach(async () => {
  slack = createLocalSlack({ channels: CHANNELS, rateLimits: FAST });
  ({ apiUrl } = await slack.start());
});
afterEach(() => slack.stop());

describe('injected faults', () => {
  it('answers an injected 503 and records nothing', async () => {
    slack.faults.next('chat.postMessage', { status: 503 });
    const err = (await client({ retries: 0 })
      .chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' })
      .catch((e: unknown) => e)) as { code: string; statusCode: number };
    expect(err).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    expect(slack.history('C0DEPLOYS')).toEqual([]);
    expect(slack.calls('chat.postMessage').map((c) => c.status)).toEqual([503]);
  });

  it('fails the next N calls, after which a retrying client posts once', async () => {
    slack.faults.next('*', { status: 500, times: 2 });
    await client().chat.postMessage({ channel: 'C0DEPLOYS', text: 'once' });
    expect(slack.calls().map((c) => c.status)).toEqual([500, 500, 200]);
    expect(slack.history('C0DEPLOYS').map((m) => m.text)).toEqual(['once']);
    expect(slack.faults.injected()).toEqual({ 'chat.postMessage': 2 });
  });

  it('delays a call past the client timeout without recording it', async () => {
    slack.faults.delay('chat.postMessage', 300);
    const err = (await client({ retries: 0 }, 100)
      .chat.postMessage({ channel: 'C0DEPLOYS', text: 'late' })
      .catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe(ErrorCode.RequestError);
    await new Promise((r) => setTimeout(r, 400));
    expect(slack.history('C0DEPLOYS')).toEqual([]);
    expect(slack.calls('chat.postMessage')[0]?.error).toBe('client_gone');
  });

  it('can also act first and answer late, the ambiguous timeout', async () => {
    slack.faults.delay('chat.postMessage', 300, { when: 'after' });
    await expect(
      client({ retries: 0 }, 100).chat.postMessage({ channel: 'C0DEPLOYS', text: 'acted' }),
    ).rejects.toMatchObject({ code: ErrorCode.RequestError });
    expect(slack.history('C0DEPLOYS').map((m) => m.text)).toEqual(['acted']);
  });
});

describe('chaos', () => {
  async function statuses(options: ChaosOptions, calls: number): Promise<number[]> {
    const s = createLocalSlack({
      channels: CHANNELS,
      rateLimits: { 'auth.test': FAST['chat.postMessage'] },
    });
    const { apiUrl: url } = await s.start();
    s.faults.chaos(options);
    const out: number[] = [];
    for (let i = 0; i < calls; i++) {
      const r = await fetch(`${url}auth.test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.config.botToken}` },
      });
      out.push(r.status);
    }
    await s.stop();
    return out;
  }

  it('is reproducible by seed', async () => {
    const options: ChaosOptions = { rate: 0.3, seed: 42, statuses: [429, 500, 503] };
    const a = await statuses(options, 40);
    const b = await statuses(options, 40);
    const c = await statuses({ ...options, seed: 7 }, 40);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const failed = a.filter((s) => s !== 200).length;
    expect(failed).toBeGreaterThan(4);
    expect(failed).toBeLessThan(24);
    expect(new Set(a)).toEqual(new Set([200, 429, 500, 503]));
  });

  it('lets a retrying client post every message exactly once', async () => {
    slack.faults.chaos({ rate: 0.3, seed: 3, statuses: [500, 502, 503] });
    const c = client({ ...retryPolicies.rapidRetryPolicy, retries: 20 });
    for (let i = 0; i < 20; i++) await c.chat.postMessage({ channel: 'C0DEPLOYS', text: `m${i}` });
    expect(slack.history('C0DEPLOYS').map((m) => m.text)).toEqual(
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    expect(slack.calls('chat.postMessage').filter((r) => r.status !== 200).length).toBeGreaterThan(
      0,
    );
  });
});
