/**
 * What the double answers when it refuses, in the shapes Microsoft's services use. The codes
 * and messages come from "Status codes from bot conversational APIs"
 * (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-messages)
 * and from answers seen from Teams and the Agents Playground; see README.md for each source.
 */

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type TeamsErrorCode =
  | 'BadArgument'
  | 'BadSyntax'
  | 'BotNotInConversationRoster'
  | 'NotEnoughPermissions'
  | 'ActivityNotFoundInConversation'
  | 'ConversationNotFound'
  | 'MemberNotFoundInConversation'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'PreconditionFailed'
  | 'MessageSizeTooBig'
  | 'Throttled'
  | 'ServiceError'
  | 'ServiceUnavailable'
  | 'GatewayTimeout';

/** The Bot Connector's error body: `{"error":{"code":…,"message":…}}`, always JSON. */
export function teamsError(
  status: number,
  code: TeamsErrorCode,
  message: string,
  headers?: Record<string, string>,
): Answer {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

/** ASP.NET's answer to a request without a valid bearer token, as the Bot Connector gives it. */
export const UNAUTHORIZED: Answer = {
  status: 401,
  body: { message: 'Authorization has been denied for this request.' },
};

export const notFound = {
  conversation: () => teamsError(404, 'ConversationNotFound', 'Conversation not found.'),
  // The Agents Playground's wording; Microsoft's table gives "Conversation not found." here too.
  activity: () =>
    teamsError(404, 'ActivityNotFoundInConversation', 'Message does not exist in the thread.'),
};

export const notInRoster = () =>
  teamsError(403, 'BotNotInConversationRoster', "The bot isn't part of the conversation roster.");

/** An Entra ID (AADSTS) error from the token endpoint. */
export function entraError(
  status: number,
  error: string,
  aadsts: number,
  description: string,
  now: Date,
): Answer {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Timestamp: ${now.toISOString()}`,
      error_codes: [aadsts],
      timestamp: now.toISOString(),
      trace_id: crypto.randomUUID(),
      correlation_id: crypto.randomUUID(),
    },
  };
}
