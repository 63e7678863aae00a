import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import { type Harness, startHarness } from '../support/engine-harness.js';

/**
 * Engine scenarios through the real `command` driver: every deployment runs a child process
 * that records its runs, so "ran once" and "never overlapped" are read from what happened.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

const dev = { actor: 'U-DEV1', source: 'chat' as const, channel: 'C-WEB' };

async function accepted(promise: Promise<{ ok: boolean }>): Promise<Deployment> {
  const result = (await promise) as { ok: boolean; deployment?: Deployment; reason?: string };
  if (!result.ok || !result.deployment) throw new Error(`refused: ${result.reason}`);
  return result.deployment;
}

/** A deploy request from U-DEV1 in #web, the common case of these scenarios. */
function deploy(service: string, environment: string, version: string) {
  if (!h) throw new Error('no harness');
  return h.app.engine.request({ ...dev, kind: 'deploy', service, environment, version });
}

/** When the fake deploy program recorded `event` for deployment `id` (ms), from runs.log. */
function runAt(runs: string[], event: 'start' | 'done', id: string): number {
  return Number(
    runs
      .find((r) => r.startsWith(`${event} ${id}`))
      ?.split(' ')
      .at(-1),
  );
}

function states(transitions: { to: string }[]): string[] {
  return transitions.map((t) => t.to);
}

