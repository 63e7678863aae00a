import type { ChatClient, FormAnswer, InboundEvent, MessageView, ModalView } from './types.js';

/**
 * What a platform shows from the acknowledgement of an event, and so how long admission holds
 * it open (inbound.ts):
 * - `nothing`: its body is ignored (Slack's clicks and mentions, Teams' messages); sent at once.
 * - `quick-answer`: the person's answer, when it comes at once (Slack's slash commands: it would
 *   else go through the response_url); held briefly, and only while nothing waits to be handled,
 *   since the platform shows the person nothing until the acknowledgement arrives.
 * - `answer`: the person's only answer in place (a submitted form's verdict; a Teams invoke's
 *   card or message); held until the handler has answered, up to the platform's deadline.
 */
export type AckCarries = 'nothing' | 'quick-answer' | 'answer';

/** What rides in an acknowledgement; the transport writes it in its platform's shape. */
export type AckReply =
  /** Nothing was done (Slipway is busy): the person is told in the acknowledgement. */
  | { kind: 'refusal'; text: string }
  /** The handler's first private answer to the person, in time to ride along. */
  | { kind: 'answer'; view: MessageView; ephemeral: boolean; replaceOriginal: boolean }
  /** A form for the person who clicked, opened from their click (`ChatClient.openModal`). */
  | { kind: 'form'; view: ModalView }
  /** Keeps a submitted form open with a message under each named input. */
  | { kind: 'form_errors'; errors: Record<string, string> };

/**
 * An acknowledgement that may still carry a reply. Platforms drop a request that is not
 * answered in time (Slack: 3 s), so the window is short: when the handler answers within it,
 * that answer rides in the acknowledgement and saves a round trip; when it does not, the
 * acknowledgement goes out empty at its end and the answer follows the ordinary way.
 */
export interface AckAnswer {
  /** Sends `reply` as the acknowledgement if it has not gone out yet; false when too late. */
  offer(reply: AckReply): boolean;
  /** Nothing more will be offered: acknowledges now if the window is still open. */
  close(): void;
}

/**
 * Opens a window of `waitMs`, or acknowledges at once (returning undefined) when it is 0.
 * `send` is called exactly once, with the reply or nothing; when the window runs out,
 * `lastWord` may still give a reply.
 */
export function openAckWindow(
  waitMs: number,
  send: (reply?: AckReply) => void,
  lastWord?: () => AckReply | undefined,
): AckAnswer | undefined {
  if (waitMs <= 0) {
    send();
    return undefined;
  }
  let open = true;
  const finish = (reply?: AckReply) => {
    if (!open) return false;
    open = false;
    clearTimeout(timer);
    send(reply);
    return true;
  };
  const timer = setTimeout(() => finish(lastWord?.()), waitMs);
  return { offer: (reply) => finish(reply), close: () => void finish() };
}

/**
 * The chat client for handling one event: its first private answer to the person who acted
 * (through the event's own response_url, or privately in the event's conversation where there
 * is none), or a form opened from the event's own click, goes into the acknowledgement while
 * the window is open; everything else, and that answer when the window has closed, goes to the
 * platform as usual.
 */
export function answeringInAck(
  chat: ChatClient,
  event: InboundEvent,
  answer: AckAnswer | undefined,
): ChatClient {
  if (!answer) return chat;
  const offer = (view: MessageView, options: { ephemeral: boolean; replaceOriginal?: boolean }) =>
    answer.offer({
      kind: 'answer',
      view,
      ephemeral: options.ephemeral,
      replaceOriginal: options.replaceOriginal ?? false,
    });
  const triggerId = event.kind === 'action' ? event.triggerId : undefined;
  const { openModal } = chat;
  return {
    ...chat,
    async respond(responseUrl, view, options) {
      if (responseUrl === event.responseUrl && offer(view, options)) return;
      await chat.respond(responseUrl, view, options);
    },
    async postEphemeral(channel, user, view) {
      const own = !event.responseUrl && channel === event.channel && user === event.user;
      if (own && offer(view, { ephemeral: true })) return;
      await chat.postEphemeral(channel, user, view);
    },
    ...(openModal
      ? {
          async openModal(trigger: string, view: ModalView) {
            if (trigger === triggerId && answer.offer({ kind: 'form', view })) return;
            await openModal.call(chat, trigger, view);
          },
        }
      : {}),
  };
}

/**
 * A submitted form's answer, in its acknowledgement: errors keep the form open with each
 * message under the input of that id; closing is the empty acknowledgement, which closes it.
 */
export function formAnswer(answer: AckAnswer | undefined): FormAnswer | undefined {
  if (!answer) return undefined;
  return {
    refuse: (errors) => answer.offer({ kind: 'form_errors', errors }),
    close: () => answer.close(),
  };
}
