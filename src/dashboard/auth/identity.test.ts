import { describe, expect, it } from 'vitest';
import type { ResolvedPerson } from '../../config/people.js';
import { identify } from './identity.js';

const config: { people: Record<string, ResolvedPerson> } = {
  people: {
    alice: { email: 'alice@example.com', name: 'Alice Doe', direct: null },
    bob: { email: 'Bob@Example.com', direct: null },
    twin1: { email: 'twins@example.com', direct: null },
    twin2: { email: 'twins@example.com', direct: null },
    carol: { slack: 'U0CAROL01', direct: 'slack' },
  },
};

describe('who a signed-in identity is', () => {
  it('is the person whose email the provider verified, in any case', () => {
    expect(identify(config, { email: 'ALICE@example.com', email_verified: true })).toEqual({
      ok: true,
      person: 'alice',
      name: 'Alice Doe',
    });
    expect(identify(config, { email: 'bob@example.com', email_verified: 'true' })).toEqual({
      ok: true,
      person: 'bob',
      name: null,
    });
  });

  it('is nobody with an unverified email, or none, or one no person has', () => {
    const unverified = identify(config, { email: 'alice@example.com', email_verified: false });
    expect(unverified).toMatchObject({ ok: false, identity: 'alice@example.com' });
    expect(identify(config, { email: 'alice@example.com' }).ok).toBe(false);
    expect(identify(config, { sub: '123' })).toMatchObject({ ok: false, identity: null });
    expect(identify(config, { email: 'eve@example.com', email_verified: true })).toEqual({
      ok: false,
      identity: 'eve@example.com',
      reason: 'No one under people: in slipway.yaml has the email eve@example.com.',
      fix: 'people:\n  <their key>:\n    email: eve@example.com',
    });
  });

  it('is nobody when two people share the email', () => {
    const twins = identify(config, { email: 'twins@example.com', email_verified: true });
    expect(twins).toMatchObject({ ok: false, reason: expect.stringContaining('twin1 and twin2') });
  });

  it('with a configured claim, is the person it names by key or by email, never by the email claim', () => {
    const claim = 'preferred_username';
    expect(identify(config, { preferred_username: 'Carol' }, claim)).toMatchObject({
      ok: true,
      person: 'carol',
    });
    // An Entra ID username is an address; it needs no email_verified.
    expect(identify(config, { preferred_username: 'alice@example.com' }, claim)).toMatchObject({
      ok: true,
      person: 'alice',
    });
    expect(
      identify(config, { email: 'alice@example.com', email_verified: true }, claim),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('sent no preferred_username') });
    expect(identify(config, { preferred_username: 'dave' }, claim)).toMatchObject({
      ok: false,
      identity: 'dave',
      fix: 'people:\n  dave:\n    name: …',
    });
  });
});
