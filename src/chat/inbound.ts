import type { Logger } from 'pino';
import { createDedupe, type Dedupe, type DurableDedupe } from '../core/dedupe.js';
import { createInflight } from '../core/inflight.js';
import type { RecordGate } from '../store/types.js';
import {
  type AckAnswer,
  type AckCarries,
  type AckReply,
  answeringInAck,
  formAnswer,
  openAckWindow,
} from './ack-window.js';
import { busyRefusal, busyText, type HandlingQueue } from './handling-queue.js';
import type { ChatClient, FormAnswer, InboundEvent } from './types.js';

export type { AckCarries, AckReply } from './ack-window.js';

/**
 * Admission: what happens to a chat event between the transport that verified it and the
 * handler, the same for every platform (README.md, "Admission"). A transport only verifies,
 * normalizes, says what its acknowledgement can carry and writes it on its wire; this module
 * refuses when busy, drops repeats, holds the acknowledgement open for an answer, hands over to
 * the handler through the handling queue, and lets shutdown wait for what it acknowledged.
 */

/** One delivery of an event, as a transport hands it in. */
export interface Delivery {
  /** What the platform shows from this acknowledgement. */
  carries: AckCarries;
  /** How long the platform waits for the acknowledgement before it gives up (Slack: 3 s). */
  deadlineMs: number;
  /** Writes the acknowledgement on the transport's wire; admission calls it exactly once. */
  ack(reply?: AckReply): void;
  /**
   * How long whoever captured this signed request could send it again (its signature's time
   * window): the delivery is remembered that long in the store, across restarts and replicas.
   * Absent for deliveries over a connection of Slipway's own (Socket Mode).
   */
  replayableForMs?: number;
  /** The platform's retry count, for the log. */
  retry?: unknown;
}

/** What every transport is given: the one way into the core. */
export interface Admission {
  admit(event: InboundEvent, delivery: Delivery): void;
}

/** What the handler gets beside the event. */
export interface HandlingContext {
  /** The chat client, answering in the acknowledgement while it can. */
  chat: ChatClient;
  /** Frees the event's handling slot early (handling-queue.ts). */
  release(): void;
  /**
   * For a command that records a deployment: a gate through which admission may take it back
   * until its transaction starts (refusing it as busy when its acknowledgement can wait no
   * longer), and which frees the slot once it waits for that transaction.
   */
  recordGate(): RecordGate;
  /** A submitted form's answer while the person waits, when the acknowledgement carries it. */
  form?: FormAnswer;
}

export interface InboundDeps {
  chat: ChatClient;
  /** Runs the core for one event: `handleInbound` with the engine and config bound. */
  handle(event: InboundEvent, context: HandlingContext): Promise<void>;
  queue: HandlingQueue;
  /**
   * Maps the platform's user id to the core's actor id (a person key from `people:` in the
   * config) before anything is recorded. Default: the platform id is the actor id.
   */
  identify?: (event: InboundEvent) => InboundEvent | Promise<InboundEvent>;
  /** Learns the names of whoever acts, in the background (people.ts). */
  learn?: (users: string[]) => void;
  /** Counts commands refused while busy (metrics). */
  onRefused?: () => void;
  /** The store's record of deliveries, asked for those a transport says can be replayed. */
  durable?: DurableDedupe;
  /** How long an answer may take to ride in the acknowledgement; 0 never waits. */
  answerWithinMs?: number;
  /** Repeated deliveries within one process. Default: createDedupe(). */
  dedupe?: Dedupe;
  log: Logger;
}

export interface Inbound extends Admission {
  /** Hands an event to the handler with no acknowledgement to answer in. */
  handle(event: InboundEvent): Promise<void>;
  /** Settles when everything admitted so far has been handled (shutdown). */
  settle(): Promise<void>;
}

/**
 * Default answer window. A command is answered in its acknowledgement as soon as it has been
 * handled (for an accepted deploy: recorded), usually within milliseconds. One still waiting for
 * a slot after a second is refused in its acknowledgement as busy (withdrawLate), leaving Slack's
 * 3 s deadline two for the way back.
 */
export const ANSWER_WITHIN_MS = 1_000;

/**
 * An acknowledgement that is the person's only answer (`answer`: a form's verdict, an invoke's
 * card) waits even behind a busy queue, until this long before the platform's deadline: time for
 * its way back. The handler answers as soon as it can (a form's input is checked before the
 * engine's work), and its end closes the window.
 */
