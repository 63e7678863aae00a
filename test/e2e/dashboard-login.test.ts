import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { readDashboardSettings } from '../../src/core/dashboard-settings.js';
import { createLogger } from '../../src/core/logger.js';
import {
  CSRF_FIELD,
  createDashboardAuth,
  type DashboardAuth,
  escapeHtml,
  readForm,
} from '../../src/dashboard/auth/index.js';
import { createSigner } from '../../src/dashboard/auth/signing.js';
import type { Route } from '../../src/http/router.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import {
  removeTestDir,
  scenarioConfigInput,
  settingsFor,
  tempDir,
} from '../support/engine-harness.js';
import {
  signInAtProvider,
  startOidcProvider,
  type TestOidcProvider,
} from '../support/oidc-provider.js';
import { freePort } from '../support/ports.js';

/**
 * Signing in to the dashboard through a real OpenID provider (panva's oidc-provider on
 * loopback), in Debian's headless Chromium: the provider's own login and consent pages, then
 * back to Slipway. The pages under test stand in for the dashboard's: one that shows who is
 * looking, and one action (a deploy through the engine) guarded as every dashboard action is.
 */

const CHROMIUM_PATH = '/usr/bin/chromium';
const SESSION_SECRET = 'the-session-secret-of-this-test-0123456789';

let dir: string;
let idp: TestOidcProvider;
let app: App;
let auth: DashboardAuth;
let http: HttpServer;
let slipway: string;
let browser: Browser;
let context: BrowserContext | null = null;

beforeAll(async () => {
  dir = tempDir('slipway-dashboard-login-');
  const port = await freePort();
  slipway = `http://127.0.0.1:${port}`;
  idp = await startOidcProvider({
    redirectUri: `${slipway}/auth/callback`,
    accounts: [
      { id: 'alice', email: 'Alice@Example.com', name: 'Alice at the provider' },
      { id: 'alice-unverified', email: 'alice@example.com', emailVerified: false },
      { id: 'mallory', email: 'mallory@elsewhere.example' },
    ],
  });
  const config = Config.parse({
    ...scenarioConfigInput(`${dir}/targets`),
    people: {
      alice: { slack: 'U-DEV1', email: 'alice@example.com', name: 'Alice Doe' },
      quinn: { slack: 'U-QA1', email: 'quinn@example.com' },
    },
  });
  const log = createLogger({ level: 'silent' });
  const dashboard = readDashboardSettings({
    SLIPWAY_OIDC_ISSUER: idp.issuer,
    SLIPWAY_OIDC_CLIENT_ID: idp.clientId,
    SLIPWAY_OIDC_CLIENT_SECRET: idp.clientSecret,
    SLIPWAY_PUBLIC_URL: slipway,
    SLIPWAY_SESSION_SECRET: SESSION_SECRET,
  });
  // The engine records requests; no worker runs them, so nothing is deployed for real.
  app = await createApp({ config, settings: { ...settingsFor(dir), dashboard }, log });
  auth = createDashboardAuth({ settings: dashboard, config, log });
  http = createHttpServer({
    engine: app.engine,
    store: app.store,
    log,
    routes: [...auth.routes, ...standInPages(auth, app)],
  });
  await http.listen(port, '127.0.0.1');
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox'],
  });
});

afterEach(async () => {
  await context?.close();
  context = null;
});

afterAll(async () => {
  await browser?.close();
  await http?.close();
  await app?.stop();
  await idp?.close();
  if (dir) await removeTestDir(dir);
});

/** A page and an action as the dashboard's will use the auth API. */
function standInPages(auth: DashboardAuth, app: App): Route[] {
  return [
    {
      method: 'GET',
      path: '/',
      handler: (req, res) => {
        const viewer = auth.viewerOf(req, res);
        if (!viewer) return;
        const token = viewer.session ? escapeHtml(auth.csrfTokenFor(viewer.session)) : '';
        const html = `<!doctype html><html lang="en"><title>Stand-in</title><main>
<p id="who">Signed in as ${escapeHtml(viewer.actor?.name ?? '')} (${escapeHtml(viewer.actor?.id ?? '')})</p>
<form method="post" action="/deploy"><input type="hidden" name="${CSRF_FIELD}" value="${token}">
<label>Version <input name="version" value="1.2.3"></label><button type="submit">Deploy</button></form>
<form method="post" action="/logout"><input type="hidden" name="${CSRF_FIELD}" value="${token}">
<button type="submit">Sign out</button></form></main></html>`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      },
    },
    {
      method: 'POST',
      path: '/deploy',
      handler: async (req, res) => {
        const body = await readForm(req);
        const actor = auth.requireAction(req, res, body);
        if (!actor) return;
        const result = await app.engine.request({
          actor: actor.id,
          source: 'api',
          channel: null,
          kind: 'deploy',
          service: 'web',
          environment: 'staging',
          version: String(body.version),
        });
        res.writeHead(result.ok ? 200 : 403, { 'content-type': 'text/plain' });
        res.end(result.ok ? `requested ${result.deployment.id}` : result.reason);
      },
    },
  ];
}

