import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import type { DeployRequest } from '../../src/engine/requests.js';
import { type Harness, startHarness } from '../support/engine-harness.js';

/**
 * Rollbacks go through the same policy as deploys: only a rollback to the previous version is
 * judged by the environment's rollback rule; any other version is a deploy (approvals, freeze),
 * and what a failure goes back to is read when the deployment starts, not when it was asked for.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

const owner = { actor: 'U-DEV1', source: 'chat' as const, channel: 'C-DEPLOYS' };

function request(changes: Partial<DeployRequest>): Promise<{ ok: boolean }> {
  return h.app.engine.request({
    ...owner,
    kind: 'deploy',
    service: 'web',
    environment: 'staging',
    version: null,
    ...changes,
  });
}

async function accepted(promise: Promise<{ ok: boolean }>): Promise<Deployment> {
  const result = (await promise) as { ok: boolean; deployment?: Deployment; reason?: string };
  if (!result.ok || !result.deployment) throw new Error(`refused: ${result.reason}`);
  return result.deployment;
}

/** Deploys each version in turn to `environment`, approving where the environment asks. */
async function history(environment: string, versions: string[]): Promise<void> {
  for (const version of versions) {
    const d = await accepted(request({ environment, version }));
    if (d.state === 'awaiting_approval') {
      await accepted(
        h.app.engine.verdict({
          deploymentId: d.id,
          actor: 'U-QA2',
          channel: 'C-DEPLOYS',
          source: 'chat',
          verdict: 'approve',
        }),
      );
    }
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
  }
}

describe('rollback policy', () => {
  it('a rollback to the previous version in a protected environment needs no approval', async () => {
    h = await startHarness({ ms: 50 });
    await history('production', ['1.0.0', '1.1.0']);
    const d = await accepted(request({ kind: 'rollback', environment: 'production' }));
    expect(d).toMatchObject({ kind: 'rollback', version: '1.0.0', approvalsRequired: 0 });
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
  });

  it('a rollback to a version never live there is a deploy: it waits for approval', async () => {
    h = await startHarness({ ms: 50 });
    await history('production', ['1.0.0', '1.1.0']);
    const result = (await request({
      kind: 'rollback',
      environment: 'production',
      version: '6.7.2',
    })) as { ok: true; deployment: Deployment; notes: string[] };
    expect(result.ok).toBe(true);
    expect(result.deployment).toMatchObject({
      kind: 'deploy',
      version: '6.7.2',
      state: 'awaiting_approval',
      approvalsRequired: 1,
    });
    expect(result.notes.join(' ')).toContain('6.7.2 was never live in production');
  });

  it('a rollback to an older version than the previous one is judged as a deploy', async () => {
    h = await startHarness({ ms: 50 });
    await history('production', ['0.9.0', '1.0.0', '1.1.0']);
    const d = await accepted(
      request({ kind: 'rollback', environment: 'production', version: '0.9.0' }),
    );
    expect(d).toMatchObject({ kind: 'rollback', state: 'awaiting_approval', approvalsRequired: 1 });
    const previous = await accepted(
      request({ kind: 'rollback', environment: 'production', version: '1.0.0' }),
    );
    expect(previous).toMatchObject({ kind: 'rollback', approvalsRequired: 0 });
  });

  it('during a freeze, only the rollback to the previous version goes ahead', async () => {
    h = await startHarness({ ms: 50 });
    // The `frozen` environment is always frozen; U-DEV2 may override, which builds history.
    for (const version of ['1.0.0', '1.1.0']) {
      const d = await accepted(
        request({ actor: 'U-DEV2', environment: 'frozen', version, force: true }),
      );
      expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    }
    const never = await request({ kind: 'rollback', environment: 'frozen', version: '6.7.2' });
    expect(never).toMatchObject({ ok: false, code: 'frozen' });
    expect((never as unknown as { reason: string }).reason).toContain(
      'deploy! web 6.7.2 to frozen',
    );
    const previous = await accepted(request({ kind: 'rollback', environment: 'frozen' }));
    expect(previous).toMatchObject({ version: '1.0.0', kind: 'rollback' });
    // Neither refusal nor acceptance ran anything it should not have: 6.7.2 never started.
    expect(h.runs().some((r) => r.includes(' 6.7.2 '))).toBe(false);
  });

  it('a refused rollback is in the audit trail', async () => {
    h = await startHarness({ ms: 50 });
    await history('frozen', []);
    await request({ kind: 'rollback', environment: 'frozen', version: '6.7.2' });
    const refusals = await h.app.store.listRefusals({ service: 'web' });
    expect(refusals[0]).toMatchObject({
      actor: 'U-DEV1',
      action: 'deploy',
      environment: 'frozen',
      version: '6.7.2',
      code: 'frozen',
    });
  });

  it('a queued deployment rolls back to what was live when it started, not when requested', async () => {
    h = await startHarness({ ms: 600 });
    await history('staging', ['8.0.0']);
    const good = await accepted(request({ version: '9.0.0' }));
    // Requested while 9.0.0 runs: at this moment 8.0.0 is live.
    const bad = await accepted(request({ version: '9.1.0-bad' }));
    expect((await h.waitFinal(good.id)).state).toBe('succeeded');
    const final = await h.waitFinal(bad.id);
    expect(final.state).toBe('rolled_back');
    expect(final.previousVersion).toBe('9.0.0');
    expect(final.outcome).toContain('rolled back to 9.0.0');
    const live = (await h.app.engine.status('web')).find((s) => s.environment === 'staging');
    expect(live?.live?.version).toBe('9.0.0');
  });
});

describe('policy without its facts', () => {
  it('fails a request whose locks cannot be read, and records nothing', async () => {
    h = await startHarness({ ms: 50 });
    await h.app.engine.lock({
      actor: 'U-DEV2',
      source: 'chat',
      channel: 'C-WEB',
      environment: 'staging',
      service: null,
      durationMs: null,
      reason: 'migration',
      force: false,
    });
    // The store answers everything but the locks: a policy that went on without them would
    // let this deploy through the lock.
    const store = h.app.store as { listLocks: typeof h.app.store.listLocks };
    store.listLocks = async () => {
      throw new Error('database is locked');
    };
    await expect(request({ version: '1.0.0' })).rejects.toThrow('database is locked');
    expect(await h.app.store.listDeployments({ service: 'web' })).toEqual([]);
  });
});
