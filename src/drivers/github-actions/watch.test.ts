import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slipwayWorkflow } from '../../../test/support/github-double.js';
import { prepareDoubleChecks } from '../../../test/support/github-double-spec.js';
import { GitHubActionsHandle } from './index.js';
import { makeWorld, type TestContext, type World } from './test-support/world.js';

let world: World;
// The double's description checks are compiled once per file, taking many seconds on a loaded
// machine: here, under the hook timeout, rather than inside the first test's own time.
beforeAll(() => prepareDoubleChecks({ actions: true, app: false }));
afterEach(() => world?.close());

const runReads = () => world.gh.called('GET', /\/actions\/runs\/\d+$/);
/** A server that answers every dispatch 204 (no run details): the run is found by its name. */
const WITHOUT_RUN_DETAILS = { double: { runDetails: 'ignored' as const } };

/** Waits until `done` holds or 10 s (generous, for a loaded machine) pass; the test then asserts. */
async function until(done: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

async function deployAndWatch(ctx: TestContext) {
  const handle = await world.driver.deploy(ctx);
  return world.driver.watch(ctx, handle);
}

describe('github-actions watch', () => {
  it('follows the run through its webhooks to success, with progress and the run URL', async () => {
    world = await makeWorld(WITHOUT_RUN_DETAILS);
    // Long enough jobs that the in_progress webhook is read while one runs, even on a busy machine.
    // The run stays queued until the watch has reported it so, however late the watch first reads.
    world.gh.planNext({
      holdQueued: true,
      jobs: [
        { name: 'build', ms: 500 },
        { name: 'deploy', ms: 700 },
      ],
    });
    // Polling every minute: only webhooks can end this within the test.
    const ctx = world.context({ pollInterval: '1m' });
    const watching = deployAndWatch(ctx);
    await until(() => ctx.reported.some((t) => t.startsWith('queued (')));
    const run = world.gh.runs()[0];
    expect(ctx.reported).toContain(`queued (${run?.html_url})`);
    world.gh.releaseRun(Number(run?.id));
    const outcome = await watching;

    expect(outcome).toEqual({
      ok: true,
      summary: 'run #1 of deploy.yml succeeded (found by its correlation id in the run name)',
      link: { label: 'GitHub run', url: `https://github.com/acme/web/actions/runs/${run?.id}` },
    });
    expect(runReads()).toHaveLength(0);
    // The double records a delivery once Slipway has answered it, just after the watch woke.
    await until(() => world.gh.deliveries.length >= 3);
    expect(world.gh.deliveries.map((d) => [d.action, d.status])).toEqual([
      ['requested', 200],
      ['in_progress', 200],
      ['completed', 200],
    ]);
    expect(ctx.reported[0]).toBe('dispatched deploy.yml on main; waiting for its run');
    expect(ctx.reported.some((t) => /^in progress: job (build|deploy)/.test(t))).toBe(true);
  });

  it('reports a failed run with the job and step that failed', async () => {
    world = await makeWorld();
    world.gh.planNext({
      jobs: [
        { name: 'build' },
        { name: 'deploy', conclusion: 'failure', failedStep: 'Apply manifests' },
      ],
    });
    const outcome = await deployAndWatch(world.context());
    const run = world.gh.runs()[0];
    expect(outcome).toEqual({
      ok: false,
      changed: true,
      reason: `run #1 of deploy.yml failed: job "deploy" failed at step "Apply manifests" (${run?.html_url}) (GitHub returned the run)`,
    });
  });

  it('reads the run every pollInterval when no webhook arrives', async () => {
    world = await makeWorld();
    world.gh.planNext({ withholdWebhooks: true, jobs: [{ name: 'deploy', ms: 300 }] });
    const outcome = await deployAndWatch(world.context({ pollInterval: '100ms' }));
    expect(outcome.ok).toBe(true);
    expect(world.gh.deliveries).toHaveLength(0);
    expect(runReads().length).toBeGreaterThanOrEqual(2);
  });

  it('keeps polling through 5xx and 429 from GitHub', async () => {
    world = await makeWorld();
    world.gh.planNext({ withholdWebhooks: true, jobs: [{ name: 'deploy', ms: 200 }] });
    world.gh.inject({ method: 'GET', path: /\/actions\/runs\/\d+$/, status: 502, times: 5 });
    world.gh.inject({ method: 'GET', path: /\/actions\/runs\/\d+$/, status: 429, retryAfter: 0 });
    const ctx = world.context({ pollInterval: '50ms' });
    const outcome = await deployAndWatch(ctx);
    expect(outcome.ok).toBe(true);
    expect(world.gh.unusedFaults()).toEqual([]);
    expect(ctx.reported.some((t) => t.startsWith('waiting for GitHub: GitHub answered 502'))).toBe(
      true,
    );
  });

  it('fails without having changed anything when the dispatch never starts a run', async () => {
    world = await makeWorld(WITHOUT_RUN_DETAILS);
    world.gh.planNext({ neverStarts: true });
    const started = Date.now();
    const ctx = world.context({ startTimeout: '600ms' });
    const outcome = await deployAndWatch(ctx);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(outcome).toEqual({
      ok: false,
      changed: false,
      reason: `the workflow was dispatched but no run with correlation id ${ctx.deployment.correlationId} appeared within 600ms: check that deploy.yml on main has "on: workflow_dispatch" and "run-name: deploy \${{ inputs.version }} to \${{ inputs.environment }} [\${{ inputs.correlation_id }}]" (the correlation id in the run name is how Slipway finds its run)`,
    });
  });

  it('does not call a run missing while GitHub could not be asked', async () => {
    world = await makeWorld(WITHOUT_RUN_DETAILS);
    world.gh.planNext({ withholdWebhooks: true });
    const ctx = world.context({ startTimeout: '300ms', pollInterval: '50ms' });
    const handle = await world.driver.deploy(ctx);
    // Two whole lists fail (4 tries each), well past startTimeout.
    world.gh.inject({
      method: 'GET',
      path: /\/workflows\/deploy\.yml\/runs$/,
      status: 503,
      times: 8,
    });
    const started = Date.now();
    const outcome = await world.driver.watch(ctx, handle);
    expect(Date.now() - started).toBeGreaterThan(300);
    expect(world.gh.unusedFaults()).toEqual([]);
    expect(outcome).toMatchObject({
      ok: true,
      summary: 'run #1 of deploy.yml succeeded (found by its correlation id in the run name)',
    });
  });

  it('names the runs that started without the correlation id when run-name is missing', async () => {
    world = await makeWorld({
      double: { workflows: [slipwayWorkflow({ runName: undefined })], runDetails: 'ignored' },
    });
    const ctx = world.context({ startTimeout: '500ms' });
    const handle = await world.driver.deploy(ctx);
    // Someone starts a run by hand once the dispatch's own run exists: both are from the dispatch's
    // second or later (created_at is to the second), so both count however slow the machine is.
    await until(() => world.gh.runs().length === 1);
    world.gh.addForeignRun('hotfix by hand');
    const outcome = await world.driver.watch(ctx, handle);
    expect(outcome).toMatchObject({ ok: false, changed: false });
    expect(!outcome.ok && outcome.reason).toMatch(
      /within 500ms: .*; run 2 \("hotfix by hand"\), run 1 \("Deploy"\) started meanwhile without it in its name$/,
    );
  });

  it('cancels a run still going at the timeout', async () => {
    world = await makeWorld();
    world.gh.planNext({ jobs: [{ name: 'deploy', ms: 10_000 }] });
    const outcome = await deployAndWatch(world.context({ timeout: '2s' }));
    const run = world.gh.runs()[0];
    expect(outcome).toEqual({
      ok: false,
      changed: true,
      reason: `run #1 of deploy.yml did not finish within 2s, last seen in progress: job deploy (step Run deploy); Slipway cancelled it (${run?.html_url}) (GitHub returned the run)`,
    });
    expect(world.gh.called('POST', /\/runs\/\d+\/cancel$/)).toHaveLength(1);
  });

  it('picks up after a restart from the stored handle, even when the run is over', async () => {
    world = await makeWorld();
    const handle = GitHubActionsHandle.parse(await world.driver.deploy(world.context()));
    // The first process died here; the run went on without it.
    const deadline = Date.now() + 3_000;
    while (world.gh.runs()[0]?.status !== 'completed' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const later = world.context();
    const outcome = await world.driver.watch(later, JSON.parse(JSON.stringify(handle)));
    expect(outcome).toMatchObject({
      ok: true,
      summary: 'run #1 of deploy.yml succeeded (GitHub returned the run)',
    });
    expect(world.gh.called('POST', /\/dispatches$/)).toHaveLength(1);
  });

  it('stops waiting when the deployment is aborted', async () => {
    world = await makeWorld();
    world.gh.planNext({ jobs: [{ name: 'deploy', ms: 10_000 }] });
    const abort = new AbortController();
    const ctx = world.context({}, { signal: abort.signal });
    const handle = await world.driver.deploy(ctx);
    const watching = world.driver.watch(ctx, handle);
    setTimeout(() => abort.abort(new Error('shutting down')), 300);
    await expect(watching).rejects.toThrow('shutting down');
  });
});

describe('github-actions rollback and cancel', () => {
  it('dispatches the deploy workflow again with the older version, under its own correlation id', async () => {
    world = await makeWorld();
    const ctx = world.context();
    const deploy = GitHubActionsHandle.parse(await world.driver.deploy(ctx));
    const back = GitHubActionsHandle.parse(await world.driver.rollback?.(ctx, '1.2.2'));
    expect(back).toMatchObject({ phase: 'rollback', workflow: 'deploy.yml' });
    expect(back.key).toBe(`${deploy.key}-rollback`);
    const [, second] = world.gh.called('POST', /\/dispatches$/);
    expect(second?.body).toMatchObject({
      inputs: { version: '1.2.2', correlation_id: `${ctx.deployment.correlationId}-rollback` },
    });
    expect(await world.driver.watch(ctx, back)).toMatchObject({
      ok: true,
      summary: 'run #2 of deploy.yml succeeded (GitHub returned the run)',
    });
  });

  it('needs a version unless a rollback workflow is configured', async () => {
    world = await makeWorld();
    expect(world.driver.capabilities?.(world.context().options)).toEqual({
      status: false,
      rollbackToPrevious: false,
    });
    await expect(world.driver.rollback?.(world.context(), null)).rejects.toThrow(
      /cannot roll back web in staging without a version/,
    );
    const withWorkflow = world.context({ rollbackWorkflow: '.github/workflows/rollback.yml' });
    expect(world.driver.capabilities?.(withWorkflow.options).rollbackToPrevious).toBe(true);
    await world.driver.rollback?.(withWorkflow, null);
    expect(world.gh.called('POST', /\/dispatches$/)).toEqual([
      expect.objectContaining({
        path: '/repos/acme/web/actions/workflows/rollback.yml/dispatches',
        body: expect.objectContaining({ inputs: expect.objectContaining({ version: '' }) }),
      }),
    ]);
  });

  it('cancels the run of a handle, finding it by correlation id when needed', async () => {
    world = await makeWorld(WITHOUT_RUN_DETAILS);
    world.gh.planNext({ jobs: [{ name: 'deploy', ms: 10_000 }] });
    const ctx = world.context();
    const handle = await world.driver.deploy(ctx);
    const deadline = Date.now() + 3_000;
    while (!world.gh.runs()[0] && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await world.driver.cancel?.(ctx, handle);
    expect(world.gh.called('POST', /\/runs\/\d+\/cancel$/).map((c) => c.status)).toEqual([202]);
    const outcome = await world.driver.watch(ctx, handle);
    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(!outcome.ok && outcome.reason).toMatch(/^run #1 of deploy\.yml was cancelled/);
  });
});
