import { formatDuration } from '../../core/duration.js';
import { RetryableError, SlipwayError } from '../../core/errors.js';
import { retryAfterMs as retryAfterHeader } from '../../core/retry-after.js';

/** What the driver was doing when GitHub refused, for the sentence it turns into. */
export interface Attempt {
  kind: 'dispatch' | 'list-runs' | 'get-run' | 'list-jobs' | 'cancel';
  owner: string;
  repo: string;
  workflow?: string;
  ref?: string;
  runId?: number;
}

/** GitHub refused for a reason another try will not fix (credentials, names, the workflow). */
export class GitHubRefusedError extends SlipwayError {
  override readonly code = 'github_refused';
  override readonly status = 502;
  constructor(
    message: string,
    /** GitHub's HTTP status. */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** What Octokit throws (RequestError), seen structurally so nothing else is trusted. */
interface HttpFailure {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown>; data?: unknown };
}

/**
 * Turns what a GitHub call threw into a RetryableError (429, 5xx, secondary and primary rate
 * limits, network) or a GitHubRefusedError whose message says what to fix. Octokit's own error
 * is dropped: it carries the request, whose headers a careless log line could print.
 */
export function explain(err: unknown, attempt: Attempt, now = Date.now()): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const failure = (typeof err === 'object' && err !== null ? err : {}) as HttpFailure;
  const status = typeof failure.status === 'number' ? failure.status : 0;
  const headers = failure.response?.headers ?? {};
  const said = githubMessage(failure);
  const repo = `${attempt.owner}/${attempt.repo}`;
  const wait = retryAfterMs(headers, now);
  if (!failure.response || status === 0) {
    const text = err instanceof Error ? err.message : String(err);
    return new RetryableError(`GitHub could not be reached (${text})`, undefined, { status: 0 });
  }
  if (status === 429 || (status === 403 && (wait !== undefined || /rate limit/i.test(said)))) {
    return new RetryableError(`GitHub is rate limiting this token (${status}: ${said})`, wait, {
      status,
    });
  }
  if (status >= 500) {
    return new RetryableError(`GitHub answered ${status} (${said})`, wait, { status });
  }
  const doing = describe(attempt);
  switch (status) {
    case 401:
      return new GitHubRefusedError(
        `GitHub rejected Slipway's token while trying to ${doing} (401: ${said}): set GITHUB_TOKEN (or GITHUB_TOKEN_FILE) to a token that is valid and not expired, with actions:write on ${repo}.`,
        401,
      );
    case 403:
      return new GitHubRefusedError(
        `GitHub refused to ${doing} (403: ${said}): give Slipway's token actions:write on ${repo} (fine-grained token: "Actions" read and write; classic token: the repo scope).`,
        403,
      );
    case 404:
      return new GitHubRefusedError(notFound(attempt, said), 404);
    case 422:
      return new GitHubRefusedError(unprocessable(attempt, said), 422);
    default:
      return new GitHubRefusedError(`GitHub answered ${status} to ${doing}: ${said}`, status);
  }
}

function describe(attempt: Attempt): string {
  const repo = `${attempt.owner}/${attempt.repo}`;
  switch (attempt.kind) {
    case 'dispatch':
      return `dispatch workflow ${attempt.workflow} in ${repo}`;
    case 'list-runs':
      return `list the runs of workflow ${attempt.workflow} in ${repo}`;
    case 'get-run':
      return `read workflow run ${attempt.runId} in ${repo}`;
    case 'list-jobs':
      return `read the jobs of workflow run ${attempt.runId} in ${repo}`;
    case 'cancel':
      return `cancel workflow run ${attempt.runId} in ${repo}`;
  }
}

function notFound(attempt: Attempt, said: string): string {
  const repo = `${attempt.owner}/${attempt.repo}`;
  if (attempt.kind === 'dispatch' || attempt.kind === 'list-runs') {
    return `GitHub found no workflow ${attempt.workflow} in ${repo} (404: ${said}): check "owner", "repo" and "workflow" (the file name under .github/workflows, e.g. deploy.yml) in the github-actions options, and that Slipway's token can see ${repo} (GitHub answers 404 to a token without access to a private repository).`;
  }
  return `GitHub has no workflow run ${attempt.runId} in ${repo} any more (404: ${said}): it was deleted, or Slipway's token lost access to ${repo}.`;
}

