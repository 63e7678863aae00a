import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { teamsAppPackage } from '../chat/teams/manifest.js';
import { secretFrom } from '../core/secrets.js';
import { type ParsedArgs, stringValue, UsageError } from './args.js';
import { TEAMS_MANIFEST } from './specs.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `slipway teams manifest`: writes the app package to upload in Teams (Apps → Manage your apps
 * → Upload an app, or the Teams admin center for the whole organization), and says what else
 * the Azure Bot needs.
 */
export async function teamsManifest(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const url = stringValue(parsed, 'url');
  if (!url) {
    throw new UsageError(
      'Give --url: the public https URL Teams reaches this server at.',
      TEAMS_MANIFEST,
    );
  }
  if (!/^https:\/\/[^\s/]+/.test(url) || !URL.canParse(url)) {
    throw new UsageError(
      `Teams only talks to bots over https; "${url}" is not an https URL.`,
      TEAMS_MANIFEST,
    );
  }
  const appId = stringValue(parsed, 'app-id') ?? secretFrom(env, 'TEAMS_APP_ID');
  if (!appId) {
    throw new UsageError(
      "Give --app-id (or set TEAMS_APP_ID): the Microsoft App ID from your Azure Bot's Configuration page.",
      TEAMS_MANIFEST,
    );
  }
  if (!GUID.test(appId)) {
    throw new UsageError(
      `The app id "${appId}" is not a GUID: give the Azure Bot's Microsoft App ID, such as 00000000-0000-0000-0000-000000000000.`,
      TEAMS_MANIFEST,
    );
  }
  const out = resolve(stringValue(parsed, 'out') ?? 'slipway-teams.zip');
  await writeFile(out, teamsAppPackage({ url, appId }));
  const endpoint = `${url.replace(/\/+$/, '')}/api/messages`;
  process.stdout.write(
    [
      `Wrote ${out}.`,
      `1. In the Azure portal, set the Azure Bot's messaging endpoint to ${endpoint} and turn on its Microsoft Teams channel.`,
      '2. Upload the package in Teams (Apps → Manage your apps → Upload an app), or in the Teams admin center for everyone.',
      '3. Start Slipway with TEAMS_APP_ID, TEAMS_APP_PASSWORD (or TEAMS_APP_CERTIFICATE_FILE) and TEAMS_TENANT_ID.',
      '',
    ].join('\n'),
  );
  return 0;
}
