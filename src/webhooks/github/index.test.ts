import { createHmac } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workflowRunReceiver } from '../../drivers/github-actions/index.js';
import type { WorkflowRunEvent } from '../../drivers/github-actions/schema.js';
import type { DeployDriver } from '../../drivers/types.js';
import { sha256Signature } from '../../http/credentials.js';
import { sendJson } from '../../http/router.js';
import { githubWebhookRoute } from './index.js';

const SECRET = "It's a Secret to Everybody";

const event = {
  action: 'completed',
  workflow_run: {
    id: 30433642,
    name: 'Deploy',
    display_title: 'deploy 1.2.3 to staging [c-1]',
    run_number: 7,
    event: 'workflow_dispatch',
    head_branch: 'main',
    status: 'completed',
    conclusion: 'success',
    html_url: 'https://github.com/acme/web/actions/runs/30433642',
    created_at: '2026-03-01T10:00:00Z',
  },
  repository: { full_name: 'acme/web' },
};

describe('POST /hooks/github', () => {
  let server: Server;
  let url: string;
  let received: WorkflowRunEvent[];

  async function start(secret: string | undefined) {
    received = [];
    const route = githubWebhookRoute({
      secret,
      onWorkflowRun: (e) => received.push(e),
      log: pino({ level: 'silent' }),
    });
    server = createServer((req, res) => {
      // As the server answers a route's error (server.ts): a refused body is a 413.
      Promise.resolve(route.handler(req, res, {}, new URL(req.url ?? '/', 'http://x'))).catch(
        (err: { status?: number; message: string }) =>
          sendJson(res, err.status ?? 500, { message: err.message }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/github`;
  }
  beforeEach(() => start(SECRET));
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function deliver(
    body: string,
    headers: Record<string, string> = {},
    options: { event?: string; delivery?: string; key?: string } = {},
  ) {
    return fetch(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': options.event ?? 'workflow_run',
        'x-github-delivery': options.delivery ?? crypto.randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', options.key ?? SECRET)
          .update(body)
          .digest('hex')}`,
        ...headers,
      },
    });
  }

  it('hands a verified workflow_run to the driver, once per delivery id', async () => {
    const body = JSON.stringify(event);
    const first = await deliver(body, {}, { delivery: 'd-1' });
    expect(first.status).toBe(200);
    expect((await deliver(body, {}, { delivery: 'd-1' })).status).toBe(200);
    expect(received).toEqual([expect.objectContaining({ action: 'completed' })]);
    expect(received[0]?.workflow_run).toMatchObject({ id: 30433642, conclusion: 'success' });
  });

  it('refuses a delivery signed with another secret, or not signed', async () => {
    const body = JSON.stringify(event);
    const wrong = await deliver(body, {}, { key: 'guess' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toMatch(/X-Hub-Signature-256/);
    const tampered = await deliver(body.replace('success', 'failure'), {
      'x-hub-signature-256': sha256Signature(SECRET, body),
    });
    expect(tampered.status).toBe(401);
    expect(received).toEqual([]);
  });

  it('refuses everything with 503 while no secret is configured, reading no body', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await start(undefined);
    const answer = await deliver(JSON.stringify(event));
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({
      error: 'not_configured',
      message: expect.stringMatching(/GITHUB_WEBHOOK_SECRET/),
    });
    // Answered from the headers alone: the client is still sending when the answer comes.
    expect(await answerWhileSending(url, { 'x-github-event': 'workflow_run' })).toBe(503);
    expect(received).toEqual([]);
  });

  it('refuses an unsigned or malformed signature before reading the body', async () => {
    expect(await answerWhileSending(url, { 'x-github-event': 'workflow_run' })).toBe(401);
    const short = { 'x-github-event': 'workflow_run', 'x-hub-signature-256': 'sha256=abc' };
    expect(await answerWhileSending(url, short)).toBe(401);
    // An event Slipway ignores is acknowledged from the headers too.
    const push = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` };
    expect(await answerWhileSending(url, push)).toBe(202);
  });

  it('refuses a signed-looking body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ ...event, padding: 'x'.repeat(1024 * 1024) });
    const answer = await deliver(big);
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { message: string }).message).toBe(
      'The body is larger than 1 MiB, the most POST /hooks/github accepts.',
    );
  });

  it('answers ping, acknowledges other events, and refuses a malformed workflow_run', async () => {
    const ping = await deliver(
      JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }),
      {},
      { event: 'ping' },
    );
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ message: 'pong' });
    expect((await deliver('{}', {}, { event: 'push' })).status).toBe(202);
    const bad = await deliver(JSON.stringify({ action: 'completed', workflow_run: { id: 'x' } }));
    expect(bad.status).toBe(400);
    expect(received).toEqual([]);
  });

  it('accepts the form-encoded content type GitHub can be set to', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify(event) }).toString();
    const answer = await deliver(body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(200);
    expect(received).toHaveLength(1);
  });
});

/**
 * Sends headers and the first bytes of a body declared as 24 MB, then waits: only a route that
 * answers before reading the body answers at all.
 */
function answerWhileSending(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': 24 << 20 },
    });
    const timer = setTimeout(() => reject(new Error('no answer before the body')), 2_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1024));
  });
}

describe('workflowRunReceiver', () => {
  it('delivers to the github-actions driver among the drivers, and to nothing without one', () => {
    const seen: WorkflowRunEvent[] = [];
    const driver = { id: 'github-actions', workflowRun: (e: WorkflowRunEvent) => seen.push(e) };
    const drivers = new Map([['github-actions', driver as unknown as DeployDriver<unknown>]]);
    workflowRunReceiver(drivers)(event);
    expect(seen).toEqual([event]);
    expect(() => workflowRunReceiver(new Map())(event)).not.toThrow();
  });
});
