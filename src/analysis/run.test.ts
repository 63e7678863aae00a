import { describe, expect, it } from 'vitest';
import type { Verdict } from './check.js';
import { type AnalysisLimits, AnalysisRun, initialRunState, recordCheck } from './run.js';

const LIMITS: AnalysisLimits = { failureLimit: 1, inconclusiveLimit: 1, consecutiveErrorLimit: 2 };

function check(verdict: Verdict, message = `a ${verdict} check`) {
  return { verdict, message };
}

function actions(run: AnalysisRun, verdicts: Verdict[]): string[] {
  return verdicts.map((v) => run.record(check(v)).action);
}

describe('AnalysisRun', () => {
  it('advances on each pass and aborts when failures exceed failureLimit, naming the metric', () => {
    const run = new AnalysisRun(LIMITS);
    expect(run.record(check('pass', 'success-rate 0.99 (>= 0.95)'))).toEqual({
      action: 'advance',
      reason: 'success-rate 0.99 (>= 0.95)',
    });
    expect(run.record(check('fail', 'success-rate 0.9 < 0.95'))).toEqual({
      action: 'wait',
      reason: 'success-rate 0.9 < 0.95 (1 failed check, 1 tolerated)',
    });
    expect(run.record(check('pass')).action).toBe('advance');
    expect(run.record(check('fail', 'success-rate 0.88 < 0.95'))).toEqual({
      action: 'abort',
      cause: 'failed',
      reason: 'success-rate 0.88 < 0.95 (2 failed checks, failureLimit 1)',
    });
    expect(run.state).toMatchObject({ checks: 4, passes: 2, failures: 2, status: 'aborted' });
  });

  it('aborts at the first failure with failureLimit 0, the default', () => {
    const run = new AnalysisRun({ ...LIMITS, failureLimit: 0 });
    expect(run.record(check('fail', 'success-rate 0.88 < 0.95'))).toEqual({
      action: 'abort',
      cause: 'failed',
      reason: 'success-rate 0.88 < 0.95 (1 failed check, failureLimit 0)',
    });
  });

  it('counts errors only in a row: anything else starts the count again', () => {
    const run = new AnalysisRun(LIMITS);
    expect(actions(run, ['error', 'error', 'inconclusive', 'error', 'error'])).toEqual([
      'wait',
      'wait',
      'wait',
      'wait',
      'wait',
    ]);
    const decision = run.record(check('error', 'minSamples: Prometheus is unreachable'));
    expect(decision).toEqual({
      action: 'abort',
      cause: 'errors',
      reason:
        '3 checks in a row could not be made (consecutiveErrorLimit 2): minSamples: Prometheus is unreachable',
    });
  });

  it('asks a person when inconclusive checks exceed the limit, and goes on when told to', () => {
    const run = new AnalysisRun(LIMITS);
    expect(run.record(check('inconclusive', '3 samples, 50 needed')).action).toBe('wait');
    const asked = run.record(check('inconclusive', '4 samples, 50 needed'));
    expect(asked).toEqual({
      action: 'ask',
      reason: 'no verdict after 2 inconclusive checks (inconclusiveLimit 1): 4 samples, 50 needed',
    });
    // Until someone answers, passes and inconclusives keep it asking, with the same question.
    expect(run.record(check('pass'))).toEqual(asked);
    expect(run.record(check('inconclusive'))).toEqual(asked);
    run.continueAfterAsk();
    expect(run.state).toMatchObject({ status: 'running', inconclusives: 0 });
    expect(actions(run, ['inconclusive', 'pass', 'inconclusive'])).toEqual([
      'wait',
      'advance',
      'ask',
    ]);
  });

  it('still aborts while it waits for an answer, when the canary fails', () => {
    const run = new AnalysisRun({ ...LIMITS, failureLimit: 0 });
    actions(run, ['inconclusive', 'inconclusive']);
    expect(run.state.status).toBe('asking');
    expect(run.record(check('fail')).action).toBe('abort');
  });

  it('completes after the passes a verification asks for, failures within the limit aside', () => {
    const run = new AnalysisRun({ ...LIMITS, passes: 2 });
    expect(actions(run, ['pass', 'fail', 'pass'])).toEqual(['advance', 'wait', 'complete']);
    expect(run.record(check('pass')).action).toBe('complete');
    expect(run.record(check('fail')).action).toBe('complete');
    expect(run.state.checks).toBe(3);
  });

  it('keeps its state as plain JSON that another replica resumes from', () => {
    const first = new AnalysisRun(LIMITS);
    actions(first, ['pass', 'fail', 'error']);
    const stored = JSON.parse(JSON.stringify(first));
    const second = AnalysisRun.resume(LIMITS, stored);
    expect(second.state).toEqual(first.state);
    // The failure counted by the first replica counts for the second.
    expect(second.record(check('fail')).action).toBe('abort');
  });

  it('refuses stored state that is not a run', () => {
    expect(() => AnalysisRun.resume(LIMITS, { checks: 'three' })).toThrow();
    expect(() => AnalysisRun.resume(LIMITS, { ...initialRunState(), version: 2 })).toThrow();
  });

  it('does not change the state it is given', () => {
    const state = initialRunState();
    const { state: after } = recordCheck(state, check('fail'), LIMITS);
    expect(state).toEqual(initialRunState());
    expect(after.failures).toBe(1);
  });
});
