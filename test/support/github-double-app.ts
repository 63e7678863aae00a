import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';

/**
 * A GitHub App of the GitHub double (github-double.ts): `POST /app/installations/{id}/access_tokens`
 * authenticated by the app's JWT, as docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app
 * describes it. The JWT must be RS256-signed by the app's private key (checked against its public
 * key here), `iss` the app id (or its client id), `iat` not in the future beyond a minute of clock
 * drift and `exp` in the future but at most ten minutes after `iat`. Each token issued is a
 * `ghs_` token that answers for the installation until its `expires_at` (an hour, unless the
 * test says otherwise), then is refused with 401 like any unknown token.
 */

export interface DoubleApp {
  id: number;
  clientId?: string;
  /** The app's public key (PEM or KeyObject): what GitHub keeps of the key pair. */
  publicKey: string | KeyObject;
  installationId: number;
  /** Lifetime of each installation token (or of the n-th one issued); GitHub's is one hour. */
  tokenLifetimeSeconds?: number | ((serial: number) => number);
  /** The installation's permissions: `deployments: 'read'` makes deployment writes 403. */
  permissions?: Record<string, 'read' | 'write'>;
}

export interface IssuedToken {
  /** 1 for the first token issued, 2 for the next… */
  serial: number;
  token: string;
  expiresAt: number;
  revoked: boolean;
}

export interface AppAnswer {
  status: number;
  body?: unknown;
  message?: string;
}

export interface AppState {
  readonly issued: IssuedToken[];
  /** The installation token `token` stands for, while it is valid. */
  installationToken(token: string): IssuedToken | undefined;
  /** `POST /app/installations/{id}/access_tokens` with `jwt` from the Authorization header. */
  createToken(installationId: number, jwt: string | null): AppAnswer;
  canWrite(permission: string): boolean;
  /** Revokes every token issued so far (as `DELETE /installation/token`, or an admin would). */
  revokeAll(): void;
}

/** GitHub allows this much drift between its clock and the app's (docs: "iat 60 seconds in the past"). */
const DRIFT_S = 60;
const MAX_LIFETIME_S = 600;

export function createAppState(app: DoubleApp): AppState {
  const key = typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey;
  const issued: IssuedToken[] = [];

  function checkJwt(jwt: string | null): string | null {
    if (!jwt) return 'A JSON web token could not be decoded';
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'A JSON web token could not be decoded';
    const [head, body, signature] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'A JSON web token could not be decoded';
    }
    if (header.alg !== 'RS256') return 'A JSON web token could not be decoded';
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${body}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return 'A JSON web token could not be decoded';
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof claims.iat !== 'number' ||
      !Number.isInteger(claims.iat) ||
      claims.iat > now + DRIFT_S
    )
      return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.";
    if (typeof claims.exp !== 'number' || claims.exp <= now)
      return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.";
    if (claims.exp - claims.iat > MAX_LIFETIME_S)
      return "'Expiration time' claim ('exp') is too far in the future.";
    const iss = claims.iss;
    if (iss !== app.id && iss !== String(app.id) && (!app.clientId || iss !== app.clientId))
      return 'Integration not found';
    return null;
  }

  return {
    issued,
    installationToken(token) {
      const found = issued.find((t) => t.token === token);
      if (!found || found.revoked || found.expiresAt <= Date.now()) return undefined;
      return found;
    },
    createToken(installationId, jwt) {
      const problem = checkJwt(jwt);
      if (problem) return { status: 401, message: problem };
      if (installationId !== app.installationId) return { status: 404, message: 'Not Found' };
      const lifetimeOf = app.tokenLifetimeSeconds ?? 3600;
      const lifetime =
        typeof lifetimeOf === 'function' ? lifetimeOf(issued.length + 1) : lifetimeOf;
      const expiresAt = Math.floor(Date.now() / 1000 + lifetime) * 1000;
      const token: IssuedToken = {
        serial: issued.length + 1,
        token: `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`,
        expiresAt,
        revoked: false,
      };
      issued.push(token);
      return {
        status: 201,
        body: {
          token: token.token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: app.permissions ?? { deployments: 'write', metadata: 'read' },
          repository_selection: 'selected',
        },
      };
    },
    canWrite(permission) {
      const permissions = app.permissions ?? { deployments: 'write', metadata: 'read' };
      return permissions[permission] === 'write';
    },
    revokeAll() {
      for (const token of issued) token.revoked = true;
    },
  };
}
