import { botShape, commitShape } from './github-double-shapes.js';

/**
 * Workflow runs and jobs of the GitHub double (github-double.ts): their objects, shaped as the
 * REST API returns them (docs.github.com/rest/actions/workflow-runs, …/workflow-jobs), and their
 * life from queued through in_progress to completed, on timers.
 */

export interface DoubleWorkflow {
  id: number;
  /** File name under .github/workflows. */
  file: string;
  name: string;
  /** Declared workflow_dispatch inputs; null when the workflow has no workflow_dispatch trigger. */
  inputs: Record<string, { required?: boolean; default?: string }> | null;
  /** `run-name`, with `${{ inputs.x }}` expressions; absent: runs are titled with the name. */
  runName?: string;
}

export interface JobPlan {
  name: string;
  ms?: number;
  conclusion?: 'success' | 'failure';
  /** Name of the step that fails when `conclusion` is failure. */
  failedStep?: string;
}

/** How the run of one dispatch behaves. */
export interface RunPlan {
  /** Accepted (204) but no run ever appears, as when the workflow file on the ref is broken. */
  neverStarts?: boolean;
  /** Between the dispatch and the run being listed. */
  createMs?: number;
  queuedMs?: number;
  /**
   * Stays queued, as a run waiting for a runner, until `release` lets it go on (after `queuedMs`):
   * for a test that must see the run queued whatever the machine's speed.
   */
  holdQueued?: boolean;
  jobs?: JobPlan[];
  /** No webhook is delivered for this run (GitHub's delivery failed, or none is configured). */
  withholdWebhooks?: boolean;
}

export type Run = Record<string, unknown> & {
  id: number;
  workflow_id: number;
  url: string;
  html_url: string;
  status: string;
  conclusion: string | null;
};
type Job = Record<string, unknown> & { status: string; conclusion: string | null };

export interface Repository {
  id: number;
  name: string;
  full_name: string;
  owner: { login: string };
}

export interface ActionsState {
  runs: Run[];
  jobsOf(runId: number): Job[];
  /** Creates the run of a dispatch (titled by the workflow's run-name) and sets it going. */
  start(workflow: DoubleWorkflow, ref: string, inputs: Record<string, string>, plan: RunPlan): void;
  /**
   * The same, but the run exists (queued) on return, as when GitHub answers a dispatch with the
   * run's details: its id can be read at once. `createMs` is then the wait before it is requested.
   */
  startNow(
    workflow: DoubleWorkflow,
    ref: string,
    inputs: Record<string, string>,
    plan: RunPlan,
  ): Run;
  /** A run created outside the double's dispatches, left queued. */
  foreign(workflow: DoubleWorkflow, ref: string, title: string): Run;
  cancel(run: Run): void;
  /** Lets a run held queued (`holdQueued`) go on; false when it was not held. */
  release(runId: number): boolean;
  stop(): void;
}

