import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DoubleOptions,
  type GitHubDouble,
  shaOf,
  startGitHubDouble,
} from './github-double.js';

const TOKEN = 'ghp_double_token_0123456789';
const COMMIT = 'c0ffee'.padEnd(40, '1');
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APP = { id: 4711, installationId: 90210, publicKey: keys.publicKey };

function jwt(claims: Record<string, unknown>, key = keys.privateKey, alg = 'RS256'): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createSign('RSA-SHA256').update(signed).sign(key).toString('base64url')}`;
}
const nowS = () => Math.floor(Date.now() / 1000);

describe('GitHub double: deployments', () => {
  let gh: GitHubDouble;
  afterEach(() => gh?.close());

  async function start(options: Partial<DoubleOptions> = {}) {
    gh = await startGitHubDouble({
      owner: 'acme',
      repo: 'web',
      token: TOKEN,
      branches: ['main', 'feature/login'],
      tags: ['v1.4.2'],
      commits: [COMMIT],
      ...options,
    });
    return gh;
  }

  async function api(path: string, body?: unknown, token = TOKEN, scheme = 'token') {
    const res = await fetch(`${gh.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `${scheme} ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: GitHub's JSON answers, read loosely; their shapes are asserted with toMatchObject
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  }
  const create = (body: Record<string, unknown>, token?: string) =>
    api('/repos/acme/web/deployments', body, token);

  it('creates deployments of branches, tags and commits (abbreviated too) and refuses refs it does not know', async () => {
    await start();
    const a = await create({ ref: COMMIT.slice(0, 7), environment: 'staging', payload: { a: 1 } });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      id: expect.any(Number),
      sha: COMMIT,
      ref: COMMIT.slice(0, 7),
      task: 'deploy',
      environment: 'staging',
      payload: { a: 1 },
      transient_environment: false,
      production_environment: false,
      statuses_url: `${gh.url}/repos/acme/web/deployments/${a.body.id}/statuses`,
    });
    const tag = await create({ ref: 'v1.4.2' });
    expect(tag.body).toMatchObject({ environment: 'production', production_environment: true });
    expect((await create({ ref: 'main', required_contexts: [] })).body.sha).toBe(shaOf('main'));
    expect(await create({ ref: '1.4.2' })).toEqual({
      status: 422,
      body: expect.objectContaining({ message: 'No ref found for: 1.4.2', status: '422' }),
    });
    expect((await create({ environment: 'x' })).status).toBe(422);
    expect((await create({ ref: 'main', auto_merge: 'no' })).status).toBe(422);
    expect(gh.takeViolations().map((v) => `${v.operation} ${v.pointer}`)).toEqual([
      'repos/create-deployment /body/ref',
      'repos/create-deployment /body/auto_merge',
    ]);
    expect((await api('/repos/acme/other/deployments', { ref: 'main' })).status).toBe(404);
    expect((await create({ ref: 'main' }, 'ghp_wrong')).status).toBe(401);
  });

  it('merges the default branch into a branch behind it unless auto_merge is false, and refuses conflicts and failed checks', async () => {
    await start({
      behind: ['feature/login'],
      conflicting: [],
      commitStatuses: { [COMMIT]: { ci: 'failure', lint: 'success' } },
    });
    expect(await create({ ref: 'feature/login' })).toEqual({
      status: 202,
      body: { message: 'Auto-merged main into feature/login on deployment.' },
    });
    expect((await create({ ref: 'feature/login' })).status).toBe(201);
    const checks = await create({ ref: COMMIT });
    expect(checks.status).toBe(409);
    expect(checks.body.message).toBe(`Conflict: Commit status checks failed for ${COMMIT}.`);
    expect((await create({ ref: COMMIT, required_contexts: ['lint'] })).status).toBe(201);
    await gh.close();
    await start({ behind: ['feature/login'], conflicting: ['feature/login'] });
    expect((await create({ ref: 'feature/login' })).body.message).toBe(
      'Conflict merging main into feature/login.',
    );
    expect((await create({ ref: 'feature/login', auto_merge: false })).status).toBe(201);
  });

  it('takes statuses as documented, and retires earlier successes of a non-production environment unless told not to', async () => {
    await start();
    const first = (await create({ ref: 'main', environment: 'staging' })).body.id;
    const prod = (await create({ ref: 'main', environment: 'production' })).body.id;
    const second = (await create({ ref: 'main', environment: 'staging' })).body.id;
    const third = (await create({ ref: 'main', environment: 'staging' })).body.id;
    const status = (id: number, body: unknown) =>
      api(`/repos/acme/web/deployments/${id}/statuses`, body);
    const ok = await status(first, {
      state: 'success',
      description: 'live',
      log_url: 'https://slipway.example.com/deployments/d-1',
      environment_url: 'https://staging.example.com',
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      state: 'success',
      description: 'live',
      target_url: 'https://slipway.example.com/deployments/d-1',
      log_url: 'https://slipway.example.com/deployments/d-1',
      environment_url: 'https://staging.example.com',
      deployment_url: `${gh.url}/repos/acme/web/deployments/${first}`,
    });
    expect((await status(prod, { state: 'success' })).status).toBe(201);
    expect((await status(first, { state: 'done' })).status).toBe(422);
    expect(gh.takeViolations()).toEqual([
      expect.objectContaining({
        operation: 'repos/create-deployment-status',
        pointer: '/body/state',
      }),
    ]);
    expect(
      (await status(first, { state: 'error', description: 'x'.repeat(141) })).body,
    ).toMatchObject({
      message: 'Validation Failed',
      errors: [{ field: 'description' }],
    });
    expect((await status(first, { state: 'error', log_url: 'slack://x' })).status).toBe(422);
    expect((await status(999, { state: 'error' })).status).toBe(404);
    // auto_inactive false leaves the first alone; the default retires it (production never).
    await status(second, { state: 'success', auto_inactive: false });
    const states = (id: number) =>
      gh
        .deployments()
        .find((d) => d.id === id)
        ?.statuses.map((s) => s.state);
    expect(states(first)).toEqual(['success']);
    await status(third, { state: 'success' });
    expect(states(first)).toEqual(['success', 'inactive']);
    expect(states(second)).toEqual(['success', 'inactive']);
    expect(states(prod)).toEqual(['success']);
    const listed = await api(`/repos/acme/web/deployments/${first}/statuses`);
    expect(listed.body.map((s: { state: string }) => s.state)).toEqual(['inactive', 'success']);
    const staging = await api('/repos/acme/web/deployments?environment=staging&per_page=2');
    expect(staging.body.map((d: { id: number }) => d.id)).toEqual([third, second]);
  });

  it('issues installation tokens for a JWT the app signed, until they expire or are revoked', async () => {
    await start({ app: { ...APP, tokenLifetimeSeconds: 2 } });
    const path = `/app/installations/${APP.installationId}/access_tokens`;
    const good = { iat: nowS() - 60, exp: nowS() + 540, iss: APP.id };
    const issued = await api(path, {}, jwt(good), 'Bearer');
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      token: expect.stringMatching(/^ghs_[A-Za-z0-9]{36}$/),
      expires_at: expect.any(String),
      permissions: { deployments: 'write', metadata: 'read' },
    });
    expect((await create({ ref: 'main' }, issued.body.token)).status).toBe(201);
    const refused = async (token: string, message: string) =>
      expect((await api(path, {}, token, 'Bearer')).body.message).toBe(message);
    await refused(jwt(good, other.privateKey), 'A JSON web token could not be decoded');
    await refused('not.a.jwt', 'A JSON web token could not be decoded');
    await refused(TOKEN, 'A JSON web token could not be decoded');
    await refused(
      jwt({ ...good, exp: nowS() + 3600 }),
      "'Expiration time' claim ('exp') is too far in the future.",
    );
    await refused(
      jwt({ ...good, exp: nowS() - 1, iat: nowS() - 120 }),
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    );
    await refused(jwt({ ...good, iss: 1 }), 'Integration not found');
    expect((await api('/app/installations/1/access_tokens', {}, jwt(good), 'Bearer')).status).toBe(
      404,
    );
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await create({ ref: 'main' }, issued.body.token)).status).toBe(401);
    const again = await api(path, {}, jwt(good), 'Bearer');
    gh.revokeInstallationTokens();
    expect((await create({ ref: 'main' }, again.body.token)).status).toBe(401);
    expect(gh.issuedTokens().map((t) => t.serial)).toEqual([1, 2]);
    expect(gh.calls.filter((c) => c.path.endsWith('/deployments')).map((c) => c.principal)).toEqual(
      ['installation#1', null, null],
    );
  });

  it('refuses deployment writes to an installation without the Deployments permission', async () => {
    await start({ app: { ...APP, permissions: { deployments: 'read', metadata: 'read' } } });
    const path = `/app/installations/${APP.installationId}/access_tokens`;
    const token = (
      await api(path, {}, jwt({ iat: nowS(), exp: nowS() + 60, iss: APP.id }), 'Bearer')
    ).body.token;
    expect(await create({ ref: 'main' }, token)).toEqual({
      status: 403,
      body: expect.objectContaining({ message: 'Resource not accessible by integration' }),
    });
    expect((await api('/repos/acme/web/deployments', undefined, token)).status).toBe(200);
  });

  it('verifies the calls a test expected: each made, none other', async () => {
    await start();
    gh.expect(
      { method: 'POST', path: /\/deployments$/, body: { ref: 'main', environment: 'staging' } },
      { method: 'GET', path: /\/deployments$/, times: 2 },
    );
    await create({ ref: 'main', environment: 'staging', payload: {} });
    await api('/repos/acme/web/deployments');
    expect(() => gh.verify()).toThrow(/expected 1 more GET/);
    await api('/repos/acme/web/deployments');
    gh.verify();
    await create({ ref: 'main', environment: 'production' });
    expect(() => gh.verify()).toThrow(/unexpected POST \/repos\/acme\/web\/deployments → 201/);
  });
});
