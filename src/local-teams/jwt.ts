import { generateKeyPair, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * RS256 JSON Web Tokens with node:crypto, so the double needs no JWT library. Bot Framework
 * signs both directions with RS256 only (the `id_token_signing_alg_values_supported` of its
 * OpenID metadata), so no other algorithm is offered or accepted.
 */

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

export async function createSigningKey(kid = randomBytes(20).toString('base64url')) {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey } satisfies SigningKey;
}

/** The public half as a JWK (RFC 7517), with whatever the publisher adds (`endorsements`). */
export function publicJwk(key: SigningKey, extra: Record<string, unknown> = {}) {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', kid: key.kid, n: jwk.n, e: jwk.e, ...extra };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(
  key: Pick<SigningKey, 'kid' | 'privateKey'>,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64({ typ: 'JWT', alg: 'RS256', kid: key.kid, ...header })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h = '', p = '', s = ''] = parts;
  const header = parseJson(h);
  const payload = parseJson(p);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

export function hasValidSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  return verify('sha256', Buffer.from(jwt.signingInput), publicKey, jwt.signature);
}
