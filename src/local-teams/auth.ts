import {
  createSigningKey,
  decodeJwt,
  hasValidSignature,
  publicJwk,
  type SigningKey,
  signJwt,
} from './jwt.js';

/**
 * Both directions of Bot Framework authentication
 * (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
 * the channel signs what it sends the bot with a key published in its OpenID metadata, and
 * the bot calls the connector with an access token from the Microsoft identity platform's
 * client credentials grant.
 */

export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';
/** The botframework.com tenant, which issues tokens to multi-tenant bots. */
const BOTFRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';
const CHANNEL_TOKEN_TTL_SEC = 3600;
/** What the identity platform answers today for a client credentials token. */
export const ACCESS_TOKEN_TTL_SEC = 3599;

export interface MintOptions {
  /** Default `https://api.botframework.com`. */
  issuer?: string;
  /** Default the bot's app id. */
  audience?: string;
  /** The `serviceurl` claim; default the double's serviceUrl; `null` leaves it out. */
  serviceUrl?: string | null;
  /** Expired an hour ago, well past the 5 minutes of clock skew validators allow. */
  expired?: boolean;
  /** Signed by a key the metadata does not publish, under the published key's `kid`. */
  forged?: boolean;
  /** Claims added to, or replacing, the ones above. */
  claims?: Record<string, unknown>;
}

export interface Auth {
  /** GET /v1/.well-known/openidconfiguration, as login.botframework.com publishes it. */
  openIdConfiguration(baseUrl: string): Record<string, unknown>;
  /** GET /v1/.well-known/keys: the channel's signing key, endorsed for msteams. */
  channelKeys(): { keys: Array<Record<string, unknown>> };
  /** GET /<tenant>/discovery/v2.0/keys: the key that signs the bot's access tokens. */
  loginKeys(): { keys: Array<Record<string, unknown>> };
  /** A token the channel would put on an activity it delivers, or a bad one on request. */
  mintChannelToken(options?: MintOptions): string;
  /** The bot's access token, as the identity platform issues it for `tenant`. */
  mintAccessToken(tenant: string): string;
  /** Whether a connector request carries an access token this double issued to the bot. */
  isBotToken(authorization: string | undefined): boolean;
}

/** The channel's signing key and the identity platform's; RSA generation is slow, so share them. */
export interface AuthKeys {
  channel: SigningKey;
  login: SigningKey;
}

export async function createAuthKeys(): Promise<AuthKeys> {
  const [channel, login] = await Promise.all([createSigningKey(), createSigningKey()]);
  return { channel, login };
}

export function createAuth(deps: {
  appId: string;
  serviceUrl: () => string;
  clock: () => number;
  keys: AuthKeys;
}): Auth {
  const { channel: channelKey, login: loginKey } = deps.keys;
  const nowSec = () => Math.floor(deps.clock() / 1000);
  const issuerOf = (tid: string) => `https://sts.windows.net/${tid}/`;

  function mintAccessToken(tenant: string): string {
    const tid = tenant === 'botframework.com' ? BOTFRAMEWORK_TENANT_ID : tenant;
    const now = nowSec();
    return signJwt(loginKey, {
      aud: BOT_FRAMEWORK_ISSUER,
      iss: issuerOf(tid),
      iat: now,
      nbf: now,
      exp: now + ACCESS_TOKEN_TTL_SEC,
      appid: deps.appId,
      appidacr: '1',
      idp: issuerOf(tid),
      idtyp: 'app',
      tid,
      ver: '1.0',
    });
  }

  return {
    openIdConfiguration: (baseUrl) => ({
      issuer: BOT_FRAMEWORK_ISSUER,
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: `${baseUrl}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    }),
    channelKeys: () => ({ keys: [publicJwk(channelKey, { endorsements: ['msteams'] })] }),
    loginKeys: () => ({ keys: [publicJwk(loginKey)] }),

    mintChannelToken(options = {}) {
      const now = nowSec();
      const serviceUrl = options.serviceUrl === undefined ? deps.serviceUrl() : options.serviceUrl;
      const payload: Record<string, unknown> = {
        ...(serviceUrl === null ? {} : { serviceurl: serviceUrl }),
        nbf: options.expired ? now - 2 * CHANNEL_TOKEN_TTL_SEC : now,
        exp: options.expired ? now - CHANNEL_TOKEN_TTL_SEC : now + CHANNEL_TOKEN_TTL_SEC,
        iss: options.issuer ?? BOT_FRAMEWORK_ISSUER,
        aud: options.audience ?? deps.appId,
        ...options.claims,
      };
      // A forgery: a real RSA key, just not the one the metadata publishes for this kid.
      const key = options.forged ? { ...loginKey, kid: channelKey.kid } : channelKey;
      return signJwt(key, payload);
    },

    mintAccessToken,

    isBotToken(authorization) {
      const raw = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
      const jwt = raw ? decodeJwt(raw) : undefined;
      if (!jwt || jwt.header.kid !== loginKey.kid) return false;
      if (!hasValidSignature(jwt, loginKey.publicKey)) return false;
      const { aud, appid, exp, nbf } = jwt.payload;
      const now = nowSec();
      return (
        aud === BOT_FRAMEWORK_ISSUER &&
        appid === deps.appId &&
        typeof exp === 'number' &&
        exp > now &&
        (typeof nbf !== 'number' || nbf <= now)
      );
    },
  };
}
