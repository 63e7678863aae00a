import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Json } from './argocd-controller.js';
import { type ArgoCdDouble, startArgoCdDouble } from './argocd-double.js';

let double: ArgoCdDouble;

beforeEach(async () => {
  double = await startArgoCdDouble();
  double.add({ name: 'web', image: 'registry.test/web', version: '1.0.0' });
});
afterEach(() => double.close());

async function api(method: string, path: string, body?: unknown, token = double.token) {
  const response = await fetch(`${double.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const setVersion = (version: string) =>
  api('PATCH', '/api/v1/applications/web', {
    name: 'web',
    patchType: 'merge',
    patch: JSON.stringify({
      spec: { source: { kustomize: { images: [`registry.test/web:${version}`] } } },
    }),
  });

describe('Argo CD double', () => {
  it('refuses requests without the token, with the gateway error shape, and records them', async () => {
    const wrong = await api('GET', '/api/v1/applications/web', undefined, 'nope');
    expect(wrong).toEqual({
      status: 401,
      json: {
        error: expect.stringMatching(/invalid session/),
        code: 16,
        message: expect.any(String),
      },
    });
    expect(double.expectCalled('GET', /applications\/web$/)[0]?.status).toBe(401);
  });

  it('answers 403 for a missing application unless a project is named, as Argo CD does', async () => {
    expect((await api('GET', '/api/v1/applications/nope')).status).toBe(403);
    expect((await api('GET', '/api/v1/applications/nope?projects=default')).status).toBe(404);
    double.deny('sync');
    const denied = await api('POST', '/api/v1/applications/web/sync', { name: 'web' });
    expect(denied.json.message).toMatch(/^permission denied: applications, sync, default\/web/);
  });

  it('runs a sync: Running, then Succeeded with a history entry, then Progressing and Healthy', async () => {
    await setVersion('1.1.0');
    expect(double.app('web').status.sync.status).toBe('OutOfSync');
    const sync = await api('POST', '/api/v1/applications/web/sync', {
      name: 'web',
      prune: false,
      infos: [{ name: 'who', value: 'test' }],
    });
    expect(sync.json.operation.info).toEqual([{ name: 'who', value: 'test' }]);
    const again = await api('POST', '/api/v1/applications/web/sync', { name: 'web' });
    expect(again).toMatchObject({ status: 400, json: { code: 9 } });
    expect(again.json.message).toBe('another operation is already in progress');
    await until(() => double.app('web').status.operationState?.phase === 'Succeeded');
    const done = double.app('web');
    expect(done.operation).toBeUndefined();
    expect(done.status.history.map((h: Json) => h.id)).toEqual([0, 1]);
    expect(done.status.history[1].deployStartedAt).toBe(done.status.operationState.startedAt);
    expect(done.status.sync.status).toBe('Synced');
    await until(() => double.app('web').status.health.status === 'Healthy');
    expect(double.app('web').status.summary.images).toEqual(['registry.test/web:1.1.0']);
  });

  it('degrades or fails the versions it is told to', async () => {
    double.behave('2.0.0', 'fail');
    await setVersion('2.0.0');
    await api('POST', '/api/v1/applications/web/sync', { name: 'web' });
    await until(() => double.app('web').status.operationState?.phase === 'Failed');
    expect(double.app('web').status.operationState.message).toMatch(/failed to apply/);
    expect(double.app('web').status.history).toHaveLength(1);

    double.behave('3.0.0', 'degrade');
    await setVersion('3.0.0');
    await api('POST', '/api/v1/applications/web/sync', { name: 'web' });
    await until(() => double.app('web').status.health.status === 'Degraded');
    expect(double.app('web').status.health.message).toMatch(/progress deadline/);
  });

  it('rolls back to a history entry, and refuses to under automated sync', async () => {
    double.setAutomated('web', true);
    const refused = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 0 });
    expect(refused.json.message).toBe('rollback cannot be initiated when auto-sync is enabled');
    double.setAutomated('web', false);
    const missing = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 7 });
    expect(missing.json.message).toBe('application web does not have deployment with id 7');
    // argocd-server marshals int64 with encoding/json: a number, never a string.
    const asText = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: '0' });
    expect(asText.status).toBe(400);
    expect(double.takeViolations()).toEqual([
      expect.stringMatching(/^request ApplicationService_Rollback .*: body\.id must be integer$/),
    ]);
    const rolled = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 0 });
    expect(rolled.json.operation.sync.source.kustomize.images).toEqual(['registry.test/web:1.0.0']);
  });

  it('reads automated sync as Argo CD 3.1 does: enabled false is off, absent is on', async () => {
    double.setAutomated('web', true, { enabled: false, prune: true, selfHeal: true });
    const off = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 0 });
    expect(off.status).toBe(200);
    await until(() => double.app('web').status.operationState?.phase === 'Succeeded');
    double.setAutomated('web', true, { enabled: true, prune: true });
    const on = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 0 });
    expect(on).toMatchObject({ status: 400, json: { code: 9 } });
  });

  it('turns automated sync off and on by merge patch, annotations included, as the API does', async () => {
    double.setAutomated('web', true, { prune: true, selfHeal: true });
    const patch = (change: Json) =>
      api('PATCH', '/api/v1/applications/web', {
        name: 'web',
        patchType: 'merge',
        patch: JSON.stringify(change),
      });
    const off = await patch({
      metadata: { annotations: { 'example.com/why': 'rollback' }, uid: 'not-changed' },
      spec: { syncPolicy: { automated: null } },
    });
    expect(off.status).toBe(200);
    expect(off.json.spec.syncPolicy).toEqual({});
    expect(off.json.metadata.annotations).toEqual({ 'example.com/why': 'rollback' });
    expect(off.json.metadata.uid).not.toBe('not-changed');
    const rolled = await api('POST', '/api/v1/applications/web/rollback', { name: 'web', id: 0 });
    expect(rolled.status).toBe(200);
    const on = await patch({
      metadata: { annotations: { 'example.com/why': null } },
      spec: { syncPolicy: { automated: { prune: true, selfHeal: true } } },
    });
    expect(on.json.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(on.json.metadata.annotations).toBeUndefined();
    // What Argo CD could not unmarshal, or would drop, is a violation of its description.
    for (const bad of [
      { metadata: { annotations: { n: 1 } } },
      { spec: { syncPolicy: { automated: { prune: 'yes' } } } },
      { spec: { syncPolicy: { automated: { purne: true } } } },
    ]) {
      expect(await patch(bad)).toMatchObject({ status: 400, json: { code: 3 } });
    }
    expect(double.takeViolations()).toEqual([
      expect.stringMatching(/ApplicationService_Patch .*metadata\.annotations\.n must be string$/),
      expect.stringMatching(/syncPolicy\.automated\.prune must be boolean$/),
      expect.stringMatching(/syncPolicy\.automated\.purne is not in the description/),
    ]);
  });

  it('injects 5xx answers, before or after handling the request', async () => {
    double.fail({ method: 'GET', path: /web$/, status: 503, times: 2 });
    expect((await api('GET', '/api/v1/applications/web')).status).toBe(503);
    expect((await api('GET', '/api/v1/applications/web')).status).toBe(503);
    expect((await api('GET', '/api/v1/applications/web')).status).toBe(200);
    double.fail({ method: 'POST', path: /sync$/, status: 502, afterHandling: true });
    await setVersion('1.2.0');
    expect((await api('POST', '/api/v1/applications/web/sync', { name: 'web' })).status).toBe(502);
    expect(double.app('web').operation).toBeDefined();
  });

  it('fails the test that sends what the API description forbids, naming the operation', async () => {
    const typo = await api('POST', '/api/v1/applications/web/sync?dryrun=true', {
      name: 'web',
      purne: true,
      infos: [{ name: 'who', value: 7 }],
    });
    expect(typo).toMatchObject({ status: 400, json: { code: 3 } });
    expect(typo.json.message).toMatch(/body\.purne is not in the description/);
    const plain = await fetch(`${double.url}/api/v1/applications/web/operation`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${double.token}` },
    });
    expect([plain.status, await plain.text()]).toEqual([415, 'Invalid content type\n']);
    const unknown = await fetch(`${double.url}/api/v1/applications/web/nope`);
    expect([unknown.status, await unknown.text()]).toEqual([404, 'Not Found\n']);
    expect(double.violations).toEqual([
      'request ApplicationService_Sync (POST /api/v1/applications/{name}/sync) breaks ' +
        "Argo CD's API description (assets/swagger.json at argo-cd 37ee009, 3.6.0): " +
        'query parameter "dryrun" is not in the description (grpc-gateway ignores it); ' +
        'body.purne is not in the description (argocd-server would drop it silently); ' +
        'body.infos.0.value must be string',
      'DELETE /api/v1/applications/web/operation was sent with Content-Type "": argocd-server answers 415 to anything but application/json (server/server.go, enforceContentTypes)',
      "GET /api/v1/applications/web/nope is no operation of Argo CD's API description",
    ]);
    await expect(double.close()).rejects.toThrow(/ApplicationService_Sync[\s\S]*web\/nope/);
    double.takeViolations();
  });
});
