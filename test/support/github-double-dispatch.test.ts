import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import * as formatsModule from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type GitHubDouble,
  type RunDetailsMode,
  slipwayWorkflow,
  startGitHubDouble,
} from './github-double.js';

const TOKEN = 'ghp_dispatchTest0123456789abcdef';
const INPUTS = { version: '1.2.3', environment: 'staging', correlation_id: 'c-1' };

let gh: GitHubDouble;
afterEach(() => gh?.close());

async function start(runDetails?: RunDetailsMode) {
  gh = await startGitHubDouble({
    owner: 'acme',
    repo: 'web',
    token: TOKEN,
    workflows: [slipwayWorkflow()],
    ...(runDetails ? { runDetails } : {}),
  });
}

async function dispatch(body: Record<string, unknown>) {
  const answer = await fetch(`${gh.url}/repos/acme/web/actions/workflows/deploy.yml/dispatches`, {
    method: 'POST',
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await answer.text();
  return {
    status: answer.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

/**
 * The 200 schema of `actions/create-workflow-dispatch` in GitHub's own description, checked with
 * a JSON Schema validator (ajv): the description is JSON Schema, and restating it in zod would
 * be our reading of it again.
 */
function dispatchResponseSchema() {
  const path = createRequire(import.meta.url).resolve(
    '@octokit/openapi/generated/api.github.com.json',
  );
  const spec = JSON.parse(readFileSync(path, 'utf8'));
  const operation =
    spec.paths['/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches'].post;
  const ref: string = operation.responses['200'].content['application/json'].schema.$ref;
  const schema = spec.components.schemas[ref.split('/').pop() as string];
  // Its one $ref (workflow_run_id), inlined.
  const runId = spec.components.schemas['workflow-run-id'];
  return { ...schema, properties: { ...schema.properties, workflow_run_id: runId } };
}

// ajv-formats is CommonJS with a default export; reached through the namespace either way.
const addFormats = ((formatsModule as { default?: unknown }).default ?? formatsModule) as (
  ajv: Ajv,
) => Ajv;

describe('GitHub double: workflow dispatch', () => {
  it('answers return_run_details with the run, exactly as the 200 schema describes it', async () => {
    await start();
    const answer = await dispatch({ ref: 'main', inputs: INPUTS, return_run_details: true });
    expect(answer.status).toBe(200);
    const schema = dispatchResponseSchema();
    const ajv = addFormats(new Ajv({ strict: false }));
    const valid = ajv.compile(schema);
    expect(valid(answer.body), JSON.stringify(valid.errors)).toBe(true);
    // Nothing beyond what the schema names.
    expect(Object.keys(answer.body ?? {}).sort()).toEqual(Object.keys(schema.properties).sort());
    // The run exists at once: it can be read by the id just returned.
    const [run] = gh.runs();
    expect(answer.body).toEqual({
      workflow_run_id: run?.id,
      run_url: `${gh.url}/repos/acme/web/actions/runs/${run?.id}`,
      html_url: `https://github.com/acme/web/actions/runs/${run?.id}`,
    });
    const read = await fetch(`${gh.url}/repos/acme/web/actions/runs/${run?.id}`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(read.status).toBe(200);
  });

  it('answers 204 without the field, or with it false', async () => {
    await start();
    expect((await dispatch({ ref: 'main', inputs: INPUTS })).status).toBe(204);
    expect(
      (await dispatch({ ref: 'main', inputs: INPUTS, return_run_details: false })).status,
    ).toBe(204);
  });

  it('answers 204 whatever is asked when run details are ignored', async () => {
    await start('ignored');
    const answer = await dispatch({ ref: 'main', inputs: INPUTS, return_run_details: true });
    expect(answer).toEqual({ status: 204, body: null });
  });

  it('refuses the field as GitHub Enterprise Server 3.19 does when it is rejected', async () => {
    await start('rejected');
    const refused = await dispatch({ ref: 'main', inputs: INPUTS, return_run_details: true });
    expect(refused).toMatchObject({
      status: 422,
      body: { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' },
    });
    expect((await dispatch({ ref: 'main', inputs: INPUTS })).status).toBe(204);
  });

  it('cannot return a run that never starts', async () => {
    await start();
    gh.planNext({ neverStarts: true });
    const answer = await dispatch({ ref: 'main', inputs: INPUTS, return_run_details: true });
    expect(answer.status).toBe(500);
    expect(String(answer.body?.message)).toMatch(/runDetails "ignored"/);
  });
});
