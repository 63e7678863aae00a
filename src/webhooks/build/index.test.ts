import { afterEach, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from './index.js';
import {
  buildBody,
  type HookServer,
  post,
  SECRET,
  signed,
  startHookServer,
} from './test-support/hook-server.js';

/**
 * The route over real HTTP, in front of the real engine and SQLite store. The engine's workers
 * are not started: what is checked here is what the hook answers and records.
 */
let s: HookServer | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

const feature = {
  service: 'web',
  image: 'registry.test/web:3f2a9c1',
  type: 'branch',
  target: 'feature/login',
  commit: '3f2a9c1d',
  url: 'https://ci.test/runs/42',
};

async function recorded(server: HookServer) {
  return server.app.store.listDeployments({ limit: 500 });
}

describe('POST /hooks/build: refusals', () => {
  it('refuses every build with 503 while SLIPWAY_WEBHOOK_SECRET is not set', async () => {
    s = await startHookServer({ secret: undefined });
    const body = buildBody(feature);
    for (const headers of [signed(body, ''), {}, { authorization: 'Bearer ' }]) {
      const answer = await s.post(body, headers);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: 'not_configured' });
      expect(answer.body.message).toContain('set SLIPWAY_WEBHOOK_SECRET');
    }
    expect(await recorded(s)).toEqual([]);
  });

  it('refuses a missing signature, a bad one and a wrong bearer token with 401 and why', async () => {
    s = await startHookServer();
    const body = buildBody(feature);
    const missing = await s.post(body, {});
    expect(missing.status).toBe(401);
    expect(missing.body.message).toContain('X-Slipway-Signature: sha256=');
    const forged = await s.post(body, signed(body, 'guessed'));
    expect(forged).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(forged.body.message).toContain('does not match the body');
    // A signature of another body does not carry over to this one.
    const tampered = await s.post(body.replace('feature/login', 'feature/evil'), signed(body));
    expect(tampered.status).toBe(401);
    const bearer = await s.post(body, { authorization: 'Bearer guessed' });
    expect(bearer).toMatchObject({
      status: 401,
      body: { message: 'The bearer token is not SLIPWAY_WEBHOOK_SECRET.' },
    });
    expect(await recorded(s)).toEqual([]);
  });

  it('refuses a body over 64 KiB with 413, declared or streamed', async () => {
    s = await startHookServer();
    const big = JSON.stringify({ ...feature, padding: 'x'.repeat(BODY_LIMIT) });
    const declared = await s.post(big);
    expect(declared).toMatchObject({ status: 413, body: { error: 'too_large' } });
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(s.url, {
      method: 'POST',
      body: stream,
      // Well-formed, so that only the body's size can refuse it before the body is read.
      headers: {
        'content-type': 'application/json',
        'x-slipway-signature': `sha256=${'0'.repeat(64)}`,
      },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'too_large' });
    // Just under the limit is read, and then judged on its signature.
    const under = 'x'.repeat(BODY_LIMIT);
    expect((await s.post(under, {})).status).toBe(401);
  });

  it('refuses malformed JSON and unknown media types', async () => {
    s = await startHookServer();
    const broken = '{"service":"web",';
    const json = await s.post(broken);
    expect(json).toMatchObject({ status: 400, body: { error: 'malformed_json' } });
    const text = await post(s.url, 'service=web', {
      ...signed('service=web'),
      'content-type': 'text/plain',
    });
    expect(text).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
  });

  it('refuses missing fields, listing them', async () => {
    s = await startHookServer();
    // Fields that look like the hook's own refusals are just unknown fields.
    const lookalike = await s.post(JSON.stringify({ refused: true, status: 202, error: 'x' }));
    expect(lookalike).toMatchObject({ status: 400, body: { error: 'invalid_build' } });
    const body = buildBody({ service: 'web' });
    const answer = await s.post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_build');
    expect(answer.body.message).toContain('type is missing');
    expect(answer.body.message).toContain('target is missing');
    expect(answer.body.message).toContain('image is missing');
  });

  it('answers an unknown service with 404 and the nearest name', async () => {
    s = await startHookServer();
    const answer = await s.post(buildBody({ ...feature, service: 'wbe' }));
    expect(answer).toMatchObject({
      status: 404,
      body: { error: 'unknown_service', suggestion: 'Did you mean web?' },
    });
  });

  it('refuses a bad version or ref, and an image of another service', async () => {
    s = await startHookServer();
    const version = await s.post(
      buildBody({ ...feature, image: 'registry.test/web:--upload-pack=x' }),
    );
    expect(version).toMatchObject({ status: 400, body: { error: 'invalid_version' } });
    const ref = await s.post(buildBody({ ...feature, target: 'feature/$(reboot)' }));
    expect(ref).toMatchObject({ status: 400, body: { error: 'invalid_ref' } });
    const image = await s.post(buildBody({ ...feature, image: 'registry.test/api:3f2a9c1' }));
    expect(image).toMatchObject({ status: 400, body: { error: 'image_mismatch' } });
    expect(await recorded(s)).toEqual([]);
  });

  it('refuses a stale timestamp with 401 after checking the signature', async () => {
    const now = new Date('2025-06-02T10:00:00Z');
    s = await startHookServer({ now: () => now });
    const old = JSON.stringify({ ...feature, timestamp: now.getTime() / 1000 - 600 });
    const answer = await s.post(old);
    expect(answer).toMatchObject({ status: 401, body: { error: 'stale' } });
    expect(answer.body.message).toContain('10 minutes old');
    // Unsigned, the same body learns nothing about its timestamp.
    expect((await s.post(old, {})).body.error).toBe('unauthorized');
  });
});

