import { z } from 'zod';
import type { CheckResult } from './check.js';
import { plural } from './format.js';

/**
 * The counts an analysis keeps across its checks, as plain JSON: the engine stores it with
 * the deployment, so a replica that takes the deployment over resumes the same counts.
 */
export const AnalysisRunState = z
  .object({
    version: z.literal(1),
    checks: z.number().int().min(0),
    passes: z.number().int().min(0),
    failures: z.number().int().min(0),
    inconclusives: z.number().int().min(0),
    consecutiveErrors: z.number().int().min(0),
    /** `asking`: paused until a person answers (see `resume`); `aborted`, `complete`: done. */
    status: z.enum(['running', 'asking', 'aborted', 'complete']),
    /** The reason of the last decision. */
    reason: z.string().nullable(),
    /** Why it aborted, for a decision asked for again. */
    cause: z.enum(['failed', 'errors']).nullable(),
  })
  .strict();
export type AnalysisRunState = z.infer<typeof AnalysisRunState>;

/** Limits as Argo Rollouts counts them: the run stops when a count *exceeds* its limit. */
export interface AnalysisLimits {
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  /** Passing checks that complete the run (verification); absent: it runs until stopped. */
  passes?: number;
}

/**
 * What to do after a check:
 * - `advance`: it passed; a canary moves to its next step;
 * - `wait`: check again after the next interval, at the same step (a failure, an
 *   inconclusive check or an error still within its limit);
 * - `ask`: too many inconclusive checks: pause and ask a person to promote or abort;
 * - `abort`: failures (`cause: failed`) or consecutive errors (`cause: errors`) exceeded
 *   their limit; `reason` names the metric, its value and its threshold;
 * - `complete`: the passes asked for were reached.
 */
export type AnalysisDecision =
  | { action: 'advance' | 'wait' | 'ask' | 'complete'; reason: string }
  | { action: 'abort'; cause: 'failed' | 'errors'; reason: string };

export function initialRunState(): AnalysisRunState {
  return {
    version: 1,
    checks: 0,
    passes: 0,
    failures: 0,
    inconclusives: 0,
    consecutiveErrors: 0,
    status: 'running',
    reason: null,
    cause: null,
  };
}

/**
 * The decision a check leads to, and the state after it; pure, so the engine can write the
 * new state before acting on the decision. After `aborted` or `complete` a check changes
 * nothing and the same decision comes back. While `asking`, checks still count and a run
 * still aborts on failures or errors; anything else keeps it waiting for its answer.
 */
export function recordCheck(
  state: AnalysisRunState,
  result: Pick<CheckResult, 'verdict' | 'message'>,
  limits: AnalysisLimits,
): { state: AnalysisRunState; decision: AnalysisDecision } {
  if (state.status === 'aborted' || state.status === 'complete') {
    return { state, decision: decisionOf(state) };
  }
  const next = { ...state, checks: state.checks + 1 };
  const decide = (
    status: AnalysisRunState['status'],
    decision: AnalysisDecision,
  ): { state: AnalysisRunState; decision: AnalysisDecision } => ({
    state: {
      ...next,
      status,
      reason: decision.reason,
      cause: decision.action === 'abort' ? decision.cause : null,
    },
    decision,
  });
  const asking = state.status === 'asking';
  const keepAsking = () =>
    decide('asking', { action: 'ask', reason: state.reason ?? result.message });

  if (result.verdict === 'error') {
    next.consecutiveErrors += 1;
    const { consecutiveErrorLimit: limit } = limits;
    if (next.consecutiveErrors > limit) {
      return decide('aborted', {
        action: 'abort',
        cause: 'errors',
        reason: `${plural(next.consecutiveErrors, 'check')} in a row could not be made (consecutiveErrorLimit ${limit}): ${result.message}`,
      });
    }
    return asking
      ? keepAsking()
      : decide('running', {
          action: 'wait',
          reason: `${result.message} (error ${next.consecutiveErrors} in a row, ${limit} tolerated)`,
        });
  }
  next.consecutiveErrors = 0;

  if (result.verdict === 'fail') {
    next.failures += 1;
    const { failureLimit: limit } = limits;
    if (next.failures > limit) {
      return decide('aborted', {
        action: 'abort',
        cause: 'failed',
        reason: `${result.message} (${plural(next.failures, 'failed check')}, failureLimit ${limit})`,
      });
    }
    return asking
      ? keepAsking()
      : decide('running', {
          action: 'wait',
          reason: `${result.message} (${plural(next.failures, 'failed check')}, ${limit} tolerated)`,
        });
  }
  if (asking) return keepAsking();

  if (result.verdict === 'inconclusive') {
    next.inconclusives += 1;
    const { inconclusiveLimit: limit } = limits;
    if (next.inconclusives > limit) {
      return decide('asking', {
        action: 'ask',
        reason: `no verdict after ${plural(next.inconclusives, 'inconclusive check')} (inconclusiveLimit ${limit}): ${result.message}`,
      });
    }
    return decide('running', {
      action: 'wait',
      reason: `${result.message} (${plural(next.inconclusives, 'inconclusive check')}, ${limit} tolerated)`,
    });
  }

  next.passes += 1;
  if (limits.passes !== undefined && next.passes >= limits.passes) {
    return decide('complete', {
      action: 'complete',
      reason: `${plural(next.passes, 'passing check')}: ${result.message}`,
    });
  }
  return decide('running', { action: 'advance', reason: result.message });
}

/**
 * A person answered "go on" to an `ask`: checks run again, with the inconclusive count
 * started afresh so the next question comes only after as many inconclusive checks again.
 */
export function continueAfterAsk(state: AnalysisRunState): AnalysisRunState {
  if (state.status !== 'asking') return state;
  return { ...state, status: 'running', inconclusives: 0, reason: null };
}

function decisionOf(state: AnalysisRunState): AnalysisDecision {
  const reason = state.reason ?? '';
  return state.status === 'aborted'
    ? { action: 'abort', cause: state.cause ?? 'failed', reason }
    : { action: 'complete', reason };
}

/**
 * One analysis across its intervals: feed it each check's result and act on the decision.
 * Build it from stored state with `AnalysisRun.resume(limits, json)`; store `toJSON()`.
 */
export class AnalysisRun {
  private current: AnalysisRunState;

  constructor(
    readonly limits: AnalysisLimits,
    state: AnalysisRunState = initialRunState(),
  ) {
    this.current = state;
  }

  /** A run from the state another process stored; throws when it is not one. */
  static resume(limits: AnalysisLimits, stored: unknown): AnalysisRun {
    return new AnalysisRun(limits, AnalysisRunState.parse(stored));
  }

  get state(): AnalysisRunState {
    return this.current;
  }

  record(result: Pick<CheckResult, 'verdict' | 'message'>): AnalysisDecision {
    const { state, decision } = recordCheck(this.current, result, this.limits);
    this.current = state;
    return decision;
  }

  /** See `continueAfterAsk`. */
  continueAfterAsk(): void {
    this.current = continueAfterAsk(this.current);
  }

  toJSON(): AnalysisRunState {
    return this.current;
  }
}
