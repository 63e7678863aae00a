import type { RespondArguments, ViewErrorsResponseAction } from '@slack/bolt';
import type { AckCarries, AckReply, Delivery } from '../inbound.js';
import type { InboundEvent } from '../types.js';
import { responseBody } from './client.js';

/** Slack drops a request not acknowledged within 3 s (api.slack.com/interactivity/slash-commands). */
export const ACK_DEADLINE_MS = 3_000;

/**
 * What Slack shows from an acknowledgement (the HTTP 200's body, or a Socket Mode envelope's
 * ack payload): a slash command's JSON body is its response
 * (docs.slack.dev/interactivity/implementing-slash-commands#responding_to_commands); a
 * view_submission's `response_action` keeps the modal open with errors
 * (docs.slack.dev/surfaces/modals); clicks' and events' bodies are ignored.
 */
export function slackCarries(event: InboundEvent): AckCarries {
  if (event.kind === 'submission') return 'answer';
  return event.kind === 'command' && event.mode === 'slash' ? 'quick-answer' : 'nothing';
}

/**
 * What an acknowledgement can carry, in the types of Slack's own SDK (@slack/bolt): a slash
 * command's answer (a response_url message), or a submitted modal's errors.
 */
export type SlackAckBody = RespondArguments | ViewErrorsResponseAction;

/**
 * A verified Slack event's delivery for admission (inbound.ts), both transports alike: `write`
 * sends the acknowledgement on the wire, with a Slack-shaped body or none.
 */
export function slackDelivery(
  event: InboundEvent,
  write: (body?: SlackAckBody) => void,
  extra: Pick<Delivery, 'retry' | 'replayableForMs'> = {},
): Delivery {
  return {
    carries: slackCarries(event),
    deadlineMs: ACK_DEADLINE_MS,
    ack: (reply) => write(slackAckBody(reply)),
    ...extra,
  };
}

/**
 * A reply in Slack's shape: an answer or a refusal as the command's response (only its sender
 * sees it), form errors keyed by input id (renderModal makes an input's block_id its id). No
 * reply is the empty acknowledgement, which also closes a modal.
 */
export function slackAckBody(reply: AckReply | undefined): SlackAckBody | undefined {
  switch (reply?.kind) {
    case undefined:
      return undefined;
    case 'refusal':
      return { response_type: 'ephemeral', text: reply.text } satisfies RespondArguments;
    case 'answer':
      return responseBody(reply.view, reply);
    case 'form_errors':
      return { response_action: 'errors', errors: reply.errors } satisfies ViewErrorsResponseAction;
    case 'form':
      // Never offered: a click's acknowledgement carries nothing, and views.open opens forms.
      return undefined;
  }
}
