import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DoubleWorkflow,
  type GitHubDouble,
  slipwayWorkflow,
  startGitHubDouble,
} from './github-double.js';

const TOKEN = 'ghp_double_token_0123456789';
const DEPLOY = slipwayWorkflow({
  inputs: { ...slipwayWorkflow().inputs, region: { default: 'eu' } },
});
const LINT: DoubleWorkflow = { id: 161336, file: 'lint.yml', name: 'Lint', inputs: null };
const INPUTS = { version: '1.2.3', environment: 'staging', correlation_id: 'c-1' };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function hookReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/github`, received, server };
}

async function until<T>(read: () => T | undefined, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GitHub double', () => {
  let gh: GitHubDouble;
  const api = (
    path: string,
    init: RequestInit & { token?: string | null; scheme?: string } = {},
  ) => {
    const { token = TOKEN, scheme = 'Bearer', ...rest } = init;
    return fetch(`${gh.url}${path}`, {
      ...rest,
      headers: {
        accept: 'application/vnd.github+json',
        ...(token ? { authorization: `${scheme} ${token}` } : {}),
        ...(rest.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  };
  const dispatch = (body: unknown, workflow = 'deploy.yml', token?: string) =>
    api(`/repos/acme/web/actions/workflows/${workflow}/dispatches`, {
      method: 'POST',
      body: JSON.stringify(body),
      ...(token ? { token } : {}),
    });
  const listRuns = async (query = '') =>
    (await (await api(`/repos/acme/web/actions/workflows/deploy.yml/runs${query}`)).json()) as {
      total_count: number;
      workflow_runs: Record<string, unknown>[];
    };

  beforeEach(async () => {
    gh = await startGitHubDouble({
      owner: 'acme',
      repo: 'web',
      token: TOKEN,
      readOnlyTokens: ['ghp_read_only'],
      branches: ['main', 'release'],
      workflows: [DEPLOY, LINT],
    });
  });
  afterEach(() => gh.close());

  it('refuses requests without valid credentials, accepting both Bearer and token schemes', async () => {
    expect((await api('/repos/acme/web/actions/runs/1', { token: null })).status).toBe(401);
    const bad = await api('/repos/acme/web/actions/runs/1', { token: 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ message: 'Bad credentials', status: '401' });
    expect((await dispatch({ ref: 'main', inputs: INPUTS })).status).toBe(204);
    const classic = await api('/repos/acme/web/actions/workflows/161335/dispatches', {
      method: 'POST',
      scheme: 'token',
      body: JSON.stringify({ ref: 'main', inputs: INPUTS }),
    });
    expect(classic.status).toBe(204);
    expect(gh.calls.map((c) => c.auth)).toEqual([null, 'bearer', 'bearer', 'token']);
    expect(JSON.stringify(gh.calls)).not.toContain(TOKEN);
  });

  it('validates a dispatch as GitHub does', async () => {
    const cases: [unknown, string, number, RegExp][] = [
      [{ inputs: INPUTS }, 'deploy.yml', 422, /"ref" wasn't supplied/],
      [{ ref: 'nope', inputs: INPUTS }, 'deploy.yml', 422, /No ref found for: nope/],
      [
        { ref: 'main', inputs: { ...INPUTS, extra: 'x' } },
        'deploy.yml',
        422,
        /Unexpected inputs provided: \["extra"\]/,
      ],
      [
        { ref: 'main', inputs: { version: '1' } },
        'deploy.yml',
        422,
        /Required input 'environment' not provided/,
      ],
      [{ ref: 'main', inputs: { ...INPUTS, version: 1 } }, 'deploy.yml', 422, /is not a string/],
      [
        {
          ref: 'main',
          inputs: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`i${i}`, 'x'])),
        },
        'deploy.yml',
        422,
        /maximum number of properties is 25/,
      ],
      [{ ref: 'main' }, 'lint.yml', 422, /does not have 'workflow_dispatch' trigger/],
      [{ ref: 'main', inputs: INPUTS }, 'missing.yml', 404, /Not Found/],
    ];
    for (const [body, workflow, status, message] of cases) {
      const answer = await dispatch(body, workflow);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(((await answer.json()) as { message: string }).message).toMatch(message);
    }
    // Two of these GitHub's description itself forbids; the rest are the workflow's own rules.
    expect(gh.takeViolations().map((v) => `${v.operation} ${v.pointer}`)).toEqual([
      'actions/create-workflow-dispatch /body/ref',
      'actions/create-workflow-dispatch /body/inputs',
    ]);
    const readOnly = await dispatch({ ref: 'main', inputs: INPUTS }, 'deploy.yml', 'ghp_read_only');
    expect(readOnly.status).toBe(403);
    expect(gh.runs()).toHaveLength(0);
  });

  it('starts a run titled by run-name that goes queued → in_progress → completed', async () => {
    expect((await dispatch({ ref: 'main', inputs: INPUTS })).status).toBe(204);
    const run = await until(() => gh.runs()[0]);
    expect(run).toMatchObject({
      name: 'Deploy',
      display_title: 'deploy 1.2.3 to staging [c-1]',
      event: 'workflow_dispatch',
      head_branch: 'main',
      status: 'queued',
      conclusion: null,
      run_number: 1,
      run_attempt: 1,
      html_url: `https://github.com/acme/web/actions/runs/${run.id}`,
    });
    await until(() => (gh.runs()[0]?.status === 'completed' ? true : undefined));
    const read = (await (await api(`/repos/acme/web/actions/runs/${run.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(read).toMatchObject({ status: 'completed', conclusion: 'success' });
    const jobs = (await (await api(`/repos/acme/web/actions/runs/${run.id}/jobs`)).json()) as {
      jobs: Record<string, unknown>[];
    };
    expect(jobs.jobs).toEqual([expect.objectContaining({ name: 'deploy', conclusion: 'success' })]);
  });

  it('lists runs newest first, filtered by event, branch and created', async () => {
    gh.addForeignRun('someone else');
    await dispatch({ ref: 'main', inputs: INPUTS });
    await until(() => gh.runs()[1]);
    const all = await listRuns('?event=workflow_dispatch&branch=main');
    expect(all.total_count).toBe(2);
    expect(all.workflow_runs.map((r) => r.display_title)).toEqual([
      'deploy 1.2.3 to staging [c-1]',
      'someone else',
    ]);
    expect((await listRuns('?branch=release')).total_count).toBe(0);
    // GitHub's date search syntax takes seconds, not milliseconds.
    const future = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await listRuns(`?created=${encodeURIComponent(`>=${future}`)}`)).total_count).toBe(0);
    const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await listRuns(`?created=${encodeURIComponent(`>=${past}`)}`)).total_count).toBe(2);
    expect(
      (await api('/repos/acme/web/actions/workflows/deploy.yml/runs?created=soon')).status,
    ).toBe(422);
    expect(gh.takeViolations().map((v) => v.pointer)).toEqual(['/query/created']);
  });

  it('delivers workflow_run webhooks signed with the secret, as GitHub does', async () => {
    const hook = await hookReceiver();
    try {
      gh.setWebhook({ url: hook.url, secret: 's3cret' });
      gh.planNext({
        jobs: [{ name: 'build' }, { name: 'deploy', conclusion: 'failure', failedStep: 'Apply' }],
      });
      await dispatch({ ref: 'main', inputs: INPUTS });
      await until(() => (hook.received.length === 3 ? true : undefined));
      const actions = hook.received.map((r) => JSON.parse(r.body).action);
      expect(actions).toEqual(['requested', 'in_progress', 'completed']);
      for (const { headers, body } of hook.received) {
        expect(headers['x-github-event']).toBe('workflow_run');
        expect(headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
        expect(headers['x-hub-signature-256']).toBe(
          `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`,
        );
      }
      const last = JSON.parse(hook.received[2]?.body ?? '{}');
      expect(last.workflow_run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(last.repository.full_name).toBe('acme/web');
      const runId = last.workflow_run.id as number;
      const jobs = (await (await api(`/repos/acme/web/actions/runs/${runId}/jobs`)).json()) as {
        jobs: { name: string; conclusion: string; steps: { name: string; conclusion: string }[] }[];
      };
      expect(jobs.jobs.map((j) => [j.name, j.conclusion])).toEqual([
        ['build', 'success'],
        ['deploy', 'failure'],
      ]);
      expect(jobs.jobs[1]?.steps.find((s) => s.conclusion === 'failure')?.name).toBe('Apply');
      expect(gh.deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
      const ping = await gh.ping();
      expect(ping).toMatchObject({ event: 'ping', status: 200 });
    } finally {
      hook.server.close();
    }
  });

  it('withholds webhooks and never starts a run when told to', async () => {
    const hook = await hookReceiver();
    try {
      gh.setWebhook({ url: hook.url, secret: 's3cret' });
      gh.planNext({ withholdWebhooks: true }, { neverStarts: true });
      await dispatch({ ref: 'main', inputs: INPUTS });
      await until(() => (gh.runs()[0]?.status === 'completed' ? true : undefined));
      expect(
        (await dispatch({ ref: 'main', inputs: { ...INPUTS, correlation_id: 'c-2' } })).status,
      ).toBe(204);
      await new Promise((r) => setTimeout(r, 200));
      expect(gh.runs()).toHaveLength(1);
      expect(hook.received).toHaveLength(0);
    } finally {
      hook.server.close();
    }
  });

  it('cancels a run in progress, and refuses to cancel a completed one (409)', async () => {
    gh.planNext({ jobs: [{ name: 'deploy', ms: 5_000 }] });
    await dispatch({ ref: 'main', inputs: INPUTS });
    const run = await until(() => gh.runs()[0]);
    const cancel = () => api(`/repos/acme/web/actions/runs/${run.id}/cancel`, { method: 'POST' });
    expect((await cancel()).status).toBe(202);
    await until(() => (gh.runs()[0]?.conclusion === 'cancelled' ? true : undefined));
    const again = await cancel();
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toMatch(/completed/);
  });

  it('injects 5xx, 429 with Retry-After and an exhausted rate limit, and reports unused faults', async () => {
    gh.inject({ method: 'POST', path: /dispatches$/, status: 502 });
    gh.inject({ status: 429, retryAfter: 7 });
    gh.inject({ status: 403, resetIn: 30 });
    gh.inject({ method: 'DELETE', status: 500 });
    const first = await dispatch({ ref: 'main', inputs: INPUTS });
    expect(first.status).toBe(502);
    const second = await api('/repos/acme/web/actions/runs/1');
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('7');
    const third = await api('/repos/acme/web/actions/runs/1');
    expect(third.status).toBe(403);
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(third.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(gh.unusedFaults()).toEqual([expect.objectContaining({ method: 'DELETE' })]);
    expect(gh.called('POST', /dispatches$/).map((c) => c.status)).toEqual([502]);
  });

  it('can answer 5xx after carrying the request out, as a failing proxy in front of GitHub does', async () => {
    gh.inject({ method: 'POST', path: /dispatches$/, status: 504, processed: true });
    expect((await dispatch({ ref: 'main', inputs: INPUTS })).status).toBe(504);
    const run = await until(() => gh.runs()[0]);
    expect(run.display_title).toBe('deploy 1.2.3 to staging [c-1]');
  });
});
