import {
  constants,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../test/support/certificate.js';
import { createLocalTeams, type LocalTeams } from './index.js';
import { decodeJwt } from './jwt.js';
import { type SdkBot, startSdkBot } from './test-support/sdk-bot.js';

const APP_ID = '8f0a3c52-2d7e-4d8e-9a61-5f0d1b7c9e21';

let teams: LocalTeams;
let bot: SdkBot;
const received: string[] = [];

beforeAll(async () => {
  teams = await createLocalTeams({ appId: APP_ID, appPassword: 'right-secret' });
  bot = await startSdkBot(teams, (app) => {
    app.on('message', async ({ activity }) => {
      received.push(activity.text ?? '');
    });
  });
});
afterAll(async () => {
  await bot.close();
  await teams.close();
});

const form = (fields: Record<string, string>) =>
  fetch(teams.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
const grant = {
  grant_type: 'client_credentials',
  client_id: APP_ID,
  client_secret: 'right-secret',
  scope: 'https://api.botframework.com/.default',
};

describe('OpenID metadata', () => {
  it('publishes the document login.botframework.com publishes, keys pointing at the double', async () => {
    const doc = await (await fetch(teams.openIdMetadataUrl)).json();
    expect(doc).toEqual({
      issuer: 'https://api.botframework.com',
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: `${teams.url}/v1/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
    const { keys } = (await (await fetch(doc.jwks_uri)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', endorsements: ['msteams'] });
    expect(decodeJwt(teams.mintToken())?.header.kid).toBe(keys[0]?.kid);
  });
});

describe('token endpoint', () => {
  it('issues a Bot Framework access token for the right client credentials', async () => {
    const res = await form(grant);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const claims = decodeJwt(String(body.access_token))?.payload;
    expect(claims).toMatchObject({ aud: 'https://api.botframework.com', appid: APP_ID });
  });

  it('refuses a wrong secret and an unknown client with 401 invalid_client', async () => {
    const wrongSecret = await form({ ...grant, client_secret: 'guess' });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000215],
    });
    const unknown = await form({ ...grant, client_id: 'someone-else' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_client', error_codes: [700016] });
  });

  it('refuses another scope and another grant', async () => {
    const scope = await form({ ...grant, scope: 'https://graph.microsoft.com/.default' });
    expect([scope.status, ((await scope.json()) as { error: string }).error]).toEqual([
      400,
      'invalid_scope',
    ]);
    const password = await form({ ...grant, grant_type: 'password' });
    expect(password.status).toBe(400);
  });

  it('lets the connector in with its token and nobody else', async () => {
    const general = teams.directory.teams[0]?.id ?? '';
    const members = (auth?: string) =>
      fetch(`${teams.serviceUrl}v3/conversations/${general}/members`, {
        headers: auth ? { authorization: auth } : {},
      });
    const ok = await members(`Bearer ${await teams.requestToken()}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBe(3);
    for (const auth of [undefined, 'Bearer garbage', `Bearer ${teams.mintToken()}`]) {
      const refused = await members(auth);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({
        message: 'Authorization has been denied for this request.',
      });
    }
  });
});

describe("the Teams SDK's own validator, pointed at the double", () => {
  it('accepts an activity the double signed', async () => {
    const r = await teams.message({ from: 'alice', text: 'hello' });
    expect(r.status).toBe(200);
    expect(received).toContain('hello');
  });

  it.each([
    ['forged', { forged: true }],
    ['expired', { expired: true }],
    ['for another audience', { audience: 'another-bot' }],
    ['from another issuer', { issuer: 'https://evil.example' }],
    ['for another serviceUrl', { serviceUrl: 'https://smba.trafficmanager.net/amer/' }],
  ])('refuses a token %s', async (_name, mint) => {
    const before = received.length;
    const r = await teams.deliver(
      { type: 'message', text: 'sneaky', from: { id: '29:x' } },
      { token: teams.mintToken(mint) },
    );
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'JWT validation failed' });
    expect(received.length).toBe(before);
  });

  it('refuses an activity with no token', async () => {
    const r = await teams.deliver({ type: 'message', text: 'anon' }, { token: null });
    expect([r.status, r.body]).toEqual([401, { error: 'Missing authorization header' }]);
  });
});

describe('a certificate instead of a secret', () => {
  /** The client assertion of learn.microsoft.com/entra/identity-platform/certificate-credentials. */
  function assertion(key: KeyObject, thumbprintHex: string, aud: string, claims = {}) {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const header = {
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': Buffer.from(thumbprintHex, 'hex').toString('base64url'),
    };
    const payload = {
      aud,
      iss: APP_ID,
      sub: APP_ID,
      jti: randomUUID(),
      nbf: now,
      exp: now + 600,
      ...claims,
    };
    const input = `${b64(header)}.${b64(payload)}`;
    const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    return `${input}.${sign('sha256', Buffer.from(input), pss).toString('base64url')}`;
  }
  const byAssertion = (url: string, clientAssertion: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP_ID,
        scope: 'https://api.botframework.com/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
      }),
    });

  it('accepts an assertion signed with the registered key, and refuses the rest', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const thumbprint = 'ab'.repeat(32);
    const certTeams = await createLocalTeams({
      appId: APP_ID,
      appCertificate: {
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        thumbprintSha256: thumbprint,
      },
    });
    try {
      const url = certTeams.tokenUrl;
      const ok = await byAssertion(url, assertion(privateKey, thumbprint, url));
      expect(ok.status).toBe(200);
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const refusals = [
        assertion(other, thumbprint, url),
        assertion(privateKey, 'cd'.repeat(32), url),
        assertion(privateKey, thumbprint, 'https://login.microsoftonline.com/x/oauth2/v2.0/token'),
        assertion(privateKey, thumbprint, url, { exp: Math.floor(Date.now() / 1000) - 3600 }),
        assertion(privateKey, thumbprint, url, { iss: 'someone-else' }),
      ];
      const answers = [];
      for (const a of refusals) {
        const r = await byAssertion(url, a);
        const body = (await r.json()) as { error: string; error_codes: number[] };
        answers.push([r.status, body.error, body.error_codes[0]]);
      }
      expect(answers).toEqual([
        [401, 'invalid_client', 700027],
        [401, 'invalid_client', 700027],
        [401, 'invalid_client', 700027],
        [401, 'invalid_client', 700024],
        [401, 'invalid_client', 700021],
      ]);
    } finally {
      await certTeams.close();
    }
  });

  it('reads the key and thumbprint from an X.509 certificate made by openssl', async () => {
    const { key: keyPem, certificate } = selfSignedCertificate('slipway-bot');
    const thumbprint = createHash('sha256')
      .update(new X509Certificate(certificate).raw)
      .digest('hex');
    const certTeams = await createLocalTeams({ appId: APP_ID, appCertificate: { certificate } });
    try {
      const key = createPrivateKey(keyPem);
      const r = await byAssertion(
        certTeams.tokenUrl,
        assertion(key, thumbprint, certTeams.tokenUrl),
      );
      expect(r.status).toBe(200);
    } finally {
      await certTeams.close();
    }
  });
});
