import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken, sameSecret, sha256SignatureMatches } from '../../http/credentials.js';

/**
 * How CI proves a build notification comes from it: an HMAC-SHA256 of the exact body bytes keyed
 * by SLIPWAY_WEBHOOK_SECRET, hex, in `X-Slipway-Signature: sha256=<hex>` (what
 * `openssl dgst -sha256 -hmac "$SLIPWAY_WEBHOOK_SECRET"` prints), the scheme GitHub uses for
 * `X-Hub-Signature-256` (`sha256Signature` in http/credentials.ts). `Authorization: Bearer <secret>` is accepted too, for CI systems that
 * cannot compute one; it proves less (anyone who sees one request can send others).
 */
export const SIGNATURE_HEADER = 'x-slipway-signature';

/**
 * What the headers alone decide, before the body is read: a bearer token is checked in full, a
 * signature for its form (its HMAC needs the body: `authenticate`). Null when the request may be
 * read; otherwise why not.
 */
export function checkCredentialHeaders(
  headers: IncomingHttpHeaders,
  secret: string,
): string | null {
  const signature = headers[SIGNATURE_HEADER];
  if (signature !== undefined)
    return SIGNATURE_FORMAT.test(String(signature).trim()) ? null : MALFORMED;
  const authorization = headers.authorization;
  if (authorization !== undefined) return checkBearer(authorization, secret);
  return UNSIGNED;
}

/** Null when the request carries a valid signature or bearer token; otherwise why not. */
export function authenticate(
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: string,
): string | null {
  const signature = headers[SIGNATURE_HEADER];
  if (signature !== undefined) return checkSignature(String(signature), body, secret);
  const authorization = headers.authorization;
  if (authorization !== undefined) return checkBearer(authorization, secret);
  return UNSIGNED;
}

const SIGNATURE_FORMAT = /^sha256=[0-9a-fA-F]{64}$/;

const UNSIGNED =
  'The request is not signed: send X-Slipway-Signature: sha256=<hex HMAC-SHA256 of the body keyed by ' +
  'SLIPWAY_WEBHOOK_SECRET>, or Authorization: Bearer <SLIPWAY_WEBHOOK_SECRET>.';

const MALFORMED =
  'X-Slipway-Signature must be "sha256=" followed by 64 hex digits (the HMAC-SHA256 of the body).';

function checkSignature(value: string, body: Buffer, secret: string): string | null {
  if (!SIGNATURE_FORMAT.test(value.trim())) return MALFORMED;
  if (sha256SignatureMatches(secret, body, value)) return null;
  return (
    'X-Slipway-Signature does not match the body: sign the exact bytes you send ' +
    '(curl --data-binary, not -d, which changes line breaks) with SLIPWAY_WEBHOOK_SECRET.'
  );
}

function checkBearer(value: string, secret: string): string | null {
  const token = bearerToken(value);
  if (!token) return 'Authorization must be Bearer <SLIPWAY_WEBHOOK_SECRET>.';
  if (sameSecret(token, secret)) return null;
  return 'The bearer token is not SLIPWAY_WEBHOOK_SECRET.';
}
