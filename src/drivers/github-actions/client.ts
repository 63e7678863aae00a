import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { type Attempt, GitHubRefusedError, type RetryPolicy, withRetry } from './errors.js';
import { type Job, JobList, WorkflowDispatchRun, WorkflowRun, WorkflowRunList } from './schema.js';

/** Where GitHub is and who Slipway is there; read from the environment per driver call. */
export interface ClientSettings {
  /** REST API root: https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
  baseUrl: string;
  token: string;
  log: Logger;
  retry: RetryPolicy;
  /** Whether this server refused `return_run_details`; kept by the driver across clients. */
  runDetails: RunDetailsMemory;
}

/**
 * Set once GitHub refused `return_run_details` (422 "… is not a permitted key", as GitHub
 * Enterprise Server 3.19 answers): later dispatches to the same server leave it out.
 */
export interface RunDetailsMemory {
  refused: boolean;
}

/**
 * How a dispatch went: GitHub named the run it started (200 to `return_run_details: true`), or
 * only accepted it (204: servers without run details), or an earlier try that got no answer had
 * started a run after all, found by its correlation id.
 */
export type DispatchAnswer =
  | { kind: 'returned'; runId: number; htmlUrl: string }
  | { kind: 'accepted' }
  | { kind: 'existing'; run: WorkflowRun };

export interface RunsQuery {
  workflow: string;
  ref: string;
  /** Epoch ms: runs created before this are not looked at. */
  since: number;
}

/** The few Actions endpoints the driver uses, each retried and its answer checked. */
export interface GitHubClient {
  /**
   * `POST …/workflows/{workflow}/dispatches` with `return_run_details: true`: github.com answers
   * 200 with the run's id and URLs, servers without it 204. When a try failed in a way that may
   * have dispatched anyway (5xx, no answer), `findExisting` is asked before trying again; its run
   * is returned instead of dispatching twice.
   */
  dispatch(
    workflow: string,
    ref: string,
    inputs: Record<string, string>,
    findExisting: () => Promise<WorkflowRun | null>,
  ): Promise<DispatchAnswer>;
  /** workflow_dispatch runs of `workflow` on `ref` created since `since`, newest first. */
  listRuns(query: RunsQuery): Promise<WorkflowRun[]>;
  getRun(runId: number): Promise<WorkflowRun>;
  /** Jobs of the run's latest attempt. */
  listJobs(runId: number): Promise<Job[]>;
  /** `POST …/runs/{id}/cancel`; a run already completed (409) is not an error. */
  cancelRun(runId: number): Promise<'cancelling' | 'already completed'>;
}

// docs.github.com/rest/about-the-rest-api/api-versions
const API_VERSION = '2022-11-28';
const PER_PAGE = 100;
const MAX_PAGES = 5;

