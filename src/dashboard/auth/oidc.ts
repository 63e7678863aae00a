import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { OidcSettings } from '../../core/dashboard-settings.js';
import { isLoopbackHost } from '../../core/dashboard-settings.js';

/** What the browser keeps (signed) between leaving for the provider and coming back. */
export interface LoginTransaction {
  state: string;
  nonce: string;
  /** The PKCE code verifier; only its hash went to the provider (RFC 7636). */
  verifier: string;
  /** The dashboard path to return to, already checked to be one of ours. */
  returnTo: string;
}

export type Claims = Readonly<Record<string, unknown>>;

export interface OidcLogin {
  /** The provider's authorization URL for a new sign-in, and what to keep until it returns. */
  start(returnTo: string): Promise<{ url: URL; transaction: LoginTransaction }>;
  /**
   * Checks the provider's answer at `callbackUrl` against `transaction` (state, then the code
   * exchanged with the PKCE verifier, then the ID token's signature, audience and nonce) and
   * returns the identity's claims: the ID token's, and the UserInfo endpoint's for any of
   * `wanted` the ID token left out.
   */
  finish(callbackUrl: URL, transaction: LoginTransaction, wanted: string[]): Promise<Claims>;
}

const SCOPE = 'openid email profile';

/**
 * Slipway as an OpenID Connect relying party: the authorization code flow with PKCE, state and
 * nonce, as a confidential client (openid-client, github.com/panva/openid-client). The
 * provider's metadata is fetched at the first sign-in, not at start, so a provider that is down
 * stops sign-ins, not the server; a failed fetch is tried again at the next one.
 */
export function createOidcLogin(
  settings: OidcSettings,
  redirectUri: string,
  log: Logger,
): OidcLogin {
  let discovered: Promise<client.Configuration> | null = null;
  const configuration = () => {
    discovered ??= discover(settings).catch((err: unknown) => {
      discovered = null;
      log.warn({ err, issuer: settings.issuer }, 'OpenID provider metadata could not be read');
      throw err;
    });
    return discovered;
  };
  return {
    async start(returnTo) {
      const config = await configuration();
      const transaction: LoginTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        returnTo,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        state: transaction.state,
        nonce: transaction.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
        code_challenge_method: 'S256',
      });
      return { url, transaction };
    },
    async finish(callbackUrl, transaction, wanted) {
      const config = await configuration();
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
      });
      // Present: a nonce was expected, which requires an ID token.
      const idToken = tokens.claims();
      if (!idToken) throw new Error('the provider answered without an ID token');
      const missing = wanted.some((claim) => idToken[claim] === undefined);
      // Providers that follow the spec to the letter put the scopes' claims (email, profile)
      // in UserInfo only, not in the ID token (OpenID Connect Core §5.4).
      if (!missing || !config.serverMetadata().userinfo_endpoint) return idToken;
      const info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      return { ...info, ...idToken };
    },
  };
}

function discover(settings: OidcSettings): Promise<client.Configuration> {
  const issuer = new URL(settings.issuer);
  // Plain http only reaches this far for a provider on this machine (dashboard-settings.ts).
  const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
  return client.discovery(
    issuer,
    settings.clientId,
    undefined,
    client.ClientSecretBasic(settings.clientSecret),
    { timeout: 10, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) },
  );
}

/** What went wrong at sign-in, in words for the person who tried. */
export function signInProblem(err: unknown): string {
  if (err instanceof client.AuthorizationResponseError) {
    const description = err.error_description ? ` (${err.error_description})` : '';
    return `The sign-in provider refused the sign-in: ${err.error}${description}.`;
  }
  if (err instanceof client.ResponseBodyError) {
    const description = err.error_description ? ` (${err.error_description})` : '';
    return `The sign-in provider would not confirm the sign-in: ${err.error}${description}.`;
  }
  return `The sign-in could not be checked: ${err instanceof Error ? err.message : String(err)}.`;
}
