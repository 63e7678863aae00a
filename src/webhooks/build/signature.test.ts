import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Signature } from '../../http/credentials.js';
import { authenticate } from './signature.js';

const SECRET = 's3cret';
const body = Buffer.from('{"service":"web","image":"registry.test/web:1.0.0"}');

describe('build hook authentication', () => {
  it('signs like openssl dgst -sha256 -hmac: sha256= and the hex HMAC of the body', () => {
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(sha256Signature(SECRET, body)).toBe(`sha256=${hex}`);
    // The value `printf %s "$BODY" | openssl dgst -sha256 -hmac key -r` prints for this body.
    expect(sha256Signature('key', 'abc')).toBe(
      'sha256=9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab',
    );
  });

  it('accepts the signature of the exact body, in either case of hex', () => {
    const signature = sha256Signature(SECRET, body);
    expect(authenticate({ 'x-slipway-signature': signature }, body, SECRET)).toBeNull();
    expect(
      authenticate(
        { 'x-slipway-signature': signature.toUpperCase().replace('SHA256', 'sha256') },
        body,
        SECRET,
      ),
    ).toBeNull();
  });

  it('refuses a signature of another body or with another key, saying to sign the exact bytes', () => {
    const other = sha256Signature(SECRET, Buffer.concat([body, Buffer.from('\n')]));
    expect(authenticate({ 'x-slipway-signature': other }, body, SECRET)).toMatch(
      /does not match the body.*--data-binary/,
    );
    const wrongKey = sha256Signature('not-the-secret', body);
    expect(authenticate({ 'x-slipway-signature': wrongKey }, body, SECRET)).toMatch(
      /does not match/,
    );
  });

  it('refuses a malformed signature header', () => {
    for (const value of [
      'abc',
      'sha1=abcd',
      `sha256=${'0'.repeat(63)}`,
      `sha256=${'g'.repeat(64)}`,
    ]) {
      expect(authenticate({ 'x-slipway-signature': value }, body, SECRET)).toMatch(
        /must be "sha256=" followed by 64 hex digits/,
      );
    }
  });

  it('never falls back to the bearer token when a signature is present but wrong', () => {
    const headers = {
      'x-slipway-signature': sha256Signature('wrong', body),
      authorization: `Bearer ${SECRET}`,
    };
    expect(authenticate(headers, body, SECRET)).not.toBeNull();
  });

  it('accepts the secret as a bearer token and refuses any other', () => {
    expect(authenticate({ authorization: `Bearer ${SECRET}` }, body, SECRET)).toBeNull();
    expect(authenticate({ authorization: `Bearer ${SECRET}x` }, body, SECRET)).toBe(
      'The bearer token is not SLIPWAY_WEBHOOK_SECRET.',
    );
    expect(authenticate({ authorization: 'Bearer s3cre' }, body, SECRET)).toBe(
      'The bearer token is not SLIPWAY_WEBHOOK_SECRET.',
    );
    expect(authenticate({ authorization: `Basic ${SECRET}` }, body, SECRET)).toMatch(
      /must be Bearer/,
    );
  });

  it('refuses a request with neither, naming both ways to authenticate', () => {
    const problem = authenticate({}, body, SECRET);
    expect(problem).toMatch(/X-Slipway-Signature: sha256=/);
    expect(problem).toMatch(/Authorization: Bearer <SLIPWAY_WEBHOOK_SECRET>/);
  });
});
