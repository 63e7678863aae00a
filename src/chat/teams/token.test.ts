import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError, UnauthorizedError } from '../../core/errors.js';
import {
  reply,
  type ScriptedServer,
  startScriptedServer,
} from '../test-support/scripted-server.js';
import { BOT_FRAMEWORK_SCOPE, clientAssertion, createBotTokenSource } from './token.js';

const APP = '11111111-2222-3333-4444-555555555555';
const TOKEN_PATH = 'POST /tenant-1/oauth2/v2.0/token';

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedServer();
});
afterEach(() => server.close());

const form = (i: number) => Object.fromEntries(new URLSearchParams(server.seen[i]?.body ?? ''));

describe('the bot token', () => {
  it('asks with the client secret for the Bot Framework scope, once while it is valid', async () => {
    let now = 1_000_000;
    server.on(
      TOKEN_PATH,
      reply(200, { access_token: 'a1', expires_in: 3599, token_type: 'Bearer' }),
    );
    const token = createBotTokenSource({
      appId: APP,
      tenantId: 'tenant-1',
      password: 's3cret',
      loginUrl: server.url,
      now: () => now,
    });
    const [first, second] = await Promise.all([token(), token()]);
    expect([first, second]).toEqual(['a1', 'a1']);
    expect(server.seen).toHaveLength(1);
    expect(form(0)).toEqual({
      grant_type: 'client_credentials',
      client_id: APP,
      client_secret: 's3cret',
      scope: BOT_FRAMEWORK_SCOPE,
    });
    // Renewed five minutes before it expires.
    now += (3599 - 301) * 1000;
    expect(await token()).toBe('a1');
    now += 2000;
    server.on(TOKEN_PATH, reply(200, { access_token: 'a2', expires_in: 3599 }));
    expect(await token()).toBe('a2');
    expect(server.seen).toHaveLength(2);
  });

  it('says what to check when Entra ID refuses, and retries nothing itself', async () => {
    server.on(
      TOKEN_PATH,
      reply(401, {
        error: 'invalid_client',
        error_description: 'AADSTS7000215: Invalid client secret provided.\nTrace ID: x',
      }),
    );
    const token = createBotTokenSource({
      appId: APP,
      tenantId: 'tenant-1',
      password: 'wrong',
      loginUrl: server.url,
    });
    const err = await token().catch((e) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.message).toBe(
      "The Microsoft identity platform refused the bot's token (invalid_client: AADSTS7000215: Invalid client secret provided.): check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID against the app registration",
    );
    expect(err.message).not.toContain('wrong');
  });

  it('is retryable when the identity platform is throttling or down, and asks again next time', async () => {
    server.on(TOKEN_PATH, reply(429, { error: 'temporarily_unavailable' }, { 'retry-after': '3' }));
    const token = createBotTokenSource({
      appId: APP,
      tenantId: 'tenant-1',
      password: 'p',
      loginUrl: server.url,
    });
    const err = await token().catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.retryAfterMs).toBe(3000);
    server.on(TOKEN_PATH, reply(200, { access_token: 'ok', expires_in: 600 }));
    expect(await token()).toBe('ok');
  });

  it('signs a client assertion with the certificate’s key instead of sending a secret', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const thumbprint = 'ab'.repeat(32);
    server.on(TOKEN_PATH, reply(200, { access_token: 'c1', expires_in: 3599 }));
    const token = createBotTokenSource({
      appId: APP,
      tenantId: 'tenant-1',
      certificate: { privateKey: pem, thumbprintSha256: thumbprint },
      loginUrl: server.url,
    });
    expect(await token()).toBe('c1');
    const sent = form(0);
    expect(sent.client_secret).toBeUndefined();
    expect(sent.client_assertion_type).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const [header, claims, signature] = (sent.client_assertion ?? '').split('.');
    const decode = (part = '') => JSON.parse(Buffer.from(part, 'base64url').toString());
    expect(decode(header)).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': Buffer.from(thumbprint, 'hex').toString('base64url'),
    });
    expect(decode(claims)).toMatchObject({
      aud: `${server.url}/tenant-1/oauth2/v2.0/token`,
      iss: APP,
      sub: APP,
    });
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      {
        key: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      },
      Buffer.from(signature ?? '', 'base64url'),
    );
    expect(valid).toBe(true);
  });

  it('makes each assertion unique and short-lived', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const claims = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    const a = claims(
      clientAssertion(APP, 'aud', { privateKey: pem, thumbprintSha256: '00' }, 1_700_000_000_000),
    );
    const b = claims(
      clientAssertion(APP, 'aud', { privateKey: pem, thumbprintSha256: '00' }, 1_700_000_000_000),
    );
    expect(a.jti).not.toBe(b.jti);
    expect(a.exp - a.nbf).toBe(600);
  });
});
