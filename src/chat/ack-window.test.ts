import { describe, expect, it } from 'vitest';
import { type AckReply, answeringInAck, formAnswer, openAckWindow } from './ack-window.js';
import { slashCommand } from './test-support/events.js';
import { createRecordingChat } from './test-support/recording-chat.js';
import type { InboundEvent } from './types.js';

const a: AckReply = { kind: 'refusal', text: 'a' };
const b: AckReply = { kind: 'refusal', text: 'b' };

describe('acknowledgement window', () => {
  it('sends exactly once: the first offer, or nothing when closed or timed out', async () => {
    const sent: unknown[] = [];
    const offered = openAckWindow(1_000, (reply) => sent.push(reply));
    expect(offered?.offer(a)).toBe(true);
    expect(offered?.offer(b)).toBe(false);
    offered?.close();
    expect(sent).toEqual([a]);

    const closed = openAckWindow(1_000, (reply) => sent.push(reply ?? 'empty'));
    closed?.close();
    expect(closed?.offer(b)).toBe(false);
    expect(sent).toEqual([a, 'empty']);

    const timed = openAckWindow(5, (reply) => sent.push(reply ?? 'timed out'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(timed?.offer(b)).toBe(false);
    expect(sent).toEqual([a, 'empty', 'timed out']);
  });

  it('acknowledges at once when told not to wait', () => {
    const sent: unknown[] = [];
    expect(openAckWindow(0, () => sent.push(1))).toBeUndefined();
    expect(sent).toEqual([1]);
  });

  it('turns a form’s refusal into errors for the acknowledgement, and its close into none', () => {
    const sent: unknown[] = [];
    const form = formAnswer(openAckWindow(1_000, (reply) => sent.push(reply ?? 'closed')));
    expect(form?.refuse({ reason: 'Say why' })).toBe(true);
    expect(form?.refuse({ reason: 'again' })).toBe(false);
    expect(sent).toEqual([{ kind: 'form_errors', errors: { reason: 'Say why' } }]);
    const closing = formAnswer(openAckWindow(1_000, (reply) => sent.push(reply ?? 'closed')));
    closing?.close();
    expect(sent.at(-1)).toBe('closed');
    expect(formAnswer(undefined)).toBeUndefined();
  });
});

describe('answering in the acknowledgement', () => {
  const view = { title: 'Deployed', tone: 'success' as const };
  const slash = slashCommand();

  it('offers the first answer through the event’s own response_url, then calls the platform', async () => {
    const chat = createRecordingChat();
    const sent: unknown[] = [];
    const answer = openAckWindow(1_000, (reply) => sent.push(reply));
    const client = answeringInAck(chat.client, slash, answer);
    await client.respond('https://hooks.slack.com/commands/1', view, { ephemeral: true });
    await client.respond('https://hooks.slack.com/commands/1', view, { ephemeral: false });
    await client.respond('https://hooks.slack.com/commands/other', view, { ephemeral: true });
    expect(sent).toEqual([{ kind: 'answer', view, ephemeral: true, replaceOriginal: false }]);
    expect(chat.calls.map((c) => c.method)).toEqual(['respond', 'respond']);
  });

  it('offers a private answer to the person in the event’s conversation where there is no response_url', async () => {
    const chat = createRecordingChat();
    const sent: unknown[] = [];
    const invoke: InboundEvent = { ...slash, responseUrl: null };
    const client = answeringInAck(
      chat.client,
      invoke,
      openAckWindow(1_000, (r) => sent.push(r)),
    );
    await client.postEphemeral('C1', 'U2', view);
    await client.postEphemeral('C1', 'U1', view);
    await client.postEphemeral('C1', 'U1', view);
    expect(sent).toEqual([{ kind: 'answer', view, ephemeral: true, replaceOriginal: false }]);
    expect(chat.calls.map((c) => [c.method, c.user])).toEqual([
      ['postEphemeral', 'U2'],
      ['postEphemeral', 'U1'],
    ]);
  });
});
