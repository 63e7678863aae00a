import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { secretFrom } from './secrets.js';

/**
 * Who may look at the dashboard and act from it: people signed in through the team's OpenID
 * provider when SLIPWAY_OIDC_ISSUER is set; otherwise nobody signs in and the pages answer only
 * this machine, read-only (src/dashboard/auth/README.md).
 */
export interface DashboardSettings {
  /** SLIPWAY_PUBLIC_URL: the origin people open, e.g. https://slipway.example.com. */
  publicUrl: string | undefined;
  oidc: OidcSettings | null;
  /**
   * SLIPWAY_SESSION_SECRET, then SLIPWAY_SESSION_SECRET_PREVIOUS when set: the first signs new
   * cookies, both are accepted, so a secret can be replaced without signing everyone out.
   */
  sessionSecrets: string[];
  /** SLIPWAY_SESSION_LIFETIME (default 12h): how long a sign-in lasts. */
  sessionLifetimeMs: number;
  /**
   * `slipway dev` only, never read from the environment: whoever uses this machine picks the
   * person they act as, without a provider.
   */
  devLogin?: boolean;
  /**
   * SLIPWAY_TRACE_URL: where a deployment's trace is read, with `{traceId}` in it (Jaeger:
   * http://jaeger:16686/trace/{traceId}); a deployment's page links there when tracing was on.
   */
  traceUrl?: string;
}

export interface OidcSettings {
  /** SLIPWAY_OIDC_ISSUER: the provider's issuer URL; its discovery document lives under it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * SLIPWAY_OIDC_CLAIM: a claim naming the person (a key of people:, or their email), instead of
   * the verified email.
   */
  claim: string | undefined;
}

/** Shorter would be guessable offline from one signed cookie. */
export const MIN_SESSION_SECRET_LENGTH = 32;

const MAKE_SECRET = 'make one with: openssl rand -base64 32';

export function readDashboardSettings(env: NodeJS.ProcessEnv): DashboardSettings {
  const publicUrl = originUrl(env, 'SLIPWAY_PUBLIC_URL');
  const current = sessionSecret(env, 'SLIPWAY_SESSION_SECRET');
  const previous = sessionSecret(env, 'SLIPWAY_SESSION_SECRET_PREVIOUS');
  if (previous && !current) {
    throw new ConfigError(
      `SLIPWAY_SESSION_SECRET_PREVIOUS is set without SLIPWAY_SESSION_SECRET: set the new secret in SLIPWAY_SESSION_SECRET (${MAKE_SECRET}).`,
    );
  }
  const sessionSecrets = [current, previous].filter((s): s is string => s !== undefined);
  const lifetime = env.SLIPWAY_SESSION_LIFETIME?.trim() || '12h';
  const sessionLifetimeMs = parseDuration(lifetime);
  if (sessionLifetimeMs === null || sessionLifetimeMs < 60_000) {
    throw new ConfigError(
      `SLIPWAY_SESSION_LIFETIME is "${lifetime}": give a duration of a minute or more, such as 8h or 7d (default 12h).`,
    );
  }
  const oidc = readOidcSettings(env);
  if (oidc && !publicUrl) {
    throw new ConfigError(
      `SLIPWAY_PUBLIC_URL is not set: give the address people open the dashboard at (https://slipway.example.com); the provider sends them back to its /auth/callback, which you register as the client's redirect URI.`,
    );
  }
  if (oidc && sessionSecrets.length === 0) {
    throw new ConfigError(
      `SLIPWAY_SESSION_SECRET is not set: sign-ins are kept in cookies signed with it, ${MAKE_SECRET}.`,
    );
  }
  const traceUrl = env.SLIPWAY_TRACE_URL?.trim() || undefined;
  if (traceUrl && !/^https?:\/\/\S+\{traceId\}/.test(traceUrl)) {
    throw new ConfigError(
      `SLIPWAY_TRACE_URL is "${traceUrl}": give an http(s) address with {traceId} where the trace id goes, such as http://jaeger:16686/trace/{traceId}.`,
    );
  }
  return { publicUrl, oidc, sessionSecrets, sessionLifetimeMs, ...(traceUrl ? { traceUrl } : {}) };
}

function readOidcSettings(env: NodeJS.ProcessEnv): OidcSettings | null {
  const issuer = env.SLIPWAY_OIDC_ISSUER?.trim() || undefined;
  const clientId = env.SLIPWAY_OIDC_CLIENT_ID?.trim() || undefined;
  const clientSecret = secretFrom(env, 'SLIPWAY_OIDC_CLIENT_SECRET');
  const claim = env.SLIPWAY_OIDC_CLAIM?.trim() || undefined;
  if (!issuer) {
    if (clientId || clientSecret || claim) {
      throw new ConfigError(
        "SLIPWAY_OIDC_ISSUER is not set: give your OpenID provider's issuer URL (the address before /.well-known/openid-configuration), or unset the other SLIPWAY_OIDC_ variables.",
      );
    }
    return null;
  }
  const url = URL.parse(issuer);
  if (!url || !isSafeScheme(url)) {
    throw new ConfigError(
      `SLIPWAY_OIDC_ISSUER is "${issuer}": give the provider's https:// issuer URL (http:// only on this machine, for trying it out).`,
    );
  }
  if (!clientId) {
    throw new ConfigError(
      'SLIPWAY_OIDC_CLIENT_ID is not set: register Slipway as a web application (confidential client) with your provider and copy its client id.',
    );
  }
  if (!clientSecret) {
    throw new ConfigError(
      "SLIPWAY_OIDC_CLIENT_SECRET is not set: copy the client's secret from your provider (or mount it as a file and set SLIPWAY_OIDC_CLIENT_SECRET_FILE).",
    );
  }
  if (claim && !/^[\w.:/-]+$/.test(claim)) {
    throw new ConfigError(
      `SLIPWAY_OIDC_CLAIM is "${claim}": give one claim's name, such as preferred_username.`,
    );
  }
  // As given: openid-client compares it with the discovered issuer, trailing slash and all.
  return { issuer, clientId, clientSecret, claim };
}

function originUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const url = URL.parse(value);
  if (!url || !isSafeScheme(url)) {
    throw new ConfigError(
      `${name} is "${value}": give the https:// address people open (http:// only for 127.0.0.1 or localhost: elsewhere the sign-in cookie would cross the network in clear).`,
    );
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      `${name} is "${value}": give the origin alone (${url.origin}); Slipway's pages live at its root.`,
    );
  }
  return url.origin;
}

/** https anywhere; http only where the traffic stays on this machine. */
function isSafeScheme(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** 127.0.0.0/8, localhost and [::1], as a URL's hostname or a Host header's name. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function sessionSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const secret = secretFrom(env, name);
  if (secret !== undefined && secret.length < MIN_SESSION_SECRET_LENGTH) {
    throw new ConfigError(
      `${name} has ${secret.length} characters: give at least ${MIN_SESSION_SECRET_LENGTH}, ${MAKE_SECRET}.`,
    );
  }
  return secret;
}
