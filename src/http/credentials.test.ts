import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  digestMatches,
  hmacSha256,
  sameSecret,
  sha256Signature,
  sha256SignatureMatches,
} from './credentials.js';

const SECRET = "It's a Secret to Everybody";

describe('sha256= signatures', () => {
  it('match the example in GitHub’s documentation', () => {
    // docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(sha256Signature(SECRET, 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('refuse a missing, truncated, other-algorithm or wrong signature', () => {
    const body = Buffer.from('{}');
    const good = sha256Signature(SECRET, body);
    expect(sha256SignatureMatches(SECRET, body, good)).toBe(true);
    expect(
      sha256SignatureMatches(SECRET, body, ` ${good.toUpperCase().replace('SHA256', 'sha256')} `),
    ).toBe(true);
    expect(sha256SignatureMatches(SECRET, body, undefined)).toBe(false);
    expect(sha256SignatureMatches(SECRET, body, good.slice(0, -1))).toBe(false);
    expect(sha256SignatureMatches(SECRET, body, `sha1=${good.slice(7)}`)).toBe(false);
    expect(sha256SignatureMatches(SECRET, body, `${good.slice(0, -2)}zz`)).toBe(false);
    expect(sha256SignatureMatches('other', body, good)).toBe(false);
    expect(sha256SignatureMatches(SECRET, Buffer.from('{} '), good)).toBe(false);
  });

  it('compare a hex digest by content, refusing malformed hex by its length', () => {
    const digest = hmacSha256('k', 'v0:1:body');
    expect(digestMatches(digest.toString('hex'), digest)).toBe(true);
    expect(digestMatches(digest.toString('hex').replace(/^./, 'x'), digest)).toBe(false);
    expect(digestMatches('', digest)).toBe(false);
  });
});

describe('bearer tokens', () => {
  it('read the token whatever the scheme’s case, and nothing from other schemes', () => {
    expect(bearerToken('Bearer s3cret')).toBe('s3cret');
    expect(bearerToken('bearer  s3cret ')).toBe('s3cret');
    expect(bearerToken('Basic s3cret')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('are compared whole, whatever their lengths', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cre', 's3cret')).toBe(false);
    expect(sameSecret('s3cretx', 's3cret')).toBe(false);
    expect(sameSecret('', 's3cret')).toBe(false);
  });
});