describe('engine scenarios (command driver, SQLite)', () => {
  it('runs a deployment through its lifecycle and records every transition', async () => {
    h = await startHarness();
    const d = await accepted(deploy('web', 'staging', '1.4.2'));
    const final = await h.waitFinal(d.id);
    expect(final.state).toBe('succeeded');
    expect(final.outcome).toContain('1.4.2');
    const details = await h.app.engine.details(d.id);
    expect(states(details?.transitions ?? [])).toEqual([
      'requested',
      'queued',
      'running',
      'verifying',
      'succeeded',
    ]);
    expect(details?.transitions.every((t) => t.correlationId === d.correlationId)).toBe(true);
    expect(h.runs().filter((r) => r.startsWith('start'))).toHaveLength(1);
    const status = await h.app.engine.status('web');
    expect(status.find((s) => s.environment === 'staging')?.live?.version).toBe('1.4.2');
  });

  it('queues requests for a busy target, supersedes stale ones, and never overlaps runs', async () => {
    h = await startHarness({ ms: 600 });
    const first = await accepted(deploy('web', 'staging', '1.0.0'));
    await waitState(h, first.id, 'running');
    const second = await accepted(deploy('web', 'staging', '1.0.1'));
    const third = await accepted(deploy('web', 'staging', '1.0.2'));
    expect(second.state).toBe('queued');
    // Another target is not blocked by the busy one.
    const other = await accepted(
      h.app.engine.request({
        ...dev,
        actor: 'U-DEV2',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        version: '9.0.0',
      }),
    );

    expect((await h.waitFinal(first.id)).state).toBe('succeeded');
    expect((await h.waitFinal(third.id)).state).toBe('succeeded');
    expect((await h.waitFinal(other.id)).state).toBe('succeeded');
    const superseded = await h.waitFinal(second.id);
    expect(superseded.state).toBe('superseded');
    expect(superseded.outcome).toContain(third.id);

    const runs = h.runs();
    expect(runs.some((r) => r.includes(second.id))).toBe(false);
    expect(runAt(runs, 'start', third.id)).toBeGreaterThanOrEqual(runAt(runs, 'done', first.id));
  });

  it('runs no more deployments at once than engine.concurrency, queueing the rest', async () => {
    h = await startHarness({ ms: 500, concurrency: 1 });
    const web = await accepted(deploy('web', 'staging', '2.0.0'));
    const api = await accepted(deploy('api', 'staging', '2.0.0'));
    expect((await h.waitFinal(web.id)).state).toBe('succeeded');
    expect((await h.waitFinal(api.id)).state).toBe('succeeded');
    const at = (event: 'start' | 'done', id: string) => runAt(h.runs(), event, id);
    const [first, second] = at('start', web.id) < at('start', api.id) ? [web, api] : [api, web];
    // Different targets, so only the concurrency bound kept the second from starting at once.
    expect(at('start', second.id)).toBeGreaterThanOrEqual(at('done', first.id));
  });

  it('starts a request for a free target in the transaction that records it, within engine.concurrency', async () => {
    h = await startHarness({ ms: 500, concurrency: 1 });
    const web = await accepted(deploy('web', 'staging', '3.0.0'));
    // Running when answered: no claim came between its record and its run.
    expect(web.state).toBe('running');
    expect(web.leaseOwner).toBeTruthy();
    expect(states((await h.app.engine.details(web.id))?.transitions ?? [])).toEqual([
      'requested',
      'queued',
      'running',
    ]);
    // The only slot is taken: a request for another free target waits for it.
    const api = await accepted(deploy('api', 'staging', '3.0.0'));
    expect(api.state).toBe('queued');
    expect((await h.waitFinal(web.id)).state).toBe('succeeded');
    expect((await h.waitFinal(api.id)).state).toBe('succeeded');
    expect(runAt(h.runs(), 'start', api.id)).toBeGreaterThanOrEqual(
      runAt(h.runs(), 'done', web.id),
    );
    expect(h.runs().filter((r) => r.startsWith('start'))).toHaveLength(2);
    // A process taking no new work (shutting down) starts nothing on accept either.
    h.app.engine.pause();
    expect((await accepted(deploy('web', 'staging', '3.0.1'))).state).toBe('queued');
  });

  it('refuses a request for a busy target when the environment says reject', async () => {
    h = await startHarness({ ms: 800 });
    const first = await accepted(deploy('web', 'perf', '2.0.0'));
    const refused = await deploy('web', 'perf', '2.0.1');
    expect(refused).toMatchObject({ ok: false, code: 'busy' });
    expect(!refused.ok && refused.reason).toContain(first.id);
    expect((await h.waitFinal(first.id)).state).toBe('succeeded');
    const after = await deploy('web', 'perf', '2.0.1');
    expect(after.ok).toBe(true);
  });

  it('honours locks, refuses others, and lets only those allowed take one over', async () => {
    h = await startHarness();
    const lock = await h.app.engine.lock({
      ...dev,
      actor: 'U-DEV2',
      environment: 'staging',
      service: null,
      durationMs: 3_600_000,
      reason: 'testing the migration',
      force: false,
    });
    expect(lock.ok).toBe(true);
    const blocked = await deploy('web', 'staging', '1.0.0');
    expect(blocked.ok).toBe(false);
    expect(!blocked.ok && blocked.reason).toContain('U-DEV2');
    expect(!blocked.ok && blocked.reason).toContain('testing the migration');

    const steal = await h.app.engine.lock({
      ...dev,
      environment: 'staging',
      service: null,
      durationMs: null,
      reason: 'mine now',
      force: true,
    });
    expect(steal.ok).toBe(false);
    const unlockOther = await h.app.engine.unlock({
      ...dev,
      environment: 'staging',
      service: null,
      force: false,
    });
    expect(unlockOther.ok).toBe(false);

    const takeover = await h.app.engine.lock({
      actor: 'U-SRE',
      source: 'chat',
      channel: 'C-OPS',
      environment: 'staging',
      service: null,
      durationMs: null,
      reason: 'incident',
      force: true,
    });
    expect(takeover).toMatchObject({ ok: true, replaced: { owner: 'U-DEV2' } });
    const ownDeploy = await accepted(
      h.app.engine.request({
        actor: 'U-SRE',
        source: 'chat',
        channel: 'C-OPS',
        kind: 'deploy',
        service: 'web',
        environment: 'staging',
        version: '1.0.1',
      }),
    );
    expect((await h.waitFinal(ownDeploy.id)).state).toBe('succeeded');
    expect(
      (
        await h.app.engine.unlock({
          actor: 'U-SRE',
          source: 'chat',
          channel: 'C-OPS',
          environment: 'staging',
          service: null,
          force: false,
        })
      ).ok,
    ).toBe(true);
    const free = await deploy('web', 'staging', '1.0.2');
    expect(free.ok).toBe(true);
  });

  it('enforces four-eyes approval and the channel rule for production', async () => {
    h = await startHarness();
    const wrongChannel = await h.app.engine.request({
      ...dev,
      channel: 'C-RANDOM',
      kind: 'deploy',
      service: 'web',
      environment: 'production',
      version: '3.0.0',
    });
    expect(wrongChannel).toMatchObject({ ok: false });
    expect(!wrongChannel.ok && wrongChannel.reason).toContain('C-DEPLOYS');

    const asQa = { actor: 'U-QA1', source: 'chat' as const, channel: 'C-DEPLOYS' };
    const d = await accepted(
      h.app.engine.request({
        ...asQa,
        kind: 'deploy',
        service: 'web',
        environment: 'production',
        version: '3.0.0',
      }),
    );
    expect(d.state).toBe('awaiting_approval');
    const self = await h.app.engine.verdict({ ...asQa, deploymentId: d.id, verdict: 'approve' });
    expect(self).toMatchObject({ ok: false, code: 'self_approval' });
    expect(!self.ok && self.reason).toContain('four-eyes');
    const notQa = await h.app.engine.verdict({ ...dev, deploymentId: d.id, verdict: 'approve' });
    expect(notQa.ok).toBe(false);
    expect((await h.app.engine.details(d.id))?.deployment.state).toBe('awaiting_approval');

    const approved = await h.app.engine.verdict({
      actor: 'U-QA2',
      source: 'chat',
      channel: 'D-QA2',
      deploymentId: d.id,
      verdict: 'approve',
    });
    expect(approved).toMatchObject({ ok: true, approvals: 1, required: 1 });
    const again = await h.app.engine.verdict({
      actor: 'U-QA2',
      source: 'chat',
      channel: 'D-QA2',
      deploymentId: d.id,
      verdict: 'approve',
    });
    expect(again.ok).toBe(false);
    expect((await h.waitFinal(d.id)).state).toBe('succeeded');
    expect(h.runs().filter((r) => r.startsWith(`start ${d.id}`))).toHaveLength(1);
  });

  it('lets a rejection cancel a deployment before it runs', async () => {
    h = await startHarness();
    const d = await accepted(
      h.app.engine.request({
        actor: 'U-DEV1',
        source: 'chat',
        channel: 'C-DEPLOYS',
        kind: 'deploy',
        service: 'web',
        environment: 'production',
        version: '3.1.0',
      }),
    );
    const rejected = await h.app.engine.verdict({
      actor: 'U-QA1',
      source: 'chat',
      channel: 'D',
      deploymentId: d.id,
      verdict: 'reject',
      comment: 'login broken',
    });
    expect(rejected.ok).toBe(true);
    const final = await h.waitFinal(d.id);
    expect(final).toMatchObject({ state: 'cancelled' });
    expect(final.outcome).toContain('login broken');
    expect(h.runs()).toEqual([]);
  });

  it('refuses a deploy during a freeze and records an allowed override', async () => {
    h = await startHarness();
    const frozen = await deploy('web', 'frozen', '4.0.0');
    expect(frozen).toMatchObject({ ok: false });
    expect(!frozen.ok && frozen.reason).toContain('release freeze');
    const notAllowed = await h.app.engine.request({
      ...dev,
      kind: 'deploy',
      service: 'web',
      environment: 'frozen',
      version: '4.0.0',
      force: true,
    });
    expect(notAllowed.ok).toBe(false);
    const override = await accepted(
      h.app.engine.request({
        ...dev,
        actor: 'U-DEV2',
        kind: 'deploy',
        service: 'web',
        environment: 'frozen',
        version: '4.0.0',
        force: true,
        reason: 'hotfix INC-7',
      }),
    );
    expect(override.freezeOverride).toBe(true);
    expect(override.reason).toBe('hotfix INC-7');
    const transitions = (await h.app.engine.details(override.id))?.transitions ?? [];
    expect(
      transitions
        .map((t) => t.reason ?? '')
        .join(' ')
        .toLowerCase(),
    ).toContain('freeze');
    expect((await h.waitFinal(override.id)).state).toBe('succeeded');
  });

  it('treats a repeated request with the same idempotency key as the first one', async () => {
    h = await startHarness();
    const request = {
      ...dev,
      kind: 'deploy' as const,
      service: 'web',
      environment: 'staging',
      version: '5.0.0',
      idempotencyKey: 'slack:trigger-123',
    };
    const results = await Promise.all([
      h.app.engine.request(request),
      h.app.engine.request(request),
      h.app.engine.request(request),
    ]);
    const ids = new Set(results.map((r) => (r.ok ? r.deployment.id : r.reason)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.duplicate)).toHaveLength(1);
    const [id] = [...ids];
    await h.waitFinal(id ?? '');
    expect((await h.app.engine.request(request)).ok).toBe(true);
    expect(h.runs().filter((r) => r.startsWith('start'))).toHaveLength(1);
    expect(await h.app.engine.history({ service: 'web' })).toHaveLength(1);
  });

  it('rolls back automatically when a new version fails, and on request', async () => {
    h = await startHarness();
    const good = await accepted(deploy('web', 'staging', '1.0.0'));
    expect((await h.waitFinal(good.id)).state).toBe('succeeded');
    const bad = await accepted(deploy('web', 'staging', '1.1.0-bad'));
    const failed = await h.waitFinal(bad.id);
    expect(failed.state).toBe('rolled_back');
    // One line, the cause first: the program's last words, then how it ended.
    expect(failed.outcome).toBe('rolled back to 1.0.0 after: 1.1.0-bad crashed on start (exit 3)');
    const transitions = (await h.app.engine.details(bad.id))?.transitions ?? [];
    expect(states(transitions)).toEqual([
      'requested',
      'queued',
      'running',
      'rolling_back',
      'rolled_back',
    ]);

    const next = await accepted(deploy('web', 'staging', '1.2.0'));
    expect((await h.waitFinal(next.id)).state).toBe('succeeded');
    const manual = await accepted(
      h.app.engine.request({
        ...dev,
        kind: 'rollback',
        service: 'web',
        environment: 'staging',
        version: null,
      }),
    );
    expect(manual.version).toBe('1.0.0');
    expect((await h.waitFinal(manual.id)).state).toBe('succeeded');
    const live = (await h.app.engine.status('web')).find((s) => s.environment === 'staging')?.live;
    expect(live?.version).toBe('1.0.0');
  });

  it('records a failure without rollback when no earlier version is known', async () => {
    h = await startHarness();
    const first = await accepted(deploy('web', 'staging', '0.1.0-bad'));
    const final = await h.waitFinal(first.id);
    expect(final.state).toBe('failed');
    expect(final.outcome).toContain('exit 3');
    expect(final.outcome).toContain('no earlier version');
    expect(h.runs().filter((r) => r.includes('rollback'))).toEqual([]);
  });

  it('succeeds on the exit status alone where no status command is configured', async () => {
    h = await startHarness();
    const d = await accepted(
      h.app.engine.request({
        ...dev,
        actor: 'U-DEV2',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        version: '2.0.0',
      }),
    );
    const final = await h.waitFinal(d.id);
    expect(final.state).toBe('succeeded');
    expect(final.outcome).toContain('2.0.0');
  });

  it('answers unknown names with a suggestion and bad versions with a reason', async () => {
    h = await startHarness({ start: false });
    const unknown = await deploy('wbe', 'staging', '1.0.0');
    expect(unknown).toMatchObject({ ok: false, code: 'unknown_service' });
    expect(!unknown.ok && unknown.suggestion).toContain('web');
    const env = await deploy('web', 'stagin', '1.0.0');
    expect(!env.ok && env.suggestion).toContain('staging');
    const injected = await deploy('web', 'staging', '1.0;rm -rf /');
    expect(injected).toMatchObject({ ok: false, code: 'invalid_version' });
    const notBound = await deploy('api', 'perf', '1.0.0');
    expect(notBound).toMatchObject({ ok: false, code: 'not_deployable_here' });
    expect(await h.app.engine.history({})).toEqual([]);
  });
});

async function waitState(h: Harness, id: string, state: Deployment['state']): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await h.app.store.getDeployment(id))?.state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${id} never reached ${state}`);
}
