import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { readDashboardSettings } from '../../src/core/dashboard-settings.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createLocalSlack, type LocalSlack } from '../../src/local-slack/index.js';
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
import { ROOT } from '../support/processes.js';

/**
 * The dashboard as a team uses it, in Debian's headless Chromium: people sign in through a real
 * OpenID provider (panva's oidc-provider on loopback), the overview shows what a scripted series
 * of deploys, a rollback and a lock left, a QA engineer approves from the inbox and the card in
 * the local Slack updates, a deployment's page follows it live without a reload, a forged form
 * token changes nothing, and axe-core finds no serious accessibility problem on any page.
 * Screenshots of each page go to test-output/dashboard/ (docs/screenshots/ keeps a copy).
 */

const CHROMIUM_PATH = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output/dashboard');
const USERS = ['U-DEV1', 'U-DEV2', 'U-QA1', 'U-QA2', 'U-SRE'];
const CHANNELS = ['C-WEB', 'C-API', 'C-DEPLOYS'];

let dir: string;
let idp: TestOidcProvider;
let slack: LocalSlack;
let app: App;
let slipway: string;
let browser: Browser;

beforeAll(async () => {
  dir = tempDir('slipway-dashboard-');
  const port = await freePort();
  slipway = `http://127.0.0.1:${port}`;
  idp = await startOidcProvider({
    redirectUri: `${slipway}/auth/callback`,
    accounts: [
      { id: 'dana', email: 'dana@example.com', name: 'Dana Dev' },
      { id: 'quinn', email: 'quinn@example.com', name: 'Quinn QA' },
    ],
  });
  slack = createLocalSlack({
    channels: CHANNELS.map((id) => ({ id, name: id.slice(2).toLowerCase(), members: USERS })),
    users: USERS.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'dashboard-e2e-signing-secret',
  });
  const { apiUrl } = await slack.start();
  const base = settingsFor(dir);
  const dashboard = readDashboardSettings({
    SLIPWAY_OIDC_ISSUER: idp.issuer,
    SLIPWAY_OIDC_CLIENT_ID: idp.clientId,
    SLIPWAY_OIDC_CLIENT_SECRET: idp.clientSecret,
    SLIPWAY_PUBLIC_URL: slipway,
    SLIPWAY_SESSION_SECRET: 'the-session-secret-of-this-test-0123456789',
  });
  const config = Config.parse({
    ...scenarioConfigInput(join(dir, 'targets'), { ms: 1_200 }),
    people: {
      dana: { slack: 'U-DEV1', email: 'dana@example.com', name: 'Dana Dev' },
      quinn: { slack: 'U-QA2', email: 'quinn@example.com', name: 'Quinn QA' },
    },
  });
  app = await createApp({
    config,
    settings: {
      ...base,
      dashboard,
      slack: {
        botToken: slack.config.botToken,
        signingSecret: slack.config.signingSecret,
        appToken: undefined,
        apiUrl,
      },
    },
    log: createLogger({ level: 'silent' }),
  });
  await app.http.listen(port, '127.0.0.1');
  slack.setDelivery({ mode: 'http', requestUrl: `${slipway}/slack/events` });
  await app.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox'],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await slack?.stop();
  await idp?.close();
  if (dir) await removeTestDir(dir);
});

/** A browser profile that reaches only this machine (the provider's page asks for web fonts). */
async function newContext(viewport = { width: 1280, height: 860 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return /^127\.\d+\.\d+\.\d+$/.test(host) ? route.continue() : route.abort();
  });
  return context;
}

async function signedIn(
  login: string,
  path = '/',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${slipway}${path}`);
  await signInAtProvider(page, login);
  await page.waitForURL(`${slipway}${path}`);
  return { context, page };
}

async function finished(id: string, timeoutMs = 30_000): Promise<Deployment> {
  const d = await app.engine.waitFor(id, AbortSignal.timeout(timeoutMs), 50);
  return d;
}

async function ask(
  service: string,
  environment: string,
  version: string,
  actor = 'U-DEV1',
): Promise<string> {
  const result = await app.engine.request({
    actor,
    source: 'chat',
    channel: environment === 'production' ? 'C-DEPLOYS' : service === 'web' ? 'C-WEB' : 'C-API',
    kind: 'deploy',
    service,
    environment,
    version,
  });
  if (!result.ok) throw new Error(result.reason);
  return result.deployment.id;
}

/** The words of the matrix cell of `service` in `environment`. */
function cellText(page: Page, service: string, environment: string): Promise<string> {
  return (
    page
      .locator(`tr:has(th[scope="row"]:text-is("${service}")) td[data-label="${environment}"]`)
      // biome-ignore lint/performance/useDomNodeTextContent: the words as laid out, lines apart
      .innerText()
      .then((text) => text.replace(/\s+/g, ' ').trim())
  );
}

const axeSource = (() => {
  const require = createRequire(import.meta.url);
  return require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') as string;
})();

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.x A and AA). */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through DevTools: the page's own policy lets no inline script run, rightly.
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{
            violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>;
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      where: JSON.stringify(v.nodes.map((n) => n.target)),
    }));
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.where}`);
}

async function shoot(page: Page, name: string): Promise<void> {
  writeFileSync(join(SHOTS, `${name}.png`), await page.screenshot({ fullPage: true }));
}

let approvalId = '';

