import { continueAfterAsk } from '../analysis/index.js';
import type { CanaryStep } from '../analysis/plan.js';
import type { Deployment } from '../core/deployment.js';
import { formatDuration } from '../core/duration.js';
import { sleep } from '../core/sleep.js';
import type { CanaryControl, DriverContext } from '../drivers/types.js';
import type { CanarySignal } from '../store/types.js';
import { clockOf, type EngineDeps } from './context.js';
import { type CheckSummary, checkOnce, queryValues, summaryOf } from './delivery.js';
import { emitTransition } from './requests.js';

/**
 * A canary release, walked step by step: the new version starts beside the live one with no
 * traffic, takes the weights of its steps in turn, each held until a check of its metrics passes
 * (or for a pause), and is promoted at the end; a check that fails past its limit aborts it, and
 * the live version, never touched, keeps serving. Where it stands is stored with the deployment
 * before each step is taken (`driverRef.canary`), and each step and verdict is a transition, so
 * the history tells the story and a process taking the deployment over goes on from the same
 * step. People steer it with signals (canary_signals): pause, resume, promote now; abort is a
 * cancel, which the rollback turns into removing the canary.
 */
export interface CanaryProgress {
  /** The index of the next step to take. */
  step: number;
  steps: number;
  weight: number;
  /** When the step in hand began to wait (a pause, or an analysis's interval). */
  waitingSince: string | null;
  /** The counts of the analysis of the step in hand. */
  analysis: unknown;
  last: CheckSummary | null;
  /** Held by a person, or by an analysis that could not decide (`asked`). */
  paused: { by: string; asked: boolean; reason: string } | null;
  /** Signals already acted on. */
  seen: string[];
  /** When the next check or step is due, for the card. */
  nextAt: string | null;
  /** Set once the last step was taken: the live target is taking the canary's version. */
  promoting: boolean;
}

export interface CanaryRun {
  deps: EngineDeps;
  control: CanaryControl<unknown>;
  ctx: DriverContext<unknown>;
  /** How often signals are looked for while waiting. */
  pollMs: number;
}

export type CanaryEnd =
  | { kind: 'promoted'; deployment: Deployment; summary: string }
  | { kind: 'failed'; deployment: Deployment; reason: string; changed: boolean }
  | { kind: 'aborted'; deployment: Deployment; reason: string }
  | { kind: 'stopped' };

export function canaryProgressOf(d: Deployment): CanaryProgress | null {
  const ref = (d.driverRef ?? {}) as { canary?: CanaryProgress };
  return ref.canary ?? null;
}

