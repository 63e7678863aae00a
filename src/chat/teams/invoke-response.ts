import type { AckReply } from '../inbound.js';
import type { MessageView } from '../types.js';
import { CARD_CONTENT_TYPE, plainText, renderCard, renderFormCard } from './cards.js';
import type { NameOf } from './markdown.js';

/**
 * Teams' equivalent of answering in Slack's acknowledgement: an `invoke` (a card's button, a
 * form's submit) waits for its HTTP response, and what that response carries is shown to the
 * person who clicked only: a message, or a card that replaces the one they clicked for them
 * (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards#response-format).
 */
export interface InvokeResponseBody {
  statusCode: number;
  /** `application/vnd.microsoft.activity.message` (value: text) or `…card.adaptive` (value: a card). */
  type: string;
  value: unknown;
}

export const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';

export function messageResponse(text: string): InvokeResponseBody {
  return { statusCode: 200, type: MESSAGE_RESPONSE, value: text };
}

export function cardResponse(view: MessageView, nameOf?: NameOf): InvokeResponseBody {
  return {
    statusCode: 200,
    type: CARD_CONTENT_TYPE,
    value: renderCard(view, nameOf ? { nameOf } : {}),
  };
}

/**
 * Admission's reply (src/chat/ack-window.ts) as an invoke response: a form is a card with its
 * inputs (Universal Actions' sequential workflow); anything else is a message to the clicker.
 * A form's errors are said in a message: the form stays as it was, with what they typed.
 */
export function invokeReply(reply: AckReply, nameOf?: NameOf): InvokeResponseBody {
  switch (reply.kind) {
    case 'refusal':
      return messageResponse(reply.text);
    case 'answer':
      return messageResponse(plainText(reply.view, nameOf));
    case 'form':
      return {
        statusCode: 200,
        type: CARD_CONTENT_TYPE,
        value: renderFormCard(reply.view, nameOf ? { nameOf } : {}),
      };
    case 'form_errors':
      return messageResponse(Object.values(reply.errors).join(' '));
  }
}
