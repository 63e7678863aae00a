import { afterEach, describe, expect, it } from 'vitest';
import { waitFinal } from '../../../test/support/engine-harness.js';
import type { ExpectedCall } from '../../../test/support/github-double.js';
import { previewUrl } from '../../features/review/engine-state.js';
import {
  COMMIT,
  PUBLIC_URL,
  type ReporterHarness,
  startReporterHarness,
  statesOf,
} from './test-support/harness.js';

const CREATE = /^\/repos\/acme\/web\/deployments$/;
const STATUS = /^\/repos\/acme\/web\/deployments\/\d+\/statuses$/;

/** The calls of one deployment: its creation and a status per state, in that order. */
function reported(create: Record<string, unknown>, ...states: string[]): ExpectedCall[] {
  return [
    { method: 'POST', path: CREATE, body: create },
    ...states.map((state) => ({ method: 'POST', path: STATUS, body: { state } })),
  ];
}

describe('GitHub Deployments reporter, with deployments run by the engine', () => {
  let h: ReporterHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('creates a GitHub deployment and posts queued, in_progress and success in order, with its links', async () => {
    h = await startReporterHarness();
    h.gh.expect(
      ...reported(
        {
          ref: '1.4.2',
          environment: 'staging',
          task: 'deploy',
          auto_merge: false,
          required_contexts: [],
          production_environment: false,
          transient_environment: false,
        },
        'queued',
        'in_progress',
        'success',
      ),
    );
    const asked = await h.request({ version: '1.4.2' });
    // A service without github: is nobody's business on GitHub.
    const other = await h.request({ service: 'api', version: '1.0.0' });
    const d = await h.settle(asked.id);
    expect((await h.settle(other.id)).state).toBe('succeeded');
    expect(d.state).toBe('succeeded');
    const [github] = h.gh.deployments();
    expect(github).toMatchObject({
      ref: '1.4.2',
      environment: 'staging',
      payload: {
        slipway: { deploymentId: d.id, correlationId: d.correlationId, requestedBy: 'U-DEV1' },
      },
      transient_environment: false,
      production_environment: false,
    });
    const link = `${PUBLIC_URL}/deployments/${d.id}`;
    expect(github?.statuses.map((s) => [s.state, s.description, s.log_url])).toEqual([
      ['queued', 'waiting for its turn', link],
      ['in_progress', 'deploying 1.4.2', link],
      ['success', d.outcome, link],
    ]);
    expect(github?.statuses.map((s) => s.environment_url)).toEqual([
      '',
      '',
      'https://staging.example.com',
    ]);
    const success = h.gh.called('POST', STATUS).at(-1);
    expect(success?.body).toMatchObject({ state: 'success', auto_inactive: false });
    expect(success?.principal).toBe('token');
    h.gh.verify();
    const report = await h.app.store.getGitHubDeployment(d.id);
    expect(report).toMatchObject({
      githubId: github?.id,
      statuses: 3,
      lastState: 'success',
      open: true,
      claimedBy: null,
    });
  });

  it('reports a failed deployment that was rolled back as failure, and keeps what is live again active', async () => {
    h = await startReporterHarness();
    h.gh.expect(
      ...reported({ ref: '1.4.2' }, 'queued', 'in_progress', 'success'),
      ...reported({ ref: '1.4.3-bad' }, 'queued', 'in_progress', 'in_progress', 'failure'),
    );
    const good = await h.settle((await h.request({ version: '1.4.2' })).id);
    const bad = await h.settle((await h.request({ version: '1.4.3-bad' })).id);
    expect(bad.state).toBe('rolled_back');
    const [first, second] = h.gh.deployments();
    expect(first?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success']);
    expect(second?.statuses.map((s) => [s.state, s.description])).toEqual([
      ['queued', 'waiting for its turn'],
      ['in_progress', 'deploying 1.4.3-bad'],
      ['in_progress', expect.stringMatching(/; rolling back to 1\.4\.2$/)],
      ['failure', expect.stringMatching(/^rolled back to 1\.4\.2 after: /)],
    ]);
    // A failure is not an environment's URL.
    expect(second?.statuses.every((s) => s.environment_url === '')).toBe(true);
    expect(good.state).toBe('succeeded');
    h.gh.verify();
    expect((await h.app.store.getGitHubDeployment(bad.id))?.open).toBe(false);
  });

  it('marks a request superseded in the queue inactive, and each success inactive once a newer one or a rollback replaced it', async () => {
    h = await startReporterHarness({ deferStart: true });
    h.gh.expect(
      ...reported({ ref: '1.4.1' }, 'queued', 'inactive'),
      ...reported({ ref: '1.4.2' }, 'queued', 'in_progress', 'success', 'inactive'),
      ...reported({ ref: '1.4.3' }, 'queued', 'in_progress', 'success', 'inactive'),
      ...reported({ ref: '1.4.2' }, 'queued', 'in_progress', 'success'),
    );
    const older = await h.request({ version: '1.4.1' });
    const newer = await h.request({ version: '1.4.2' });
    await h.app.githubDeployments?.idle();
    await h.start();
    expect((await h.settle(older.id)).state).toBe('superseded');
    await h.settle(newer.id);
    const third = await h.settle((await h.request({ version: '1.4.3' })).id);
    const back = await h.settle(
      (await h.request({ kind: 'rollback', version: null, environment: 'staging' })).id,
    );
    expect(back).toMatchObject({ state: 'succeeded', kind: 'rollback', version: '1.4.2' });
    await h.app.githubDeployments?.idle();
    expect(statesOf(h.gh)).toEqual([
      ['queued', 'inactive'],
      ['queued', 'in_progress', 'success', 'inactive'],
      ['queued', 'in_progress', 'success', 'inactive'],
      ['queued', 'in_progress', 'success'],
    ]);
    const [superseded, replaced, rolledBack] = h.gh.deployments();
    expect(superseded?.statuses.at(-1)?.description).toBe(
      `superseded by ${newer.id} (1.4.2, requested by U-DEV1)`,
    );
    expect(replaced?.statuses.at(-1)?.description).toBe(`replaced by 1.4.3 (${third.id})`);
    expect(rolledBack?.statuses.at(-1)?.description).toBe(`rolled back to 1.4.2 (${back.id})`);
    h.gh.verify();
  });

  it('reports previews as transient, with their own address, and inactive once their review is closed and they are torn down', async () => {
    h = await startReporterHarness();
    const preview = { environment: 'preview', transient_environment: true };
    h.gh.expect(
      ...reported({ ref: '1.5.0', ...preview }, 'queued', 'in_progress', 'success', 'inactive'),
      ...reported({ ref: '2.0.0', ...preview }, 'queued', 'in_progress', 'success'),
    );
    const login = await h.settle(
      (
        await h.request({
          environment: 'preview',
          version: '1.5.0',
          ref: { type: 'branch', name: 'feature/login' },
        })
      ).id,
    );
    // Another branch's preview is another preview: it retires nothing.
    const cart = await h.settle(
      (
        await h.request({
          environment: 'preview',
          version: '2.0.0',
          ref: { type: 'branch', name: 'feature/cart' },
        })
      ).id,
    );
    expect(statesOf(h.gh)).toEqual([
      ['queued', 'in_progress', 'success'],
      ['queued', 'in_progress', 'success'],
    ]);
    const closed = await h.app.engine.closeReview({
      deploymentId: login.id,
      actor: 'U-DEV1',
      channel: null,
      source: 'api',
    });
    expect(closed.ok).toBe(true);
    await h.app.githubDeployments?.idle();
    const [first, second] = h.gh.deployments();
    expect(first).toMatchObject({ environment: 'preview', transient_environment: true });
    expect(first?.statuses.map((s) => [s.state, s.environment_url])).toEqual([
      ['queued', ''],
      ['in_progress', ''],
      ['success', previewUrl(login)],
      ['inactive', ''],
    ]);
    expect(first?.statuses.at(-1)?.description).toBe(
      'preview removed: the review was closed by U-DEV1',
    );
    expect(second?.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success']);
    // The driver's address for the preview (the branch as a DNS label, a hash keeping it unique).
    expect(previewUrl(login)).toMatch(/^https:\/\/feature-login-[0-9a-f]+\.preview\.test$/);
    expect(second?.statuses.at(-1)?.environment_url).toBe(previewUrl(cart));
    expect(cart.state).toBe('succeeded');
    h.gh.verify();
  });

  it('deploys the commit CI built, and again when that version goes on without CI', async () => {
    h = await startReporterHarness();
    h.gh.expect(
      ...reported({ ref: COMMIT, environment: 'staging' }, 'queued', 'in_progress', 'success'),
      ...reported({ ref: COMMIT, environment: 'Production' }, 'queued', 'in_progress', 'success'),
    );
    const [placed] = await h.build({
      service: 'web',
      version: '7.0.0',
      type: 'branch',
      target: 'main',
      commit: COMMIT.toUpperCase(),
    });
    const built = await h.settle(placed as string);
    expect(built).toMatchObject({ state: 'succeeded', commit: COMMIT, source: 'webhook' });
    // 7.0.0 is no tag of the repository: the commit the first report used is what GitHub knows.
    const promoted = await h.settle(
      (await h.request({ environment: 'production', version: '7.0.0' })).id,
    );
    expect(promoted.commit).toBeUndefined();
    expect(h.gh.deployments().map((d) => [d.ref, d.sha, d.environment])).toEqual([
      [COMMIT, COMMIT, 'staging'],
      [COMMIT, COMMIT, 'Production'],
    ]);
    h.gh.verify();
  });

  it('reports a deployment whose driver erred as error, not failure', async () => {
    h = await startReporterHarness();
    h.gh.expect(
      ...reported({ ref: '1.4.2', environment: 'staging' }, 'queued', 'in_progress', 'error'),
    );
    const d = await h.settle((await h.request({ service: 'worker', version: '1.4.2' })).id);
    expect(d).toMatchObject({ state: 'failed', outcome: expect.stringContaining('driver error') });
    const [github] = h.gh.deployments();
    expect(github?.statuses.at(-1)).toMatchObject({
      state: 'error',
      description: 'broken driver error: the cluster cannot be reached',
    });
    h.gh.verify();
  });

  it('lets another replica go on with a deployment one replica reported the start of', async () => {
    h = await startReporterHarness({ deferStart: true });
    h.gh.expect(...reported({ ref: '1.4.2' }, 'queued', 'in_progress', 'success'));
    // This replica records the request (and reports it) but runs nothing.
    const asked = await h.request({ version: '1.4.2' });
    await h.app.githubDeployments?.idle();
    expect(statesOf(h.gh)).toEqual([['queued']]);
    // The other one runs it, and finds the GitHub deployment in the store.
    const other = await h.replica();
    const d = await waitFinal(other, asked.id);
    expect(d.leaseOwner).toBeNull();
    await other.githubDeployments?.idle();
    expect(statesOf(h.gh)).toEqual([['queued', 'in_progress', 'success']]);
    const report = await other.store.getGitHubDeployment(asked.id);
    expect(report).toMatchObject({ statuses: 3, githubId: h.gh.deployments()[0]?.id });
    h.gh.verify();
  });

  it('names production as configured and marks it production, the protected environment', async () => {
    h = await startReporterHarness({ publicUrl: null });
    h.gh.expect(
      ...reported(
        { environment: 'Production', production_environment: true, transient_environment: false },
        'queued',
        'in_progress',
        'success',
      ),
    );
    const d = await h.settle((await h.request({ environment: 'production' })).id);
    // Should the deployment not succeed, its outcome and the warnings logged say why.
    const warnings = h.logs.filter((l) => l.level >= 40).map((l) => l.msg);
    expect(d.state, `${d.outcome}; logged: ${warnings.join(' | ')}`).toBe('succeeded');
    // No dashboard address and no chat card: no log_url at all.
    expect(h.gh.called('POST', STATUS).every((c) => !('log_url' in (c.body as object)))).toBe(true);
    h.gh.verify();
  });
});
