import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDashboardSettings } from './dashboard-settings.js';
import { readSettings } from './settings.js';

const SECRET = 'a-session-secret-of-thirty-two-chars!';
const OIDC = {
  SLIPWAY_OIDC_ISSUER: 'https://login.example.com/realms/ops',
  SLIPWAY_OIDC_CLIENT_ID: 'slipway',
  SLIPWAY_OIDC_CLIENT_SECRET: 'client-secret',
  SLIPWAY_PUBLIC_URL: 'https://slipway.example.com',
  SLIPWAY_SESSION_SECRET: SECRET,
};

describe('dashboard settings from the environment', () => {
  it('without SLIPWAY_OIDC_ISSUER nobody signs in, and nothing else is required', () => {
    expect(readSettings({}).dashboard).toEqual({
      publicUrl: undefined,
      oidc: null,
      sessionSecrets: [],
      sessionLifetimeMs: 12 * 3_600_000,
    });
  });

  it('reads the provider, the public origin and the session secret, the client secret from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-dashboard-settings-'));
    writeFileSync(join(dir, 'client-secret'), 'from-a-file\n');
    const { SLIPWAY_OIDC_CLIENT_SECRET: _, ...rest } = OIDC;
    const settings = readDashboardSettings({
      ...rest,
      SLIPWAY_OIDC_CLIENT_SECRET_FILE: join(dir, 'client-secret'),
      SLIPWAY_OIDC_CLAIM: 'preferred_username',
      SLIPWAY_SESSION_LIFETIME: '8h',
    });
    expect(settings).toEqual({
      publicUrl: 'https://slipway.example.com',
      oidc: {
        issuer: 'https://login.example.com/realms/ops',
        clientId: 'slipway',
        clientSecret: 'from-a-file',
        claim: 'preferred_username',
      },
      sessionSecrets: [SECRET],
      sessionLifetimeMs: 8 * 3_600_000,
    });
  });

  it('names what is missing when OIDC is half set up', () => {
    const without = (name: keyof typeof OIDC) => {
      const env: Record<string, string> = { ...OIDC };
      delete env[name];
      return () => readDashboardSettings(env);
    };
    expect(without('SLIPWAY_OIDC_ISSUER')).toThrow('SLIPWAY_OIDC_ISSUER is not set');
    expect(without('SLIPWAY_OIDC_CLIENT_ID')).toThrow('SLIPWAY_OIDC_CLIENT_ID is not set');
    expect(without('SLIPWAY_OIDC_CLIENT_SECRET')).toThrow('SLIPWAY_OIDC_CLIENT_SECRET is not set');
    expect(without('SLIPWAY_PUBLIC_URL')).toThrow('SLIPWAY_PUBLIC_URL is not set');
    expect(without('SLIPWAY_SESSION_SECRET')).toThrow(
      'SLIPWAY_SESSION_SECRET is not set: sign-ins are kept in cookies signed with it, make one with: openssl rand -base64 32',
    );
  });

  it('keeps sign-ins off plain http except on this machine', () => {
    expect(() =>
      readDashboardSettings({ ...OIDC, SLIPWAY_PUBLIC_URL: 'http://slipway.example.com' }),
    ).toThrow('the sign-in cookie would cross the network in clear');
    expect(() =>
      readDashboardSettings({ ...OIDC, SLIPWAY_OIDC_ISSUER: 'http://login.example.com' }),
    ).toThrow('SLIPWAY_OIDC_ISSUER is "http://login.example.com": give the provider\'s https://');
    const local = readDashboardSettings({
      ...OIDC,
      SLIPWAY_OIDC_ISSUER: 'http://127.0.0.2:8080',
      SLIPWAY_PUBLIC_URL: 'http://localhost:3000/',
    });
    expect(local.publicUrl).toBe('http://localhost:3000');
    expect(local.oidc?.issuer).toBe('http://127.0.0.2:8080');
  });

  it('takes the public URL as an origin only', () => {
    expect(() =>
      readDashboardSettings({ ...OIDC, SLIPWAY_PUBLIC_URL: 'https://ops.example.com/slipway' }),
    ).toThrow('give the origin alone (https://ops.example.com)');
  });

  it('refuses a short session secret, and a previous one without a current one', () => {
    expect(() => readDashboardSettings({ ...OIDC, SLIPWAY_SESSION_SECRET: 'hunter2' })).toThrow(
      'SLIPWAY_SESSION_SECRET has 7 characters: give at least 32',
    );
    expect(() => readDashboardSettings({ SLIPWAY_SESSION_SECRET_PREVIOUS: SECRET })).toThrow(
      'SLIPWAY_SESSION_SECRET_PREVIOUS is set without SLIPWAY_SESSION_SECRET',
    );
  });

  it('signs with the new secret and still accepts the previous one while it rotates', () => {
    const previous = 'the-previous-session-secret-of-32-chars';
    const settings = readDashboardSettings({ ...OIDC, SLIPWAY_SESSION_SECRET_PREVIOUS: previous });
    expect(settings.sessionSecrets).toEqual([SECRET, previous]);
  });

  it('refuses a session lifetime that is no duration or under a minute', () => {
    expect(() => readDashboardSettings({ SLIPWAY_SESSION_LIFETIME: 'forever' })).toThrow(
      'SLIPWAY_SESSION_LIFETIME is "forever"',
    );
    expect(() => readDashboardSettings({ SLIPWAY_SESSION_LIFETIME: '30s' })).toThrow(
      'a duration of a minute or more',
    );
  });

  it('refuses a claim name that is not one', () => {
    expect(() => readDashboardSettings({ ...OIDC, SLIPWAY_OIDC_CLAIM: 'email or name' })).toThrow(
      'SLIPWAY_OIDC_CLAIM is "email or name"',
    );
  });
});
