import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness, webRequest } from '../../../test/support/engine-harness.js';
import type { ApprovalVerdict, Deployment } from '../../core/deployment.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** web 1.4.2 to production, asked by U-DEV1: the scenario wants one approval from @qa there. */
async function waiting(harness: Harness): Promise<Deployment> {
  const r = await harness.app.engine.request(
    webRequest({ environment: 'production', channel: 'C-DEPLOYS' }),
  );
  if (!r.ok) throw new Error(r.reason);
  expect(r.deployment.state).toBe('awaiting_approval');
  return r.deployment;
}

function verdict(d: Deployment, actor: string, v: ApprovalVerdict, comment?: string) {
  return h?.app.engine.verdict({
    deploymentId: d.id,
    actor,
    channel: `D-${actor}`,
    source: 'chat',
    verdict: v,
    ...(comment ? { comment } : {}),
  });
}

describe('approvals: recording verdicts', () => {
  it('refuses the requester (four-eyes), keeping the refusal; an approval queues the deployment', async () => {
    h = await startHarness({ start: false });
    const d = await waiting(h);
    expect(await verdict(d, 'U-DEV1', 'approve')).toMatchObject({
      ok: false,
      code: 'self_approval',
    });
    expect(await h.app.store.listRefusals({ deploymentId: d.id })).toMatchObject([
      { actor: 'U-DEV1', action: 'approve', code: 'self_approval' },
    ]);
    const approved = await verdict(d, 'U-QA1', 'approve');
    expect(approved).toMatchObject({ ok: true, approvals: 1, required: 1 });
    expect((await h.app.store.getDeployment(d.id))?.state).toBe('queued');
    expect(await h.app.store.listApprovals(d.id)).toMatchObject([
      { approver: 'U-QA1', verdict: 'approve' },
    ]);
    // Moved on: a late click changes nothing.
    expect(await verdict(d, 'U-QA2', 'reject')).toMatchObject({
      ok: false,
      code: 'not_awaiting_approval',
    });
    expect((await h.app.store.getDeployment(d.id))?.state).toBe('queued');
  });

  it('ends the deployment on a rejection, saying who rejected it and why', async () => {
    h = await startHarness({ start: false });
    const d = await waiting(h);
    const rejected = await verdict(d, 'U-QA2', 'reject', 'breaks the login page');
    expect(rejected).toMatchObject({ ok: true, approvals: 0 });
    expect(await h.app.store.getDeployment(d.id)).toMatchObject({
      state: 'cancelled',
      outcome: 'rejected by U-QA2: breaks the login page',
    });
  });
});
