import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type GitHubDouble, slipwayWorkflow, startGitHubDouble } from './github-double.js';
import {
  checkResponse,
  checkWebhook,
  describeViolation,
  findOperation,
  type Operation,
  specVersions,
} from './github-double-spec.js';

const TOKEN = 'ghp_double_token_0123456789';

function operation(method: string, path: string): Operation {
  const found = findOperation(method, path);
  if (typeof found === 'string') throw new Error(found);
  return found;
}

describe("GitHub double held to GitHub's OpenAPI description", () => {
  let gh: GitHubDouble | undefined;
  afterEach(async () => {
    await gh?.close();
    gh = undefined;
  });

  async function start(name = 'Deploy') {
    gh = await startGitHubDouble({
      owner: 'acme',
      repo: 'web',
      token: TOKEN,
      workflows: [slipwayWorkflow({ name })],
    });
    return gh;
  }

  async function call(double: GitHubDouble, method: string, path: string, body?: unknown) {
    const res = await fetch(`${double.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      message: text ? (JSON.parse(text) as { message: string }).message : '',
    };
  }

  it('refuses a request the description forbids as GitHub does, and names the operation, the pointer and the fault', async () => {
    const double = await start();
    const dispatches = '/repos/acme/web/actions/workflows/deploy.yml/dispatches';
    expect(await call(double, 'POST', dispatches, { ref: 1 })).toEqual({
      status: 422,
      message: "Invalid request.\n\nFor 'properties/ref', 1 is not a string.",
    });
    const created = await call(double, 'POST', '/repos/acme/web/deployments', { ref: 'main' });
    expect(created.status).toBe(201);
    const deployments = (await (
      await fetch(`${double.url}/repos/acme/web/deployments`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { id: number }[];
    const statuses = `/repos/acme/web/deployments/${deployments[0]?.id}/statuses`;
    expect((await call(double, 'POST', statuses, { state: 'shipped' })).status).toBe(422);
    expect(await call(double, 'GET', '/repos/acme/web/deployments/latest/statuses')).toEqual({
      status: 404,
      message: 'Not Found',
    });
    expect((await call(double, 'GET', '/repos/acme/web/launches')).status).toBe(404);
    expect((await call(double, 'DELETE', '/repos/acme/web/actions/runs/1/cancel')).status).toBe(
      404,
    );
    const runs = '/repos/acme/web/actions/workflows/deploy.yml/runs';
    expect((await call(double, 'GET', `${runs}?per_page=lots`)).status).toBe(422);
    expect((await call(double, 'GET', `${runs}?brnach=main`)).status).toBe(422);

    const said = double.violations.map(describeViolation);
    expect(said).toEqual([
      expect.stringMatching(
        /^request actions\/create-workflow-dispatch \(POST .*\/dispatches\) at \/body\/ref: 1 is not a string$/,
      ),
      expect.stringMatching(
        /^request repos\/create-deployment-status .* at \/body\/state: "shipped" is not one of \["error",.*"success"\]$/,
      ),
      expect.stringMatching(/at \/path\/deployment_id: "latest" is not an integer$/),
      expect.stringMatching(
        /^request \(none\) .*no operation of api.github.com has the path \/repos\/acme\/web\/launches$/,
      ),
      expect.stringMatching(
        /DELETE is not an operation of \/repos\/\{owner\}\/\{repo\}\/actions\/runs\/\{run_id\}\/cancel \(it has POST\)$/,
      ),
      expect.stringMatching(
        /^request actions\/list-workflow-runs .* at \/query\/per_page: "lots" is not an integer$/,
      ),
      expect.stringMatching(/at \/query\/brnach: is not a query parameter of this operation/),
    ]);
    expect(() => double.verify()).toThrow(
      /departure\(s\) from GitHub's OpenAPI description:\nrequest actions\/create-workflow-dispatch/,
    );
    double.takeViolations();
    double.verify();
  });

  it('fails the test that sent such a request when the double is closed', async () => {
    const double = await start();
    await call(double, 'POST', '/repos/acme/web/deployments', { ref: 'main', auto_merge: 'yes' });
    gh = undefined;
    await expect(double.close()).rejects.toThrow(
      /request repos\/create-deployment \(POST \/repos\/acme\/web\/deployments\) at \/body\/auto_merge: "yes" is not a boolean/,
    );
  });

  it('answers 500, naming it, when its own answer departs from the description', async () => {
    // A run's `name` is a string or null in the description: a number is the double's mistake.
    const double = await start(42 as unknown as string);
    const run = double.addForeignRun('someone else');
    const answer = await call(double, 'GET', `/repos/acme/web/actions/runs/${run.id}`);
    expect(answer.status).toBe(500);
    expect(answer.message).toMatch(
      /answered against GitHub's description: response actions\/get-workflow-run \(200 to GET .*\) at \/body\/name: 42 is not one of string,null/,
    );
    expect(double.takeViolations().map((v) => `${v.kind} ${v.pointer}`)).toEqual([
      'response /body/name',
    ]);
  });

  it('holds an answer to the statuses and schemas its operation documents', () => {
    const get = operation('GET', '/repos/acme/web/actions/runs/7');
    expect(checkResponse(get, 'GET run', 200, { id: 7 }).map((v) => v.pointer)).toEqual([
      '/body/node_id',
    ]);
    const cancel = operation('POST', '/repos/acme/web/actions/runs/7/cancel');
    expect(checkResponse(cancel, 'cancel', 204, undefined)).toEqual([
      expect.objectContaining({
        operation: 'actions/cancel-workflow-run',
        pointer: '/status',
        message: '204 is not a status this operation documents (202, 409)',
      }),
    ]);
    expect(checkResponse(cancel, 'cancel', 202, {})).toEqual([]);
    // GitHub answers 401, 403, 404, 422, 429 and 5xx anywhere, in its error shapes.
    expect(checkResponse(cancel, 'cancel', 401, { message: 'Bad credentials' })).toEqual([]);
    expect(checkResponse(cancel, 'cancel', 503, undefined)).toEqual([]);
    expect(checkResponse(cancel, 'cancel', 404, { message: 404 })[0]?.pointer).toBe(
      '/body/message',
    );
    const status = operation('POST', '/repos/acme/web/deployments/9/statuses');
    expect(checkResponse(status, 'status', 201, { state: 'shipped' })[0]).toMatchObject({
      operation: 'repos/create-deployment-status',
      pointer: '/body/id',
      message: 'is required but missing',
    });
  });

  it('holds a webhook to the payload the webhooks description gives its event and action', () => {
    expect(checkWebhook('ping', { zen: 'Keep it logically awesome.', hook_id: 1 })).toEqual([]);
    const completed = checkWebhook('workflow_run', { action: 'completed', workflow_run: {} });
    expect(completed[0]).toMatchObject({
      kind: 'webhook',
      operation: 'workflow_run.completed',
      pointer: '/body/repository',
      message: 'is required but missing',
    });
    expect(checkWebhook('workflow_run', { action: 'exploded' })).toEqual([
      expect.objectContaining({
        message:
          'GitHub sends no workflow_run.exploded webhook (no "workflow-run-exploded" in the description)',
      }),
    ]);
    const status = checkWebhook('deployment_status', {
      action: 'created',
      deployment_status: { state: 'shipped' },
    });
    expect(status.map(describeViolation)[0]).toMatch(/^webhook deployment_status.created/);
  });

  it('follows the description versions its README names', () => {
    const versions = specVersions();
    const readme = readFileSync(new URL('./github-double.md', import.meta.url), 'utf8');
    expect(readme).toContain(`@octokit/openapi@${versions.openapi}`);
    expect(readme).toContain(`@octokit/openapi-webhooks@${versions.webhooks}`);
    expect(versions.openapiInfo).toBe(versions.openapi);
  });
});
