import { z } from 'zod';
import { ConfigError, ValidationError } from '../../core/errors.js';
import { secretFrom } from '../../core/secrets.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverHandle,
  DriverPhase,
} from '../types.js';
import {
  createGitHubClient,
  type DispatchAnswer,
  type GitHubClient,
  type RunDetailsMemory,
} from './client.js';
import { DEFAULT_RETRY, type RetryPolicy } from './errors.js';
import { createRunBoard, pickRun, runKey } from './runs.js';
import {
  durationMs,
  type GitHubActionsOptions,
  optionsSchema,
  type WorkflowRun,
  type WorkflowRunEvent,
} from './schema.js';
import { CLOCK_SKEW_MS, type RunFoundBy, watchRun } from './watch.js';

export { type GitHubActionsOptions, optionsSchema, type WorkflowRunEvent } from './schema.js';

export const id = 'github-actions';

/**
 * What `watch`/`cancel` need to find the run again, in any process; stored by the engine right
 * after the dispatch. `runId`/`runUrl` are there when the run was already known (GitHub returned
 * it to the dispatch, or a restart found it before dispatching); otherwise `watch` finds it by
 * `key`, the correlation id in its name.
 */
export const GitHubActionsHandle = z.object({
  phase: z.enum(['deploy', 'rollback']),
  workflow: z.string(),
  ref: z.string(),
  key: z.string(),
  /** Epoch ms of the dispatch: the run is looked for from then on. */
  dispatchedAt: z.number(),
  /** Epoch ms by which the run must have finished; restarts keep the same window. */
  deadline: z.number(),
  runId: z.number().int().optional(),
  runUrl: z.string().optional(),
  /** How the run was known: returned by the dispatch, or by its run name (also when absent). */
  foundBy: z.enum(['dispatch', 'run-name']).optional(),
});
export type GitHubActionsHandle = z.infer<typeof GitHubActionsHandle>;

/** Timings tests shorten; production uses the defaults. */
export interface GitHubActionsTuning {
  retry: RetryPolicy;
  /** Longest pause between reads of the run list while a dispatched run has not appeared. */
  discoverMs: number;
}
const DEFAULT_TUNING: GitHubActionsTuning = { retry: DEFAULT_RETRY, discoverMs: 5_000 };

export interface GitHubActionsDriver extends DeployDriver<GitHubActionsOptions> {
  /** Hands a verified `workflow_run` webhook to the watches in this process (see webhook.ts). */
  workflowRun(event: WorkflowRunEvent): void;
}

type Ctx = DriverContext<GitHubActionsOptions>;