describe('POST /hooks/build: deploying', () => {
  it('records a branch build as a deployment to preview, requested by the CI identity', async () => {
    s = await startHookServer();
    const answer = await s.post(buildBody(feature));
    expect(answer.status).toBe(202);
    const deployments = answer.body.deployments as { id: string }[];
    expect(answer.body).toMatchObject({
      service: 'web',
      version: '3f2a9c1',
      ref: { type: 'branch', name: 'feature/login' },
      deployments: [{ environment: 'preview', state: 'queued', replayed: false }],
      refused: [],
    });
    const [d] = await recorded(s);
    expect(d).toMatchObject({
      id: deployments[0]?.id,
      service: 'web',
      environment: 'preview',
      version: '3f2a9c1',
      ref: { type: 'branch', name: 'feature/login' },
      requestedBy: 'ci',
      source: 'webhook',
      channel: null,
      reason: 'build 3f2a9c1d from https://ci.test/runs/42',
    });
    expect(d?.idempotencyKey).toMatch(/^build:[0-9a-f]{64}:preview$/);
    expect(d?.committedAt).toBeUndefined();
  });

  it('keeps the commit time CI sent on the deployment, where lead time starts', async () => {
    s = await startHookServer();
    const committedAt = '2025-06-02T08:30:00.250Z';
    const answer = await s.post(buildBody({ ...feature, committedAt }));
    expect(answer.status).toBe(202);
    const [d] = await recorded(s);
    expect(d?.committedAt).toEqual(new Date(committedAt));
    expect((await s.app.store.getDeployment(d?.id ?? ''))?.committedAt).toEqual(
      new Date(committedAt),
    );
  });

  it('accepts form fields and a bearer token', async () => {
    s = await startHookServer();
    const form = new URLSearchParams({
      project: 'api',
      image: 'registry.test/api:v2.0.0',
      type: 'tag',
      target: 'v2.0.0',
      commit: '',
    }).toString();
    const answer = await post(s.url, form, {
      authorization: `Bearer ${SECRET}`,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(answer).toMatchObject({
      status: 202,
      body: { service: 'api', deployments: [{ environment: 'staging', state: 'queued' }] },
    });
    expect((await recorded(s))[0]?.reason).toBe('build v2.0.0 of tag v2.0.0');
  });

  it('answers a replayed body with 409 naming what it created, and never deploys twice', async () => {
    s = await startHookServer();
    const body = buildBody(feature);
    const first = await s.post(body);
    expect(first.status).toBe(202);
    const id = (first.body.deployments as { id: string }[])[0]?.id;
    const again = await s.post(body);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      error: 'replayed',
      deployments: [{ id, environment: 'preview', replayed: true }],
    });
    expect(again.body.message).toContain(String(id));
    expect(await recorded(s)).toHaveLength(1);
  });

  it('lets exactly one of many identical bodies sent at once through', async () => {
    s = await startHookServer();
    const server = s;
    const body = buildBody(feature);
    const answers = await Promise.all(Array.from({ length: 20 }, () => server.post(body)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((x) => x === 202)).toHaveLength(1);
    expect(statuses.filter((x) => x === 409)).toHaveLength(19);
    expect(await recorded(s)).toHaveLength(1);
  });

  it('creates each environment of a build once when copies race, and says which copy did', async () => {
    s = await startHookServer();
    const server = s;
    // main of web goes to preview and staging: copies may each win one of the two.
    const body = buildBody({ ...feature, target: 'main' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => server.post(body)));
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    const fresh = answers.flatMap((a) =>
      (a.body.deployments as { id: string; replayed: boolean }[])
        .filter((d) => !d.replayed)
        .map((d) => d.id),
    );
    const all = await recorded(s);
    expect(all.map((d) => d.environment).sort()).toEqual(['preview', 'staging']);
    expect(fresh.sort()).toEqual(all.map((d) => d.id).sort());
  });

  it('answers 202 with nothing deployed when no rule matches', async () => {
    s = await startHookServer();
    const answer = await s.post(buildBody({ ...feature, target: 'experiment' }));
    expect(answer).toEqual({
      status: 202,
      body: {
        service: 'web',
        version: '3f2a9c1',
        ref: { type: 'branch', name: 'experiment' },
        deployments: [],
        message: 'no autoDeploy rule matches branch experiment; nothing deployed',
      },
    });
    expect(await recorded(s)).toEqual([]);
  });

  it('returns a policy refusal with its reason and still deploys the other environments', async () => {
    s = await startHookServer();
    const lock = await s.app.engine.lock({
      actor: 'U-DEV1',
      source: 'cli',
      channel: null,
      environment: 'staging',
      service: null,
      durationMs: null,
      reason: 'migrating the database',
      force: false,
    });
    expect(lock.ok).toBe(true);
    const tag = await s.post(buildBody({ ...feature, type: 'tag', target: 'v1.0.0' }));
    expect(tag.status).toBe(403);
    expect(tag.body).toMatchObject({
      error: 'locked',
      deployments: [],
      refused: [{ environment: 'staging', code: 'locked' }],
    });
    expect(tag.body.message).toContain('migrating the database');

    const main = await s.post(buildBody({ ...feature, target: 'main' }));
    expect(main.status).toBe(202);
    expect(main.body).toMatchObject({
      deployments: [{ environment: 'preview', state: 'queued' }],
      refused: [{ environment: 'staging', code: 'locked' }],
    });
    expect((await recorded(s)).map((d) => d.environment)).toEqual(['preview']);
  });

  it('leaves a build for a protected environment waiting for its approvals', async () => {
    s = await startHookServer();
    const answer = await s.post(buildBody({ ...feature, type: 'tag', target: 'release-7' }));
    expect(answer).toMatchObject({
      status: 202,
      body: { deployments: [{ environment: 'production', state: 'awaiting_approval' }] },
    });
  });
});