export const WAY_BACK_MS = 1_000;

/** The part of a command's window its record's transaction is given: it starts no later. */
export const WRITE_WITHIN_MS = 500;

/** Whether a command admitted with an acknowledgement window has been handed to the handler. */
interface Handling {
  /** Waiting in the handling queue (counted among those waiting). */
  queued: boolean;
  started: boolean;
  /** Refused in its acknowledgement before it was recorded: never handled, or taken back. */
  withdrawn: boolean;
  /** Handled as a command that records a deployment, which can be taken back until then. */
  gated: boolean;
  /** Its record's transaction has started: it can no longer be taken back. */
  writing: boolean;
  /**
   * After this (epoch ms) its record's transaction may not start: too little of the window
   * would be left for the write, and the acknowledgement could go out before it is recorded.
   */
  beginBy: number;
  /** Stops the withdrawal timer. */
  done(): void;
}

export function createInbound(deps: InboundDeps): Inbound {
  const log = deps.log.child({ component: 'inbound' });
  const dedupe = deps.dedupe ?? createDedupe();
  const identify = deps.identify ?? ((event: InboundEvent) => event);
  const refuse = busyRefusal(deps.queue, deps.onRefused ?? (() => {}), log);
  // Acknowledged before handled: shutdown waits for these.
  const inflight = createInflight();

  /** How long this acknowledgement may wait for what it can carry. */
  function waitFor(delivery: Delivery): number {
    switch (delivery.carries) {
      case 'nothing':
        return 0;
      case 'answer':
        return Math.max(0, delivery.deadlineMs - WAY_BACK_MS);
      case 'quick-answer':
        return Math.min(
          deps.answerWithinMs ?? ANSWER_WITHIN_MS,
          Math.max(0, delivery.deadlineMs - WAY_BACK_MS),
        );
    }
  }

  /**
   * A command's acknowledgement says what was done (an accepted deploy is answered once it is
   * recorded), so it never goes out empty while the command still waits: whoever sent it would
   * take it as received, and a process that stopped then would lose it without a word. When its
   * window closes before a slot was free, or while its record still waits for a transaction, it
   * is withdrawn and refused in the acknowledgement instead ("nothing was done, send it again").
   * Once its record is being written it cannot be withdrawn: the acknowledgement then waits up
   * to the platform's deadline less the way back, and only then goes out empty, the answer
   * following.
   */
  function withdrawLate(
    event: InboundEvent,
    delivery: Delivery,
    answer: AckAnswer | undefined,
  ): Handling {
    const handling: Handling = {
      queued: false,
      started: false,
      withdrawn: false,
      gated: false,
      writing: false,
      beginBy: Number.POSITIVE_INFINITY,
      done: () => {},
    };
    if (delivery.carries !== 'quick-answer' || !answer) return handling;
    handling.beginBy = Date.now() + holdFor(delivery) - WRITE_WITHIN_MS;
    const timer = setTimeout(() => {
      const refusal = late(event, handling);
      if (refusal) answer.offer(refusal);
    }, waitFor(delivery));
    handling.done = () => clearTimeout(timer);
    return handling;
  }

  /** The busy refusal for a command taken back now, or null when it can no longer be. */
  function late(event: InboundEvent, handling: Handling): AckReply | null {
    if (handling.withdrawn || handling.writing) return null;
    if (handling.started && !handling.gated) return null;
    handling.withdrawn = true;
    deps.onRefused?.();
    const ahead = deps.queue.waiting() - (handling.queued && !handling.started ? 1 : 0);
    const text = event.kind === 'command' ? event.text : '';
    log.info({ deliveryId: event.deliveryId }, 'withdrew a chat command not handled in time');
    return { kind: 'refusal', text: busyText(text, Math.max(0, ahead)) };
  }

  /** The window an acknowledgement is held open: for a command, until its answer is in. */
  function holdFor(delivery: Delivery): number {
    if (delivery.carries !== 'quick-answer') return waitFor(delivery);
    const wait = waitFor(delivery);
    return wait <= 0 ? 0 : Math.max(wait, delivery.deadlineMs - WAY_BACK_MS);
  }

  async function run(
    received: InboundEvent,
    answer: AckAnswer | undefined,
    handling?: Handling,
  ): Promise<void> {
    const event = await identify(received);
    // Whoever acts in chat is named by the CLI and the API; the lookup runs in the background.
    deps.learn?.([event.user]);
    // A submission's acknowledgement carries the form's verdict; any other's, the answer.
    const form = event.kind === 'submission' ? formAnswer(answer) : undefined;
    const answering =
      event.kind === 'submission' ? deps.chat : answeringInAck(deps.chat, event, answer);
    const chat = handling ? quietOnceWithdrawn(answering, event, handling) : answering;
    if (handling) handling.queued = true;
    await deps.queue.run(async (release) => {
      if (handling?.withdrawn) return;
      if (handling) handling.started = true;
      const recordGate = (): RecordGate => {
        if (handling) handling.gated = true;
        return {
          waiting: release,
          begin() {
            if (!handling) return true;
            if (handling.withdrawn) return false;
            if (Date.now() > handling.beginBy) {
              const refusal = late(event, handling);
              if (refusal) answer?.offer(refusal);
              return false;
            }
            handling.writing = true;
            return true;
          },
        };
      };
      await deps.handle(event, { chat, release, recordGate, ...(form ? { form } : {}) });
    });
  }

  /**
   * The durable check runs while the acknowledgement window is open, not before it: an event
   * acknowledged at once does not wait for the database, and an answer's window waits anyway.
   */
  async function handOver(
    event: InboundEvent,
    delivery: Delivery,
    answer: AckAnswer | undefined,
    handling: Handling,
  ): Promise<void> {
    if (delivery.replayableForMs && !(await firstDurably(event, delivery.replayableForMs))) {
      log.info({ deliveryId: event.deliveryId }, 'ignored a replayed chat delivery');
      return;
    }
    await run(event, answer, handling);
  }

  /** A database that cannot answer does not stop chat: the in-memory check has already passed. */
  async function firstDurably(event: InboundEvent, forMs: number): Promise<boolean> {
    try {
      return (await deps.durable?.first(event.deliveryId, forMs)) ?? true;
    } catch (err) {
      log.warn({ err, deliveryId: event.deliveryId }, 'could not record a chat delivery');
      return true;
    }
  }

  function track(event: InboundEvent, work: Promise<void>): Promise<void> {
    return inflight.track(work).catch((err: unknown) => {
      log.error({ err, deliveryId: event.deliveryId }, 'handling a chat event failed');
    });
  }

  return {
    /**
     * Refused in its acknowledgement when the backlog is full and the acknowledgement can say
     * so (not marked as seen, so the same command sent again is handled when there is room);
     * acknowledged and dropped when it is a repeat; else acknowledged (at once, or with what
     * the handler answers within the window) and handed over on a later tick, so that an
     * acknowledgement sent at once is written first.
     */
    admit(event, delivery) {
      const refusal = delivery.carries === 'nothing' ? null : refuse(event);
      if (refusal !== null) {
        delivery.ack({ kind: 'refusal', text: refusal });
        return;
      }
      if (!dedupe.first(event.deliveryId)) {
        delivery.ack();
        log.info(
          { deliveryId: event.deliveryId, retry: delivery.retry },
          'ignored a repeated chat delivery',
        );
        return;
      }
      let handling: Handling | undefined;
      // At the window's end a command whose record still waits is refused, not acknowledged empty.
      const lastWord = () => (handling ? (late(event, handling) ?? undefined) : undefined);
      const answer = openAckWindow(holdFor(delivery), (reply) => delivery.ack(reply), lastWord);
      const admitted = withdrawLate(event, delivery, answer);
      handling = admitted;
      const later = new Promise<void>((resolve) => setImmediate(resolve));
      void track(
        event,
        // An answer the handler did not give (an accepted deploy is announced in the channel)
        // need not wait out the window.
        later
          .then(() => handOver(event, delivery, answer, admitted))
          .finally(() => {
            admitted.done();
            answer?.close();
          }),
      );
    },
    handle: (event) => track(event, run(event, undefined)),
    settle: () => inflight.settle(),
  };
}

/**
 * The person was told "busy, nothing was done" for a command taken back: what its handler
 * would still say to them privately (a refusal, a question) is not sent after that.
 */
function quietOnceWithdrawn(chat: ChatClient, event: InboundEvent, handling: Handling): ChatClient {
  return {
    ...chat,
    async respond(responseUrl, view, options) {
      if (handling.withdrawn && responseUrl === event.responseUrl) return;
      await chat.respond(responseUrl, view, options);
    },
    async postEphemeral(channel, user, view) {
      if (handling.withdrawn && channel === event.channel && user === event.user) return;
      await chat.postEphemeral(channel, user, view);
    },
  };
}
