import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { apiActionRoutes } from '../../src/http/api-actions.js';
import { createHttpServer } from '../../src/http/server.js';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { eventually } from '../support/slack-harness.js';

/**
 * Cancelling a running deployment: the cancel is written first (running → rolling_back), then
 * the process running it stops the driver's work and rolls the target back to what was live.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

const dev = { actor: 'U-DEV1', source: 'cli' as const, channel: null };

async function accepted(promise: Promise<{ ok: boolean }>): Promise<Deployment> {
  const result = (await promise) as { ok: boolean; deployment?: Deployment; reason?: string };
  if (!result.ok || !result.deployment) throw new Error(`refused: ${result.reason}`);
  return result.deployment;
}

function deploy(version: string) {
  return h.app.engine.request({
    ...dev,
    kind: 'deploy',
    service: 'web',
    environment: 'staging',
    version,
  });
}

describe('cancel a running deployment', () => {
  it('stops the driver and rolls back to the version live before', async () => {
    h = await startHarness({ ms: 4_000 });
    const first = await accepted(deploy('1.0.0'));
    expect((await h.waitFinal(first.id, 30_000)).state).toBe('succeeded');
    const second = await accepted(deploy('2.0.0'));
    await eventually(async () => {
      const runs = h.runs().filter((r) => r.startsWith(`start ${second.id} deploy`));
      return runs.length === 1 ? runs : undefined;
    }, 15_000);

    // Someone without the right is refused, and the refusal is in the audit trail.
    const outsider = await h.app.engine.cancel({
      actor: 'U-OUTSIDER',
      source: 'cli',
      channel: null,
      deploymentId: second.id,
    });
    expect(outsider).toMatchObject({ ok: false, code: 'not_requester' });
    expect((await h.app.store.getDeployment(second.id))?.state).toBe('running');
    const refusals = await h.app.store.listRefusals({ deploymentId: second.id });
    expect(refusals.map((r) => [r.actor, r.action, r.code])).toEqual([
      ['U-OUTSIDER', 'cancel', 'not_requester'],
    ]);

    const cancelled = await accepted(
      h.app.engine.cancel({ ...dev, deploymentId: second.id, reason: 'wrong build' }),
    );
    expect(cancelled.state).toBe('rolling_back');
    const final = await h.waitFinal(second.id, 30_000);
    expect(final.state).toBe('rolled_back');
    expect(final.outcome).toContain('rolled back to 1.0.0 after: cancelled by U-DEV1: wrong build');
    // The deploy program was stopped before it finished (the one `done` is the rollback's),
    // and the rollback ran 1.0.0 again.
    const runs = h.runs();
    expect(runs.filter((r) => r.startsWith(`done ${second.id}`))).toHaveLength(1);
    expect(runs.filter((r) => r.startsWith(`start ${second.id} rollback`))).toHaveLength(1);
    const live = (await h.app.engine.status('web')).find((s) => s.environment === 'staging');
    expect(live?.live?.version).toBe('1.0.0');
    const transitions = await h.app.store.listTransitions(second.id);
    expect(transitions.map((t) => t.to)).toEqual([
      'requested',
      'queued',
      'running',
      'rolling_back',
      'rolled_back',
    ]);
    expect(transitions[3]).toMatchObject({ actor: 'U-DEV1' });
  });

  it('refuses to cancel a deployment that has ended', async () => {
    h = await startHarness({ ms: 50 });
    const d = await accepted(deploy('1.0.0'));
    await h.waitFinal(d.id);
    const again = await h.app.engine.cancel({ ...dev, deploymentId: d.id });
    expect(again).toMatchObject({ ok: false, code: 'not_cancellable' });
  });
});

describe('cancel and retry through the API', () => {
  it('needs the API token even from this machine, and acts as the operator', async () => {
    h = await startHarness({ ms: 4_000 });
    const log = createLogger({ level: 'silent' });
    const serve = async (apiToken: string | undefined) => {
      const http = createHttpServer({
        engine: h.app.engine,
        store: h.app.store,
        log,
        apiToken,
        routes: apiActionRoutes({
          engine: h.app.engine,
          operator: 'operator',
          apiToken,
          people: h.app.store,
        }),
      });
      const port = await http.listen(0, '127.0.0.1');
      return { http, base: `http://127.0.0.1:${port}` };
    };
    const d = await accepted(deploy('1.0.0'));
    await eventually(() => h.runs().some((r) => r.startsWith(`start ${d.id} deploy`)), 15_000);

    const open = await serve(undefined);
    const refused = await fetch(`${open.base}/api/deployments/${d.id}/cancel`, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('SLIPWAY_API_TOKEN');
    await open.http.close();
    expect((await h.app.store.getDeployment(d.id))?.state).toBe('running');

    const { http, base } = await serve('s3cret');
    const post = (path: string, body?: string, token = 's3cret') =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
    expect((await post(`/api/deployments/${d.id}/cancel`, '{}', 'wrong')).status).toBe(401);
    expect((await post(`/api/deployments/${d.id}/cancel`, '{"reason": 5}')).status).toBe(400);
    expect((await post('/api/deployments/d-nope/cancel')).status).toBe(404);
    const cancelled = await post(`/api/deployments/${d.id}/cancel`, '{"reason":"bad config"}');
    expect(cancelled.status).toBe(200);
    const final = await h.waitFinal(d.id, 30_000);
    // Nothing was live before 1.0.0, so there is nothing to roll back to, and it says so.
    expect(final.state).toBe('failed');
    expect(final.outcome).toBe(
      'cancelled by operator: bad config; nothing was live before it, so there is nothing to roll back to: check web in staging by hand',
    );
    const again = await post(`/api/deployments/${d.id}/cancel`);
    expect(again.status).toBe(409);
    const retried = await post(`/api/deployments/${d.id}/retry`);
    expect(retried.status).toBe(201);
    const retry = ((await retried.json()) as { deployment: Deployment }).deployment;
    expect(retry).toMatchObject({ version: '1.0.0', requestedBy: 'operator', source: 'api' });
    await http.close();
  });
});
