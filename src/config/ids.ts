/**
 * The shapes of the ids slipway.yaml names people and conversations by, on each chat platform.
 * Lists (principals, an environment's `channels`, `alerts.channel`, a service's `channel`) take
 * the core's ids: Slack's as Slack writes them, Teams' with a `teams:` prefix. The per-platform
 * mappings (`people.<key>.{slack,teams}`, a service's `channels.{slack,teams}`) take each
 * platform's own id, since the key already says which platform it is.
 */

export interface IdProblem {
  message: string;
  fix: string;
}

/** A key of `people:`, which principals use to name that person. */
export const PERSON_KEY = /^[a-z][a-z0-9._-]*$/;
export const PERSON_KEY_RULE =
  'use lowercase letters, digits, ".", "_" and "-", starting with a letter (e.g. "alice" or "j.doe")';

export const TEAMS_PREFIX = 'teams:';

// Slack member ids as Slack issues them (U…, W… on Enterprise Grid); test doubles use dashes
// (U-DEV1), as elsewhere in the config.
const SLACK_USER = /^[UW][A-Z0-9-]+$/;
// An Entra ID (Azure AD) object id, which Teams sends as `from.aadObjectId` on every activity.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Teams channels (`@thread.tacv2`, older `@thread.skype`) and group chats (`@thread.v2`): the
// conversations a message to many people goes to. Personal chats are opened per person.
const TEAMS_CONVERSATION = /^19:[^\s@]+@thread\.(tacv2|v2|skype)$/;

const TEAMS_USER_FIX =
  "write the person's Entra ID object id, a GUID like 3f2504e0-4f89-41d3-9a0c-0305e82c3301 (Teams admin center or Entra ID → Users → Object ID)";
const TEAMS_CONVERSATION_FIX =
  'in Teams, open the channel\'s "…" menu → Get link to channel; the id is the part after /channel/, URL-decoded, like 19:abc123@thread.tacv2';

export function isSlackUserId(id: string): boolean {
  return SLACK_USER.test(id);
}

export function isGuid(id: string): boolean {
  return GUID.test(id);
}

/** `teams:<GUID>`, the form the core gives a Teams user known by their Entra ID object id. */
export function isTeamsUserId(id: string): boolean {
  return id.startsWith(TEAMS_PREFIX) && GUID.test(id.slice(TEAMS_PREFIX.length));
}

/** `people.<key>.slack`: a Slack member id. */
export function slackUserProblem(value: string): IdProblem | null {
  if (SLACK_USER.test(value)) return null;
  const mention = /^<@([A-Z0-9-]+)(\|[^>]*)?>$/.exec(value);
  if (mention) {
    return {
      message: `"${value}" is a chat mention, not a Slack member id`,
      fix: `write the bare id: ${mention[1]}`,
    };
  }
  if (/^[uw][a-z0-9-]+$/.test(value)) {
    return {
      message: `"${value}" is not a Slack member id: Slack writes them in capitals`,
      fix: `write ${value.toUpperCase()}`,
    };
  }
  return {
    message: `"${value}" is not a Slack member id`,
    fix: "copy it from the person's Slack profile (⋮ → Copy member ID): it looks like U012ABC",
  };
}

/** `people.<key>.teams`: the bare Entra ID object id, without the core's prefix. */
export function teamsUserProblem(value: string): IdProblem | null {
  if (GUID.test(value)) return null;
  if (value.startsWith(TEAMS_PREFIX) && GUID.test(value.slice(TEAMS_PREFIX.length))) {
    return {
      message: `"${value}" carries the "teams:" prefix, which this key already implies`,
      fix: `write ${value.slice(TEAMS_PREFIX.length)}`,
    };
  }
  return {
    message: `"${value}" is not a Teams user id (an Entra ID object id)`,
    fix: TEAMS_USER_FIX,
  };
}

/** A principal that starts with `teams:`. */
export function teamsPrincipalProblem(value: string): IdProblem | null {
  const rest = value.slice(TEAMS_PREFIX.length);
  if (GUID.test(rest)) return null;
  return {
    message: `"${value}" is not a Teams user id: after "teams:" comes the person's Entra ID object id`,
    fix: `${TEAMS_USER_FIX}, after "teams:"`,
  };
}

/**
 * A channel in a list (`environments[].channels`, `alerts.channel`, `services[].channel`):
 * Slack's channel id, or `teams:` and a Teams conversation id.
 */
export function channelProblem(value: string): IdProblem | null {
  if (value.startsWith(TEAMS_PREFIX)) {
    const id = value.slice(TEAMS_PREFIX.length);
    if (TEAMS_CONVERSATION.test(id)) return null;
    return {
      message: `"${value}" is not a Teams channel or group chat id`,
      fix: `${TEAMS_CONVERSATION_FIX}, and write "teams:" before it`,
    };
  }
  if (value.startsWith('19:')) {
    return {
      message: `"${value}" looks like a Teams conversation id without its "teams:" prefix`,
      fix: `write "teams:${value}": in a list, the prefix tells Teams' ids from Slack's`,
    };
  }
  if (/\s/.test(value)) {
    return {
      message: `"${value}" is not a channel id`,
      fix: "write the channel's id (Slack: C012ABC, from the channel's details), one per item",
    };
  }
  return null;
}

/** `channels.slack` of a service: Slack's channel id. */
export function slackChannelProblem(value: string): IdProblem | null {
  if (value.startsWith(TEAMS_PREFIX) || value.startsWith('19:')) {
    return {
      message: `"${value}" is a Teams conversation, not a Slack channel`,
      fix: 'put it under "teams" (without "teams:"), and the Slack channel id (C012ABC) here',
    };
  }
  return channelProblem(value);
}

/** `channels.teams` of a service: the bare Teams conversation id. */
export function teamsChannelProblem(value: string): IdProblem | null {
  if (TEAMS_CONVERSATION.test(value)) return null;
  if (value.startsWith(TEAMS_PREFIX) && TEAMS_CONVERSATION.test(value.slice(TEAMS_PREFIX.length))) {
    return {
      message: `"${value}" carries the "teams:" prefix, which this key already implies`,
      fix: `write ${value.slice(TEAMS_PREFIX.length)}`,
    };
  }
  return {
    message: `"${value}" is not a Teams channel or group chat id`,
    fix: TEAMS_CONVERSATION_FIX,
  };
}
