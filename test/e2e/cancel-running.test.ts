import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
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