describe('the dashboard in a browser', () => {
  it('shows on the overview what deploys, a rollback and a lock left, after signing in', async () => {
    await finished(await ask('web', 'staging', '1.4.1'));
    const second = await ask('web', 'staging', '1.4.2');
    await finished(second);
    const back = await app.engine.rollBack({
      actor: 'U-DEV1',
      source: 'chat',
      channel: 'C-WEB',
      deploymentId: second,
    });
    if (!back.ok) throw new Error(back.reason);
    expect((await finished(back.deployment.id)).state).toBe('succeeded');
    await finished(await ask('api', 'staging', '2.0.0', 'U-DEV2'));
    const failed = await ask('web', 'perf', '1.5.0-bad', 'U-DEV2');
    expect(['failed', 'rolled_back']).toContain((await finished(failed)).state);
    const lock = await app.engine.lock({
      actor: 'U-DEV2',
      source: 'chat',
      channel: 'C-DEPLOYS',
      service: 'api',
      environment: 'production',
      reason: 'schema migration',
      durationMs: 2 * 3_600_000,
      force: false,
    });
    expect(lock.ok).toBe(true);
    approvalId = await ask('web', 'production', '1.4.1');
    expect((await finished(approvalId)).state).toBe('awaiting_approval');

    const { context, page } = await signedIn('dana');
    await expect.poll(() => page.locator('.who').textContent()).toContain('Signed in as Dana Dev');
    expect(await cellText(page, 'web', 'staging')).toMatch(/^1\.4\.1 since .* by Dana Dev$/);
    expect(await cellText(page, 'api', 'staging')).toMatch(/^2\.0\.0 since .* by U-DEV2$/);
    expect(await cellText(page, 'web', 'production')).toBe(
      'nothing deployed yet awaiting approval 1.4.1 by Dana Dev',
    );
    expect(await cellText(page, 'api', 'production')).toMatch(
      /^nothing deployed yet locked by U-DEV2: schema migration, until in (1 h 59 min|2 h)$/,
    );
    expect(await cellText(page, 'api', 'perf')).toBe('not deployed here');
    // A failed attempt shows beside what is live, until something newer goes out.
    expect(await cellText(page, 'web', 'perf')).toMatch(
      /^nothing deployed yet (failed|rolled back) 1\.5\.0-bad .* by U-DEV2$/,
    );
    await shoot(page, 'overview');
    expect(await seriousViolations(page)).toEqual([]);
    // At phone width every service is a card, and nothing runs off the side.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'overview-phone');
    await context.close();
  }, 120_000);

  it('approves from the inbox; the card in Slack updates and the page follows it live', async () => {
    const card = () =>
      slack.history('C-WEB').find((m) => JSON.stringify(m.metadata ?? {}).includes(approvalId));
    await expect
      .poll(() => card()?.text ?? '', { timeout: 10_000 })
      .toBe('⏳ web 1.4.1 → production: waiting for approval');

    const { context, page } = await signedIn('quinn', '/inbox');
    const row = page.locator('tr', { hasText: '1.4.1' }).filter({ hasText: 'production' });
    await expect.poll(() => row.count()).toBe(1);
    await shoot(page, 'inbox');
    expect(await seriousViolations(page)).toEqual([]);
    await row.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(/\/inbox\?done=approve$/);
    expect(await page.locator('.notice.ok').textContent()).toContain('approval is recorded');

    // The same record as a click in Slack: the engine took the approval from Quinn, and the
    // notifier updated the deployment's card in the channel.
    const approvals = await app.store.listApprovals(approvalId);
    expect(approvals.map((a) => [a.approver, a.verdict])).toEqual([['quinn', 'approve']]);
    await expect
      .poll(() => card()?.text ?? '', { timeout: 15_000 })
      .not.toContain('waiting for approval');
    expect(card()?.history.length).toBeGreaterThan(0);

    // The deployment's page, opened while it runs, reaches its end without a reload.
    let navigations = 0;
    await page.goto(`${slipway}/deployments/${approvalId}`);
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    const state = page.locator('main h1 .badge, main .badge').first();
    await expect
      .poll(() => state.textContent(), { timeout: 40_000, interval: 250 })
      .toBe('succeeded');
    expect(navigations).toBe(0);
    // The card follows too, at the pace Slack's rate limits allow.
    await expect
      .poll(() => card()?.text, { timeout: 15_000 })
      .toBe('✅ web 1.4.1 → production: deployed');
    expect(await page.locator('#output').textContent()).toContain(
      'web 1.4.1 is live in production',
    );
    await shoot(page, 'deployment');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('refuses an action whose form token is forged, and changes nothing', async () => {
    const waiting = await ask('web', 'production', '1.4.2');
    expect((await finished(waiting)).state).toBe('awaiting_approval');
    const { context, page } = await signedIn('quinn', `/deployments/${waiting}`);
    const answer = await page.evaluate(async (id) => {
      const form = new URLSearchParams({ _csrf: 'forged-token', return: '/' });
      const res = await fetch(`/deployments/${id}/approve`, { method: 'POST', body: form });
      return res.status;
    }, waiting);
    expect(answer).toBe(403);
    expect((await app.store.getDeployment(waiting))?.state).toBe('awaiting_approval');
    expect(await app.store.listApprovals(waiting)).toEqual([]);
    // The page's own form carries the session's token: the same approval goes through.
    await page.getByRole('button', { name: /^Approve/ }).click();
    await page.waitForURL(/done=approve/);
    expect((await app.store.listApprovals(waiting)).map((a) => a.approver)).toEqual(['quinn']);
    await context.close();
  }, 60_000);

  it('history and DORA read well and pass axe-core', async () => {
    const { context, page } = await signedIn('dana', '/history');
    await expect.poll(() => page.locator('main tbody tr').count()).toBeGreaterThan(5);
    await shoot(page, 'history');
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${slipway}/dora?since=30d&environment=staging`);
    await shoot(page, 'dora');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);
});
