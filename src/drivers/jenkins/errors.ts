import { formatDuration } from '../../core/duration.js';
import { RetryableError, SlipwayError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';

/** What the driver was doing when Jenkins refused, for the sentence it turns into. */
export interface Attempt {
  kind:
    | 'trigger'
    | 'queue-item'
    | 'build'
    | 'builds'
    | 'console'
    | 'stop'
    | 'cancel-item'
    | 'crumb';
  /** Jenkins' root URL, as configured. */
  server: string;
  user: string;
  /** Prefix of the environment variables the credentials came from (JENKINS). */
  credentials: string;
  job?: string;
  build?: number;
  queueItem?: number;
}

/** Jenkins refused for a reason another try will not fix (credentials, permissions, the job). */
export class JenkinsRefusedError extends SlipwayError {
  override readonly code = 'jenkins_refused';
  override readonly status = 502;
  constructor(
    message: string,
    /** Jenkins' HTTP status. */
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** Jetty and Jenkins answer errors as HTML pages whose title carries the reason. */
export function jenkinsMessage(body: string): string {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body.replace(/<[^>]*>/g, ' '))
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, 200) || 'no message';
}

/** CrumbFilter's answer to a POST without a valid crumb (hudson.security.csrf.CrumbFilter). */
export function isCrumbRefusal(status: number, body: string): boolean {
  return status === 403 && /no valid crumb/i.test(body);
}

/** Turns a refusal into a RetryableError (429, 5xx) or an error that says what to fix. */
export function explainStatus(
  status: number,
  said: string,
  attempt: Attempt,
  retryAfterMs?: number,
): SlipwayError {
  if (status === 429 || status >= 500) {
    return new RetryableError(`Jenkins answered ${status} (${said})`, retryAfterMs, { status });
  }
  const doing = describe(attempt);
  const user = `"${attempt.user}"`;
  const vars = `${attempt.credentials}_USER and ${attempt.credentials}_TOKEN`;
  switch (status) {
    case 401:
      return new JenkinsRefusedError(
        `Jenkins at ${attempt.server} rejected the credentials in ${vars} while Slipway tried to ${doing} (401: ${said}): set ${attempt.credentials}_TOKEN (or ${attempt.credentials}_TOKEN_FILE) to an API token of user ${user} (in Jenkins: the user's Security page, "API Token").`,
        401,
      );
    case 403:
      return new JenkinsRefusedError(
        `Jenkins refused to let ${user} ${doing} (403: ${said}): give ${user} Overall/Read, Job/Read, Job/Build and Job/Cancel on ${attempt.job ?? 'the job'}.`,
        403,
      );
    case 404:
      return new JenkinsRefusedError(notFound(attempt, said), 404);
    case 400:
      if (attempt.kind === 'trigger' && /not parameterized/i.test(said)) {
        return new JenkinsRefusedError(
          `Jenkins job ${attempt.job} takes no parameters (400: ${said}): tick "This project is parameterized" and declare the parameters Slipway sends (see "parameters" in the jenkins options).`,
          400,
        );
      }
      break;
    case 409:
      if (attempt.kind === 'trigger') {
        return new JenkinsRefusedError(
          `Jenkins job ${attempt.job} cannot be built now (409: ${said}): enable it in Jenkins.`,
          409,
        );
      }
      break;
  }
  return new JenkinsRefusedError(
    `Jenkins answered ${status} when Slipway tried to ${doing}: ${said}`,
    status,
  );
}

function describe(attempt: Attempt): string {
  const job = attempt.job ?? 'the job';
  switch (attempt.kind) {
    case 'trigger':
      return `build ${job}`;
    case 'queue-item':
      return `read queue item ${attempt.queueItem}`;
    case 'build':
      return `read build #${attempt.build} of ${job}`;
    case 'builds':
      return `list the builds of ${job}`;
    case 'console':
      return `read the console of build #${attempt.build} of ${job}`;
    case 'stop':
      return `stop build #${attempt.build} of ${job}`;
    case 'cancel-item':
      return `cancel queue item ${attempt.queueItem}`;
    case 'crumb':
      return 'get a CSRF crumb';
  }
}

function notFound(attempt: Attempt, said: string): string {
  if (attempt.kind === 'trigger' || attempt.kind === 'builds') {
    return `Jenkins at ${attempt.server} has no job ${attempt.job} (404: ${said}): check "job" in the jenkins options (its full name, folders separated by "/") and that user "${attempt.user}" has Job/Read on it (Jenkins answers 404 to a user who cannot see a job).`;
  }
  if (attempt.kind === 'crumb') {
    return `Jenkins at ${attempt.server} asked for a CSRF crumb but has no crumb issuer (404: ${said}): a proxy in front of Jenkins may be answering; check "url".`;
  }
  return `Jenkins at ${attempt.server} has no ${attempt.kind === 'queue-item' || attempt.kind === 'cancel-item' ? `queue item ${attempt.queueItem}` : `build #${attempt.build} of ${attempt.job}`} (404: ${said})`;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff when Jenkins says nothing about waiting; doubles each time. */
  baseMs: number;
  /** Longest wait Slipway accepts; a longer Retry-After fails at once. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 1_000, maxWaitMs: 60_000 };

export interface RetryHooks<T> {
  signal: AbortSignal;
  onRetry?(error: RetryableError, waitMs: number, tries: number): void;
  /**
   * Before another try of a call that may have taken effect (5xx, no answer): a trigger looks for
   * the build it may have started, and returns it instead of asking again.
   */
  settle?(): Promise<T | undefined>;
}

/** Calls `fn`, retrying RetryableErrors as the policy allows and Jenkins asks. */
export async function withRetry<T>(
  policy: RetryPolicy,
  hooks: RetryHooks<T>,
  fn: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      hooks.signal.throwIfAborted();
      if (!(err instanceof RetryableError) || tries >= policy.attempts) throw err;
      const wait = err.retryAfterMs ?? Math.min(30_000, policy.baseMs * 2 ** (tries - 1));
      if (wait > policy.maxWaitMs) {
        throw new RetryableError(
          `${err.message}, and asks to wait ${formatDuration(wait)}, longer than Slipway waits (${formatDuration(policy.maxWaitMs)}): try again later.`,
          wait,
          err.details,
        );
      }
      hooks.onRetry?.(err, wait, tries);
      await sleep(wait, hooks.signal);
      hooks.signal.throwIfAborted();
      if (hooks.settle) {
        const settled = await hooks.settle();
        if (settled !== undefined) return settled;
      }
    }
  }
}