/** A fresh browser profile that reaches nothing but this machine (the provider's page asks Google for fonts). */
async function newPage(options: { bypassCSP?: boolean } = {}): Promise<Page> {
  context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return /^127\.\d+\.\d+\.\d+$/.test(host) ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

async function signIn(page: Page, login: string, path = '/'): Promise<void> {
  await page.goto(`${slipway}${path}`);
  expect(page.url().startsWith(idp.issuer)).toBe(true);
  await signInAtProvider(page, login);
}

async function sessionCookie() {
  return (await context?.cookies(slipway))?.find((c) => c.name === 'slipway_session');
}

async function deploymentsBy(actor: string): Promise<string[]> {
  const all = await app.engine.history({ limit: 100 });
  return all.filter((d) => d.requestedBy === actor).map((d) => d.version);
}

/** Posts the page's deploy form from inside the page (its origin), with `token` as the form token. */
function postFromPage(page: Page, token: string | null, version: string) {
  return page.evaluate(
    async ({ field, token, version }) => {
      const form = new URLSearchParams({ version });
      if (token !== null) form.set(field, token);
      const answer = await fetch('/deploy', { method: 'POST', body: form });
      return { status: answer.status, text: await answer.text() };
    },
    { field: CSRF_FIELD, token, version },
  );
}

describe('signing in to the dashboard with OpenID Connect', () => {
  it("signs Alice in through the provider's pages as the person her verified email names", async () => {
    const page = await newPage();
    await signIn(page, 'alice', '/?view=inbox');
    await page.waitForURL(`${slipway}/?view=inbox`);
    // The config's name, found by her email in another case than the config writes it.
    expect(await page.locator('#who').textContent()).toBe('Signed in as Alice Doe (alice)');
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
    // PKCE is required by the provider; email came from UserInfo, not the ID token.
    expect(idp.requests()).toEqual(expect.arrayContaining(['POST /token', 'GET /me']));

    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.locator('body').textContent()).toMatch(/^requested /);
    expect(await deploymentsBy('alice')).toEqual(['1.2.3']);
  });

  it('refuses an identity whose email nobody under people: has, and signs nobody in', async () => {
    const page = await newPage();
    await signIn(page, 'mallory');
    await page.waitForURL(/\/auth\/callback/);
    const text = await page.locator('main').textContent();
    expect(text).toContain('You signed in as mallory@elsewhere.example');
    expect(text).toContain(
      'No one under people: in slipway.yaml has the email mallory@elsewhere.example.',
    );
    expect(text).toContain('email: mallory@elsewhere.example');
    expect(await sessionCookie()).toBeUndefined();
    const again = await context?.request.get(`${slipway}/`, { maxRedirects: 0 });
    expect(again?.status()).toBe(303);
    expect(again?.headers().location).toBe('/login');
  });

  it('refuses an email the provider has not verified, even one a person has', async () => {
    const page = await newPage();
    await signIn(page, 'alice-unverified');
    await page.waitForURL(/\/auth\/callback/);
    expect(await page.locator('main').textContent()).toContain(
      'The sign-in provider has not verified alice@example.com.',
    );
    expect(await sessionCookie()).toBeUndefined();
  });

  it('ignores a forged session cookie: one signed with another secret, and a real one altered', async () => {
    const page = await newPage();
    const forged = createSigner(['another-secret-of-at-least-32-characters']).sign(
      'slipway_session',
      { actor: 'alice', name: 'Alice Doe', via: 'oidc', csrf: 'x', iat: 0 },
      new Date(Date.now() + 3_600_000),
    );
    await context?.addCookies([{ name: 'slipway_session', value: forged, url: slipway }]);
    const answer = await context?.request.get(`${slipway}/`, { maxRedirects: 0 });
    expect(answer?.status()).toBe(303);
    expect(answer?.headers().location).toBe('/login');

    await signIn(page, 'alice');
    await page.waitForURL(`${slipway}/`);
    const real = (await sessionCookie())?.value ?? '';
    const [payload, mac] = real.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    const altered = Buffer.from(JSON.stringify({ ...claims, actor: 'quinn' })).toString(
      'base64url',
    );
    await context?.addCookies([
      { name: 'slipway_session', value: `${altered}.${mac}`, url: slipway },
    ]);
    const reloaded = await context?.request.get(`${slipway}/`, { maxRedirects: 0 });
    expect(reloaded?.status()).toBe(303);
  });

  it('refuses an action whose form token is forged or missing, with nothing done', async () => {
    const page = await newPage();
    await signIn(page, 'alice');
    await page.waitForURL(`${slipway}/`);
    const before = await deploymentsBy('alice');

    const forged = await postFromPage(page, 'a-token-someone-guessed', '6.6.6');
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('Nothing was done. The form token is not this session’s');
    const missing = await postFromPage(page, null, '6.6.7');
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('The request carries no form token');
    expect(await deploymentsBy('alice')).toEqual(before);

    // The same request with the page's own token goes through: the refusals were the token's.
    const token = await page.locator(`input[name="${CSRF_FIELD}"]`).first().inputValue();
    expect((await postFromPage(page, token, '6.6.8')).status).toBe(200);
    expect(await deploymentsBy('alice')).toEqual(['6.6.8', ...before]);
  });

  it('refuses an action posted from another origin, even with the right token', async () => {
    const page = await newPage();
    await signIn(page, 'alice');
    await page.waitForURL(`${slipway}/`);
    const token = await page.locator(`input[name="${CSRF_FIELD}"]`).first().inputValue();
    const before = await deploymentsBy('alice');
    // Same host, another port: the same site to the browser, so SameSite lets the session
    // cookie go along, and only the origin check stands in the way. Another host (127.0.0.3) is
    // another site: the cookie stays home and the action finds nobody signed in.
    const sibling = await formSite('127.0.0.1', `${slipway}/deploy`, token);
    const crossSite = await formSite('127.0.0.3', `${slipway}/deploy`, token);
    try {
      await page.goto(sibling.url);
      await page.getByRole('button', { name: 'Win a prize' }).click();
      await page.waitForURL(`${slipway}/deploy`);
      expect(await page.locator('main').textContent()).toContain(
        `Nothing was done. The request came from ${new URL(sibling.url).origin}, not from ${slipway}.`,
      );
      await page.goto(crossSite.url);
      await page.getByRole('button', { name: 'Win a prize' }).click();
      await page.waitForURL(`${slipway}/deploy`);
      expect(await page.locator('main').textContent()).toContain('You are not signed in');
    } finally {
      await sibling.close();
      await crossSite.close();
    }
    expect(await deploymentsBy('alice')).toEqual(before);
  });

  it('signs out: the session cookie is gone and the next action finds nobody', async () => {
    const page = await newPage();
    await signIn(page, 'alice');
    await page.waitForURL(`${slipway}/`);
    const token = await page.locator(`input[name="${CSRF_FIELD}"]`).first().inputValue();
    expect(await sessionCookie()).toBeDefined();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${slipway}/auth/signed-out`);
    expect(await page.locator('h1').textContent()).toBe('Signed out');
    expect(await sessionCookie()).toBeUndefined();
    const after = await context?.request.post(`${slipway}/deploy`, {
      form: { [CSRF_FIELD]: token, version: '7.0.0' },
      headers: { origin: slipway },
      maxRedirects: 0,
    });
    expect(after?.status()).toBe(401);
    expect(await deploymentsBy('alice')).not.toContain('7.0.0');
  });

  it('shows its own pages with no serious accessibility violation (axe-core)', async () => {
    // The pages allow no script at all (CSP): this profile lets axe in to look.
    const page = await newPage({ bypassCSP: true });
    await signIn(page, 'mallory');
    await page.waitForURL(/\/auth\/callback/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${slipway}/auth/signed-out`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${slipway}/auth/callback?code=x&state=y`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in expired');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("refuses a callback that does not answer this browser's own sign-in", async () => {
    const page = await newPage();
    await page.goto(`${slipway}/login`);
    expect(page.url().startsWith(idp.issuer)).toBe(true);
    await page.goto(`${slipway}/auth/callback?code=stolen&state=someone-elses`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in failed');
    expect(await sessionCookie()).toBeUndefined();
    // The sign-in it started is used up: the same callback again finds none.
    await page.goto(`${slipway}/auth/callback?code=stolen&state=someone-elses`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in expired');
  });
});

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical findings on the page as it stands: rule, and where. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe;
    const results = await axe.run();
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

interface AxeResults {
  violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
}

/** A page elsewhere whose button posts `token` to `action`, as an attacker's page would. */
async function formSite(host: string, action: string, token: string) {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html lang="en"><title>Prize</title><form method="post" action="${action}">
<input type="hidden" name="${CSRF_FIELD}" value="${token}"><input type="hidden" name="version" value="9.9.9">
<button type="submit">Win a prize</button></form></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
