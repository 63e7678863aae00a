import type { DriverOutcome } from '../types.js';
import type { Job, WorkflowRun } from './schema.js';

/** A run as people name it: "run #12 of deploy.yml". */
export function runLabel(run: WorkflowRun, workflow: string): string {
  return `run ${run.run_number !== undefined ? `#${run.run_number}` : run.id} of ${workflow}`;
}

/**
 * What a completed run means for the deployment. Conclusions that say nothing ran (skipped,
 * startup_failure, action_required) are failures that changed nothing; the others may have
 * changed the target, so the engine may roll back.
 * (docs.github.com/rest/actions/workflow-runs: `conclusion`)
 */
export function concludedOutcome(
  run: WorkflowRun,
  workflow: string,
  jobs: readonly Job[] | null,
): DriverOutcome {
  const label = runLabel(run, workflow);
  const url = run.html_url;
  switch (run.conclusion) {
    case 'success':
      return { ok: true, summary: `${label} succeeded`, link: { label: 'GitHub run', url } };
    case 'failure':
      return { ok: false, reason: `${label} failed${culprit(jobs)} (${url})`, changed: true };
    case 'timed_out':
      return {
        ok: false,
        reason: `${label} timed out on GitHub${culprit(jobs)} (${url})`,
        changed: true,
      };
    case 'cancelled':
      return {
        ok: false,
        reason: `${label} was cancelled${culprit(jobs)} (${url})`,
        changed: true,
      };
    case 'startup_failure':
      return {
        ok: false,
        reason: `${label} could not start (startup_failure): fix the workflow file on its branch (${url})`,
        changed: false,
      };
    case 'action_required':
      return {
        ok: false,
        reason: `${label} waits for someone to approve it on GitHub (action_required) (${url})`,
        changed: false,
      };
    case 'skipped':
    case 'neutral':
      return {
        ok: false,
        reason: `${label} ended "${run.conclusion}" without deploying: check the workflow's if: conditions (${url})`,
        changed: false,
      };
    default:
      return {
        ok: false,
        reason: `${label} ended "${run.conclusion ?? 'without a conclusion'}" (${url})`,
        changed: true,
      };
  }
}

const BAD = ['failure', 'timed_out', 'cancelled', 'startup_failure'];

/** `: job "deploy" failed at step "Apply"` for the first job that went wrong, or nothing. */
function culprit(jobs: readonly Job[] | null): string {
  const job =
    jobs?.find((j) => j.conclusion === 'failure') ??
    jobs?.find((j) => BAD.includes(j.conclusion ?? ''));
  if (!job) return '';
  const verb = job.conclusion === 'failure' ? 'failed' : (job.conclusion ?? '').replace('_', ' ');
  const step = job.steps?.find((s) => BAD.includes(s.conclusion ?? ''));
  return `: job "${job.name}" ${verb}${step ? ` at step "${step.name}"` : ''}`;
}

/** Progress for the chat message: "queued", "in progress: job deploy (step Apply)". */
export function progressText(run: WorkflowRun, jobs: readonly Job[] | null): string {
  switch (run.status) {
    case 'in_progress': {
      const job = jobs?.find((j) => j.status === 'in_progress');
      if (!job) return 'in progress';
      const step = job.steps?.find((s) => s.status === 'in_progress');
      return `in progress: job ${job.name}${step ? ` (step ${step.name})` : ''}`;
    }
    case 'waiting':
      return 'waiting for a deployment protection rule (environment approval or wait timer)';
    case 'completed':
      return `completed: ${run.conclusion ?? 'no conclusion'}`;
    case 'requested':
    case 'queued':
    case 'pending':
    case null:
    case undefined:
      return 'queued';
    default:
      return run.status;
  }
}