function unprocessable(attempt: Attempt, said: string): string {
  const prefix = `GitHub refused the dispatch of ${attempt.workflow} on ${attempt.ref ?? 'its ref'} in ${attempt.owner}/${attempt.repo} (422: ${said})`;
  if (attempt.kind !== 'dispatch') return `GitHub refused to ${describe(attempt)} (422: ${said})`;
  if (/workflow_dispatch/i.test(said))
    return `${prefix}: add "on: workflow_dispatch" with its inputs to the workflow, on the branch "ref" names.`;
  if (/unexpected inputs/i.test(said))
    return `${prefix}: declare these inputs under on.workflow_dispatch.inputs, or rename Slipway's with versionInput, environmentInput and correlationIdInput.`;
  if (/required input/i.test(said))
    return `${prefix}: give that input a default in the workflow, or a value under "inputs" in the github-actions options.`;
  if (/no ref found|ref/i.test(said))
    return `${prefix}: "ref" must name an existing branch or tag.`;
  return `${prefix}.`;
}

function githubMessage(failure: HttpFailure): string {
  const data = failure.response?.data;
  if (typeof data === 'object' && data !== null && 'message' in data) {
    const message = (data as { message: unknown }).message;
    if (typeof message === 'string' && message) return message.replace(/\s+/g, ' ').trim();
  }
  if (typeof data === 'string' && data.trim()) return data.trim().slice(0, 200);
  return typeof failure.message === 'string' ? failure.message : 'no message';
}

/**
 * How long GitHub asks to wait: `retry-after` (seconds, on 429 and secondary rate limits), else
 * `x-ratelimit-reset` (epoch seconds) once `x-ratelimit-remaining` is 0
 * (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
export function retryAfterMs(
  headers: Record<string, unknown>,
  now = Date.now(),
): number | undefined {
  const after = retryAfterHeader(headers['retry-after'], now);
  if (after !== undefined) return after;
  const remaining = headerText(headers['x-ratelimit-remaining']);
  const reset = Number(headerText(headers['x-ratelimit-reset']));
  if (remaining === '0' && Number.isFinite(reset) && reset > 0) {
    // The reset is a whole second on GitHub's clock: one more second covers rounding and skew.
    return Math.max(0, reset * 1000 - now) + 1000;
  }
  return undefined;
}

function headerText(value: unknown): string | undefined {
  if (Array.isArray(value)) return headerText(value[0]);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff when GitHub says nothing about waiting; doubles each time. */
  baseMs: number;
  /** Longest wait Slipway accepts; a longer Retry-After or rate-limit reset fails at once. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 1_000, maxWaitMs: 60_000 };

export interface RetryHooks<T> {
  signal: AbortSignal;
  onRetry?(error: RetryableError, waitMs: number, attempt: number): void;
  /**
   * Before another try of a call that may have taken effect (5xx or no answer at all): a
   * dispatch looks for its run, and returns it instead of dispatching again when it exists.
   */
  settle?(error: RetryableError): Promise<T | undefined>;
}

/** Calls `fn`, retrying what GitHub says is worth retrying, honouring how long it asks to wait. */
export async function withRetry<T>(
  attempt: Attempt,
  policy: RetryPolicy,
  hooks: RetryHooks<T>,
  fn: () => Promise<T>,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      hooks.signal.throwIfAborted();
      const error = explain(err, attempt);
      if (!(error instanceof RetryableError) || i >= policy.attempts) throw error;
      const wait = error.retryAfterMs ?? Math.min(30_000, policy.baseMs * 2 ** (i - 1));
      if (wait > policy.maxWaitMs) {
        throw new RetryableError(
          `${error.message}, and asks to wait ${formatDuration(wait)}, longer than Slipway waits (${formatDuration(policy.maxWaitMs)}): try again later, or use a token with more headroom.`,
          wait,
          error.details,
        );
      }
      hooks.onRetry?.(error, wait, i);
      await sleep(wait, hooks.signal);
      const status = error.details?.status;
      if (hooks.settle && typeof status === 'number' && (status === 0 || status >= 500)) {
        const settled = await hooks.settle(error);
        if (settled !== undefined) return settled;
      }
    }
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', aborted, { once: true });
  });
}
