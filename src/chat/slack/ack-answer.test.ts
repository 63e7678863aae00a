import { describe, expect, it } from 'vitest';
import type { InboundEvent } from '../types.js';
import { FORM_ANSWER_WITHIN_MS, formAnswer, openAckWindow } from './ack-answer.js';

const slash: InboundEvent = {
  kind: 'command',
  mode: 'slash',
  text: 'web',
  user: 'U1',
  channel: 'C1',
  threadTs: null,
  responseUrl: 'https://hooks.slack.com/commands/1',
  deliveryId: 'd1',
};

describe('acknowledgement window', () => {
  it('sends exactly once: the first offer, or nothing when closed or timed out', async () => {
    const sent: unknown[] = [];
    const offered = openAckWindow(slash, 1_000, (body) => sent.push(body));
    expect(offered?.offer({ text: 'a' })).toBe(true);
    expect(offered?.offer({ text: 'b' })).toBe(false);
    offered?.close();
    expect(sent).toEqual([{ text: 'a' }]);

    const closed = openAckWindow(slash, 1_000, (body) => sent.push(body ?? 'empty'));
    closed?.close();
    expect(closed?.offer({ text: 'late' })).toBe(false);
    expect(sent).toEqual([{ text: 'a' }, 'empty']);

    const timed = openAckWindow(slash, 5, (body) => sent.push(body ?? 'timed out'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(timed?.offer({ text: 'late' })).toBe(false);
    expect(sent).toEqual([{ text: 'a' }, 'empty', 'timed out']);
  });

  it('acknowledges at once what cannot carry an answer, or when told not to wait', () => {
    const sent: unknown[] = [];
    expect(openAckWindow({ ...slash, mode: 'mention' }, 1_000, () => sent.push(1))).toBeUndefined();
    expect(openAckWindow(slash, 0, () => sent.push(2))).toBeUndefined();
    expect(sent).toEqual([1, 2]);
  });

  it('keeps a submitted form’s window open even when commands are told not to wait', () => {
    const sent: unknown[] = [];
    const submission: InboundEvent = {
      kind: 'submission',
      actionId: 'review_reject',
      value: 'd-1',
      fields: { reason: '' },
      user: 'U1',
      channel: 'D1',
      messageTs: '1.1',
      responseUrl: null,
      deliveryId: 'd2',
    };
    // Only the acknowledgement can keep the form open with an error under its input.
    expect(FORM_ANSWER_WITHIN_MS).toBeLessThan(3_000);
    const form = formAnswer(openAckWindow(submission, 0, (body) => sent.push(body ?? 'closed')));
    expect(form?.refuse({ reason: 'Say why' })).toBe(true);
    expect(form?.refuse({ reason: 'again' })).toBe(false);
    expect(sent).toEqual([{ response_action: 'errors', errors: { reason: 'Say why' } }]);
    const closing = formAnswer(openAckWindow(submission, 0, (body) => sent.push(body ?? 'closed')));
    closing?.close();
    expect(sent.at(-1)).toBe('closed');
  });
});
