import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../core/errors.js';
import { type Attempt, explain, GitHubRefusedError, retryAfterMs, withRetry } from './errors.js';

const dispatch: Attempt = {
  kind: 'dispatch',
  owner: 'acme',
  repo: 'web',
  workflow: 'deploy.yml',
  ref: 'main',
};
const now = Date.parse('2026-03-01T10:00:00Z');

/** What Octokit's RequestError looks like to `explain`. */
function failure(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), {
    status,
    response: { headers, data: { message, documentation_url: 'https://docs.github.com/rest' } },
  });
}

describe('explain', () => {
  it('tells a rate limit from a missing permission on 403', () => {
    const limited = explain(
      failure(403, 'API rate limit exceeded for user ID 1.', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(now / 1000 + 60),
      }),
      dispatch,
      now,
    );
    expect(limited).toBeInstanceOf(RetryableError);
    expect((limited as RetryableError).retryAfterMs).toBe(61_000);
    const forbidden = explain(
      failure(403, 'Resource not accessible by integration'),
      dispatch,
      now,
    );
    expect(forbidden).toBeInstanceOf(GitHubRefusedError);
    expect(forbidden.message).toBe(
      `GitHub refused to dispatch workflow deploy.yml in acme/web (403: Resource not accessible by integration): give Slipway's token actions:write on acme/web (fine-grained token: "Actions" read and write; classic token: the repo scope).`,
    );
  });

  it('makes 429, 5xx and unreachable retryable, with the wait GitHub asks for', () => {
    const throttled = explain(failure(429, 'slow down', { 'retry-after': '30' }), dispatch, now);
    expect(throttled).toMatchObject({ retryAfterMs: 30_000 });
    expect(explain(failure(502, 'Bad Gateway'), dispatch, now)).toBeInstanceOf(RetryableError);
    const refused = explain(new TypeError('fetch failed'), dispatch, now);
    expect(refused).toBeInstanceOf(RetryableError);
    expect(refused.message).toBe('GitHub could not be reached (fetch failed)');
  });

  it('says which names to check on 404, for a workflow and for a run', () => {
    expect(explain(failure(404, 'Not Found'), dispatch).message).toMatch(
      /^GitHub found no workflow deploy\.yml in acme\/web \(404: Not Found\): check "owner", "repo" and "workflow"/,
    );
    expect(
      explain(failure(404, 'Not Found'), { kind: 'get-run', owner: 'acme', repo: 'web', runId: 5 })
        .message,
    ).toMatch(/^GitHub has no workflow run 5 in acme\/web any more/);
  });
});

describe('retryAfterMs', () => {
  it('reads Retry-After as seconds or as a date, else the rate-limit reset', () => {
    expect(retryAfterMs({ 'retry-after': '2' }, now)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Mar 2026 10:00:05 GMT' }, now)).toBe(5_000);
    expect(
      retryAfterMs({ 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '1' }, now),
    ).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});

describe('withRetry', () => {
  const policy = { attempts: 3, baseMs: 1, maxWaitMs: 1_000 };
  const signal = new AbortController().signal;

  it('tries again on retryable failures, up to its attempts', async () => {
    let calls = 0;
    await expect(
      withRetry(dispatch, policy, { signal }, async () => {
        calls++;
        throw failure(503, 'unavailable');
      }),
    ).rejects.toThrow('GitHub answered 503 (unavailable)');
    expect(calls).toBe(3);
  });

  it('does not try again what another try will not fix', async () => {
    let calls = 0;
    await expect(
      withRetry(dispatch, policy, { signal }, async () => {
        calls++;
        throw failure(401, 'Bad credentials');
      }),
    ).rejects.toBeInstanceOf(GitHubRefusedError);
    expect(calls).toBe(1);
  });

  it('asks settle after a 5xx, and stops with what it found', async () => {
    let calls = 0;
    const result = await withRetry<string | null>(
      dispatch,
      policy,
      { signal, settle: async () => 'found' },
      async () => {
        calls++;
        throw failure(500, 'oops');
      },
    );
    expect(result).toBe('found');
    expect(calls).toBe(1);
  });
});
