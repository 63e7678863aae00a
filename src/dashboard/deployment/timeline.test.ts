import { describe, expect, it } from 'vitest';
import type { Approval, Transition } from '../../core/deployment.js';
import type { RefusalRecord } from '../../store/types.js';
import { timelineList, timelineOf } from './timeline.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s));
const move = (
  seq: number,
  from: Transition['from'],
  to: Transition['to'],
  s: number,
): Transition => ({
  deploymentId: 'd-1',
  seq,
  from,
  to,
  actor: seq === 1 ? 'U-DEV1' : 'slipway',
  at: at(s),
  reason: null,
  correlationId: 'c',
});

describe('a deployment timeline', () => {
  const transitions = [
    move(3, 'awaiting_approval', 'queued', 5),
    move(1, null, 'requested', 0),
    move(2, 'requested', 'awaiting_approval', 0),
  ];
  const approval: Approval = {
    deploymentId: 'd-1',
    approver: 'U-QA1',
    verdict: 'approve',
    comment: 'looks <b>fine</b>',
    at: at(5),
  };
  const refusal: RefusalRecord = {
    id: 'r-1',
    at: at(2),
    actor: 'U-DEV1',
    source: 'dashboard',
    channel: null,
    action: 'approve',
    service: 'web',
    environment: 'production',
    version: '1.4.2',
    deploymentId: 'd-1',
    code: 'four_eyes',
    reason: 'You asked for it, so someone else approves it.',
    correlationId: 'c',
  };

  it('puts moves, verdicts and refusals in time order, a verdict before the move it caused', () => {
    const entries = timelineOf(transitions, [approval], [refusal]);
    expect(entries.map((e) => (e.kind === 'transition' ? e.transition.to : e.kind))).toEqual([
      'requested',
      'awaiting_approval',
      'refusal',
      'approval',
      'queued',
    ]);
  });

  it('opens with the request even when something else has the same instant', () => {
    const early = { ...refusal, at: at(0) };
    const entries = timelineOf(transitions, [], [early]);
    expect(entries[0]).toMatchObject({ kind: 'transition', transition: { seq: 1 } });
    expect(entries[1]).toMatchObject({ kind: 'refusal' });
  });

  it('writes each entry with who and what, as escaped text, names through nameOf', () => {
    const list = timelineList(
      timelineOf(transitions, [approval], [refusal]),
      (id) => (id === 'U-QA1' ? 'Quinn' : id),
      (text) => text,
      at(60),
    ).text;
    expect(list.startsWith('<ol class="timeline"><li>')).toBe(true);
    expect(list).toContain('U-DEV1 asked for it, <span class="badge info">requested</span>');
    expect(list).toContain(
      'slipway: <span class="badge warn">awaiting approval</span> → <span class="badge info">queued</span>',
    );
    expect(list).toContain(
      'Quinn <strong>approved</strong><br><span class="small">looks &lt;b&gt;fine&lt;/b&gt;</span>',
    );
    expect(list).toContain(
      'U-DEV1 asked to approve (dashboard), <strong>refused</strong>: You asked for it',
    );
    expect(timelineList([], String, String, at(0)).text).toContain('Nothing recorded yet.');
  });
});
