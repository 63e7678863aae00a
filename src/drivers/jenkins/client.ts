import type { Logger } from 'pino';
import type { z } from 'zod';
import { RetryableError } from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';
import {
  type Attempt,
  explainStatus,
  isCrumbRefusal,
  JenkinsRefusedError,
  jenkinsMessage,
  type RetryPolicy,
  withRetry,
} from './errors.js';
import { jobPath } from './parameters.js';
import {
  BUILD_TREE,
  Build,
  Crumb,
  JOB_BUILDS_TREE,
  JobBuilds,
  type ListedBuild,
  QueueItem,
} from './schema.js';

export interface Credentials {
  user: string;
  token: string;
  /** The environment variables' prefix, named in messages (JENKINS). */
  prefix: string;
}

/**
 * A CSRF crumb and the web session it was issued in, kept per server and user. Since Jenkins
 * 2.176.2 a crumb is only valid with the session cookie it came with, so both travel together.
 */
export interface CsrfSession {
  crumb: Crumb | null;
  cookie: string | null;
}

export interface ClientSettings {
  /** Jenkins' root URL, without a trailing slash. */
  server: string;
  credentials: Credentials;
  session: CsrfSession;
  retry: RetryPolicy;
  /** One request gives up after this long (and counts as Jenkins being unavailable). */
  requestTimeoutMs: number;
  log: Logger;
  signal: AbortSignal;
}

/** Where a trigger led: the queue item Jenkins made, or a build found instead of triggering. */
export type Triggered = { queueItem: number } | { build: ListedBuild };

export interface ConsoleChunk {
  bytes: Uint8Array;
  /** X-Text-Size: the offset to read from next time. */
  size: number;
  /** X-More-Data: the build is still writing. */
  more: boolean;
}

/** The few endpoints of Jenkins' remote access API the driver uses, each checked. */
export interface JenkinsClient {
  /**
   * `POST /job/{name}/buildWithParameters`; Jenkins answers 201 (or 303 when the same parameters
   * are already queued) with the queue item in Location. After an answer that may hide a queued
   * build (5xx, none), `findExisting` is asked before trying again.
   */
  trigger(
    job: string,
    parameters: Record<string, string>,
    findExisting: () => Promise<ListedBuild | undefined>,
  ): Promise<Triggered>;
  /** The queue item, or null once Jenkins forgot it (about five minutes after it left). */
  queueItem(id: number): Promise<QueueItem | null>;
  build(job: string, number: number): Promise<Build>;
  /** The job's last builds, newest first, with their queue ids and parameters. */
  recentBuilds(job: string): Promise<ListedBuild[]>;
  /** `GET …/{number}/logText/progressiveText?start=`: the console from byte `start` on. */
  console(job: string, number: number, start: number): Promise<ConsoleChunk>;
  /** `POST …/{number}/stop`: the build ends ABORTED. */
  stop(job: string, number: number): Promise<void>;
  /** `POST /queue/cancelItem?id=`; 'left' when the item had already left the queue. */
  cancelQueueItem(id: number): Promise<'cancelled' | 'left'>;
}

interface Answer {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

const QUEUE_LOCATION = /\/queue\/item\/(\d+)\/?$/;

export function createJenkinsClient(settings: ClientSettings): JenkinsClient {
  const { server, credentials, session, signal, log } = settings;
  const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.token}`).toString('base64')}`;
  const base = { server, user: credentials.user, credentials: credentials.prefix };

