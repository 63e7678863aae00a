import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../../test/support/github-double.js';
import { GitHubActionsHandle } from './index.js';
import { makeWorld, type TestContext, type World } from './test-support/world.js';

/**
 * The two answers to a dispatch (docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event):
 * 200 with the run's id and URLs to `return_run_details: true` (github.com since 2026-02-19), and
 * 204 from servers without it, where the run is found by the correlation id in its name.
 */

let world: World;
afterEach(() => world?.close());

const isDispatch = (c: RecordedCall) => c.method === 'POST' && c.path.endsWith('/dispatches');
const isRunList = (c: RecordedCall) =>
  c.method === 'GET' && /\/workflows\/[^/]+\/runs$/.test(c.path);

/** The calls after the first dispatch. */
function afterDispatch(): RecordedCall[] {
  const at = world.gh.calls.findIndex(isDispatch);
  expect(at).toBeGreaterThanOrEqual(0);
  return world.gh.calls.slice(at + 1);
}

async function deployAndWatch(ctx: TestContext) {
  const handle = GitHubActionsHandle.parse(await world.driver.deploy(ctx));
  return { handle, outcome: await world.driver.watch(ctx, handle) };
}

describe('github-actions dispatch answered with the run (200)', () => {
  it('follows the run GitHub returned by its id, without looking for it in the run list', async () => {
    world = await makeWorld();
    const ctx = world.context();
    const { handle, outcome } = await deployAndWatch(ctx);

    const [dispatch] = world.gh.calls.filter(isDispatch);
    expect(dispatch).toMatchObject({ status: 200, body: { return_run_details: true } });
    const [run] = world.gh.runs();
    expect(handle).toMatchObject({ runId: run?.id, runUrl: run?.html_url, foundBy: 'dispatch' });
    // The one list read is the restart guard before dispatching (a run this deployment started
    // before a crash); nothing is looked for once GitHub has named the run.
    expect(world.gh.calls.filter(isRunList)).toHaveLength(1);
    expect(afterDispatch().filter(isRunList)).toEqual([]);
    expect(ctx.reported[0]).toBe(`workflow run ${run?.id} started (GitHub returned the run)`);
    expect(outcome).toEqual({
      ok: true,
      summary: 'run #1 of deploy.yml succeeded (GitHub returned the run)',
      link: { label: 'GitHub run', url: run?.html_url },
    });
  });

  it('says so in a failure too', async () => {
    world = await makeWorld();
    world.gh.planNext({ jobs: [{ name: 'deploy', conclusion: 'failure', failedStep: 'Apply' }] });
    const { outcome } = await deployAndWatch(world.context());
    expect(!outcome.ok && outcome.reason).toMatch(
      /^run #1 of deploy\.yml failed: job "deploy" failed at step "Apply" \(.*\) \(GitHub returned the run\)$/,
    );
    expect(afterDispatch().filter(isRunList)).toEqual([]);
  });
});

describe('github-actions dispatch answered without the run (204)', () => {
  it('finds the run by the correlation id in its name, as before run details', async () => {
    world = await makeWorld({ double: { runDetails: 'ignored' } });
    const ctx = world.context();
    const { handle, outcome } = await deployAndWatch(ctx);

    const [dispatch] = world.gh.calls.filter(isDispatch);
    expect(dispatch).toMatchObject({ status: 204, body: { return_run_details: true } });
    expect(handle.runId).toBeUndefined();
    expect(handle.foundBy).toBeUndefined();
    const lists = afterDispatch().filter(isRunList);
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(lists[0]?.query).toMatchObject({ event: 'workflow_dispatch', branch: 'main' });
    const [run] = world.gh.runs();
    expect(ctx.reported).toContain(
      `workflow run ${run?.id} started (found by its correlation id in the run name)`,
    );
    expect(outcome).toMatchObject({
      ok: true,
      summary: 'run #1 of deploy.yml succeeded (found by its correlation id in the run name)',
    });
  });

  it('asks a server that refuses the field (422) once more without it, and not again', async () => {
    world = await makeWorld({ double: { runDetails: 'rejected' } });
    const first = await deployAndWatch(world.context());
    const second = await deployAndWatch(
      world.context({}, { deployment: { id: 'd-2', correlationId: 'c0ffee00-2222' } }),
    );

    const dispatches = world.gh.calls.filter(isDispatch);
    expect(dispatches.map((c) => c.status)).toEqual([422, 204, 204]);
    expect(dispatches.map((c) => 'return_run_details' in (c.body as object))).toEqual([
      true,
      false,
      false,
    ]);
    expect(world.gh.runs()).toHaveLength(2);
    for (const { outcome } of [first, second])
      expect(outcome).toMatchObject({
        ok: true,
        summary: expect.stringMatching(/found by its correlation id in the run name\)$/),
      });
  });

  it('keeps the refusal of anything else a refusal', async () => {
    world = await makeWorld({ double: { runDetails: 'rejected' } });
    // The first 422 names the field; the try without it meets the real problem, and says it.
    await expect(world.driver.deploy(world.context({ ref: 'nope' }))).rejects.toThrow(
      /\(422: No ref found for: nope\): "ref" must name an existing branch or tag/,
    );
    await expect(world.driver.deploy(world.context({ ref: 'nope' }))).rejects.toThrow(
      /No ref found for: nope/,
    );
    expect(world.gh.calls.filter(isDispatch).map((c) => c.status)).toEqual([422, 422, 422]);
  });
});
