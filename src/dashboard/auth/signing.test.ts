import { describe, expect, it } from 'vitest';
import { createSigner } from './signing.js';

const NEW = 'the-new-session-secret-0123456789abcdef';
const OLD = 'the-old-session-secret-0123456789abcdef';
const NOW = new Date('2030-01-01T12:00:00Z');
const LATER = new Date('2030-01-01T13:00:00Z');

describe('signed values', () => {
  it('gives back what was signed, with its expiry, until it expires', () => {
    const signer = createSigner([NEW]);
    const token = signer.sign('session', { actor: 'alice' }, LATER);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(signer.verify('session', token, NOW)).toEqual({
      actor: 'alice',
      exp: LATER.getTime() / 1000,
    });
    expect(signer.verify('session', token, LATER)).toBeNull();
  });

  it('refuses a value changed after signing, or its signature changed', () => {
    const signer = createSigner([NEW]);
    const [payload, mac] = signer.sign('session', { actor: 'alice' }, LATER).split('.');
    const changed = Buffer.from(JSON.stringify({ actor: 'mallory', exp: 1e10 })).toString(
      'base64url',
    );
    expect(signer.verify('session', `${changed}.${mac}`, NOW)).toBeNull();
    const flipped = `${mac?.startsWith('A') ? 'B' : 'A'}${mac?.slice(1)}`;
    expect(signer.verify('session', `${payload}.${flipped}`, NOW)).toBeNull();
    expect(signer.verify('session', `${payload}.`, NOW)).toBeNull();
  });

  it('refuses a value signed for another purpose or under a secret it does not hold', () => {
    const token = createSigner([NEW]).sign('login', { actor: 'alice' }, LATER);
    expect(createSigner([NEW]).verify('session', token, NOW)).toBeNull();
    expect(createSigner([OLD]).verify('login', token, NOW)).toBeNull();
  });

  it('accepts values signed with the previous secret while signing with the new one', () => {
    const fromOld = createSigner([OLD]).sign('session', { actor: 'alice' }, LATER);
    const rotating = createSigner([NEW, OLD]);
    expect(rotating.verify('session', fromOld, NOW)).toMatchObject({ actor: 'alice' });
    const fromRotating = rotating.sign('session', { actor: 'bob' }, LATER);
    expect(createSigner([NEW]).verify('session', fromRotating, NOW)).toMatchObject({
      actor: 'bob',
    });
    expect(createSigner([OLD]).verify('session', fromRotating, NOW)).toBeNull();
  });

  it('refuses what is not a signed value at all', () => {
    const signer = createSigner([NEW]);
    for (const garbage of ['', '.', 'abc', '.abc', 'a.b.c', `${'a'.repeat(5000)}.b`]) {
      expect(signer.verify('session', garbage, NOW)).toBeNull();
    }
    expect(() => createSigner([])).toThrow('at least one secret');
  });
});