  async function send(
    method: 'GET' | 'POST',
    path: string,
    options: { query?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = new URL(`${server}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization, 'user-agent': 'slipway' };
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (method === 'POST' && session.crumb) {
      headers[session.crumb.crumbRequestField] = session.crumb.crumb;
      if (session.cookie) headers.cookie = session.cookie;
    }
    try {
      const res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        // Jenkins answers a POST with a redirect to a page for browsers; the Location is the answer.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(settings.requestTimeoutMs)]),
      });
      return {
        status: res.status,
        headers: res.headers,
        bytes: new Uint8Array(await res.arrayBuffer()),
      };
    } catch (err) {
      signal.throwIfAborted();
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why =
        cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new RetryableError(`Jenkins at ${server} could not be reached (${why})`, undefined, {
        status: 0,
      });
    }
  }

  /** A POST, with the crumb Jenkins asks for when it asks (an API token needs none since 2.96). */
  async function post(attempt: Attempt, path: string, options: Parameters<typeof send>[2] = {}) {
    const first = await send('POST', path, options);
    if (!isCrumbRefusal(first.status, text(first))) return first;
    log.info({ server }, 'jenkins asks for a CSRF crumb; getting one');
    await refreshCrumb(attempt);
    const again = await send('POST', path, options);
    if (isCrumbRefusal(again.status, text(again))) {
      throw new JenkinsRefusedError(
        `Jenkins refused the CSRF crumb it had just issued when Slipway tried to ${attempt.kind === 'trigger' ? `build ${attempt.job}` : 'change a build'} (403: ${jenkinsMessage(text(again))}): a proxy between Slipway and Jenkins may drop the session cookie or change the client address; keep cookies through it, or tick "Enable proxy compatibility" under CSRF Protection.`,
        403,
      );
    }
    return again;
  }

  async function refreshCrumb(attempt: Attempt): Promise<void> {
    session.crumb = null;
    session.cookie = null;
    const answer = await send('GET', '/crumbIssuer/api/json');
    check(answer, { ...attempt, kind: 'crumb' }, [200]);
    session.crumb = parsed(Crumb, answer, 'the CSRF crumb');
    // Only the name=value part of each cookie goes back; its attributes are for browsers.
    const cookies = answer.headers.getSetCookie().map((c) => c.split(';')[0]?.trim() ?? '');
    session.cookie = cookies.filter(Boolean).join('; ') || null;
  }

  function check(answer: Answer, attempt: Attempt, ok: number[]): void {
    if (ok.includes(answer.status)) return;
    throw explainStatus(
      answer.status,
      jenkinsMessage(text(answer)),
      attempt,
      retryAfterMs(answer.headers.get('retry-after') ?? undefined),
    );
  }

  function retried<T>(
    attempt: Attempt,
    fn: () => Promise<T>,
    settle?: () => Promise<T | undefined>,
  ) {
    return withRetry<T>(
      settings.retry,
      {
        signal,
        onRetry: (error, waitMs, tries) =>
          log.warn(
            { kind: attempt.kind, job: attempt.job, reason: error.message, waitMs, tries },
            'jenkins call failed; retrying',
          ),
        ...(settle ? { settle } : {}),
      },
      fn,
    );
  }

  return {
    trigger(job, parameters, findExisting) {
      const attempt: Attempt = { ...base, kind: 'trigger', job };
      return retried<Triggered>(
        attempt,
        async () => {
          const answer = await post(attempt, `${jobPath(job)}/buildWithParameters`, {
            form: parameters,
          });
          check(answer, attempt, [201, 303]);
          const location = answer.headers.get('location') ?? '';
          const id = QUEUE_LOCATION.exec(new URL(location, `${server}/`).pathname)?.[1];
          if (!id) {
            throw new JenkinsRefusedError(
              `Jenkins took the request to build ${job} but queued nothing (${answer.status}, Location "${location}"): a plugin may have refused it (a queue decision handler, or a build that never waits in the queue).`,
              answer.status,
            );
          }
          return { queueItem: Number(id) };
        },
        async () => {
          const build = await findExisting();
          return build ? { build } : undefined;
        },
      );
    },

    queueItem(id) {
      const attempt: Attempt = { ...base, kind: 'queue-item', queueItem: id };
      return retried(attempt, async () => {
        const answer = await send('GET', `/queue/item/${id}/api/json`);
        if (answer.status === 404) return null;
        check(answer, attempt, [200]);
        return parsed(QueueItem, answer, `queue item ${id}`);
      });
    },

    build(job, number) {
      const attempt: Attempt = { ...base, kind: 'build', job, build: number };
      return retried(attempt, async () => {
        const answer = await send('GET', `${jobPath(job)}/${number}/api/json`, {
          query: { tree: BUILD_TREE },
        });
        check(answer, attempt, [200]);
        return parsed(Build, answer, `build #${number} of ${job}`);
      });
    },

    recentBuilds(job) {
      const attempt: Attempt = { ...base, kind: 'builds', job };
      return retried(attempt, async () => {
        const answer = await send('GET', `${jobPath(job)}/api/json`, {
          query: { tree: JOB_BUILDS_TREE },
        });
        check(answer, attempt, [200]);
        return parsed(JobBuilds, answer, `the builds of ${job}`).builds;
      });
    },

    console(job, number, start) {
      const attempt: Attempt = { ...base, kind: 'console', job, build: number };
      return retried(attempt, async () => {
        const answer = await send('GET', `${jobPath(job)}/${number}/logText/progressiveText`, {
          query: { start: String(start) },
        });
        check(answer, attempt, [200]);
        const size = Number(answer.headers.get('x-text-size'));
        return {
          bytes: answer.bytes,
          size: Number.isSafeInteger(size) && size >= 0 ? size : start + answer.bytes.length,
          more: answer.headers.get('x-more-data') === 'true',
        };
      });
    },

    stop(job, number) {
      const attempt: Attempt = { ...base, kind: 'stop', job, build: number };
      return retried(attempt, async () => {
        const answer = await post(attempt, `${jobPath(job)}/${number}/stop`);
        // Jenkins sends the browser back to the build's page: any redirect is a yes.
        if (answer.status >= 300 && answer.status < 400) return;
        check(answer, attempt, [200, 204]);
      });
    },

    cancelQueueItem(id) {
      const attempt: Attempt = { ...base, kind: 'cancel-item', queueItem: id };
      return retried(attempt, async () => {
        const answer = await post(attempt, '/queue/cancelItem', { query: { id: String(id) } });
        // 404 "Provided id (…) not found": too late, it left the queue (JENKINS-14813).
        if (answer.status === 404) return 'left' as const;
        // Before 2.x Jenkins redirected to the queue page instead of answering 204.
        if (answer.status >= 300 && answer.status < 400) return 'cancelled' as const;
        check(answer, attempt, [200, 204]);
        return 'cancelled' as const;
      });
    },
  };
}

function text(answer: Answer): string {
  return new TextDecoder().decode(answer.bytes);
}

function parsed<T>(schema: z.ZodType<T>, answer: Answer, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text(answer));
  } catch {
    throw new JenkinsRefusedError(
      `Jenkins answered with something other than JSON for ${what} (${answer.headers.get('content-type') ?? 'no content type'}): is "url" Jenkins itself, not a login page in front of it?`,
      answer.status,
    );
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new JenkinsRefusedError(
    `Jenkins answered with an unexpected shape for ${what} (${issue?.path.join('.') || 'body'}: ${issue?.message}): is "url" Jenkins' root?`,
    answer.status,
  );
}
