import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How webhooks and Slack prove who sent a request: an HMAC of the body under a shared secret,
 * or the secret itself as a bearer token. Every comparison is constant-time, so a caller timing
 * the answers learns nothing of the secret.
 */

/** HMAC-SHA256 of `data` under `secret`. */
export function hmacSha256(secret: string, data: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/**
 * True when `givenHex` is the hex of `expected`, compared in constant time. A malformed hex
 * string decodes short and fails on its length: lengths are not secret, contents are.
 */
export function digestMatches(givenHex: string, expected: Buffer): boolean {
  const given = Buffer.from(givenHex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `sha256=` and the hex HMAC-SHA256 of the exact body bytes: GitHub's `X-Hub-Signature-256`
 * (docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries), which Slipway's own
 * `X-Slipway-Signature` copies.
 */
export function sha256Signature(secret: string, body: string | Buffer): string {
  return `sha256=${hmacSha256(secret, body).toString('hex')}`;
}

/** True when `value` (surrounding spaces aside) is the `sha256Signature` of `body`. */
export function sha256SignatureMatches(
  secret: string,
  body: string | Buffer,
  value: string | undefined,
): boolean {
  const given = value?.trim() ?? '';
  if (!given.startsWith('sha256=')) return false;
  return digestMatches(given.slice('sha256='.length), hmacSha256(secret, body));
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case), or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1]?.trim() || null;
}

/**
 * Whether `given` is `secret`. Both are hashed first, so the comparison takes the same time
 * whatever their lengths: it leaks neither content nor length.
 */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(sha256(given), sha256(secret));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
