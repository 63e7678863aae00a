import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, requestWeb, startHarness } from '../../../test/support/engine-harness.js';
import type { Store } from '../../store/types.js';
import { promote, reviewBuild } from './engine.js';
import { promotionKey } from './engine-state.js';
import { build, deps, dm, events } from './test-support/fixtures.js';

/** Promotions and closes that cross a restart or another replica's click. */

let h: Harness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

describe('review decisions across processes', () => {
  it('finishes a promotion whose process died after requesting the deploy, and tells the world once', async () => {
    h = await startHarness({ ms: 150 });
    const d = await build(h, 'staging');
    await reviewBuild(deps(h), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    // What the first click did before its process died: the request, not the decision.
    const first = await requestWeb(h.app, {
      environment: 'perf',
      version: d.version,
      idempotencyKey: promotionKey(d.id),
    });
    const seen = events(h);
    const retried = await promote(deps(h), { ...dm('U-DEV1'), deploymentId: d.id });
    expect(retried).toMatchObject({
      ok: true,
      duplicate: true,
      promoted: { id: first.id },
    });
    expect(await h.app.store.getReviewDecision(d.id)).toMatchObject({
      decision: 'promoted',
      actor: 'U-DEV1',
    });
    await promote(deps(h), { ...dm('U-DEV1'), deploymentId: d.id });
    expect(seen.filter((e) => e.type === 'promotion')).toHaveLength(1);
  });

  it('withdraws a promotion when a close on another replica was recorded first', async () => {
    // No workers: the withdrawn request must still be pending when the race is lost.
    h = await startHarness({ start: false });
    const d = await succeededWithoutRunning(h);
    await reviewBuild(deps(h), { ...dm('U-QA1'), deploymentId: d.id, verdict: 'approve' });
    const seen = events(h);
    const racing = { ...deps(h), store: closingFirst(h.app.store, d.id, 'U-SRE') };
    const r = await promote(racing, { ...dm('U-DEV1'), deploymentId: d.id });
    expect(r).toMatchObject({ ok: false, code: 'review_closed' });
    expect(r.ok ? '' : r.reason).toContain('was closed by U-SRE, so it cannot be promoted');
    const [perf] = await h.app.store.listDeployments({ environment: 'perf' });
    expect(perf).toMatchObject({
      state: 'cancelled',
      outcome: 'withdrawn: the review of 1.4.2 was closed by U-SRE meanwhile',
    });
    expect(seen.map((e) => e.type)).not.toContain('promotion');
  });
});

/** A deploy of web 1.4.2 to staging, moved to succeeded by hand (no driver runs). */
async function succeededWithoutRunning(harness: Harness) {
  let d = await requestWeb(harness.app);
  for (const [from, to] of [
    ['queued', 'running'],
    ['running', 'verifying'],
    ['verifying', 'succeeded'],
  ] as const) {
    const moved = await harness.app.store.transition(d.id, [from], to, { actor: 'slipway' });
    if (!moved) throw new Error(`could not move ${d.id} to ${to}`);
    d = moved;
  }
  return d;
}

/** A store whose next deployment insert first lets another process close the review. */
function closingFirst(store: Store, deploymentId: string, actor: string): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== 'acceptDeployment') return Reflect.get(target, key, receiver);
      return async (...args: Parameters<Store['acceptDeployment']>) => {
        await target.recordReviewDecision({ deploymentId, decision: 'closed', actor });
        return target.acceptDeployment(...args);
      };
    },
  });
}
