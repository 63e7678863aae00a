import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../../config/schema.js';
import type { DashboardSettings } from '../../core/dashboard-settings.js';
import { createLogger } from '../../core/logger.js';
import { createRouter, type Route } from '../../http/router.js';
import { createDashboardAuth, type DashboardAuth, readForm } from './index.js';

/**
 * The dashboard's sign-in without a provider: `slipway dev` (pick who to be) and the local,
 * read-only dashboard, over HTTP on loopback; and what pages answer while the provider is away.
 * Signing in through a real provider is test/e2e/dashboard-login.test.ts.
 */

const config = Config.parse({
  people: {
    alice: { slack: 'U0ALICE001', email: 'alice@example.com', name: 'Alice Doe' },
    bob: { slack: 'U0BOB00001' },
  },
  environments: [{ name: 'staging', order: 1, deployers: ['alice', 'bob', 'U0CAROL001'] }],
  services: [{ name: 'web', driver: { driver: 'command', options: { deploy: ['true'] } } }],
});
const log = createLogger({ level: 'silent' });
const SECRET = 'a-session-secret-of-at-least-32-chars';
const base: DashboardSettings = {
  publicUrl: undefined,
  oidc: null,
  sessionSecrets: [SECRET],
  sessionLifetimeMs: 3_600_000,
};

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
  server = null;
});