export function createGitHubActionsDriver(
  factory: DriverFactoryContext,
  tuning: Partial<GitHubActionsTuning> = {},
): GitHubActionsDriver {
  const settings = { ...DEFAULT_TUNING, ...tuning };
  const board = createRunBoard();
  // One GitHub (GITHUB_API_URL) per driver: what it said about return_run_details holds for all
  // of its clients, so a server without it costs one refused dispatch per process, not each time.
  const runDetails: RunDetailsMemory = { refused: false };
  const baseUrl = (factory.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');

  // Read per call, so a token file rotated by Kubernetes or Vault is picked up without a restart.
  function apiFor(ctx: Ctx): GitHubClient {
    const token = secretFrom(factory.env, 'GITHUB_TOKEN');
    if (!token) {
      throw new ConfigError(
        `GITHUB_TOKEN is not set: give Slipway a token with actions:write on ${ctx.options.owner}/${ctx.options.repo} (fine-grained: "Actions" read and write) in GITHUB_TOKEN or GITHUB_TOKEN_FILE.`,
      );
    }
    return createGitHubClient(
      { baseUrl, token, log: ctx.log, retry: settings.retry, runDetails },
      ctx.options,
      ctx.signal,
    );
  }

  async function start(
    ctx: Ctx,
    phase: DriverPhase,
    workflow: string,
    version: string,
  ): Promise<DriverHandle> {
    const d = ctx.deployment;
    const o = ctx.options;
    const api = apiFor(ctx);
    const key = runKey(d, phase);
    const since = new Date(d.startedAt ?? d.createdAt).getTime() - CLOCK_SKEW_MS;
    const findExisting = async () =>
      pickRun(await api.listRuns({ workflow, ref: o.ref, since }), key);
    const handleFor = (at: number, run: KnownRun | null): GitHubActionsHandle => ({
      phase,
      workflow,
      ref: o.ref,
      key,
      dispatchedAt: at,
      deadline: at + durationMs(o.timeout),
      ...(run ? { runId: run.id, runUrl: run.url, foundBy: run.foundBy } : {}),
    });
    // Idempotent per (deployment, phase): a restart after the dispatch finds the run it started.
    const existing = await findExisting();
    if (existing) {
      ctx.log.info(
        { runId: existing.id, url: existing.html_url },
        'workflow run exists, attaching',
      );
      return handleFor(Date.parse(existing.created_at) || Date.now(), knownByName(existing));
    }
    const dispatchedAt = Date.now();
    const inputs = {
      ...o.inputs,
      [o.versionInput]: version,
      [o.environmentInput]: d.environment,
      [o.correlationIdInput]: key,
    };
    const run = runOfAnswer(await api.dispatch(workflow, o.ref, inputs, findExisting));
    ctx.log.info(
      { workflow, ref: o.ref, key, runId: run?.id, foundBy: run?.foundBy },
      'workflow dispatched',
    );
    return handleFor(dispatchedAt, run);
  }

  const driver: GitHubActionsDriver = {
    id,
    optionsSchema,

    deploy(ctx) {
      return start(ctx, 'deploy', ctx.options.workflow, ctx.deployment.version);
    },

    async rollback(ctx, toVersion) {
      const o = ctx.options;
      const d = ctx.deployment;
      if (toVersion === null && o.rollbackWorkflow === undefined) {
        throw new ValidationError(
          `cannot roll back ${d.service} in ${d.environment} without a version: Slipway dispatches ${o.workflow} again with the older version, and knows none. Name one ("rollback ${d.service} in ${d.environment} to <version>"), or set rollbackWorkflow to a workflow that returns to the previous version when its version input is empty.`,
        );
      }
      return start(ctx, 'rollback', o.rollbackWorkflow ?? o.workflow, toVersion ?? '');
    },

    async watch(ctx, raw) {
      const handle = GitHubActionsHandle.parse(raw);
      const o = ctx.options;
      const pollMs = durationMs(o.pollInterval);
      return watchRun({
        api: apiFor(ctx),
        board,
        repository: `${o.owner}/${o.repo}`,
        dispatch: handle,
        inputNames: {
          version: o.versionInput,
          environment: o.environmentInput,
          correlationId: o.correlationIdInput,
        },
        timeoutMs: durationMs(o.timeout),
        pollMs,
        discoverMs: Math.min(pollMs, settings.discoverMs),
        startTimeoutMs: durationMs(o.startTimeout),
        signal: ctx.signal,
        progress: ctx.progress,
        log: ctx.log.child({ workflow: handle.workflow, key: handle.key }),
      });
    },

    capabilities: (options) => ({
      // GitHub knows which runs succeeded, not what is live on the target.
      status: false,
      // A rollback workflow is dispatched with an empty version and decides what "previous" is.
      rollbackToPrevious: options.rollbackWorkflow !== undefined,
    }),

    async cancel(ctx, raw) {
      const handle = GitHubActionsHandle.parse(raw);
      const api = apiFor(ctx);
      const runId =
        handle.runId ??
        pickRun(
          await api.listRuns({
            workflow: handle.workflow,
            ref: handle.ref,
            since: handle.dispatchedAt - CLOCK_SKEW_MS,
          }),
          handle.key,
        )?.id;
      if (runId === undefined) {
        ctx.log.warn({ key: handle.key }, 'no workflow run to cancel yet');
        return;
      }
      const result = await api.cancelRun(runId);
      ctx.log.info({ runId, result }, 'workflow run cancel requested');
    },

    workflowRun(event) {
      board.publish(event);
    },
  } satisfies GitHubActionsDriver;
  return driver;
}

/** A run Slipway knows is its own, and how it knows. */
interface KnownRun {
  id: number;
  url: string;
  foundBy: RunFoundBy;
}

function knownByName(run: WorkflowRun): KnownRun {
  return { id: run.id, url: run.html_url, foundBy: 'run-name' };
}

/** The run a dispatch's answer names; null when GitHub named none (204). */
function runOfAnswer(answer: DispatchAnswer): KnownRun | null {
  switch (answer.kind) {
    case 'returned':
      return { id: answer.runId, url: answer.htmlUrl, foundBy: 'dispatch' };
    case 'existing':
      return knownByName(answer.run);
    case 'accepted':
      return null;
  }
}

/**
 * Where `/hooks/github` delivers runs: the github-actions driver among `drivers`, when there is
 * one (app.ts wires `githubWebhookRoute({ onWorkflowRun: workflowRunReceiver(drivers) })`).
 */
export function workflowRunReceiver(
  drivers: ReadonlyMap<string, DeployDriver<unknown>>,
): (event: WorkflowRunEvent) => void {
  const driver = drivers.get(id);
  const receiver =
    driver && 'workflowRun' in driver && typeof driver.workflowRun === 'function'
      ? (driver as unknown as GitHubActionsDriver)
      : null;
  return (event) => receiver?.workflowRun(event);
}