export async function walkCanary(
  run: CanaryRun,
  claimed: Deployment,
  steps: CanaryStep[],
): Promise<CanaryEnd> {
  const { deps, control, ctx } = run;
  let d = claimed;
  let progress: CanaryProgress = canaryProgressOf(d) ?? {
    step: 0,
    steps: steps.length,
    weight: 0,
    waitingSince: null,
    analysis: null,
    last: null,
    paused: null,
    seen: [],
    nextAt: null,
    promoting: false,
  };

  const save = async (next: CanaryProgress, note?: string) => {
    progress = next;
    const driverRef = { ...((d.driverRef ?? {}) as object), canary: next };
    if (note) {
      const moved = await deps.store.transition(
        d.id,
        ['running'],
        'running',
        { actor: 'slipway', reason: note, holder: deps.processId },
        { driverRef, progress: note },
      );
      if (!moved) return false;
      d = moved;
      emitTransition(deps, d, 'running', 'slipway', note);
    } else {
      // Only while this process holds the lease: one that lost it must not write old progress.
      if (!(await deps.store.patchDeployment(d.id, { driverRef }, { holder: deps.processId })))
        return false;
      d = { ...d, driverRef };
      deps.events.emit({ type: 'progress', deployment: d, text: d.progress ?? '' });
    }
    ctx.deployment = d;
    return true;
  };

  if (progress.step === 0 && progress.weight === 0 && !progress.promoting) {
    // Stored before the canary exists: a start that fails or is cancelled half way (pods that
    // never become ready) is then undone by removing the canary, never by a rollback of the
    // live version, which the start does not touch.
    if (!canaryProgressOf(d) && !(await save(progress))) return { kind: 'stopped' };
    const started = await control.start(ctx);
    if (ctx.signal.aborted) return { kind: 'stopped' };
    // The live version is as it was, but the canary's objects may be there: removing them is
    // the rollback.
    if (!started.ok)
      return { kind: 'failed', deployment: d, reason: started.reason, changed: true };
  }

  while (progress.step < steps.length && !progress.promoting) {
    if (ctx.signal.aborted) return { kind: 'stopped' };
    const heard = await listen(deps, d, progress);
    if (heard.changed) {
      if (!(await save(heard.progress, heard.note))) return { kind: 'stopped' };
      // A promote skips the remaining steps: look at the loop's condition again.
      continue;
    }
    if (progress.paused) {
      await sleep(run.pollMs, ctx.signal).catch(() => undefined);
      continue;
    }
    const step = steps[progress.step] as CanaryStep;
    const now = clockOf(deps);
    if (step.kind === 'weight') {
      const note = `canary: ${step.weight}% of traffic to ${d.version} (step ${progress.step + 1} of ${steps.length})`;
      if (!(await save({ ...progress, nextAt: null }, note))) return { kind: 'stopped' };
      await control.setWeight(ctx, step.weight);
      if (ctx.signal.aborted) return { kind: 'stopped' };
      if (
        !(await save({
          ...progress,
          step: progress.step + 1,
          weight: step.weight,
          waitingSince: null,
        }))
      )
        return { kind: 'stopped' };
      continue;
    }
    const waitMs = step.kind === 'pause' ? step.ms : step.plan.intervalMs;
    if (!progress.waitingSince) {
      const nextAt = new Date(now.getTime() + waitMs).toISOString();
      if (!(await save({ ...progress, waitingSince: now.toISOString(), nextAt })))
        return { kind: 'stopped' };
    }
    const due = Date.parse(progress.waitingSince as string) + waitMs;
    if (now.getTime() < due) {
      await sleep(Math.min(run.pollMs, due - now.getTime()), ctx.signal).catch(() => undefined);
      continue;
    }
    if (step.kind === 'pause') {
      const note = `canary: held ${formatDuration(step.ms)} at ${progress.weight}%`;
      if (!(await save({ ...progress, step: progress.step + 1, waitingSince: null }, note)))
        return { kind: 'stopped' };
      continue;
    }
    const values = queryValues(d, namesOf(ctx));
    const checked = await checkOnce(deps, step.plan, progress.analysis, values, ctx.signal);
    if (ctx.signal.aborted) return { kind: 'stopped' };
    const last = summaryOf(checked.result);
    const { decision } = checked;
    const at = `${progress.weight}%`;
    if (decision.action === 'abort') {
      const reason = `canary aborted at ${at}: ${decision.reason}`;
      if (
        !(await save(
          { ...progress, analysis: checked.state, last, nextAt: null },
          `canary check ${checked.result.verdict} at ${at}: ${checked.result.message}`,
        ))
      )
        return { kind: 'stopped' };
      return { kind: 'aborted', deployment: d, reason };
    }
    if (decision.action === 'advance' || decision.action === 'complete') {
      const note = `canary check passed at ${at}: ${checked.result.message}`;
      const next = {
        ...progress,
        step: progress.step + 1,
        analysis: null,
        last,
        waitingSince: null,
      };
      if (!(await save(next, note))) return { kind: 'stopped' };
      continue;
    }
    if (decision.action === 'ask') {
      const note = `canary paused at ${at}: ${decision.reason}. Promote or abort it.`;
      const paused = { by: 'slipway', asked: true, reason: decision.reason };
      const next = { ...progress, analysis: checked.state, last, paused, nextAt: null };
      if (!(await save(next, note))) return { kind: 'stopped' };
      continue;
    }
    const nextAt = new Date(clockOf(deps).getTime() + waitMs).toISOString();
    const note = `canary check ${checked.result.verdict} at ${at}: ${decision.reason}`;
    const next = {
      ...progress,
      analysis: checked.state,
      last,
      waitingSince: clockOf(deps).toISOString(),
      nextAt,
    };
    if (!(await save(next, note))) return { kind: 'stopped' };
  }

  if (!progress.promoting) {
    const note = `canary: promoting ${d.version} to all of ${d.service} in ${d.environment}`;
    if (!(await save({ ...progress, promoting: true, nextAt: null }, note)))
      return { kind: 'stopped' };
  }
  const promoted = await control.promote(ctx);
  if (ctx.signal.aborted) return { kind: 'stopped' };
  if (!promoted.ok)
    return { kind: 'failed', deployment: d, reason: promoted.reason, changed: true };
  return { kind: 'promoted', deployment: d, summary: promoted.summary };
}

/** The driver's names for the canary and the primary, when its options say (kubernetes). */
function namesOf(ctx: DriverContext<unknown>): { namespace?: string } {
  const options = ctx.options as { namespace?: unknown };
  return typeof options?.namespace === 'string' ? { namespace: options.namespace } : {};
}

/** Acts on signals not yet seen: pause and resume hold or free the walk; promote skips to the end. */
async function listen(
  deps: EngineDeps,
  d: Deployment,
  progress: CanaryProgress,
): Promise<{ changed: boolean; progress: CanaryProgress; note?: string }> {
  const signals = await deps.store.listCanarySignals(d.id);
  const fresh = signals.filter((s) => !progress.seen.includes(s.id));
  if (fresh.length === 0) return { changed: false, progress };
  let next: CanaryProgress = { ...progress, seen: [...progress.seen, ...fresh.map((s) => s.id)] };
  const notes: string[] = [];
  for (const signal of fresh) {
    const applied = apply(next, signal);
    next = applied.progress;
    if (applied.note) notes.push(applied.note);
  }
  return notes.length > 0
    ? { changed: true, progress: next, note: notes.join('; ') }
    : { changed: true, progress: next };
}

function apply(
  progress: CanaryProgress,
  signal: CanarySignal,
): { progress: CanaryProgress; note?: string } {
  const who = signal.actor;
  switch (signal.action) {
    case 'pause':
      if (progress.paused) return { progress };
      return {
        progress: {
          ...progress,
          paused: { by: who, asked: false, reason: `paused by ${who}` },
          nextAt: null,
        },
        note: `canary paused at ${progress.weight}% by ${who}`,
      };
    case 'resume': {
      if (!progress.paused) return { progress };
      const analysis = progress.paused.asked
        ? resumeAnalysis(progress.analysis)
        : progress.analysis;
      return {
        progress: { ...progress, paused: null, analysis, waitingSince: null },
        note: `canary resumed at ${progress.weight}% by ${who}`,
      };
    }
    case 'promote':
      return {
        progress: { ...progress, paused: null, step: progress.steps, waitingSince: null },
        note: `canary promoted now by ${who}, at ${progress.weight}%`,
      };
    case 'abort':
      // Abort is a cancel (engine.cancel), which the rollback turns into removing the canary.
      return { progress };
  }
}

function resumeAnalysis(stored: unknown): unknown {
  try {
    return continueAfterAsk(stored as Parameters<typeof continueAfterAsk>[0]);
  } catch {
    return null;
  }
}
