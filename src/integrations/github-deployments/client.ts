import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { RetryableError, SlipwayError } from '../../core/errors.js';
import { retryAfterMs } from '../../drivers/github-actions/errors.js';
import {
  CreatedDeployment,
  InstallationToken,
  ListedDeployment,
  ListedStatus,
  MergedBranch,
} from './schema.js';
import type { IssuedToken, TokenSource } from './tokens.js';

/** GitHub refused for a reason another try will not fix; `message` says what to do. */
export class GitHubRefusal extends SlipwayError {
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

/** GitHub refused the app's credentials themselves (its JWT, its installation): said as is. */
export class CredentialsRefused extends GitHubRefusal {}

export interface NewDeployment {
  ref: string;
  environment: string;
  description: string;
  payload: Record<string, unknown>;
  productionEnvironment: boolean;
  transientEnvironment: boolean;
}

export interface NewStatus {
  state: string;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
  autoInactive?: boolean;
}

export interface StatusSeen {
  id: number;
  state: string;
  description: string;
}

export type Created = { created: true; id: number } | { created: false; merged: string };

/** The calls the reporter makes, each once: retrying is the reporter's to decide. */
export interface DeploymentsApi {
  create(repository: string, deployment: NewDeployment, signal: AbortSignal): Promise<Created>;
  /** The newest GitHub deployment of `environment` and `ref` whose payload names `slipwayId`. */
  find(
    repository: string,
    query: { environment: string; ref: string; slipwayId: string },
    signal: AbortSignal,
  ): Promise<number | null>;
  postStatus(repository: string, id: number, status: NewStatus, signal: AbortSignal): Promise<void>;
  /** The deployment's statuses, oldest first (by id: GitHub promises no order). */
  statuses(repository: string, id: number, signal: AbortSignal): Promise<StatusSeen[]>;
}

export interface ClientDeps {
  /** GitHub's REST API: https://api.github.com, or https://<host>/api/v3 (Enterprise Server). */
  baseUrl: string;
  tokens: TokenSource;
  log: Logger;
  /** One call's answer (`ok`, the HTTP status, or `unreachable`), for the metrics. */
  onCall?(call: string, result: string): void;
  /** A call that takes longer is abandoned as unreachable. */
  timeoutMs?: number;
}

// docs.github.com/rest/about-the-rest-api/api-versions
const API_VERSION = '2022-11-28';
const PER_PAGE = 100;

export function createOctokit(baseUrl: string, log: Logger): Octokit {
  return new Octokit({
    baseUrl,
    userAgent: 'slipway',
    headers: { 'x-github-api-version': API_VERSION },
    // Octokit reports each request at info and each failure at error; the reporter explains
    // failures itself, once, so both are debug here.
    log: {
      debug: (message: string) => log.debug({ github: message }, 'github request'),
      info: (message: string) => log.debug({ github: message }, 'github request'),
      warn: (message: string) => log.warn({ github: message }, 'github warning'),
      error: (message: string) => log.debug({ github: message }, 'github request failed'),
    },
  });
}

export function createDeploymentsApi(deps: ClientDeps): DeploymentsApi {
  const octokit = createOctokit(deps.baseUrl, deps.log);
  const timeoutMs = deps.timeoutMs ?? 20_000;

  /** One authenticated call; a 401 on an app's token drops it so that the next try gets another. */
  async function call<T>(
    name: string,
    signal: AbortSignal,
    fn: (headers: { authorization: string }, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const token = await deps.tokens.token(signal);
    try {
      const answer = await fn(
        { authorization: `token ${token}` },
        AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      );
      deps.onCall?.(name, 'ok');
      return answer;
    } catch (err) {
      signal.throwIfAborted();
      const failure = classify(err, deps.tokens.kind);
      deps.onCall?.(name, failure.httpStatus === 0 ? 'unreachable' : String(failure.httpStatus));
      if (failure.httpStatus === 401) deps.tokens.invalidate(token);
      throw failure.error;
    }
  }

  const split = (repository: string) => {
    const [owner = '', repo = ''] = repository.split('/');
    return { owner, repo };
  };

  return {
    async create(repository, d, signal) {
      const answer = await call('create_deployment', signal, (headers, s) =>
        octokit.request('POST /repos/{owner}/{repo}/deployments', {
          ...split(repository),
          ref: d.ref,
          task: 'deploy',
          environment: d.environment,
          description: d.description,
          payload: d.payload,
          // Slipway deploys what it was asked to: GitHub must neither merge the default branch
          // into the ref first nor wait for commit statuses, which CI already judged.
          auto_merge: false,
          required_contexts: [],
          production_environment: d.productionEnvironment,
          transient_environment: d.transientEnvironment,
          headers,
          request: { signal: s },
        }),
      );
      if (answer.status === 202)
        return { created: false, merged: checked(MergedBranch, answer.data, 'a merge').message };
      return { created: true, id: checked(CreatedDeployment, answer.data, 'a deployment').id };
    },

    async find(repository, query, signal) {
      const answer = await call('list_deployments', signal, (headers, s) =>
        octokit.request('GET /repos/{owner}/{repo}/deployments', {
          ...split(repository),
          environment: query.environment,
          ref: query.ref,
          per_page: PER_PAGE,
          headers,
          request: { signal: s },
        }),
      );
      const listed = checked(ListedDeployment.array(), answer.data, 'the deployments');
      const ours = listed.filter((d) => slipwayIdOf(d.payload) === query.slipwayId);
      return ours.sort((a, b) => b.id - a.id)[0]?.id ?? null;
    },

    async postStatus(repository, id, status, signal) {
      await call('create_status', signal, (headers, s) =>
        octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
          ...split(repository),
          deployment_id: id,
          state: status.state as 'queued',
          description: status.description,
          ...(status.logUrl ? { log_url: status.logUrl } : {}),
          ...(status.environmentUrl ? { environment_url: status.environmentUrl } : {}),
          ...(status.autoInactive === undefined ? {} : { auto_inactive: status.autoInactive }),
          headers,
          request: { signal: s },
        }),
      );
    },

    async statuses(repository, id, signal) {
      const answer = await call('list_statuses', signal, (headers, s) =>
        octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
          ...split(repository),
          deployment_id: id,
          per_page: PER_PAGE,
          headers,
          request: { signal: s },
        }),
      );
      return checked(ListedStatus.array(), answer.data, 'the deployment statuses')
        .map((s) => ({ id: s.id, state: s.state, description: s.description ?? '' }))
        .sort((a, b) => a.id - b.id);
    },
  };
}

