import { COMMAND_NAMES, USAGE } from '../../commands/usage.js';
import { ACCENT, colorIcon, outlineIcon } from './icons.js';
import { zip } from './zip.js';

/**
 * The Teams app manifest, newest generally available schema at the time of writing: 1.28, May
 * 2026 (learn.microsoft.com/microsoft-365/extensibility/schema, "What's new in manifest version
 * 1.28"). Nothing Slipway uses changed since 1.13; a bot, its scopes and commands are the same.
 */
export const MANIFEST_VERSION = '1.28';

/** Manifest field lengths (learn.microsoft.com/microsoft-365/extensibility/schema/root). */
const COMMAND_TITLE = 32;
const COMMAND_DESCRIPTION = 128;
const COMMANDS_PER_LIST = 10;

export interface ManifestOptions {
  /** The public https base of this Slipway (its messaging endpoint is `<url>/api/messages`). */
  url: string;
  /** The Azure Bot's Microsoft App ID (TEAMS_APP_ID): the bot, and the Teams app's own id. */
  appId: string;
  /** The app's version; Teams asks for a new one to update an installed app. */
  version?: string;
  name?: string;
}

/**
 * A bot in personal chats, group chats and teams' channels, listing the chat grammar's commands
 * (src/commands/usage.ts) for Teams' command menu; the server's host is its only valid domain.
 */
export function teamsManifest(options: ManifestOptions): Record<string, unknown> {
  const base = new URL(options.url);
  const name = options.name ?? 'Slipway';
  const scopes = ['personal', 'team', 'groupChat'];
  return {
    $schema: `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    manifestVersion: MANIFEST_VERSION,
    version: options.version ?? '1.0.0',
    id: options.appId,
    developer: {
      name,
      websiteUrl: base.origin,
      privacyUrl: base.origin,
      termsOfUseUrl: base.origin,
    },
    name: { short: name, full: `${name} deployments` },
    description: {
      short: 'Deploy, approve, lock and roll back services from Teams.',
      full: 'Slipway deploys, approves, locks and rolls back services from chat: mention it with a command (deploy web 1.4.2 to staging), and everyone in the channel sees who did what, in one card per deployment kept up to date.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: `#${[ACCENT.r, ACCENT.g, ACCENT.b]
      .map((c) => c.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase()}`,
    bots: [
      {
        botId: options.appId,
        scopes,
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [{ scopes, commands: commands() }],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: [base.host],
  };
}

/** The grammar's verbs with their first usage line, as Teams' command menu shows them. */
function commands(): { title: string; description: string }[] {
  return COMMAND_NAMES.slice(0, COMMANDS_PER_LIST).map((verb) => ({
    title: verb.slice(0, COMMAND_TITLE),
    description: (USAGE[verb].split('\n')[0] ?? verb).slice(0, COMMAND_DESCRIPTION),
  }));
}

/** The app package Teams installs: manifest.json and the two icons, zipped at the root. */
export function teamsAppPackage(options: ManifestOptions): Buffer {
  return zip([
    {
      name: 'manifest.json',
      data: Buffer.from(`${JSON.stringify(teamsManifest(options), null, 2)}\n`),
    },
    { name: 'color.png', data: colorIcon() },
    { name: 'outline.png', data: outlineIcon() },
  ]);
}
