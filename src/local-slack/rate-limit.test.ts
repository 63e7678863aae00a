import { LogLevel, retryPolicies, WebClient, WebClientEvent } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { createLocalSlack } from './index.js';
import { createRateLimiter } from './rate-limit.js';

describe('token buckets', () => {
  it('allows a burst, then answers with the whole seconds to wait', () => {
    let now = 0;
    const limiter = createRateLimiter(
      { 'chat.update': { perMinute: 30, burst: 2, per: 'method' } },
      () => now,
    );
    expect(limiter.take('chat.update')).toEqual({ ok: true });
    expect(limiter.take('chat.update')).toEqual({ ok: true });
    expect(limiter.take('chat.update')).toEqual({ ok: false, retryAfterSec: 2 });
    now += 2_000;
    expect(limiter.take('chat.update')).toEqual({ ok: true });
  });

  it('keeps one bucket per channel for chat.postMessage (1 per second per channel)', () => {
    let now = 0;
    const limiter = createRateLimiter({}, () => now);
    for (let i = 0; i < 5; i++) expect(limiter.take('chat.postMessage', 'C1').ok).toBe(true);
    expect(limiter.take('chat.postMessage', 'C1')).toEqual({ ok: false, retryAfterSec: 1 });
    expect(limiter.take('chat.postMessage', 'C2').ok).toBe(true);
    now += 1_000;
    expect(limiter.take('chat.postMessage', 'C1').ok).toBe(true);
  });
});

describe('429 with Retry-After through @slack/web-api', () => {
  it('answers 429 ratelimited with Retry-After, and the WebClient gets through after it', async () => {
    const slack = createLocalSlack({
      channels: [{ id: 'C0DEPLOYS', name: 'deploys' }],
      rateLimits: { 'chat.postMessage': { perMinute: 60, burst: 1, per: 'channel' } },
    });
    const { apiUrl } = await slack.start();
    try {
      const raw = await fetch(`${apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slack.config.botToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'channel=C0DEPLOYS&text=first',
      });
      expect(raw.status).toBe(200);
      const client = new WebClient(slack.config.botToken, {
        slackApiUrl: apiUrl,
        logLevel: LogLevel.ERROR,
        // Fast p-retry backoff; the wait itself comes from Retry-After.
        retryConfig: retryPolicies.rapidRetryPolicy,
      });
      const waits: number[] = [];
      client.on(WebClientEvent.RATE_LIMITED, (sec: number) => waits.push(sec));
      const started = Date.now();
      const r = await client.chat.postMessage({ channel: 'C0DEPLOYS', text: 'second' });
      expect(r.ok).toBe(true);
      expect(waits).toEqual([1]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(slack.calls('chat.postMessage').map((c) => [c.status, c.error])).toEqual([
        [200, undefined],
        [429, 'ratelimited'],
        [200, undefined],
      ]);
      expect(slack.history('C0DEPLOYS').map((m) => m.text)).toEqual(['first', 'second']);

      const limited = await fetch(`${apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${slack.config.botToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ channel: 'C0DEPLOYS', text: 'third' }),
      });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    } finally {
      await slack.stop();
    }
  });
});
