import type { Logger } from 'pino';
import { formatDuration } from '../../core/duration.js';
import { RetryableError } from '../../core/errors.js';
import type { DriverOutcome } from '../types.js';
import type { GitHubClient } from './client.js';
import { concludedOutcome, progressText, runLabel } from './outcome.js';
import { createInbox, pickRun, type RunBoard } from './runs.js';
import type { Job, WorkflowRun } from './schema.js';

/** Runs created this long before the dispatch (by Slipway's clock) are still looked at. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How Slipway knows which run is its own: GitHub returned it to the dispatch (github.com since
 * 2026-02-19), or its correlation id in the run name (servers that answer a dispatch with 204).
 */
export type RunFoundBy = 'dispatch' | 'run-name';

/** Said in the deployment's progress and outcome, so people can tell the two ways apart. */
export const FOUND_BY: Record<RunFoundBy, string> = {
  dispatch: 'GitHub returned the run',
  'run-name': 'found by its correlation id in the run name',
};

/** The stored handle, as far as watching needs it. */
export interface WatchedDispatch {
  workflow: string;
  ref: string;
  key: string;
  dispatchedAt: number;
  deadline: number;
  runId?: number | undefined;
  /** Absent in handles stored before dispatches returned runs: those were found by name. */
  foundBy?: RunFoundBy | undefined;
}

export interface WatchRequest {
  api: GitHubClient;
  board: RunBoard;
  /** owner/repo */
  repository: string;
  dispatch: WatchedDispatch;
  /** Names of the inputs Slipway sends, for the run-name it asks for. */
  inputNames: { version: string; environment: string; correlationId: string };
  timeoutMs: number;
  pollMs: number;
  /** How often the run list is read while the run has not appeared (and no webhook said so). */
  discoverMs: number;
  startTimeoutMs: number;
  signal: AbortSignal;
  progress(text: string): void;
  log: Logger;
}

/**
 * Finds the run a dispatch started (when the handle does not name it yet) and follows it to its
 * conclusion: woken by `workflow_run` webhooks, reading the run every `pollMs` when none come.
 * Any process may call this again with the same handle after a restart.
 */
export async function watchRun(req: WatchRequest): Promise<DriverOutcome> {
  const { runId } = req.dispatch;
  if (runId !== undefined) {
    const foundBy = req.dispatch.foundBy ?? 'run-name';
    req.progress(`workflow run ${runId} started (${FOUND_BY[foundBy]})`);
    return saying(await followRun(req, runId, null), foundBy);
  }
  const found = await discoverRun(req);
  if (!('run' in found)) return notStarted(req, found.others);
  req.log.info({ runId: found.run.id, url: found.run.html_url }, 'workflow run found');
  req.progress(`workflow run ${found.run.id} started (${FOUND_BY['run-name']})`);
  return saying(await followRun(req, found.run.id, found.run), 'run-name');
}

/** The outcome with how the run was found, for the deployment's timeline and thread. */
function saying(outcome: DriverOutcome, foundBy: RunFoundBy): DriverOutcome {
  const how = ` (${FOUND_BY[foundBy]})`;
  return outcome.ok
    ? { ...outcome, summary: `${outcome.summary}${how}` }
    : { ...outcome, reason: `${outcome.reason}${how}` };
}

/**
 * Waits for the run carrying the dispatch's correlation id. Gives up after `startTimeoutMs` only
 * when GitHub could be asked and said "no such run"; while GitHub is unavailable nobody can tell
 * whether the run started, so it keeps asking until the run's own deadline.
 */
async function discoverRun(
  req: WatchRequest,
): Promise<{ run: WorkflowRun } | { others: WorkflowRun[] }> {
  const { dispatch, signal } = req;
  const inbox = createInbox();
  const stop = req.board.discover(req.repository, dispatch.key, (run) => inbox.push(run));
  const giveUpAt = dispatch.dispatchedAt + req.startTimeoutMs;
  let others: WorkflowRun[] = [];
  try {
    req.progress(`dispatched ${dispatch.workflow} on ${dispatch.ref}; waiting for its run`);
    for (;;) {
      const told = inbox.take();
      if (told) return { run: told };
      let trouble: RetryableError | null = null;
      try {
        const runs = await req.api.listRuns({
          workflow: dispatch.workflow,
          ref: dispatch.ref,
          since: dispatch.dispatchedAt - CLOCK_SKEW_MS,
        });
        const mine = pickRun(runs, dispatch.key);
        if (mine) return { run: mine };
        // created_at is to the second: a run from the same second as the dispatch counts.
        others = runs.filter((run) => Date.parse(run.created_at) >= dispatch.dispatchedAt - 1_000);
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        trouble = err;
        req.progress(`waiting for GitHub: ${err.message}`);
      }
      const now = Date.now();
      if (!trouble && now >= giveUpAt) return { others };
      if (trouble && now >= dispatch.deadline) throw trouble;
      const until = trouble ? dispatch.deadline : giveUpAt;
      const news = await inbox.wait(Math.min(req.discoverMs, until - now), signal);
      if (news) return { run: news };
    }
  } finally {
    stop();
  }
}

