import { afterEach, describe, expect, it } from 'vitest';
import {
  type Harness,
  scenarioConfig,
  settingsFor,
  startHarness,
  tempDir,
} from '../../test/support/engine-harness.js';
import { createApp } from '../app.js';
import { createLogger } from '../core/logger.js';
import { sleep } from '../core/sleep.js';
import { newDeployment, timeline } from '../store/test-support/fixtures.js';
import { newRefusal } from '../store/test-support/refusal-cases.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('http server', () => {
  it('answers probes and serves filterable deployment history', async () => {
    h = await startHarness();
    const port = await h.app.http.listen(0, '127.0.0.1');
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get(port, '/readyz')).status).toBe(200);

    const caller = { actor: 'U-DEV1', source: 'api' as const, channel: null };
    for (const [service, version] of [
      ['web', '1.0.0'],
      ['api', '2.0.0'],
      ['web', '1.0.1'],
    ] as const) {
      const r = await h.app.engine.request({
        ...caller,
        kind: 'deploy',
        service,
        environment: 'staging',
        version,
      });
      if (!r.ok) throw new Error(r.reason);
      await h.waitFinal(r.deployment.id);
    }
    const all = await get(port, '/api/deployments');
    expect(all.status).toBe(200);
    expect((all.body.deployments as unknown[]).length).toBe(3);
    const web = await get(port, '/api/deployments?service=web&state=succeeded,failed&limit=1');
    const list = web.body.deployments as { version: string; service: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ service: 'web', version: '1.0.1' });
    expect(web.body.next).toMatch(/^before=/);
    const older = await get(port, `/api/deployments?service=web&${String(web.body.next)}`);
    expect((older.body.deployments as { version: string }[]).map((d) => d.version)).toEqual([
      '1.0.0',
    ]);

    const id = (all.body.deployments as { id: string }[])[0]?.id ?? '';
    const details = await get(port, `/api/deployments/${id}`);
    expect(details.status).toBe(200);
    expect((details.body.transitions as unknown[]).length).toBeGreaterThanOrEqual(5);
    expect((await get(port, '/api/deployments/d-nope')).status).toBe(404);
  });

  it('serves refused requests, filtered and paged, and beside the deployment they named', async () => {
    h = await startHarness({ start: false });
    const port = await h.app.http.listen(0, '127.0.0.1');
    const store = h.app.store;
    const { deployment } = await store.createDeployment(
      newDeployment({ service: 'web', environment: 'production' }),
      'awaiting_approval',
      { actor: 'U-DEV1' },
    );
    const at = timeline();
    const frozen = newRefusal({
      at: at(0),
      actor: 'U-DEV1',
      service: 'web',
      environment: 'frozen',
    });
    const notDeployer = newRefusal({
      at: at(1000),
      actor: 'U-QA2',
      service: 'api',
      environment: 'perf',
      code: 'not_deployer',
    });
    const selfApproval = newRefusal({
      at: at(2000),
      actor: 'U-DEV1',
      action: 'approve',
      service: 'web',
      environment: 'production',
      deploymentId: deployment.id,
      code: 'self_approval',
      reason: 'You requested this deployment: someone else must approve it.',
    });
    for (const r of [frozen, notDeployer, selfApproval]) await store.recordRefusal(r);
    const ids = (body: Record<string, unknown>) =>
      (body.refusals as { id: string }[]).map((r) => r.id);

    const all = await get(port, '/api/refusals');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([selfApproval.id, notDeployer.id, frozen.id]);
    expect((all.body.refusals as unknown[])[0]).toEqual({
      ...selfApproval,
      at: selfApproval.at.toISOString(),
    });
    expect(all.body.next).toBeNull();
    expect(ids((await get(port, '/api/refusals?service=web')).body)).toEqual([
      selfApproval.id,
      frozen.id,
    ]);
    expect(ids((await get(port, '/api/refusals?environment=perf')).body)).toEqual([notDeployer.id]);
    expect(ids((await get(port, '/api/refusals?actor=U-DEV1&service=web')).body)).toEqual([
      selfApproval.id,
      frozen.id,
    ]);
    const first = await get(port, '/api/refusals?limit=2');
    expect(ids(first.body)).toEqual([selfApproval.id, notDeployer.id]);
    expect(first.body.next).toBe(`before=${encodeURIComponent(notDeployer.at.toISOString())}`);
    expect(ids((await get(port, `/api/refusals?limit=2&${first.body.next}`)).body)).toEqual([
      frozen.id,
    ]);

    const details = await get(port, `/api/deployments/${deployment.id}`);
    expect(details.status).toBe(200);
    expect(ids(details.body)).toEqual([selfApproval.id]);
    const bad = await get(port, '/api/refusals?who=me&before=yesterday');
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain('before');
  });

  it('names people: a people object for the ids in an answer, names in its sentences', async () => {
    h = await startHarness({ start: false });
    const port = await h.app.http.listen(0, '127.0.0.1');
    const store = h.app.store;
    const { deployment } = await store.createDeployment(
      newDeployment({ service: 'web', environment: 'production', requestedBy: 'U0API0001' }),
      'awaiting_approval',
      { actor: 'U0API0001' },
    );
    const refusal = newRefusal({
      actor: 'U0WEB0001',
      action: 'approve',
      deploymentId: deployment.id,
      code: 'not_approver',
      reason: 'U0WEB0001 may not approve; ask U0API0001 or U0QA00001.',
    });
    await store.recordRefusal(refusal);
    await store.rememberPeople([
      { id: 'U0API0001', name: 'Ana Lima', refreshedAt: new Date() },
      { id: 'U0WEB0001', name: 'Ben Okafor', refreshedAt: new Date() },
    ]);
    const people = { U0API0001: 'Ana Lima', U0WEB0001: 'Ben Okafor' };

    const list = await get(port, '/api/deployments');
    expect(list.body.people).toEqual({ U0API0001: 'Ana Lima' });
    expect(list.body.deployments).toEqual([
      expect.objectContaining({ id: deployment.id, requestedBy: 'U0API0001' }),
    ]);

    const refusals = await get(port, '/api/refusals');
    expect(refusals.body.people).toEqual(people);
    // The person fields keep the id; the sentence names people, and an unknown id stays.
    expect(refusals.body.refusals).toEqual([
      {
        ...refusal,
        at: refusal.at.toISOString(),
        reason: 'Ben Okafor may not approve; ask Ana Lima or U0QA00001.',
      },
    ]);

    const details = await get(port, `/api/deployments/${deployment.id}`);
    expect(details.body.people).toEqual(people);
    expect(details.body.deployment).toMatchObject({ requestedBy: 'U0API0001' });
    expect(details.body.transitions).toEqual([
      expect.objectContaining({ actor: 'U0API0001', at: expect.any(String) }),
    ]);
    expect((details.body.refusals as { reason: string }[])[0]?.reason).toContain('Ben Okafor');

    // Nobody named, or nobody known: an empty people object.
    await store.createDeployment(
      newDeployment({ service: 'api', environment: 'staging', requestedBy: 'operator' }),
      'queued',
      { actor: 'operator' },
    );
    expect((await get(port, '/api/deployments?service=api')).body.people).toEqual({});
  });

  it('explains a bad query instead of guessing', async () => {
    h = await startHarness({ start: false });
    const port = await h.app.http.listen(0, '127.0.0.1');
    const bad = await get(port, '/api/deployments?state=exploded&limit=9999');
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain('state');
    expect(String(bad.body.message)).toContain('limit');
    expect((await get(port, '/nowhere')).status).toBe(404);
    const wrongMethod = await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
  });

  it('requires the API token when one is configured, and goes unready while draining', async () => {
    const dir = tempDir();
    const app = await createApp({
      config: scenarioConfig(dir),
      settings: { ...settingsFor(dir), apiToken: 'sekret-token' },
      log: createLogger({ level: 'silent' }),
    });
    try {
      const port = await app.http.listen(0, '127.0.0.1');
      expect((await get(port, '/api/deployments')).status).toBe(401);
      expect(
        (await get(port, '/api/deployments', { authorization: 'Bearer wrong-token!' })).status,
      ).toBe(401);
      expect(
        (await get(port, '/api/deployments', { authorization: 'Bearer sekret-token' })).status,
      ).toBe(200);
      expect((await get(port, '/healthz')).status).toBe(200);
      app.http.setDraining();
      const readyz = await get(port, '/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body.checks).toMatchObject({ shutdown: 'draining' });
    } finally {
      await app.stop();
    }
  });

  it('is not ready until migrations are applied', async () => {
    const dir = tempDir();
    const app = await createApp({
      config: scenarioConfig(dir),
      settings: settingsFor(dir),
      log: createLogger({ level: 'silent' }),
      migrate: false,
    });
    try {
      const port = await app.http.listen(0, '127.0.0.1');
      const before = await get(port, '/readyz');
      expect(before.status).toBe(503);
      expect(JSON.stringify(before.body.checks)).toContain('slipway db migrate');
      await app.store.migrate();
      // Readiness is looked up at most once a second (readiness.ts).
      await sleep(1_100);
      expect((await get(port, '/readyz')).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
