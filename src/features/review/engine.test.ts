import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../../test/support/engine-harness.js';
import type { Store } from '../../store/types.js';
import { closeReview, promote, reviewBuild } from './engine.js';
import { reviewTarget } from './engine-state.js';
import { build, deps, dm, events } from './test-support/fixtures.js';

let h: Harness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

async function start(): Promise<Harness> {
  h = await startHarness({ ms: 150 });
  return h;
}

describe('review of a build (seeds/001)', () => {
  it('QA approves, an owner promotes, and the deploy to production runs with the approval carried over', async () => {
    const harness = await start();
    const { engine, config, store } = harness.app;
    const d = await build(harness, 'perf');
    expect(reviewTarget(config, d)?.name).toBe('production');
    const seen = events(harness);

    const verdict = await engine.review({ ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    expect(verdict).toMatchObject({ ok: true, approvals: [{ approver: 'U-QA1' }] });
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'review', reviewer: 'U-QA1', verdict: 'approve' }),
    );

    const r = await engine.promote({ ...dm('U-DEV1'), deploymentId: d.id });
    if (!r.ok) throw new Error(r.reason);
    expect(r.duplicate).toBe(false);
    expect(r.carried).toEqual(['U-QA1']);
    expect(r.promoted).toMatchObject({
      environment: 'production',
      version: '1.4.2',
      requestedBy: 'U-DEV1',
      idempotencyKey: `promote:${d.id}`,
      // The button sat in a direct message: it counts as a request from the deploy channel.
      channel: 'C-DEPLOYS',
    });
    expect(['queued', 'running', 'verifying']).toContain(r.promoted.state);
    expect(await store.listApprovals(r.promoted.id)).toMatchObject([
      { approver: 'U-QA1', verdict: 'approve', comment: `approved 1.4.2 on perf (${d.id})` },
    ]);
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'promotion', actor: 'U-DEV1', promoted: expect.anything() }),
    );
    expect((await harness.waitFinal(r.promoted.id)).state).toBe('succeeded');
    expect(await store.getReviewDecision(d.id)).toMatchObject({
      decision: 'promoted',
      actor: 'U-DEV1',
    });
  });

  it('tells of the promoted deploy waiting for approval only once the carried approval is in the store', async () => {
    const harness = await start();
    const { store } = harness.app;
    const d = await build(harness, 'perf');
    await reviewBuild(deps(harness), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    // What a listener (the chat notifier asking approvers) reads on hearing of the wait.
    const heard: Promise<{ state?: string; approvers: string[] }>[] = [];
    harness.app.engine.events.on((e) => {
      if (e.type !== 'transition' || e.transition.to !== 'awaiting_approval') return;
      const id = e.deployment.id;
      heard.push(
        (async () => ({
          state: (await store.getDeployment(id))?.state,
          approvers: (await store.listApprovals(id)).map((a) => a.approver),
        }))(),
      );
    });
    // Every store call a round trip away, as on Postgres: the listener's reads run between the
    // promotion's writes unless its events wait for them.
    const r = await promote(
      { ...deps(harness), store: roundTrips(store) },
      { ...dm('U-DEV1'), deploymentId: d.id },
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.carried).toEqual(['U-QA1']);
    expect(heard).toHaveLength(1);
    const seen = await heard[0];
    expect(seen?.approvers).toEqual(['U-QA1']);
    expect(seen?.state).not.toBe('awaiting_approval');
  });

  it('promotes to the next environment of the chain, straight to the queue when it needs no approval', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    await reviewBuild(deps(harness), { ...dm('U-QA2'), deploymentId: d.id, verdict: 'approve' });
    const r = await promote(deps(harness), { ...dm('U-DEV1'), deploymentId: d.id });
    if (!r.ok) throw new Error(r.reason);
    // perf has no channel rule: the promotion counts as coming from the service's channel.
    expect(r.promoted).toMatchObject({ environment: 'perf', channel: 'C-WEB' });
    // The worker may claim it at once, so its state may already be past the queue: its moves
    // say where it went.
    const moves = (await harness.app.store.listTransitions(r.promoted.id)).map((t) => t.to);
    expect(moves).toContain('queued');
    expect(moves).not.toContain('awaiting_approval');
    expect(r.carried).toEqual([]);
  });

  it('refuses a review by the person who deployed the build, and by anyone outside QA', async () => {
    const harness = await start();
    // U-QA1 is a developer as well, and deployed this build.
    const d = await build(harness, 'staging', '1.4.2', 'U-QA1');
    const self = await reviewBuild(deps(harness), {
      ...dm('U-QA1'),
      deploymentId: d.id,
      verdict: 'approve',
    });
    expect(self).toMatchObject({ ok: false, code: 'self_approval' });
    expect(self.ok ? '' : self.reason).toContain('someone else from QA must review it');
    const stranger = await reviewBuild(deps(harness), {
      ...dm('U-DEV2'),
      deploymentId: d.id,
      verdict: 'reject',
    });
    expect(stranger).toMatchObject({ ok: false, code: 'not_qa' });
    expect(stranger.ok ? '' : stranger.reason).toContain('U-DEV2 may not review builds of web');
    expect(await harness.app.store.listApprovals(d.id)).toEqual([]);
  });

  it('keeps the first verdict of each person: a second click is answered and changes nothing', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    const seen = events(harness);
    const click = { ...dm('U-QA1'), deploymentId: d.id };
    expect((await reviewBuild(deps(harness), { ...click, verdict: 'approve' })).ok).toBe(true);
    const again = await reviewBuild(deps(harness), { ...click, verdict: 'reject' });
    expect(again).toMatchObject({
      ok: false,
      code: 'already_reviewed',
      reason: 'You already approved web 1.4.2 on staging; your verdict stands.',
    });
    expect(await harness.app.store.listApprovals(d.id)).toMatchObject([
      { approver: 'U-QA1', verdict: 'approve' },
    ]);
    expect(seen.filter((e) => e.type === 'review')).toHaveLength(1);
  });

  it('refuses to promote before QA approved, after QA rejected, and for anyone but an owner', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    const owner = { ...dm('U-DEV1'), deploymentId: d.id };
    const early = await promote(deps(harness), owner);
    expect(early).toMatchObject({ ok: false, code: 'qa_pending' });
    expect(early.ok ? '' : early.reason).toMatch(/^QA has not approved 1\.4\.2 yet/);

    const qa = await promote(deps(harness), { ...dm('U-QA1'), deploymentId: d.id });
    expect(qa).toMatchObject({ ok: false, code: 'not_owner' });

    await reviewBuild(deps(harness), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    await reviewBuild(deps(harness), {
      ...dm('U-QA2'),
      deploymentId: d.id,
      verdict: 'reject',
      comment: 'login is broken',
    });
    const rejected = await promote(deps(harness), owner);
    expect(rejected).toMatchObject({ ok: false, code: 'rejected' });
    expect(rejected.ok ? '' : rejected.reason).toContain(
      'U-QA2 rejected web 1.4.2 on staging ("login is broken"), so it cannot be promoted',
    );
    expect(await harness.app.store.listDeployments({ environment: 'perf' })).toEqual([]);
  });

  it('promotes once however often it is clicked', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    await reviewBuild(deps(harness), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    const seen = events(harness);
    const clicks = await Promise.all([
      promote(deps(harness), { ...dm('U-DEV1'), deploymentId: d.id }),
      promote(deps(harness), { ...dm('U-DEV1'), deploymentId: d.id }),
    ]);
    const again = await promote(deps(harness), { ...dm('U-SRE'), deploymentId: d.id });
    const ids = [...clicks, again].map((r) => (r.ok ? r.promoted.id : r.reason));
    expect(new Set(ids).size).toBe(1);
    expect([...clicks, again].filter((r) => r.ok && !r.duplicate)).toHaveLength(1);
    expect(await harness.app.store.listDeployments({ environment: 'perf' })).toHaveLength(1);
    expect(seen.filter((e) => e.type === 'promotion')).toHaveLength(1);
    // The review is over: a late verdict is refused.
    const late = await reviewBuild(deps(harness), {
      ...dm('U-QA2'),
      deploymentId: d.id,
      verdict: 'reject',
    });
    expect(late).toMatchObject({ ok: false, code: 'already_promoted' });
  });

  it('closes a review once, tears the build down, and refuses a promotion after it', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    await reviewBuild(deps(harness), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    const torn: string[] = [];
    const withTeardown = deps(harness, {
      teardown: async (ctx) => {
        torn.push(`${ctx.deployment.id} ${ctx.deployment.environment}`);
      },
    });
    const seen = events(harness);
    const closed = await closeReview(withTeardown, { ...dm('U-DEV1'), deploymentId: d.id });
    expect(closed).toMatchObject({ ok: true, deployment: { id: d.id } });
    expect(torn).toEqual([`${d.id} staging`]);
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'review_closed', actor: 'U-DEV1' }),
    );

    const twice = await closeReview(withTeardown, { ...dm('U-DEV1'), deploymentId: d.id });
    expect(twice).toMatchObject({ ok: false, code: 'review_closed' });
    const after = await promote(deps(harness), { ...dm('U-DEV1'), deploymentId: d.id });
    expect(after).toMatchObject({ ok: false, code: 'review_closed' });
    expect(after.ok ? '' : after.reason).toContain(
      'was closed by U-DEV1, so it cannot be promoted',
    );
    expect(torn).toHaveLength(1);
    expect(await harness.app.store.listDeployments({ environment: 'perf' })).toEqual([]);
  });

  it('keeps the review closed when the teardown fails', async () => {
    const harness = await start();
    const d = await build(harness, 'staging');
    const failing = deps(harness, {
      teardown: async () => {
        throw new Error('namespace is stuck');
      },
    });
    expect((await closeReview(failing, { ...dm('U-SRE'), deploymentId: d.id })).ok).toBe(true);
    expect(await harness.app.store.getReviewDecision(d.id)).toMatchObject({ decision: 'closed' });
  });

  it('refuses a verdict or a promotion on a build a newer one replaced, naming the newer one', async () => {
    const harness = await start();
    const older = await build(harness, 'staging', '1.4.2');
    const newer = await build(harness, 'staging', '1.4.3');
    for (const r of [
      await reviewBuild(deps(harness), {
        ...dm('U-QA1'),
        deploymentId: older.id,
        verdict: 'approve',
      }),
      await promote(deps(harness), { ...dm('U-DEV1'), deploymentId: older.id }),
    ]) {
      expect(r).toMatchObject({ ok: false, code: 'superseded' });
      expect(r.ok ? '' : r.reason).toContain(
        `web 1.4.2 is no longer the latest build on staging: ${newer.id} (web 1.4.3 → staging`,
      );
    }
    expect(await harness.app.store.listApprovals(older.id)).toEqual([]);
  });

  it('has nothing to review on a protected environment or for a deployment that is not a build', async () => {
    const harness = await start();
    const asked = await requestWeb(harness.app, {
      channel: 'C-DEPLOYS',
      environment: 'production',
    });
    const waiting = await reviewBuild(deps(harness), {
      ...dm('U-QA1'),
      deploymentId: asked.id,
      verdict: 'approve',
    });
    expect(waiting).toMatchObject({ ok: false, code: 'not_reviewable' });
    expect(
      await closeReview(deps(harness), { ...dm('U-DEV1'), deploymentId: 'd-missing' }),
    ).toMatchObject({ ok: false, code: 'not_found' });
  });
});

/** `store` with each call answered a macrotask later, as a database over the network would. */
function roundTrips(store: Store): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setImmediate(resolve));
        return value.apply(target, args);
      };
    },
  });
}