function notStarted(req: WatchRequest, others: WorkflowRun[]): DriverOutcome {
  const { dispatch, inputNames: names } = req;
  const seen =
    others.length > 0
      ? `; ${others.map((run) => `run ${run.run_number ?? run.id} ("${run.display_title ?? run.name ?? ''}")`).join(', ')} started meanwhile without it in its name`
      : '';
  return {
    ok: false,
    changed: false,
    reason: `the workflow was dispatched but no run with correlation id ${dispatch.key} appeared within ${formatDuration(req.startTimeoutMs)}: check that ${dispatch.workflow} on ${dispatch.ref} has "on: workflow_dispatch" and "run-name: deploy \${{ inputs.${names.version} }} to \${{ inputs.${names.environment} }} [\${{ inputs.${names.correlationId} }}]" (the correlation id in the run name is how Slipway finds its run)${seen}`,
  };
}

async function followRun(
  req: WatchRequest,
  runId: number,
  first: WorkflowRun | null,
): Promise<DriverOutcome> {
  const { dispatch, signal } = req;
  const inbox = createInbox();
  const stop = req.board.follow(runId, (run) => inbox.push(run));
  let latest = first;
  let reported = '';
  try {
    let run = first ?? (await readRun(req, runId));
    for (;;) {
      if (run) {
        latest = run;
        if (run.status === 'completed') {
          const jobs = run.conclusion === 'success' ? null : await jobsOf(req, run.id);
          return concludedOutcome(run, dispatch.workflow, jobs);
        }
        const jobs = run.status === 'in_progress' ? await jobsOf(req, run.id) : null;
        const state = progressText(run, jobs);
        if (state !== reported) req.progress(`${state} (${run.html_url})`);
        reported = state;
      }
      const left = dispatch.deadline - Date.now();
      if (left <= 0) return timedOut(req, runId, latest, reported);
      run = (await inbox.wait(Math.min(req.pollMs, left), signal)) ?? (await readRun(req, runId));
    }
  } finally {
    stop();
  }
}

/** The run as the API has it now, or null when GitHub is unavailable (the next poll retries). */
async function readRun(req: WatchRequest, runId: number): Promise<WorkflowRun | null> {
  try {
    return await req.api.getRun(runId);
  } catch (err) {
    if (!(err instanceof RetryableError)) throw err;
    req.progress(`waiting for GitHub: ${err.message}`);
    return null;
  }
}

/** Jobs for progress and for naming the failed job; without them the text is only less precise. */
async function jobsOf(req: WatchRequest, runId: number): Promise<Job[] | null> {
  try {
    return await req.api.listJobs(runId);
  } catch (err) {
    req.signal.throwIfAborted();
    req.log.warn({ err: String(err), runId }, 'could not read the jobs of a workflow run');
    return null;
  }
}

async function timedOut(
  req: WatchRequest,
  runId: number,
  run: WorkflowRun | null,
  lastSeen: string,
): Promise<DriverOutcome> {
  const { workflow } = req.dispatch;
  let cancelled: string;
  try {
    if ((await req.api.cancelRun(runId)) === 'already completed') {
      const now = await readRun(req, runId);
      if (now?.status === 'completed') {
        const jobs = now.conclusion === 'success' ? null : await jobsOf(req, runId);
        return concludedOutcome(now, workflow, jobs);
      }
    }
    cancelled = 'Slipway cancelled it';
  } catch (err) {
    req.signal.throwIfAborted();
    cancelled = `cancelling it failed too: ${err instanceof Error ? err.message : String(err)}`;
  }
  const label = run ? runLabel(run, workflow) : `run ${runId} of ${workflow}`;
  const seen = lastSeen ? `, last seen ${lastSeen}` : '';
  return {
    ok: false,
    changed: true,
    reason: `${label} did not finish within ${formatDuration(req.timeoutMs)}${seen}; ${cancelled}${run ? ` (${run.html_url})` : ''}`,
  };
}
