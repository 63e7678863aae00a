import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slipwayWorkflow } from '../../../test/support/github-double.js';
import { GitHubActionsHandle } from './index.js';
import { makeWorld, TOKEN, type World } from './test-support/world.js';

let world: World;
afterEach(() => world?.close());

const dispatches = () => world.gh.called('POST', /\/dispatches$/);

async function until<T>(read: () => T | undefined | null, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('github-actions deploy', () => {
  it('dispatches the workflow on its ref with the version, environment and correlation id', async () => {
    world = await makeWorld({
      double: {
        workflows: [
          slipwayWorkflow({
            inputs: { ...slipwayWorkflow().inputs, region: { required: true } },
          }),
        ],
      },
    });
    const ctx = world.context({ ref: 'main', inputs: { region: 'eu-west-1' } });
    const handle = GitHubActionsHandle.parse(await world.driver.deploy(ctx));

    expect(dispatches()).toEqual([
      expect.objectContaining({
        path: '/repos/acme/web/actions/workflows/deploy.yml/dispatches',
        status: 200,
        auth: 'token',
        body: {
          ref: 'main',
          return_run_details: true,
          inputs: {
            region: 'eu-west-1',
            version: '1.2.3',
            environment: 'staging',
            correlation_id: ctx.deployment.correlationId,
          },
        },
      }),
    ]);
    expect(handle).toMatchObject({
      phase: 'deploy',
      workflow: 'deploy.yml',
      ref: 'main',
      key: ctx.deployment.correlationId,
    });
    const [run] = world.gh.runs();
    expect(handle).toMatchObject({ runId: run?.id, runUrl: run?.html_url, foundBy: 'dispatch' });
    expect(handle.deadline - handle.dispatchedAt).toBe(20_000);
    // It looked for a run of this deployment first, since its start (less clock skew).
    const [list] = world.gh.called('GET', /\/workflows\/deploy\.yml\/runs$/);
    expect(list?.query).toMatchObject({ event: 'workflow_dispatch', branch: 'main' });
    expect(Date.parse((list?.query.created ?? '').slice(2))).toBeLessThan(Date.now() - 4 * 60_000);
  });

  it('attaches to the run a previous attempt dispatched instead of dispatching again', async () => {
    world = await makeWorld();
    const ctx = world.context();
    await world.driver.deploy(ctx);
    const run = await until(() => world.gh.runs()[0]);

    const again = GitHubActionsHandle.parse(await world.driver.deploy(world.context()));
    expect(dispatches()).toHaveLength(1);
    expect(again).toMatchObject({ runId: run.id, runUrl: run.html_url });
  });

  it('does not dispatch twice when GitHub answered 5xx after starting the run', async () => {
    world = await makeWorld();
    world.gh.inject({ method: 'POST', path: /dispatches$/, status: 502, processed: true });
    const handle = GitHubActionsHandle.parse(await world.driver.deploy(world.context()));

    expect(dispatches().map((c) => c.status)).toEqual([502]);
    expect(world.gh.runs()).toHaveLength(1);
    expect(handle.runId).toBe(world.gh.runs()[0]?.id);
  });

  it('dispatches again after a 5xx that did not start anything', async () => {
    world = await makeWorld();
    world.gh.inject({ method: 'POST', path: /dispatches$/, status: 503, times: 2 });
    await world.driver.deploy(world.context());
    expect(dispatches().map((c) => c.status)).toEqual([503, 503, 200]);
    expect(world.gh.unusedFaults()).toEqual([]);
  });

  it('waits as long as a 429 Retry-After asks before trying again', async () => {
    world = await makeWorld();
    world.gh.inject({ method: 'POST', path: /dispatches$/, status: 429, retryAfter: 1 });
    const started = Date.now();
    await world.driver.deploy(world.context());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(dispatches().map((c) => c.status)).toEqual([429, 200]);
  });

  it('gives up at once when the rate limit resets later than it is willing to wait', async () => {
    world = await makeWorld();
    world.gh.inject({ method: 'GET', status: 403, resetIn: 3_600 });
    await expect(world.driver.deploy(world.context())).rejects.toThrow(
      /rate limiting this token.*longer than Slipway waits/,
    );
    expect(dispatches()).toHaveLength(0);
  });

  it('says what to fix when GitHub refuses', async () => {
    world = await makeWorld({ double: { readOnlyTokens: ['ghp_readonly'] } });
    const cases: [NodeJS.ProcessEnv, Record<string, unknown>, RegExp][] = [
      [
        { GITHUB_TOKEN: 'ghp_revoked' },
        {},
        /rejected Slipway's token .*\(401: Bad credentials\): set GITHUB_TOKEN/,
      ],
      [
        { GITHUB_TOKEN: 'ghp_readonly' },
        {},
        /refused to dispatch workflow deploy\.yml in acme\/web \(403.*\): give Slipway's token actions:write on acme\/web/,
      ],
      [
        {},
        { workflow: 'deplyo.yml' },
        /no workflow deplyo\.yml in acme\/web \(404: Not Found\): check "owner", "repo" and "workflow"/,
      ],
      [
        {},
        { ref: 'nope' },
        /\(422: No ref found for: nope\): "ref" must name an existing branch or tag/,
      ],
      [
        {},
        { inputs: { extra: 'x' } },
        /Unexpected inputs provided.*declare these inputs under on\.workflow_dispatch\.inputs/,
      ],
    ];
    for (const [env, options, message] of cases) {
      Object.assign(world.env, { GITHUB_TOKEN: TOKEN }, env);
      await expect(world.driver.deploy(world.context(options))).rejects.toThrow(message);
    }
  });

  it('needs a token, from GITHUB_TOKEN or GITHUB_TOKEN_FILE', async () => {
    world = await makeWorld({ env: { GITHUB_TOKEN: '' } });
    await expect(world.driver.deploy(world.context())).rejects.toThrow(
      /GITHUB_TOKEN is not set: give Slipway a token with actions:write on acme\/web/,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'slipway-gh-')), 'token');
    writeFileSync(file, `${TOKEN}\n`);
    world.env.GITHUB_TOKEN_FILE = file;
    await world.driver.deploy(world.context());
    expect(dispatches()).toHaveLength(1);
  });

  it('never writes the token to its log, even at debug level and on failures', async () => {
    world = await makeWorld();
    world.gh.inject({ status: 500, times: 2 });
    await world.driver.deploy(world.context());
    world.env.GITHUB_TOKEN = `${TOKEN}x`;
    await world.driver.deploy(world.context()).catch(() => undefined);
    expect(world.logs.length).toBeGreaterThan(3);
    expect(world.logs.join('\n')).not.toContain(TOKEN);
  });
});
