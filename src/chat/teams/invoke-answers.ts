/**
 * Teams' equivalent of answering in Slack's acknowledgement: an `invoke` (a card's button, a
 * form's submit) waits for its HTTP response, and what that response carries is shown to the
 * person who clicked only: a message, or a card that replaces the one they clicked
 * (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards#response-format).
 *
 * The transport registers each invoke while it waits; the client fills it: `openModal` with the
 * form's card (the click's `triggerId` names the invoke), `postEphemeral` with a private answer
 * to the person who clicked there. Whatever comes first answers the invoke; after that the
 * client reaches the person another way.
 */
export interface InvokeResponseBody {
  statusCode: number;
  /** `application/vnd.microsoft.activity.message` (value: text) or `…card.adaptive` (value: a card). */
  type: string;
  value: unknown;
}

export const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';

export interface InvokeAnswers {
  /**
   * The transport: an invoke waits. `respond` answers it (once; false when it already was);
   * the returned function unregisters it once answered.
   */
  wait(
    key: { triggerId: string; channel: string; user: string },
    respond: (body: InvokeResponseBody) => boolean,
  ): () => void;
  /** Answers the invoke the click `triggerId` started, if it still waits; false when too late. */
  answer(triggerId: string, body: InvokeResponseBody): boolean;
  /** Answers the oldest invoke still waiting from `user` in `channel`; false when none does. */
  answerPerson(channel: string, user: string, body: InvokeResponseBody): boolean;
}

interface Waiting {
  channel: string;
  user: string;
  respond(body: InvokeResponseBody): boolean;
}

/** Shared by the transport and the client of one Teams bot (README.md). */
export function createInvokeAnswers(): InvokeAnswers {
  // In arrival order, so that "the oldest waiting" is the first match.
  const waiting = new Map<string, Waiting>();
  return {
    wait({ triggerId, channel, user }, respond) {
      const entry = { channel, user, respond };
      waiting.set(triggerId, entry);
      return () => {
        if (waiting.get(triggerId) === entry) waiting.delete(triggerId);
      };
    },
    answer(triggerId, body) {
      return waiting.get(triggerId)?.respond(body) ?? false;
    },
    answerPerson(channel, user, body) {
      for (const entry of waiting.values()) {
        if (entry.channel === channel && entry.user === user && entry.respond(body)) return true;
      }
      return false;
    },
  };
}

export function messageResponse(text: string): InvokeResponseBody {
  return { statusCode: 200, type: MESSAGE_RESPONSE, value: text };
}