/** `POST /app/installations/{id}/access_tokens` with the app's JWT. */
export function installationTokenFetcher(
  octokit: Octokit,
  installationId: string,
  timeoutMs = 20_000,
): (jwt: string, signal: AbortSignal) => Promise<IssuedToken> {
  return async (jwt, signal) => {
    let answer: { data: unknown };
    try {
      answer = await octokit.request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: Number(installationId),
        headers: { authorization: `Bearer ${jwt}` },
        request: { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      });
    } catch (err) {
      signal.throwIfAborted();
      const { error, httpStatus } = classify(err, 'token');
      if (httpStatus === 401)
        throw new CredentialsRefused(
          `GitHub refused the GitHub App's JWT (${error.message}): check GITHUB_APP_ID and that GITHUB_APP_PRIVATE_KEY is a current private key of that app (its settings → Private keys), and this machine's clock.`,
          401,
        );
      if (httpStatus === 404)
        throw new CredentialsRefused(
          `GitHub has no installation ${installationId} of the app (404): set GITHUB_APP_INSTALLATION_ID to the number at the end of the installation's settings URL (…/settings/installations/<id>).`,
          404,
        );
      throw error;
    }
    const token = checked(InstallationToken, answer.data, 'an installation token');
    const expiresAt = Date.parse(token.expires_at);
    return { token: token.token, expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt };
  };
}

function slipwayIdOf(payload: unknown): string | null {
  const data = typeof payload === 'string' ? safeJson(payload) : payload;
  const slipway = (data as { slipway?: { deploymentId?: unknown } } | null)?.slipway;
  return typeof slipway?.deploymentId === 'string' ? slipway.deploymentId : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

interface HttpFailure {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown>; data?: unknown };
}

/**
 * What a call threw, as a RetryableError (no answer, 5xx, 429, rate limits) or a GitHubRefusal
 * with GitHub's own words; Octokit's error is dropped, since it carries the request's headers.
 * A 401 is retryable for an app (its token expired early or was revoked: another is fetched).
 */
export function classify(
  err: unknown,
  kind: TokenSource['kind'],
): { error: SlipwayError; httpStatus: number } {
  if (err instanceof SlipwayError)
    return { error: err, httpStatus: err instanceof GitHubRefusal ? err.httpStatus : 0 };
  const failure = (typeof err === 'object' && err !== null ? err : {}) as HttpFailure;
  const status = typeof failure.status === 'number' ? failure.status : 0;
  const said = githubMessage(failure);
  if (!failure.response || status === 0) {
    const text = err instanceof Error ? err.message : String(err);
    return { error: new RetryableError(`GitHub could not be reached (${text})`), httpStatus: 0 };
  }
  const wait = retryAfterMs(failure.response.headers ?? {});
  if (
    status >= 500 ||
    status === 429 ||
    (status === 403 && (wait !== undefined || /rate limit/i.test(said))) ||
    (status === 401 && kind === 'app')
  )
    return {
      error: new RetryableError(`GitHub answered ${status} (${said})`, wait, { status }),
      httpStatus: status,
    };
  return { error: new GitHubRefusal(`${status}: ${said}`, status), httpStatus: status };
}

function githubMessage(failure: HttpFailure): string {
  const data = failure.response?.data;
  if (typeof data === 'object' && data !== null && 'message' in data) {
    const { message, errors } = data as { message: unknown; errors?: unknown };
    const detail = Array.isArray(errors)
      ? errors
          .map((e) => (typeof e === 'object' && e && 'message' in e ? String(e.message) : ''))
          .filter(Boolean)
          .join('; ')
      : '';
    if (typeof message === 'string' && message)
      return `${message.replace(/\s+/g, ' ').trim()}${detail ? `: ${detail}` : ''}`;
  }
  return typeof failure.message === 'string' ? failure.message : 'no message';
}

function checked<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GitHubRefusal(
    `GitHub answered with an unexpected shape for ${what} (${issue?.path.join('.') || 'body'}: ${issue?.message}); is GITHUB_API_URL GitHub's REST API?`,
    200,
  );
}
