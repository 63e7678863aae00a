import { constants, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { z } from 'zod';
import { RetryableError, SlipwayError, UnauthorizedError, withCause } from '../../core/errors.js';
import { retryAfterMs } from '../../core/retry-after.js';

/**
 * The bot's access token for the Bot Connector: the Microsoft identity platform's client
 * credentials grant for scope `https://api.botframework.com/.default`, with a client secret or
 * a certificate (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication,
 * learn.microsoft.com/entra/identity-platform/certificate-credentials).
 *
 * Slipway asks for it itself and hands it to the Teams SDK as its `token` provider rather than
 * letting the SDK's MSAL client do it: MSAL refuses any authority that is not https, so a local
 * double could never stand in for Entra ID, and the SDK offers no certificate credential.
 */
export type BotTokenSource = () => Promise<string>;

export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';
export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

export interface BotTokenOptions {
  appId: string;
  tenantId: string;
  password?: string | undefined;
  /** PEM private key and the SHA-256 thumbprint (hex) of the certificate uploaded for it. */
  certificate?: { privateKey: string; thumbprintSha256: string } | undefined;
  /** Base of the token endpoint (TEAMS_LOGIN_URL); Microsoft's by default. */
  loginUrl?: string | undefined;
  timeoutMs?: number;
  now?: () => number;
}

const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number() });
const EntraError = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number()).optional(),
});

// Renewed this long before it expires, so no call carries a token that lapses on the way.
const RENEW_BEFORE_MS = 5 * 60_000;

/** A token source that asks once, shares the answer, and asks again before it expires. */
export function createBotTokenSource(options: BotTokenOptions): BotTokenSource {
  const now = options.now ?? Date.now;
  const url = `${(options.loginUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
  let cached: { token: string; renewAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function request(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.appId,
      scope: BOT_FRAMEWORK_SCOPE,
      ...credential(options, url, now()),
    });
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw withCause(
        new RetryableError(
          `The Microsoft identity platform (${url}) could not be reached for the bot's token`,
        ),
        err,
      );
    }
    const body: unknown = await res.json().catch(() => null);
    if (res.ok) {
      const parsed = TokenAnswer.safeParse(body);
      if (!parsed.success)
        throw new SlipwayError(`The token endpoint ${url} answered without an access token`);
      cached = {
        token: parsed.data.access_token,
        renewAt: now() + parsed.data.expires_in * 1000 - RENEW_BEFORE_MS,
      };
      return parsed.data.access_token;
    }
    throw tokenError(res, body, options);
  }

  return async () => {
    if (cached && now() < cached.renewAt) return cached.token;
    pending ??= request().finally(() => {
      pending = null;
    });
    return pending;
  };
}

function credential(
  options: BotTokenOptions,
  audience: string,
  nowMs: number,
): Record<string, string> {
  if (options.certificate) {
    return {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(options.appId, audience, options.certificate, nowMs),
    };
  }
  if (options.password) return { client_secret: options.password };
  throw new SlipwayError(
    'Teams has neither TEAMS_APP_PASSWORD nor TEAMS_APP_CERTIFICATE to get a token with',
  );
}

/**
 * The certificate credential: a JWT the app signs with its private key, naming the certificate
 * by its SHA-256 thumbprint (`x5t#S256`, PS256), valid for ten minutes
 * (learn.microsoft.com/entra/identity-platform/certificate-credentials).
 */
export function clientAssertion(
  appId: string,
  audience: string,
  certificate: { privateKey: string; thumbprintSha256: string },
  nowMs: number,
): string {
  const seconds = Math.floor(nowMs / 1000);
  const header = {
    alg: 'PS256',
    typ: 'JWT',
    'x5t#S256': Buffer.from(certificate.thumbprintSha256, 'hex').toString('base64url'),
  };
  const claims = {
    aud: audience,
    iss: appId,
    sub: appId,
    jti: randomUUID(),
    iat: seconds,
    nbf: seconds,
    exp: seconds + 600,
  };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const key = createPrivateKey(certificate.privateKey);
  const signature = sign('sha256', Buffer.from(input), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Entra's refusals say what to fix; throttling and outages are worth another try. */
function tokenError(res: Response, body: unknown, options: BotTokenOptions): SlipwayError {
  const parsed = EntraError.safeParse(body);
  const said = parsed.success
    ? `${parsed.data.error}: ${(parsed.data.error_description ?? '').split('\n')[0]}`
    : `HTTP ${res.status}`;
  if (res.status === 429 || res.status >= 500) {
    return new RetryableError(
      `The Microsoft identity platform did not give the bot a token (${said}); it will be retried`,
      retryAfterMs(res.headers.get('retry-after')),
    );
  }
  const what = options.certificate ? 'TEAMS_APP_CERTIFICATE' : 'TEAMS_APP_PASSWORD';
  return new UnauthorizedError(
    `The Microsoft identity platform refused the bot's token (${said}): check TEAMS_APP_ID, ${what} and TEAMS_TENANT_ID against the app registration`,
    { entraError: parsed.success ? parsed.data.error : undefined },
  );
}
