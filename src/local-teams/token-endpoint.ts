import { constants, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { ACCESS_TOKEN_TTL_SEC, BOT_FRAMEWORK_SCOPE } from './auth.js';
import { type Answer, entraError } from './errors.js';
import { decodeJwt } from './jwt.js';
import { type LocalTeamsConfig, TokenRequest } from './schema.js';

/**
 * The Microsoft identity platform's client credentials grant, as a bot uses it for the Bot
 * Connector (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
 * a client secret (form field or HTTP Basic), or a client assertion signed with the key of a
 * certificate registered for the app (learn.microsoft.com/entra/identity-platform/certificate-credentials).
 */

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra's tolerance for the assertion's clock, like the SDKs' five minutes. */
const SKEW_SEC = 300;

interface RegisteredCertificate {
  publicKey: KeyObject;
  /** `x5t#S256` and `x5t` as they appear in an assertion header (base64url). */
  thumbprints: string[];
}

const hexToB64url = (hex: string) =>
  Buffer.from(hex.replace(/:/g, ''), 'hex').toString('base64url');

function registered(c: LocalTeamsConfig['appCertificate']): RegisteredCertificate | undefined {
  if (!c) return undefined;
  if (c.certificate) {
    const x509 = new X509Certificate(c.certificate);
    return {
      publicKey: x509.publicKey,
      thumbprints: [hexToB64url(x509.fingerprint256), hexToB64url(x509.fingerprint)],
    };
  }
  return {
    publicKey: createPublicKey(c.publicKey ?? ''),
    thumbprints: [hexToB64url(c.thumbprintSha256 ?? '')],
  };
}

function signatureHolds(jwt: NonNullable<ReturnType<typeof decodeJwt>>, key: KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  if (jwt.header.alg === 'RS256') return verify('sha256', data, key, jwt.signature);
  if (jwt.header.alg !== 'PS256') return false;
  const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  return verify('sha256', data, pss, jwt.signature);
}

export function createTokenEndpoint(deps: {
  cfg: LocalTeamsConfig;
  baseUrl: () => string;
  clock: () => number;
  mintAccessToken: (tenant: string) => string;
}) {
  const { cfg } = deps;
  const certificate = registered(cfg.appCertificate);

  /** Why an assertion is refused, as Entra's AADSTS code and text; undefined when it holds. */
  function assertionProblem(assertion: string, tenant: string): [number, string] | undefined {
    const jwt = decodeJwt(assertion);
    if (!jwt) return [50027, 'JWT token is invalid or malformed.'];
    const thumbprint = jwt.header['x5t#S256'] ?? jwt.header.x5t;
    if (
      !certificate ||
      typeof thumbprint !== 'string' ||
      !certificate.thumbprints.includes(thumbprint)
    ) {
      const msg = `The certificate with identifier used to sign the client assertion is not registered on application ${cfg.appId}.`;
      return [700027, msg];
    }
    if (!signatureHolds(jwt, certificate.publicKey)) {
      return [700027, 'Client assertion failed signature validation.'];
    }
    const { aud, iss, sub, exp, nbf } = jwt.payload;
    if (iss !== cfg.appId || sub !== cfg.appId) {
      return [
        700021,
        "Client assertion application identifier doesn't match 'client_id' parameter.",
      ];
    }
    if (aud !== `${deps.baseUrl()}/${tenant}/oauth2/v2.0/token`) {
      return [700027, `Client assertion audience ${String(aud)} is not this token endpoint.`];
    }
    const now = Math.floor(deps.clock() / 1000);
    if (
      typeof exp !== 'number' ||
      exp + SKEW_SEC < now ||
      (typeof nbf === 'number' && nbf - SKEW_SEC > now)
    ) {
      return [700024, 'Client assertion is not within its valid time range.'];
    }
    return undefined;
  }

  return function token(
    tenant: string,
    form: URLSearchParams,
    authorization: string | undefined,
  ): Answer {
    const now = new Date(deps.clock());
    const refuse = (status: number, error: string, code: number, text: string) =>
      entraError(status, error, code, text, now);
    const basic = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':')
      : [];
    const req = TokenRequest.parse(Object.fromEntries(form));
    const clientId = req.client_id ?? basicId;
    const secret = req.client_secret ?? basicSecret;
    if (tenant !== 'botframework.com' && tenant !== cfg.tenantId) {
      return refuse(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    }
    if (req.grant_type !== 'client_credentials') {
      return refuse(
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type.',
      );
    }
    if (clientId !== cfg.appId) {
      const msg = `Application with identifier '${clientId ?? ''}' was not found in the directory '${tenant}'.`;
      return refuse(401, 'invalid_client', 700016, msg);
    }
    if (req.client_assertion !== undefined || req.client_assertion_type !== undefined) {
      if (req.client_assertion_type !== ASSERTION_TYPE || !req.client_assertion) {
        return refuse(
          400,
          'invalid_request',
          90014,
          "The request body must contain 'client_assertion' of type jwt-bearer.",
        );
      }
      const problem = assertionProblem(req.client_assertion, tenant);
      if (problem) return refuse(401, 'invalid_client', ...problem);
    } else if (secret !== cfg.appPassword) {
      const msg = `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${cfg.appId}'.`;
      return refuse(401, 'invalid_client', 7000215, msg);
    }
    if (req.scope !== BOT_FRAMEWORK_SCOPE) {
      const msg = `The provided value for the input parameter 'scope' is not valid. The scope ${req.scope ?? ''} is not valid.`;
      return refuse(400, 'invalid_scope', 70011, msg);
    }
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_TTL_SEC,
        ext_expires_in: ACCESS_TOKEN_TTL_SEC,
        access_token: deps.mintAccessToken(tenant),
      },
    };
  };
}

export type TokenEndpoint = ReturnType<typeof createTokenEndpoint>;