export function createGitHubClient(
  settings: ClientSettings,
  target: { owner: string; repo: string },
  signal: AbortSignal,
): GitHubClient {
  const log = settings.log;
  const octokit = new Octokit({
    auth: settings.token,
    baseUrl: settings.baseUrl,
    userAgent: 'slipway',
    headers: { 'x-github-api-version': API_VERSION },
    request: { signal },
    // Octokit reports each request at info and each failure at error; Slipway explains failures
    // itself, once, so both are debug here. Its warnings (deprecations) stay warnings.
    log: {
      debug: (message: string) => log.debug({ github: message }, 'github request'),
      info: (message: string) => log.debug({ github: message }, 'github request'),
      warn: (message: string) => log.warn({ github: message }, 'github warning'),
      error: (message: string) => log.debug({ github: message }, 'github request failed'),
    },
  });
  const { owner, repo } = target;

  function call<T>(attempt: Omit<Attempt, 'owner' | 'repo'>, fn: () => Promise<T>): Promise<T> {
    const full = { ...attempt, owner, repo };
    return withRetry<T>(full, settings.retry, { signal, onRetry: logRetry(log, full) }, fn);
  }

  return {
    async dispatch(workflow, ref, inputs, findExisting) {
      const attempt: Attempt = { kind: 'dispatch', owner, repo, workflow, ref };
      const post = (runDetails: boolean) =>
        withRetry<DispatchAnswer>(
          attempt,
          settings.retry,
          {
            signal,
            onRetry: logRetry(log, attempt),
            settle: async () => {
              const run = await findExisting();
              return run ? { kind: 'existing', run } : undefined;
            },
          },
          async () => {
            const answer = await octokit.request(
              'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
              {
                owner,
                repo,
                workflow_id: workflow,
                ref,
                inputs,
                ...(runDetails ? { return_run_details: true } : {}),
              },
            );
            if (answer.status !== 200) return { kind: 'accepted' };
            const run = checked(WorkflowDispatchRun, answer.data, `the dispatch of ${workflow}`);
            return { kind: 'returned', runId: run.workflow_run_id, htmlUrl: run.html_url };
          },
        );
      if (settings.runDetails.refused) return post(false);
      try {
        return await post(true);
      } catch (err) {
        if (!refusesRunDetails(err)) throw err;
        // The 422 came before anything was dispatched; once without the field is the same request.
        settings.runDetails.refused = true;
        log.info({ workflow }, 'GitHub does not know return_run_details; dispatching without it');
        return post(false);
      }
    },

    async listRuns({ workflow, ref, since }) {
      const created = `>=${new Date(since).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
      const runs: WorkflowRun[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = await call({ kind: 'list-runs', workflow }, () =>
          octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
            owner,
            repo,
            workflow_id: workflow,
            event: 'workflow_dispatch',
            branch: ref,
            created,
            exclude_pull_requests: true,
            per_page: PER_PAGE,
            page,
          }),
        );
        const list = checked(WorkflowRunList, answer.data, `the runs of ${workflow}`);
        runs.push(...list.workflow_runs);
        if (list.workflow_runs.length < PER_PAGE || runs.length >= list.total_count) break;
      }
      return runs;
    },

    async getRun(runId) {
      const answer = await call({ kind: 'get-run', runId }, () =>
        octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
          owner,
          repo,
          run_id: runId,
        }),
      );
      return checked(WorkflowRun, answer.data, `workflow run ${runId}`);
    },

    async listJobs(runId) {
      const answer = await call({ kind: 'list-jobs', runId }, () =>
        octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', {
          owner,
          repo,
          run_id: runId,
          filter: 'latest',
          per_page: PER_PAGE,
        }),
      );
      return checked(JobList, answer.data, `the jobs of workflow run ${runId}`).jobs;
    },

    async cancelRun(runId) {
      try {
        await call({ kind: 'cancel', runId }, () =>
          octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel', {
            owner,
            repo,
            run_id: runId,
          }),
        );
        return 'cancelling';
      } catch (err) {
        // "Cannot cancel a workflow run that is completed." (409)
        if (err instanceof GitHubRefusedError && err.httpStatus === 409) return 'already completed';
        throw err;
      }
    },
  };
}

function logRetry(log: Logger, attempt: Attempt) {
  return (error: Error, waitMs: number, tries: number) =>
    log.warn(
      {
        kind: attempt.kind,
        workflow: attempt.workflow,
        runId: attempt.runId,
        reason: error.message,
        waitMs,
        tries,
      },
      'github call failed; retrying',
    );
}

/** GitHub Enterprise Server without run details: 422 '"return_run_details" is not a permitted key.' */
function refusesRunDetails(err: unknown): boolean {
  return (
    err instanceof GitHubRefusedError &&
    err.httpStatus === 422 &&
    err.message.includes('return_run_details')
  );
}

function checked<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new GitHubRefusedError(
    `GitHub answered with an unexpected shape for ${what} (${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message}); is GITHUB_API_URL GitHub's REST API?`,
    200,
  );
}
