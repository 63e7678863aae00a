import { continueAfterAsk } from '../analysis/index.js';
import type { AnalysisPlan } from '../analysis/plan.js';
import type { Deployment } from '../core/deployment.js';
import { sleep } from '../core/sleep.js';
import { clockOf, type EngineDeps } from './context.js';
import { type CheckSummary, checkOnce, queryValues, summaryOf } from './delivery.js';
import { emitTransition } from './requests.js';

/**
 * Verification by metrics after any driver's rollout (`verify: {analysis, intervals}`): one
 * check per interval until as many pass as asked. A failure past its limit fails the deployment,
 * which then rolls back like any other failure. An analysis that cannot decide (too little
 * traffic) pauses and asks in chat: Promote keeps the release, Abort (a cancel) rolls it back.
 * The counts are stored with the deployment (`driverRef.verify`) before they are acted on.
 */
export interface VerifyProgress {
  analysis: unknown;
  last: CheckSummary | null;
  waitingSince: string | null;
  nextAt: string | null;
  passes: number;
  asked: string | null;
  seen: string[];
}

export type VerifyEnd =
  | { kind: 'passed'; deployment: Deployment; reason: string }
  | { kind: 'failed'; deployment: Deployment; reason: string }
  | { kind: 'stopped' };

export function verifyProgressOf(d: Deployment): VerifyProgress | null {
  return ((d.driverRef ?? {}) as { verify?: VerifyProgress }).verify ?? null;
}

export async function verifyByMetrics(
  deps: EngineDeps,
  claimed: Deployment,
  verify: { plan: AnalysisPlan; passes: number },
  signal: AbortSignal,
  pollMs: number,
): Promise<VerifyEnd> {
  let d = claimed;
  const { plan, passes } = verify;
  let progress: VerifyProgress = verifyProgressOf(d) ?? {
    analysis: null,
    last: null,
    waitingSince: null,
    nextAt: null,
    passes,
    asked: null,
    seen: [],
  };
  const save = async (next: VerifyProgress, note?: string): Promise<boolean> => {
    progress = next;
    const driverRef = { ...((d.driverRef ?? {}) as object), verify: next };
    if (!note) {
      // Only while this process holds the lease: one that lost it must not write old progress.
      if (!(await deps.store.patchDeployment(d.id, { driverRef }, { holder: deps.processId })))
        return false;
      d = { ...d, driverRef };
      return true;
    }
    const moved = await deps.store.transition(
      d.id,
      ['verifying'],
      'verifying',
      { actor: 'slipway', reason: note, holder: deps.processId },
      { driverRef, progress: note },
    );
    if (!moved) return false;
    d = moved;
    emitTransition(deps, d, 'verifying', 'slipway', note);
    return true;
  };

  for (;;) {
    if (signal.aborted) return { kind: 'stopped' };
    const signals = (await deps.store.listCanarySignals(d.id)).filter(
      (s) => !progress.seen.includes(s.id),
    );
    for (const s of signals) {
      const seen = [...progress.seen, s.id];
      if (s.action === 'promote') {
        const reason = `kept by ${s.actor} without a verdict from its metrics`;
        if (!(await save({ ...progress, seen, asked: null }))) return { kind: 'stopped' };
        return { kind: 'passed', deployment: d, reason };
      }
      if (s.action === 'resume' && progress.asked) {
        const analysis = continueAfterAsk(
          progress.analysis as Parameters<typeof continueAfterAsk>[0],
        );
        if (
          !(await save(
            { ...progress, seen, asked: null, analysis, waitingSince: null },
            `verification resumed by ${s.actor}`,
          ))
        )
          return { kind: 'stopped' };
      } else {
        if (!(await save({ ...progress, seen }))) return { kind: 'stopped' };
      }
    }
    if (progress.asked) {
      await sleep(pollMs, signal).catch(() => undefined);
      continue;
    }
    const now = clockOf(deps);
    if (!progress.waitingSince) {
      const nextAt = new Date(now.getTime() + plan.intervalMs).toISOString();
      if (!(await save({ ...progress, waitingSince: now.toISOString(), nextAt })))
        return { kind: 'stopped' };
    }
    const due = Date.parse(progress.waitingSince as string) + plan.intervalMs;
    if (now.getTime() < due) {
      await sleep(Math.min(pollMs, due - now.getTime()), signal).catch(() => undefined);
      continue;
    }
    const checked = await checkOnce(deps, plan, progress.analysis, queryValues(d), signal, passes);
    if (signal.aborted) return { kind: 'stopped' };
    const last = summaryOf(checked.result);
    const { decision } = checked;
    const base = { ...progress, analysis: checked.state, last };
    if (decision.action === 'complete') {
      if (!(await save({ ...base, nextAt: null }, `verification passed: ${decision.reason}`)))
        return { kind: 'stopped' };
      return { kind: 'passed', deployment: d, reason: `its metrics passed: ${decision.reason}` };
    }
    if (decision.action === 'abort') {
      if (
        !(await save(
          { ...base, nextAt: null },
          `verification ${checked.result.verdict}: ${checked.result.message}`,
        ))
      )
        return { kind: 'stopped' };
      return {
        kind: 'failed',
        deployment: d,
        reason: `metrics after the rollout: ${decision.reason}`,
      };
    }
    if (decision.action === 'ask') {
      const note = `verification paused: ${decision.reason}. Promote keeps it, Abort rolls it back.`;
      if (!(await save({ ...base, asked: decision.reason, nextAt: null }, note)))
        return { kind: 'stopped' };
      continue;
    }
    const at = clockOf(deps);
    const next = {
      ...base,
      waitingSince: at.toISOString(),
      nextAt: new Date(at.getTime() + plan.intervalMs).toISOString(),
    };
    if (!(await save(next, `verification check ${checked.result.verdict}: ${decision.reason}`)))
      return { kind: 'stopped' };
  }
}
