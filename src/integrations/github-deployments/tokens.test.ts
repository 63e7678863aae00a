import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appInstallationTokens, appJwt, type IssuedToken, REFRESH_BEFORE_MS } from './tokens.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const credentials = { appId: '4711', privateKey, installationId: '90210' };
const signal = new AbortController().signal;

describe('GitHub App tokens', () => {
  it('signs a JWT with RS256 that the public key verifies, issued a minute back and valid nine minutes', () => {
    const now = Date.parse('2026-03-01T10:00:00.500Z');
    const jwt = appJwt(credentials, now);
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    expect(json(header)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const seconds = Math.floor(now / 1000);
    expect(json(claims)).toEqual({ iat: seconds - 60, exp: seconds + 540, iss: 4711 });
    const data = Buffer.from(`${header}.${claims}`);
    expect(verify('RSA-SHA256', data, publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verify('RSA-SHA256', data, other, Buffer.from(signature, 'base64url'))).toBe(false);
    // A client id is sent as it is.
    expect(
      json(appJwt({ ...credentials, appId: 'Iv1.abc' }, now).split('.')[1] as string).iss,
    ).toBe('Iv1.abc');
  });

  it('fetches a token once, shares it, and fetches another five minutes before it expires', async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z');
    const fetched: string[] = [];
    let release: () => void = () => {};
    const tokens = appInstallationTokens(
      credentials,
      async (jwt): Promise<IssuedToken> => {
        fetched.push(jwt);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { token: `ghs_${fetched.length}`, expiresAt: clock + 3_600_000 };
      },
      () => clock,
      () => clock,
    );
    // Three callers at once: one fetch.
    const first = Promise.all([tokens.token(signal), tokens.token(signal), tokens.token(signal)]);
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect(await first).toEqual(['ghs_1', 'ghs_1', 'ghs_1']);
    const issuedAt = clock;
    clock = issuedAt + 3_600_000 - REFRESH_BEFORE_MS - 1;
    expect(await tokens.token(signal)).toBe('ghs_1');
    expect(fetched).toHaveLength(1);
    clock = issuedAt + 3_600_000 - REFRESH_BEFORE_MS;
    const second = tokens.token(signal);
    await new Promise((r) => setTimeout(r, 0));
    release();
    expect(await second).toBe('ghs_2');
    expect(fetched).toHaveLength(2);
    // Each fetch is made with a fresh JWT.
    expect(fetched[0]).not.toBe(fetched[1]);
  });

  it('drops a token GitHub refused, and only that one', async () => {
    let n = 0;
    const tokens = appInstallationTokens(credentials, async () => ({
      token: `ghs_${++n}`,
      expiresAt: Date.now() + 3_600_000,
    }));
    expect(await tokens.token(signal)).toBe('ghs_1');
    tokens.invalidate('ghs_0');
    expect(await tokens.token(signal)).toBe('ghs_1');
    tokens.invalidate('ghs_1');
    expect(await tokens.token(signal)).toBe('ghs_2');
  });

  it('lets the next call try again after a failed fetch', async () => {
    let n = 0;
    const tokens = appInstallationTokens(credentials, async () => {
      n++;
      if (n === 1) throw new Error('GitHub answered 502');
      return { token: 'ghs_ok', expiresAt: Date.now() + 3_600_000 };
    });
    await expect(tokens.token(signal)).rejects.toThrow(/502/);
    expect(await tokens.token(signal)).toBe('ghs_ok');
  });
});
