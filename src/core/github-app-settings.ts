import { createPrivateKey } from 'node:crypto';
import { ConfigError } from './errors.js';
import { secretFrom } from './secrets.js';

/**
 * A GitHub App Slipway acts as (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY or its _FILE,
 * GITHUB_APP_INSTALLATION_ID): installation tokens instead of a personal GITHUB_TOKEN, for the
 * GitHub Deployments reports (src/integrations/github-deployments).
 */
export interface GitHubAppSettings {
  /** The app's numeric id, or its client id (Iv1.…), as a JWT's `iss`. */
  appId: string;
  /** PEM of the app's private key (RSA), as GitHub generated it. */
  privateKey: string;
  installationId: string;
}

const WHERE =
  "the app's settings on GitHub (Settings → Developer settings → GitHub Apps → the app)";

/** All three or none: one or two set is a mistake, said with where to find the others. */
export function readGitHubAppSettings(env: NodeJS.ProcessEnv): {
  githubApp?: GitHubAppSettings;
} {
  const appId = env.GITHUB_APP_ID?.trim() || undefined;
  const privateKey = secretFrom(env, 'GITHUB_APP_PRIVATE_KEY');
  const installationId = env.GITHUB_APP_INSTALLATION_ID?.trim() || undefined;
  if (!appId && !privateKey && !installationId) return {};
  if (!appId)
    throw new ConfigError(
      `GITHUB_APP_ID is not set: copy the App ID from ${WHERE}, About section.`,
    );
  if (!/^\d+$/.test(appId) && !/^Iv[0-9A-Za-z.]+$/.test(appId))
    throw new ConfigError(
      `GITHUB_APP_ID is "${appId}": give the app's numeric App ID (or its Client ID, Iv1.…) from ${WHERE}.`,
    );
  if (!privateKey)
    throw new ConfigError(
      `GITHUB_APP_PRIVATE_KEY is not set: generate a private key in ${WHERE}, Private keys, and set GITHUB_APP_PRIVATE_KEY_FILE to the downloaded .pem file (or GITHUB_APP_PRIVATE_KEY to its text).`,
    );
  if (!installationId)
    throw new ConfigError(
      "GITHUB_APP_INSTALLATION_ID is not set: install the app on the repositories Slipway reports to and copy the number at the end of the installation's settings URL (…/settings/installations/<id>).",
    );
  if (!/^\d+$/.test(installationId))
    throw new ConfigError(
      `GITHUB_APP_INSTALLATION_ID is "${installationId}": give the number at the end of the installation's settings URL (…/settings/installations/<id>).`,
    );
  return { githubApp: { appId, privateKey: rsaKey(privateKey), installationId } };
}

/**
 * The key as PEM text. A key pasted into one environment variable often has its line breaks
 * written as `\n`; those are turned back into line breaks before it is read.
 */
function rsaKey(text: string): string {
  const pem = text.includes('\\n') && !text.includes('\n') ? text.replaceAll('\\n', '\n') : text;
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch (err) {
    throw new ConfigError(
      `GITHUB_APP_PRIVATE_KEY cannot be read as a private key (${(err as Error).message}): give the .pem file GitHub generated for the app, whole (-----BEGIN RSA PRIVATE KEY----- to -----END RSA PRIVATE KEY-----).`,
    );
  }
  if (type !== 'rsa')
    throw new ConfigError(
      `GITHUB_APP_PRIVATE_KEY is a ${type} key: GitHub Apps sign with RSA; give the .pem file GitHub generated for the app.`,
    );
  return pem;
}
