import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Values a browser keeps for Slipway and hands back: JSON, an expiry, and an HMAC-SHA256 under
 * the session secret, so that nobody can make one or change one without the secret. The first
 * secret signs; every secret verifies, so a secret can be rotated without signing anyone out.
 * Signed, not encrypted: what is inside (a person key, a random token) is no secret from the
 * browser that holds it.
 */
export interface Signer {
  /** `<payload>.<mac>` in base64url: cookie-safe, no quoting needed. */
  sign(purpose: string, value: object, expiresAt: Date): string;
  /** The value when `token` was signed for `purpose` by one of the secrets and has not expired. */
  verify(purpose: string, token: string, now: Date): Record<string, unknown> | null;
}

export function createSigner(secrets: readonly string[]): Signer {
  const [current] = secrets;
  if (!current) throw new Error('a signer needs at least one secret');
  // The purpose is signed too: a value signed for one cookie is worth nothing as another.
  const mac = (secret: string, purpose: string, payload: string) =>
    createHmac('sha256', secret).update(`${purpose}\n${payload}`).digest();
  return {
    sign(purpose, value, expiresAt) {
      const body = { ...value, exp: Math.floor(expiresAt.getTime() / 1000) };
      const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
      return `${payload}.${mac(current, purpose, payload).toString('base64url')}`;
    },
    verify(purpose, token, now) {
      const dot = token.indexOf('.');
      if (dot <= 0 || token.length > 4096) return null;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      // Every secret is tried, whichever matches, so the time taken does not say which one did.
      let matched = false;
      for (const secret of secrets) {
        const expected = mac(secret, purpose, payload);
        if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
      }
      if (!matched) return null;
      const value = parseObject(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!value || typeof value.exp !== 'number') return null;
      return value.exp * 1000 > now.getTime() ? value : null;
    },
  };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
