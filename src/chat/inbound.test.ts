import { describe, expect, it } from 'vitest';
import type { DurableDedupe } from '../core/dedupe.js';
import { WithdrawnError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { createHandlingQueue, type HandlingQueue } from './handling-queue.js';
import {
  type AckCarries,
  type AckReply,
  createInbound,
  type Delivery,
  type HandlingContext,
  type InboundDeps,
  WAY_BACK_MS,
  WRITE_WITHIN_MS,
} from './inbound.js';
import { buttonClick, deferred, formSubmission, slashCommand } from './test-support/events.js';
import { createRecordingChat } from './test-support/recording-chat.js';
import type { InboundEvent, ModalView } from './types.js';

const log = createLogger({ level: 'silent' });
const view = { title: 'Done', tone: 'success' as const };

const command = (deliveryId: string) => slashCommand({ deliveryId });

/** A Teams invoke: a click with no response_url, answered in its HTTP response. */
const click = (deliveryId: string) =>
  buttonClick({
    actionId: 'review_reject',
    user: 'teams:aad-1',
    channel: 'teams:19:abc@thread.tacv2',
    messageTs: '1700000000001',
    deliveryId,
    triggerId: `invoke-${deliveryId}`,
  });

const submission = (deliveryId: string, reason: string) => formSubmission(reason, { deliveryId });

/** A transport's side of one delivery: what was acknowledged, and when. */
function delivery(carries: AckCarries, extra: Partial<Delivery> = {}) {
  const acks: (AckReply | 'empty')[] = [];
  let resolveAcked: () => void = () => {};
  const acked = new Promise<void>((resolve) => (resolveAcked = resolve));
  const d: Delivery = {
    carries,
    deadlineMs: 3_000,
    ack(reply) {
      acks.push(reply ?? 'empty');
      resolveAcked();
    },
    ...extra,
  };
  return { d, acks, acked };
}

type Handler = (event: InboundEvent, context: HandlingContext) => Promise<void>;

function admission(handler: Handler = async () => {}, deps: Partial<InboundDeps> = {}) {
  const chat = createRecordingChat();
  const handled: InboundEvent[] = [];
  const inbound = createInbound({
    chat: chat.client,
    queue: createHandlingQueue(),
    async handle(event, context) {
      handled.push(event);
      await handler(event, context);
    },
    log,
    ...deps,
  });
  return { inbound, chat, handled };
}

/** A queue whose only slot is held until `free()`, with one event waiting: full at backlog 1. */
function busyQueue(): { queue: HandlingQueue; free: () => void } {
  const queue = createHandlingQueue({ concurrency: 1, backlog: 1 });
  const gate = deferred();
  void queue.run(() => gate.promise);
  void queue.run(async () => {});
  return { queue, free: gate.resolve };
}

describe('admission', () => {
  it('acknowledges at once and hands over on a later tick, once per delivery id', async () => {
    const { inbound, handled } = admission();
    const first = delivery('nothing');
    inbound.admit(command('d1'), first.d);
    // Written before anything is handled.
    expect(first.acks).toEqual(['empty']);
    expect(handled).toEqual([]);
    const again = delivery('nothing', { retry: '1' });
    inbound.admit(command('d1'), again.d);
    expect(again.acks).toEqual(['empty']);
    await inbound.settle();
    expect(handled).toEqual([command('d1')]);
  });

  it('refuses a command in an acknowledgement that can say so while busy, and takes it again later', async () => {
    const { queue, free } = busyQueue();
    let refused = 0;
    const { inbound, handled } = admission(async () => {}, {
      queue,
      onRefused: () => refused++,
    });
    const slash = delivery('quick-answer');
    inbound.admit(command('d1'), slash.d);
    expect(slash.acks).toEqual([
      {
        kind: 'refusal',
        text: expect.stringMatching(/^Slipway is busy: 1 request is waiting ahead of yours\./),
      },
    ]);
    // A mention cannot be told, and a click is never refused: both wait their turn.
    const mention = delivery('nothing');
    inbound.admit({ ...command('d2'), mode: 'mention' }, mention.d);
    const invoke = delivery('answer');
    inbound.admit(click('d3'), invoke.d);
    expect(mention.acks).toEqual(['empty']);
    expect(refused).toBe(1);
    free();
    await inbound.settle();
    expect(handled.map((e) => e.deliveryId)).toEqual(['d2', 'd3']);
    // Not remembered as seen: the same command sent again is handled.
    const resent = delivery('quick-answer');
    inbound.admit(command('d1'), resent.d);
    await inbound.settle();
    expect(handled.map((e) => e.deliveryId)).toEqual(['d2', 'd3', 'd1']);
  });

  it('asks the store about deliveries that can be replayed, and only those', async () => {
    const asked: [string, number][] = [];
    const durable: DurableDedupe = {
      first: async (id, forMs) => {
        asked.push([id, forMs]);
        return id !== 'seen-before';
      },
    };
    const { inbound, handled } = admission(async () => {}, { durable });
    inbound.admit(command('seen-before'), delivery('nothing', { replayableForMs: 600_000 }).d);
    inbound.admit(command('new'), delivery('nothing', { replayableForMs: 600_000 }).d);
    inbound.admit(command('socket'), delivery('nothing').d);
    await inbound.settle();
    expect(asked).toEqual([
      ['seen-before', 600_000],
      ['new', 600_000],
    ]);
    expect(handled.map((e) => e.deliveryId)).toEqual(['new', 'socket']);
  });

  it('handles a delivery when the store cannot say whether it saw it', async () => {
    const durable: DurableDedupe = {
      first: () => Promise.reject(new Error('database is down')),
    };
    const { inbound, handled } = admission(async () => {}, { durable });
    inbound.admit(command('d1'), delivery('nothing', { replayableForMs: 1_000 }).d);
    await inbound.settle();
    expect(handled).toHaveLength(1);
  });

  it('carries a quick answer in the acknowledgement, behind a queue too, and refuses one not handled in time', async () => {
    const answering: Handler = async (event, context) => {
      if (event.responseUrl)
        await context.chat.respond(event.responseUrl, view, { ephemeral: true });
    };
    const { inbound, chat } = admission(answering, { answerWithinMs: 1_000 });
    const quick = delivery('quick-answer');
    inbound.admit(command('d1'), quick.d);
    await inbound.settle();
    expect(quick.acks).toEqual([{ kind: 'answer', view, ephemeral: true, replaceOriginal: false }]);
    expect(chat.calls).toEqual([]);

    // Behind another event the acknowledgement waits its turn and still carries the answer.
    const queue = createHandlingQueue({ concurrency: 1 });
    const gate = deferred();
    void queue.run(() => gate.promise);
    const behind = admission(answering, { answerWithinMs: 1_000, queue });
    const late = delivery('quick-answer');
    behind.inbound.admit(command('d2'), late.d);
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.acks).toEqual([]);
    gate.resolve();
    await behind.inbound.settle();
    expect(late.acks).toEqual([{ kind: 'answer', view, ephemeral: true, replaceOriginal: false }]);
    expect(behind.chat.calls).toEqual([]);

    // Behind a burst, a command still waiting when its window closes is withdrawn and refused
    // in its acknowledgement: never acknowledged as received and then left undone.
    const crowded = createHandlingQueue({ concurrency: 1 });
    const held = deferred();
    for (let i = 0; i < 3; i++) void crowded.run(() => held.promise);
    const burst = admission(answering, { answerWithinMs: 20, queue: crowded });
    const refused = delivery('quick-answer');
    burst.inbound.admit(command('d3'), refused.d);
    await refused.acked;
    expect(refused.acks).toEqual([
      { kind: 'refusal', text: expect.stringMatching(/^Slipway is busy: 2 requests are waiting/) },
    ]);
    held.resolve();
    await burst.inbound.settle();
    expect(burst.handled).toEqual([]);
    expect(burst.chat.calls).toEqual([]);
  });

  it('refuses a command not recorded when its window closes, unless its record is being written', async () => {
    /**
     * A deploy's handler: its record waits `queuedMs` for its transaction, then takes `writeMs`
     * to write, and the handler answers privately once it is written.
     */
    const recording =
      (queuedMs: number, writeMs: number): Handler =>
      async (event, context) => {
        const gate = context.recordGate();
        await new Promise((resolve) => setTimeout(resolve, 5));
        gate.waiting();
        await new Promise((resolve) => setTimeout(resolve, queuedMs));
        if (!gate.begin()) throw new WithdrawnError('taken back');
        await new Promise((resolve) => setTimeout(resolve, writeMs));
        if (event.responseUrl)
          await context.chat.respond(event.responseUrl, view, { ephemeral: true });
      };

    // Still waiting for its transaction when the answer window closes: taken back, refused.
    const waiting = admission(recording(200, 0), { answerWithinMs: 20 });
    const refused = delivery('quick-answer');
    waiting.inbound.admit(command('d1'), refused.d);
    await waiting.inbound.settle();
    expect(refused.acks).toEqual([
      { kind: 'refusal', text: expect.stringMatching(/^Slipway is busy/) },
    ]);
    expect(waiting.chat.calls).toEqual([]);

    // Being written when the acknowledgement can wait no longer: acknowledged empty at the
    // deadline less the way back, the answer following once it is recorded.
    const writing = admission(recording(0, WRITE_WITHIN_MS + 200), { answerWithinMs: 20 });
    const slow = delivery('quick-answer', { deadlineMs: WAY_BACK_MS + WRITE_WITHIN_MS + 100 });
    writing.inbound.admit(command('d2'), slow.d);
    await slow.acked;
    expect(slow.acks).toEqual(['empty']);
    await writing.inbound.settle();
    expect(writing.chat.calls.map((c) => c.method)).toEqual(['respond']);

    // Recorded within the window: the answer rides in the acknowledgement.
    const quick = admission(recording(5, 5), { answerWithinMs: 1_000 });
    const answered = delivery('quick-answer');
    quick.inbound.admit(command('d3'), answered.d);
    await quick.inbound.settle();
    expect(answered.acks).toEqual([
      { kind: 'answer', view, ephemeral: true, replaceOriginal: false },
    ]);

    // Its transaction would start with too little of the window left to write it: refused then.
    const tooLate = admission(recording(200, 0), { answerWithinMs: 1_000 });
    const cut = delivery('quick-answer', { deadlineMs: WAY_BACK_MS + WRITE_WITHIN_MS + 100 });
    tooLate.inbound.admit(command('d5'), cut.d);
    await tooLate.inbound.settle();
    expect(cut.acks).toEqual([
      { kind: 'refusal', text: expect.stringMatching(/^Slipway is busy/) },
    ]);
    expect(tooLate.chat.calls).toEqual([]);

    // A command that records nothing is not taken back once started: its answer follows.
    const status = admission(
      async (event, context) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (event.responseUrl)
          await context.chat.respond(event.responseUrl, view, { ephemeral: true });
      },
      { answerWithinMs: 20 },
    );
    const plain = delivery('quick-answer', { deadlineMs: WAY_BACK_MS + 60 });
    status.inbound.admit(command('d4'), plain.d);
    await status.inbound.settle();
    expect(plain.acks).toEqual(['empty']);
    expect(status.chat.calls.map((c) => c.method)).toEqual(['respond']);
  });

  it('answers through the platform when the quick window closed first', async () => {
    const gate = deferred();
    const { inbound, chat } = admission(
      async (event, context) => {
        await gate.promise;
        if (event.responseUrl)
          await context.chat.respond(event.responseUrl, view, { ephemeral: true });
      },
      { answerWithinMs: 5 },
    );
    const slow = delivery('quick-answer');
    inbound.admit(command('d1'), slow.d);
    await slow.acked;
    expect(slow.acks).toEqual(['empty']);
    gate.resolve();
    await inbound.settle();
    expect(chat.calls.map((c) => c.method)).toEqual(['respond']);
  });

  it('holds an acknowledgement that is the only answer until the handler answers, even behind a queue', async () => {
    const { queue, free } = busyQueue();
    const form: ModalView = {
      actionId: 'review_reject',
      value: 'd-1',
      origin: { channel: 'teams:19:abc@thread.tacv2', ts: '1700000000001' },
      title: 'Reject',
      submit: 'Reject',
      cancel: 'Cancel',
      inputs: [{ id: 'reason', label: 'Why?' }],
    };
    const { inbound, chat } = admission(
      async (event, context) => {
        if (event.kind === 'action' && event.triggerId)
          await context.chat.openModal?.(event.triggerId, form);
      },
      { queue, answerWithinMs: 0 },
    );
    const invoke = delivery('answer');
    inbound.admit(click('d1'), invoke.d);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(invoke.acks).toEqual([]);
    free();
    await invoke.acked;
    expect(invoke.acks).toEqual([{ kind: 'form', view: form }]);
    await inbound.settle();
    expect(chat.calls).toEqual([]);
  });

  it('closes such an acknowledgement when the handler ends without answering, or at the deadline', async () => {
    const { inbound } = admission();
    const silent = delivery('answer');
    inbound.admit(click('d1'), silent.d);
    await inbound.settle();
    expect(silent.acks).toEqual(['empty']);

    const gate = deferred();
    const stuck = admission(() => gate.promise);
    const late = delivery('answer', { deadlineMs: WAY_BACK_MS + 10 });
    stuck.inbound.admit(click('d2'), late.d);
    await late.acked;
    expect(late.acks).toEqual(['empty']);
    gate.resolve();
    await stuck.inbound.settle();
  });

  it('gives a submitted form its verdict in the acknowledgement', async () => {
    const { inbound } = admission(async (event, context) => {
      if (event.kind !== 'submission') return;
      if (!event.fields.reason?.trim()) context.form?.refuse({ reason: 'Say why' });
      else context.form?.close();
    });
    const blank = delivery('answer');
    inbound.admit(submission('s1', ' '), blank.d);
    const given = delivery('answer');
    inbound.admit(submission('s2', 'login is broken'), given.d);
    await inbound.settle();
    expect(blank.acks).toEqual([{ kind: 'form_errors', errors: { reason: 'Say why' } }]);
    expect(given.acks).toEqual(['empty']);
  });

  it('maps the platform user to the actor before handling and learning names', async () => {
    const learned: string[][] = [];
    const { inbound, handled } = admission(async () => {}, {
      identify: (event) => (event.user === 'teams:aad-1' ? { ...event, user: 'alice' } : event),
      learn: (users) => learned.push(users),
    });
    inbound.admit(click('d1'), delivery('nothing').d);
    await inbound.handle(command('d2'));
    await inbound.settle();
    expect(handled.map((e) => e.user).sort()).toEqual(['U1', 'alice']);
    expect(learned.sort()).toEqual([['U1'], ['alice']]);
  });

  it('logs a handler that fails, and settles anyway', async () => {
    const errors: unknown[] = [];
    const recording = {
      ...log,
      child: () => ({ ...log, error: (fields: unknown) => errors.push(fields) }),
    } as unknown as typeof log;
    const { inbound } = admission(
      async () => {
        throw new Error('boom');
      },
      { log: recording },
    );
    inbound.admit(command('d1'), delivery('nothing').d);
    await inbound.settle();
    expect(errors).toEqual([expect.objectContaining({ deliveryId: 'd1' })]);
  });
});
