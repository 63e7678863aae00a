import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReporterHarness, startReporterHarness, statesOf } from './test-support/harness.js';

const CREATE = /^\/repos\/acme\/web\/deployments$/;
const STATUS = /^\/repos\/acme\/web\/deployments\/\d+\/statuses$/;
const TOKENS = /^\/app\/installations\/90210\/access_tokens$/;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('GitHub Deployments reporter when GitHub refuses, fails or restarts', () => {
  let h: ReporterHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('gives up on a ref GitHub does not know: said once, no statuses, the deployment unharmed', async () => {
    h = await startReporterHarness();
    h.gh.expect({ method: 'POST', path: CREATE, body: { ref: '9.9.9' } });
    const d = await h.settle((await h.request({ version: '9.9.9' })).id);
    expect(d.state).toBe('succeeded');
    expect(h.gh.called('POST', CREATE).map((c) => c.status)).toEqual([422]);
    expect(h.gh.deployments()).toEqual([]);
    const said = h.logs.filter((l) => l.msg === 'not reporting this deployment to GitHub');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 40, deployment: d.id, repository: 'acme/web' });
    expect(said[0]?.reason).toBe(
      'GitHub has no ref "9.9.9" in acme/web (422: No ref found for: 9.9.9): have CI send the build\'s commit to /hooks/build ("commit"), or tag acme/web with the versions Slipway deploys',
    );
    const report = await h.app.store.getGitHubDeployment(d.id);
    expect(report).toMatchObject({ givenUp: said[0]?.reason, open: false, githubId: null });
    expect(await h.app.metrics.scrape()).toMatch(
      /^slipway_github_deployment_reports_given_up_total 1$/m,
    );
    // A restart, which resumes the reports left open, asks GitHub nothing more about it.
    await h.restart();
    await h.app.githubDeployments?.idle();
    h.gh.verify();
    expect(h.logs.filter((l) => l.msg === 'not reporting this deployment to GitHub')).toHaveLength(
      1,
    );
  });

  it('waits out GitHub failing and rate limiting, and never creates or posts twice', async () => {
    h = await startReporterHarness();
    // The first create is carried out but its answer is lost; the first status too.
    h.gh.inject({ method: 'POST', path: CREATE, status: 502, processed: true });
    h.gh.inject({ method: 'POST', path: STATUS, status: 502, processed: true });
    // Then GitHub is down for a while, and rate limits once.
    h.gh.inject({ method: 'POST', path: STATUS, status: 503, times: 3 });
    h.gh.inject({ method: 'POST', path: STATUS, status: 429, retryAfter: 0 });
    h.gh.expect(
      { method: 'POST', path: CREATE, times: 1 },
      { method: 'GET', path: CREATE, times: 1 },
      { method: 'POST', path: STATUS, body: { state: 'queued' }, times: 1 },
      // After each failure that may have reached GitHub (the 5xx, not the 429), it looks first.
      { method: 'GET', path: STATUS, times: 4 },
      { method: 'POST', path: STATUS, body: { state: 'in_progress' }, times: 5 },
      { method: 'POST', path: STATUS, body: { state: 'success' }, times: 1 },
    );
    const asked = await h.request({ version: '1.4.2' });
    const d = await h.app.engine.waitFor(asked.id, AbortSignal.timeout(20_000), 20);
    expect(d.state).toBe('succeeded');
    await h.app.githubDeployments?.idle();
    expect(h.gh.deployments()).toHaveLength(1);
    expect(statesOf(h.gh)).toEqual([['queued', 'in_progress', 'success']]);
    expect(h.gh.unusedFaults()).toEqual([]);
    h.gh.verify();
    const retried = h.logs.filter((l) => l.msg === 'could not report to GitHub; retrying');
    expect(retried.length).toBeGreaterThanOrEqual(6);
    const metrics = await h.app.metrics.scrape();
    const calls = (call: string, result: string) =>
      new RegExp(
        `^slipway_github_deployment_calls_total\\{call="${call}",result="${result}"\\} (\\d+)$`,
        'm',
      ).exec(metrics)?.[1];
    expect(calls('create_deployment', '502')).toBe('1');
    expect(calls('create_deployment', 'ok')).toBeUndefined();
    expect(calls('list_deployments', 'ok')).toBe('1');
    expect(calls('create_status', '503')).toBe('3');
    expect(calls('create_status', '429')).toBe('1');
    expect(calls('create_status', '502')).toBe('1');
    expect(calls('create_status', 'ok')).toBe('2');
  });

  it('finishes after a restart what GitHub being down left undone, in order', async () => {
    h = await startReporterHarness({ reporter: { maxAttempts: 3 } });
    h.gh.inject({ method: 'POST', path: CREATE, status: 500, times: 1_000 });
    const d = await h.settle((await h.request({ version: '1.4.2' })).id);
    expect(d.state).toBe('succeeded');
    expect(h.gh.called('POST', CREATE).length).toBeGreaterThanOrEqual(3);
    expect(h.gh.deployments()).toEqual([]);
    expect(await h.app.store.getGitHubDeployment(d.id)).toMatchObject({
      githubId: null,
      createTried: true,
      open: true,
    });
    h.gh.clearFaults();
    const before = h.gh.calls.length;
    await h.restart();
    await h.app.githubDeployments?.idle();
    expect(statesOf(h.gh)).toEqual([['queued', 'in_progress', 'success']]);
    expect(h.gh.deployments()[0]?.payload).toMatchObject({ slipway: { deploymentId: d.id } });
    // Before creating it again, the restarted process asked GitHub whether a try had made it.
    const after = h.gh.calls.slice(before);
    expect(after.map((c) => `${c.method} ${c.path.replace(/\d+/g, 'N')}`)).toEqual([
      'GET /repos/acme/web/deployments',
      'POST /repos/acme/web/deployments',
      'POST /repos/acme/web/deployments/N/statuses',
      'POST /repos/acme/web/deployments/N/statuses',
      'POST /repos/acme/web/deployments/N/statuses',
    ]);
  });

  it("says once per deployment when GitHub refuses the app's JWT, and reports nothing", async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    h = await startReporterHarness({
      app: { id: 4711, installationId: 90210, publicKey: keys.publicKey, privateKey: stranger },
    });
    h.gh.expect({ method: 'POST', path: TOKENS });
    const d = await h.settle((await h.request({ version: '1.4.2' })).id);
    expect(d.state).toBe('succeeded');
    expect(h.gh.called('POST', TOKENS).map((c) => [c.status, c.principal])).toEqual([[401, null]]);
    const said = h.logs.filter((l) => l.msg === 'not reporting this deployment to GitHub');
    expect(said.map((l) => l.reason)).toEqual([
      "GitHub refused the GitHub App's JWT (401: A JSON web token could not be decoded): check GITHUB_APP_ID and that GITHUB_APP_PRIVATE_KEY is a current private key of that app (its settings → Private keys), and this machine's clock.",
    ]);
    h.gh.verify();
  });

  it('acts as a GitHub App: a token fetched once and reused, another when it nears expiry or is revoked', async () => {
    // When Slipway thinks a token is due is read from this clock, which the test moves; GitHub
    // (the double) keeps the real one. The first token lives an hour, later ones two.
    let clock = Date.now();
    h = await startReporterHarness({
      app: {
        id: 4711,
        installationId: 90210,
        publicKey: keys.publicKey,
        privateKey: keys.privateKey,
        tokenLifetimeSeconds: (serial) => (serial === 1 ? 3600 : 7200),
      },
      reporter: { tokenClock: () => clock },
    });
    h.gh.expect(
      { method: 'POST', path: TOKENS, times: 3 },
      // Four deployments, and the one call the revoked token made…
      { method: 'POST', path: CREATE, times: 5 },
      // …after which it asks whether that create was made before making it again.
      { method: 'GET', path: CREATE, times: 1 },
      // Three statuses each, and inactive for the three a newer one replaced.
      { method: 'POST', path: STATUS, times: 15 },
    );
    const first = await h.settle((await h.request({ version: '1.4.1' })).id);
    await h.settle((await h.request({ version: '1.4.2' })).id);
    expect(h.gh.issuedTokens()).toHaveLength(1);
    // 56 minutes on, the first token has less than five minutes left: the next call gets another.
    clock += 56 * 60_000;
    await h.settle((await h.request({ version: '1.4.3' })).id);
    expect(h.gh.issuedTokens()).toHaveLength(2);
    h.gh.revokeInstallationTokens();
    const last = await h.settle((await h.request({ version: '1.5.0' })).id);
    expect(last.state).toBe('succeeded');
    // The revoked token was refused once, then a new one was fetched and the call made again.
    const refused = h.gh.calls.filter((c) => c.status === 401);
    expect(refused).toHaveLength(1);
    expect(h.gh.issuedTokens().map((t) => t.serial)).toEqual([1, 2, 3]);
    const principals = h.gh.calls
      .filter((c) => c.status !== 401)
      .map((c) => c.principal)
      .filter((p, i, all) => p !== all[i - 1]);
    // Each token was fetched with the app's JWT (verified by the double with the public key).
    expect(principals).toEqual([
      'jwt',
      'installation#1',
      'jwt',
      'installation#2',
      'jwt',
      'installation#3',
    ]);
    expect(h.gh.called('POST', TOKENS).every((c) => c.auth === 'bearer' && c.status === 201)).toBe(
      true,
    );
    expect(statesOf(h.gh)).toEqual([
      ['queued', 'in_progress', 'success', 'inactive'],
      ['queued', 'in_progress', 'success', 'inactive'],
      ['queued', 'in_progress', 'success', 'inactive'],
      ['queued', 'in_progress', 'success'],
    ]);
    expect(first.state).toBe('succeeded');
    h.gh.verify();
  });
});
