import { createSign, type KeyObject } from 'node:crypto';

/** Where the credentials of GitHub calls come from: a token, or a GitHub App's installation. */
export interface TokenSource {
  readonly kind: 'token' | 'app';
  /** The token to send now; fetched (and cached) for an app. */
  token(signal: AbortSignal): Promise<string>;
  /** GitHub refused `token` (401): an app's next call gets a new one. */
  invalidate(token: string): void;
}

/**
 * GITHUB_TOKEN (or GITHUB_TOKEN_FILE), read at every call through `read`, so a token file that
 * Kubernetes or Vault rotates is picked up without a restart.
 */
export function staticToken(read: () => string | undefined): TokenSource {
  return {
    kind: 'token',
    async token() {
      const token = read();
      if (!token) throw new Error('GITHUB_TOKEN is not set any more');
      return token;
    },
    invalidate() {},
  };
}

export interface AppCredentials {
  appId: string;
  privateKey: KeyObject;
  installationId: string;
}

/** What `POST /app/installations/{id}/access_tokens` gave: the token and when it expires. */
export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/**
 * A token is used until this long before GitHub's `expires_at`: a call made just before it
 * lapses must not reach GitHub after it did (GitHub's tokens live an hour).
 */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Installation access tokens of a GitHub App: one is asked for with the app's JWT, kept until
 * five minutes before it expires, and shared by every call meanwhile; calls that need one while
 * it is being fetched wait for that fetch instead of starting their own. `now` says when a token
 * is due (tests move it); the JWT is always dated by `jwtNow`, the clock GitHub checks it by.
 */
export function appInstallationTokens(
  credentials: AppCredentials,
  fetchToken: (jwt: string, signal: AbortSignal) => Promise<IssuedToken>,
  now: () => number = Date.now,
  jwtNow: () => number = Date.now,
): TokenSource {
  let cached: IssuedToken | null = null;
  let fetching: Promise<IssuedToken> | null = null;
  return {
    kind: 'app',
    async token(signal) {
      if (cached && cached.expiresAt - REFRESH_BEFORE_MS > now()) return cached.token;
      fetching ??= fetchToken(appJwt(credentials, jwtNow()), signal)
        .then((issued) => {
          cached = issued;
          return issued;
        })
        .finally(() => {
          fetching = null;
        });
      return (await fetching).token;
    },
    invalidate(token) {
      if (cached?.token === token) cached = null;
    },
  };
}

/**
 * The app's JSON Web Token, RS256 over `{iat, exp, iss}` (docs.github.com/apps/creating-github-apps/
 * authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app): `iat` a
 * minute in the past against clock drift, `exp` nine minutes ahead, under GitHub's ten-minute
 * limit even when this clock runs a little fast.
 */
export function appJwt(credentials: AppCredentials, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  const iss = /^\d+$/.test(credentials.appId) ? Number(credentials.appId) : credentials.appId;
  const claims = encode({ iat: now - 60, exp: now + 9 * 60, iss });
  const signature = createSign('RSA-SHA256')
    .update(`${header}.${claims}`)
    .sign(credentials.privateKey)
    .toString('base64url');
  return `${header}.${claims}.${signature}`;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
