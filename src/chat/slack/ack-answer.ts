import type { Logger } from 'pino';
import type { ChatClient, FormAnswer, InboundEvent } from '../types.js';
import { responseBody } from './client.js';
import type { Dedupe, DurableDedupe } from './dedupe.js';

/**
 * A slash command's answer may ride in its acknowledgement: Slack shows a JSON body sent with
 * the 200 (or with a Socket Mode envelope's ack) as the command's response
 * (docs.slack.dev/interactivity/implementing-slash-commands#responding_to_commands). When the
 * handler answers within a short window, that saves a response_url round trip and the answer
 * arrives with the acknowledgement; when it does not, the acknowledgement goes out empty at the
 * end of the window and the answer follows through the response_url as before.
 */
export interface AckAnswer {
  /** Sends `body` as the acknowledgement if it has not gone out yet; false when too late. */
  offer(body: Record<string, unknown>): boolean;
  /** Nothing more will be offered: acknowledges now if the window is still open. */
  close(): void;
}

/** Default window: well inside the 3 s deadline and the benchmark's 50 ms ack goal. */
export const ANSWER_WITHIN_MS = 25;

/**
 * A submitted form's window. Only its acknowledgement can keep the form open with an error
 * under an input (`response_action: errors`, docs.slack.dev/surfaces/modals), so it waits even
 * behind a busy queue, up to Slack's 3 s less a second for the way back; the handler closes it
 * as soon as the input is checked, before the engine's work.
 */
export const FORM_ANSWER_WITHIN_MS = 2_000;

/**
 * Opens the window for `event`, or acknowledges at once (returning undefined) when it is
 * neither a slash command nor a form, or `withinMs` is 0 for a command. `send` is called
 * exactly once, with the answer or nothing.
 */
export function openAckWindow(
  event: InboundEvent,
  withinMs: number,
  send: (body?: Record<string, unknown>) => void,
): AckAnswer | undefined {
  const slash = event.kind === 'command' && event.mode === 'slash';
  const waitMs = event.kind === 'submission' ? FORM_ANSWER_WITHIN_MS : slash ? withinMs : 0;
  if (waitMs <= 0) {
    send();
    return undefined;
  }
  let open = true;
  const finish = (body?: Record<string, unknown>) => {
    if (!open) return false;
    open = false;
    clearTimeout(timer);
    send(body);
    return true;
  };
  const timer = setTimeout(finish, waitMs);
  return { offer: (body) => finish(body), close: () => void finish() };
}

/**
 * The chat client for handling one event: its first answer through the event's own
 * response_url goes into the acknowledgement while the window is open; everything else, and
 * that answer when the window has closed, goes to Slack as usual.
 */
export function answeringInAck(
  chat: ChatClient,
  event: InboundEvent,
  answer: AckAnswer | undefined,
): ChatClient {
  if (!answer || !event.responseUrl) return chat;
  return {
    ...chat,
    async respond(responseUrl, view, options) {
      if (responseUrl === event.responseUrl && answer.offer(responseBody(view, options))) return;
      await chat.respond(responseUrl, view, options);
    },
  };
}

/**
 * A submitted form's answer, in its acknowledgement: errors keep the modal open with each
 * message under the input of that id (renderModal makes an input's block_id its id); closing
 * is the empty acknowledgement, which closes the modal.
 */
export function formAnswer(answer: AckAnswer | undefined): FormAnswer | undefined {
  if (!answer) return undefined;
  return {
    refuse: (errors) => answer.offer({ response_action: 'errors', errors }),
    close: () => answer.close(),
  };
}

/** How either Slack transport takes events in (receiver.ts over HTTP, socket.ts over Socket Mode). */
export interface AdmitOptions {
  /**
   * Hands over an event; its errors are logged, never sent to Slack. A slash command comes with
   * an `answer` that may carry its first response in the acknowledgement.
   */
  onEvent: (event: InboundEvent, answer?: AckAnswer) => Promise<void> | void;
  /** How long a slash command's acknowledgement may wait for its answer; 0 acks at once. */
  answerWithinMs?: () => number;
  /**
   * Asked before acknowledging: a sentence refuses the event in its acknowledgement (only
   * slash commands can show one), null takes it. Default: take everything.
   */
  refuse?: (event: InboundEvent) => string | null;
  /** Repeated deliveries (Slack's retries) are acknowledged and dropped. */
  dedupe: Dedupe;
  /**
   * Asked after `dedupe` says first: a delivery this record has seen already (a signed request
   * replayed after a restart, or sent to another replica) is dropped in the same way.
   */
  durable?: DurableDedupe;
  log: Logger;
}

/**
 * A verified, normalized event, as both transports take it: refused in its acknowledgement
 * when the handling backlog is full (not marked as seen, so the same command sent again is
 * handled when there is room), acknowledged and dropped when it is a repeated delivery, else
 * acknowledged (at once, or with its answer) and handed over on a later tick, so an
 * acknowledgement sent at once is written first; a delivery the durable record has seen is
 * dropped there instead.
 */
export function admitEvent(
  event: InboundEvent,
  options: AdmitOptions,
  send: (body?: Record<string, unknown>) => void,
  retry?: unknown,
): void {
  const refusal = options.refuse?.(event) ?? null;
  if (refusal !== null) {
    send({ response_type: 'ephemeral', text: refusal });
    return;
  }
  if (!options.dedupe.first(event.deliveryId)) {
    send();
    options.log.info({ deliveryId: event.deliveryId, retry }, 'ignored a repeated Slack delivery');
    return;
  }
  const answer = openAckWindow(event, options.answerWithinMs?.() ?? 0, send);
  setImmediate(() => {
    handOver(event, answer, options).catch((err: unknown) =>
      options.log.error({ err, deliveryId: event.deliveryId }, 'handling a Slack event failed'),
    );
  });
}

/**
 * The durable check runs while the acknowledgement window is open, not before it: an event
 * that is acknowledged at once does not wait for the database, and a slash command's
 * acknowledgement waits for its answer anyway.
 */
async function handOver(
  event: InboundEvent,
  answer: AckAnswer | undefined,
  options: AdmitOptions,
): Promise<void> {
  if (options.durable && !(await firstDurably(event, options))) {
    answer?.close();
    options.log.info({ deliveryId: event.deliveryId }, 'ignored a replayed Slack delivery');
    return;
  }
  await options.onEvent(event, answer);
}

/** A database that cannot answer does not stop chat: the in-memory check has already passed. */
async function firstDurably(event: InboundEvent, options: AdmitOptions): Promise<boolean> {
  try {
    return (await options.durable?.first(event.deliveryId)) ?? true;
  } catch (err) {
    options.log.warn({ err, deliveryId: event.deliveryId }, 'could not record a Slack delivery');
    return true;
  }
}
