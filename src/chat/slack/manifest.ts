import { stringify } from 'yaml';

/**
 * The bot scope each Web API method Slipway calls needs (docs.slack.dev/reference/methods).
 * The manifest asks for exactly these, plus `commands` for /deploy and `app_mentions:read`
 * for mentions; tests check that every method called against the local Slack is listed here.
 */
export const METHOD_SCOPES: Readonly<Record<string, string | null>> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.getPermalink': null,
  'conversations.open': 'im:write',
  'users.info': 'users:read',
  // Finding a message whose post timed out after Slack stored it, in a public channel.
  'conversations.history': 'channels:history',
  // Socket Mode: called with the app-level token, whose scope is connections:write.
  'apps.connections.open': null,
};

/**
 * conversations.history needs the history scope of the conversation's kind: private channels
 * and the direct messages that ask approvers, too.
 */
const FEATURE_SCOPES = ['commands', 'app_mentions:read', 'groups:history', 'im:history'];

export function botScopes(): string[] {
  const scopes = new Set<string>(FEATURE_SCOPES);
  for (const scope of Object.values(METHOD_SCOPES)) if (scope) scopes.add(scope);
  return [...scopes].sort();
}

export type ManifestMode = { socket: true } | { socket: false; url: string };

/**
 * An app manifest to paste into api.slack.com/apps → Create New App → From a manifest
 * (docs.slack.dev/reference/app-manifest). HTTP mode points every request URL at
 * `<url>/slack/events`; Socket Mode needs no URL but an app-level token (connections:write).
 */
export function slackManifest(mode: ManifestMode, name = 'Slipway'): Record<string, unknown> {
  const eventsUrl = mode.socket ? undefined : `${mode.url.replace(/\/+$/, '')}/slack/events`;
  const withUrl = <T extends object>(value: T) =>
    eventsUrl ? { ...value, request_url: eventsUrl } : value;
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'Deploy, approve, lock and roll back services from Slack.',
      background_color: '#1d3557',
    },
    features: {
      bot_user: { display_name: name.toLowerCase(), always_online: true },
      slash_commands: [
        {
          command: '/deploy',
          ...(eventsUrl ? { url: eventsUrl } : {}),
          description: 'Deploy, roll back, lock and inspect services',
          usage_hint: 'web 1.4.2 to staging | rollback web in production | status | help',
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: botScopes() } },
    settings: {
      event_subscriptions: withUrl({ bot_events: ['app_mention'] }),
      interactivity: withUrl({ is_enabled: true }),
      org_deploy_enabled: false,
      socket_mode_enabled: mode.socket,
      token_rotation_enabled: false,
    },
  };
}

export function manifestYaml(mode: ManifestMode): string {
  const header = mode.socket
    ? '# Socket Mode: also create an app-level token with connections:write and set SLACK_APP_TOKEN.\n'
    : '# HTTP mode: Slack sends commands, clicks and mentions to /slack/events on this URL.\n';
  return `${header}# Then install the app and set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.\n${stringify(slackManifest(mode))}`;
}
