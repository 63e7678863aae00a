import type { RateRule } from './schema.js';

/**
 * Slack's Web API tiers, applied "per API method per workspace per app"
 * (docs.slack.dev/apis/web-api/rate-limits): Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min,
 * Tier 4 100+/min, each with some burst tolerance. Slack publishes floors, not bucket sizes;
 * the bursts below are the double's choice and every rule can be overridden per method.
 */
const TIER_1: RateRule = { perMinute: 1, burst: 10, per: 'method' };
const TIER_3: RateRule = { perMinute: 50, burst: 50, per: 'method' };
const TIER_4: RateRule = { perMinute: 100, burst: 100, per: 'method' };

export const DEFAULT_RATE_RULES: Readonly<Record<string, RateRule>> = {
  // Special tier: "chat.postMessage generally allows posting one message per second per
  // channel", "short bursts >1 allowed" (rate-limits, "Posting messages").
  'chat.postMessage': { perMinute: 60, burst: 5, per: 'channel' },
  'chat.update': TIER_3,
  'chat.postEphemeral': TIER_4,
  'conversations.open': TIER_3,
  // Tier 3 for apps built for one workspace, as Slipway is; apps distributed outside the
  // Marketplace get far less (docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps).
  'conversations.history': TIER_3,
  'users.info': TIER_4,
  // auth.test and chat.getPermalink are "special"; Slack lets them run at least at Tier 4.
  'auth.test': TIER_4,
  'chat.getPermalink': TIER_4,
  'views.open': TIER_4,
  'apps.connections.open': TIER_1,
};

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

export interface RateLimiter {
  /** Takes one token for this call, or says how long to wait (whole seconds, at least 1). */
  take(method: string, channel?: string): RateDecision;
  reset(): void;
}

/**
 * A token bucket per method, or per (method, channel) for rules with `per: 'channel'`.
 * Runs on a monotonic clock so a test's fake wall clock cannot freeze the refill.
 */
export function createRateLimiter(
  overrides: Record<string, RateRule>,
  now: () => number = () => performance.now(),
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    take(method, channel) {
      const rule = overrides[method] ?? DEFAULT_RATE_RULES[method] ?? TIER_3;
      const key = rule.per === 'channel' ? `${method}:${channel ?? ''}` : method;
      const ratePerMs = rule.perMinute / 60_000;
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: rule.burst, at: t };
      bucket.tokens = Math.min(rule.burst, bucket.tokens + (t - bucket.at) * ratePerMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      const waitMs = (1 - bucket.tokens) / ratePerMs;
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
    reset() {
      buckets.clear();
    },
  };
}