/** A page and an action that use `auth` as the dashboard's do, with the auth routes beside. */
async function serve(auth: DashboardAuth, done: string[] = []): Promise<number> {
  const router = createRouter();
  const pages: Route[] = [
    {
      method: 'GET',
      path: '/',
      handler: (req, res) => {
        const viewer = auth.viewerOf(req, res);
        if (!viewer) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ actor: viewer.actor?.id ?? null, readOnly: viewer.readOnly }));
      },
    },
    {
      method: 'POST',
      path: '/act',
      handler: async (req, res) => {
        const actor = auth.requireAction(req, res, await readForm(req));
        if (!actor) return;
        done.push(actor.id);
        res.writeHead(204).end();
      },
    },
  ];
  for (const route of [...auth.routes, ...pages]) router.add(route);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const found = router.match(req.method ?? 'GET', url.pathname);
    if (!found || 'allowed' in found) return void res.writeHead(404).end();
    Promise.resolve(found.route.handler(req, res, found.params, url)).catch(() =>
      res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The session cookie an answer set, as a Cookie header. */
function cookieOf(answer: Answer): string {
  const line = ([] as string[]).concat(answer.headers['set-cookie'] ?? [])[0] ?? '';
  return line.split(';')[0] ?? '';
}

/** Picks `person` on the dev picker; the answer, and the token of the session it made. */
async function pick(port: number, person: string, origin = `http://127.0.0.1:${port}`) {
  const answer = await send(
    port,
    'POST',
    '/auth/dev',
    { ...FORM, origin },
    form({ person, return: '/x?y=1' }),
  );
  return answer;
}

describe('slipway dev: whoever uses this machine picks who to be', () => {
  it('lists everyone the config names and signs the browser in as the one picked', async () => {
    let clock = new Date('2030-01-01T12:00:00Z');
    const done: string[] = [];
    const auth = createDashboardAuth({
      settings: { ...base, devLogin: true },
      config,
      log,
      now: () => clock,
    });
    expect(auth.mode).toBe('dev');
    const port = await serve(auth, done);
    const picker = await send(port, 'GET', '/auth/dev');
    expect(picker.status).toBe(200);
    for (const who of ['Alice Doe (alice)', '>bob<', '>U0CAROL001<'])
      expect(picker.body).toContain(who);

    const picked = await pick(port, 'alice');
    expect(picked.status).toBe(303);
    expect(picked.headers.location).toBe('/x?y=1');
    const cookie = cookieOf(picked);
    expect(cookie).toMatch(/^slipway_session=/);
    const seen = await send(port, 'GET', '/', { cookie });
    expect(JSON.parse(seen.body)).toEqual({ actor: 'alice', readOnly: false });

    // The session's token, as the picker's sign-out form carries it.
    const page = await send(port, 'GET', '/auth/dev', { cookie });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const origin = `http://127.0.0.1:${port}`;
    const acted = await send(
      port,
      'POST',
      '/act',
      { ...FORM, cookie, origin },
      form({ _csrf: token }),
    );
    expect(acted.status).toBe(204);
    const forged = await send(
      port,
      'POST',
      '/act',
      { ...FORM, cookie, origin },
      form({ _csrf: 'guess' }),
    );
    expect(forged.status).toBe(403);
    expect(done).toEqual(['alice']);

    // Past its lifetime the cookie is ignored: read-only again, and acting asks to pick.
    clock = new Date(clock.getTime() + 3_600_000);
    expect(JSON.parse((await send(port, 'GET', '/', { cookie })).body)).toEqual({
      actor: null,
      readOnly: true,
    });
    const late = await send(
      port,
      'POST',
      '/act',
      { ...FORM, cookie, origin },
      form({ _csrf: token }),
    );
    expect(late.status).toBe(401);
    expect(done).toEqual(['alice']);
  });

  it('refuses a pick posted from another origin, of nobody, or asked under another name', async () => {
    const auth = createDashboardAuth({ settings: { ...base, devLogin: true }, config, log });
    const port = await serve(auth);
    const elsewhere = await pick(port, 'alice', 'http://127.0.0.1:1');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toContain(
      `The request came from http://127.0.0.1:1, not from http://127.0.0.1:${port}.`,
    );
    expect(elsewhere.headers['set-cookie']).toBeUndefined();
    const nobody = await pick(port, 'mallory');
    expect(nobody.status).toBe(403);
    expect(nobody.body).toContain('mallory is nobody the config names.');
    // A page on evil.example whose name resolves to 127.0.0.1 (DNS rebinding).
    const rebound = await send(
      port,
      'POST',
      '/auth/dev',
      { ...FORM, host: 'evil.example', origin: 'http://evil.example' },
      form({ person: 'alice' }),
    );
    expect(rebound.status).toBe(403);
    expect(rebound.headers['set-cookie']).toBeUndefined();
  });

  it('does not take a dev sign-in where people sign in with a provider, even under the same secret', async () => {
    const dev = createDashboardAuth({ settings: { ...base, devLogin: true }, config, log });
    const devPort = await serve(dev);
    const cookie = cookieOf(await pick(devPort, 'alice'));
    server?.closeAllConnections();
    server?.close();
    const oidc = createDashboardAuth({
      settings: {
        ...base,
        publicUrl: 'http://127.0.0.1:1',
        oidc: { issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', claim: undefined },
      },
      config,
      log,
    });
    const port = await serve(oidc);
    const seen = await send(port, 'GET', '/', { cookie });
    expect(seen.status).toBe(303);
    expect(seen.headers.location).toBe('/login');
  });
  it('ignores the sign-in of someone the config no longer names', async () => {
    const before = createDashboardAuth({ settings: { ...base, devLogin: true }, config, log });
    const cookie = cookieOf(await pick(await serve(before), 'bob'));
    server?.closeAllConnections();
    server?.close();
    const withoutBob = Config.parse({
      people: { alice: { slack: 'U0ALICE001' } },
      environments: [{ name: 'staging', order: 1, deployers: ['alice'] }],
      services: [{ name: 'web', driver: { driver: 'command', options: { deploy: ['true'] } } }],
    });
    const after = createDashboardAuth({
      settings: { ...base, devLogin: true },
      config: withoutBob,
      log,
    });
    const port = await serve(after);
    expect(JSON.parse((await send(port, 'GET', '/', { cookie })).body)).toEqual({
      actor: null,
      readOnly: true,
    });
  });
});

describe('without a provider or dev: read-only, this machine only', () => {
  it('shows pages read-only to this machine and refuses every action', async () => {
    const auth = createDashboardAuth({ settings: base, config, log });
    expect(auth.mode).toBe('local');
    const port = await serve(auth);
    expect(JSON.parse((await send(port, 'GET', '/')).body)).toEqual({
      actor: null,
      readOnly: true,
    });
    const act = await send(port, 'POST', '/act', { ...FORM, accept: 'application/json' }, '');
    expect(act.status).toBe(403);
    expect(JSON.parse(act.body)).toMatchObject({ error: 'read_only' });
    expect((await send(port, 'GET', '/login')).status).toBe(503);
    expect((await send(port, 'GET', '/auth/dev')).status).toBe(404);
    expect((await pick(port, 'alice')).status).toBe(404);
  });

  it('answers a clear 403 to requests that are not from this machine', async () => {
    const auth = createDashboardAuth({ settings: undefined, config, log });
    const port = await serve(auth);
    const outsiders: Record<string, string>[] = [
      { host: 'slipway.example.com' },
      { 'x-forwarded-for': '203.0.113.9' },
    ];
    for (const headers of outsiders) {
      const answer = await send(port, 'GET', '/', { accept: 'text/html', ...headers });
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.body).toContain('<h1>Only this machine</h1>');
      expect(answer.body).toContain('set SLIPWAY_OIDC_ISSUER');
    }
  });
});

describe('with a provider', () => {
  const settings: DashboardSettings = {
    ...base,
    publicUrl: 'http://127.0.0.1:9',
    // Nothing listens on port 9 (discard) here: the provider is away.
    oidc: { issuer: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 's', claim: undefined },
  };

  it('sends a reader to sign in, keeping where they were going; refuses an action with 401', async () => {
    const done: string[] = [];
    const port = await serve(createDashboardAuth({ settings, config, log }), done);
    const look = await send(port, 'GET', '/?service=web&state=failed');
    expect(look.status).toBe(303);
    expect(look.headers.location).toBe('/login?return=%2F%3Fservice%3Dweb%26state%3Dfailed');
    const act = await send(port, 'POST', '/act', FORM, '');
    expect(act.status).toBe(401);
    expect(act.body).toContain('href="/login"');
    expect(done).toEqual([]);
  });

  it('says sign-in is unavailable while the provider fails, and asks it again next time', async () => {
    const asked: string[] = [];
    const provider = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    try {
      const failing = { ...settings, oidc: { ...settings.oidc, issuer } } as DashboardSettings;
      const port = await serve(createDashboardAuth({ settings: failing, config, log }));
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await send(port, 'GET', '/login?return=/x');
        expect(answer.status).toBe(502);
        expect(answer.body).toContain(
          `Slipway could not read the sign-in provider&#39;s settings from ${issuer}.`,
        );
        expect(answer.headers['set-cookie']).toBeUndefined();
      }
      expect(asked).toEqual([
        '/.well-known/openid-configuration',
        '/.well-known/openid-configuration',
      ]);
    } finally {
      provider.close();
    }
  });
});