export function createActionsState(deps: {
  repository: Repository;
  apiUrl(): string;
  onRunEvent(action: string, run: Run, plan: RunPlan): void;
}): ActionsState {
  const runs: Run[] = [];
  const jobs = new Map<number, Job[]>();
  const timers = new Set<NodeJS.Timeout>();
  const runNumbers = new Map<number, number>();
  const held = new Map<number, () => void>();
  const fullName = deps.repository.full_name;
  let nextRunId = 9_100_000_001;
  let nextJobId = 27_000_000_001;

  function later(ms: number, fn: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function touch(run: Run, changes: Partial<Run>) {
    Object.assign(run, changes, { updated_at: isoNow() });
  }

  function create(workflow: DoubleWorkflow, ref: string, title: string, plan: RunPlan): Run {
    const id = nextRunId++;
    const number = (runNumbers.get(workflow.id) ?? 0) + 1;
    runNumbers.set(workflow.id, number);
    const now = isoNow();
    const base = deps.apiUrl();
    const api = `${base}/repos/${fullName}/actions/runs/${id}`;
    const sha = 'a'.repeat(40);
    const checkSuite = 12_000_000_000 + id;
    const run: Run = {
      id,
      name: workflow.name,
      node_id: `WFR_${id}`,
      head_branch: ref,
      head_sha: sha,
      path: `.github/workflows/${workflow.file}`,
      display_title: title,
      run_number: number,
      event: 'workflow_dispatch',
      status: 'queued',
      conclusion: null,
      workflow_id: workflow.id,
      url: api,
      html_url: `https://github.com/${fullName}/actions/runs/${id}`,
      jobs_url: `${api}/jobs`,
      cancel_url: `${api}/cancel`,
      logs_url: `${api}/logs`,
      rerun_url: `${api}/rerun`,
      artifacts_url: `${api}/artifacts`,
      workflow_url: `${base}/repos/${fullName}/actions/workflows/${workflow.id}`,
      check_suite_id: checkSuite,
      check_suite_node_id: `CS_${Buffer.from(String(checkSuite)).toString('base64')}`,
      check_suite_url: `${base}/repos/${fullName}/check-suites/${checkSuite}`,
      previous_attempt_url: null,
      referenced_workflows: [],
      head_commit: commitShape(sha, title, now),
      pull_requests: [],
      created_at: now,
      updated_at: now,
      run_attempt: 1,
      run_started_at: now,
      actor: botShape(base),
      triggering_actor: botShape(base),
      repository: deps.repository,
      head_repository: deps.repository,
    };
    runs.push(run);
    jobs.set(
      id,
      (plan.jobs ?? [{ name: 'deploy' }]).map((job) => {
        const jobId = nextJobId++;
        return {
          id: jobId,
          node_id: `CR_${Buffer.from(String(jobId)).toString('base64')}`,
          run_id: id,
          run_url: api,
          run_attempt: 1,
          head_sha: sha,
          head_branch: ref,
          workflow_name: workflow.name,
          name: job.name,
          url: `${base}/repos/${fullName}/actions/jobs/${jobId}`,
          check_run_url: `${base}/repos/${fullName}/check-runs/${jobId}`,
          status: 'queued',
          conclusion: null,
          created_at: now,
          started_at: now,
          completed_at: null,
          labels: ['ubuntu-latest'],
          runner_id: null,
          runner_name: null,
          runner_group_id: null,
          runner_group_name: null,
          html_url: `https://github.com/${fullName}/actions/runs/${id}/job/${jobId}`,
          steps: [],
        };
      }),
    );
    return run;
  }

  /** Jobs one after another; after a failed one the rest are skipped, and the run fails. */
  function simulate(run: Run, plan: RunPlan) {
    deps.onRunEvent('requested', run, plan);
    const planned = plan.jobs ?? [{ name: 'deploy' }];
    const states = jobs.get(run.id) ?? [];
    const proceed = () =>
      later(plan.queuedMs ?? 30, () => {
        if (run.status === 'completed') return;
        touch(run, { status: 'in_progress' });
        deps.onRunEvent('in_progress', run, plan);
        let at = 0;
        let failed = false;
        planned.forEach((job, i) => {
          const state = states[i];
          if (!state) return;
          later(at, () => {
            if (run.status === 'completed') return;
            if (failed)
              Object.assign(state, {
                status: 'completed',
                conclusion: 'skipped',
                completed_at: isoNow(),
              });
            else Object.assign(state, { status: 'in_progress', steps: steps(job, 'in_progress') });
          });
          at += job.ms ?? 50;
          later(at, () => {
            if (run.status === 'completed' || state.status === 'completed') return;
            const conclusion = job.conclusion ?? 'success';
            failed ||= conclusion === 'failure';
            Object.assign(state, {
              status: 'completed',
              conclusion,
              completed_at: isoNow(),
              steps: steps(job, conclusion),
            });
          });
        });
        later(at + 5, () => {
          if (run.status === 'completed') return;
          touch(run, { status: 'completed', conclusion: failed ? 'failure' : 'success' });
          deps.onRunEvent('completed', run, plan);
        });
      });
    if (plan.holdQueued) held.set(run.id, proceed);
    else proceed();
  }

  return {
    runs,
    jobsOf: (runId) => jobs.get(runId) ?? [],
    start(workflow, ref, inputs, plan) {
      const title = runTitle(workflow, inputs);
      later(plan.createMs ?? 20, () => simulate(create(workflow, ref, title, plan), plan));
    },
    startNow(workflow, ref, inputs, plan) {
      const run = create(workflow, ref, runTitle(workflow, inputs), plan);
      later(plan.createMs ?? 20, () => simulate(run, plan));
      return run;
    },
    foreign: (workflow, ref, title) => create(workflow, ref, title, {}),
    cancel(run) {
      later(10, () => {
        if (run.status === 'completed') return;
        for (const job of jobs.get(run.id) ?? [])
          if (job.status !== 'completed')
            Object.assign(job, {
              status: 'completed',
              conclusion: 'cancelled',
              completed_at: isoNow(),
            });
        touch(run, { status: 'completed', conclusion: 'cancelled' });
        deps.onRunEvent('completed', run, {});
      });
    },
    release(runId) {
      const proceed = held.get(runId);
      held.delete(runId);
      proceed?.();
      return proceed !== undefined;
    },
    stop() {
      held.clear();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** The workflow's run-name with `${{ inputs.x }}` replaced, or its name. */
function runTitle(workflow: DoubleWorkflow, inputs: Record<string, string>): string {
  return (workflow.runName ?? workflow.name).replace(
    /\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (_all, name: string) => inputs[name] ?? '',
  );
}

function steps(job: JobPlan, outcome: string) {
  const main = job.failedStep ?? `Run ${job.name}`;
  const done = outcome !== 'in_progress';
  return [
    { name: 'Set up job', number: 1, status: 'completed', conclusion: 'success' },
    {
      name: main,
      number: 2,
      status: done ? 'completed' : 'in_progress',
      conclusion: done ? outcome : null,
    },
    ...(done
      ? [{ name: 'Complete job', number: 3, status: 'completed', conclusion: 'success' }]
      : []),
  ];
}

/** GitHub's timestamps: ISO 8601 to the second. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** GitHub's date search syntax for `created`: `>=T`, `>T`, `<=T`, `<T`, `A..B`, or a date. */
export function createdFilter(text: string): ((created: string) => boolean) | null {
  const at = (s: string) => Date.parse(s);
  const range = /^(.+)\.\.(.+)$/.exec(text);
  if (range?.[1] && range[2]) {
    const [from, to] = [at(range[1]), at(range[2])];
    return Number.isNaN(from) || Number.isNaN(to) ? null : (c) => at(c) >= from && at(c) <= to;
  }
  const m = /^(>=|<=|>|<)?(.+)$/.exec(text);
  const bound = at(m?.[2] ?? '');
  if (!m || Number.isNaN(bound)) return null;
  switch (m[1]) {
    case '>=':
      return (c) => at(c) >= bound;
    case '>':
      return (c) => at(c) > bound;
    case '<=':
      return (c) => at(c) <= bound;
    case '<':
      return (c) => at(c) < bound;
    default:
      return (c) => at(c) >= bound && at(c) < bound + 86_400_000;
  }
}
