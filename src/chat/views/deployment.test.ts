import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_STATES, type DeploymentState } from '../../core/deployment.js';
import { approvalRequestView } from '../../features/approvals/view.js';
import { mentionsOn } from '../router.js';
import { at, deployment } from '../test-support/deployments.js';
import type { MessageView } from '../types.js';
import {
  acceptedView,
  deliveryQuestionView,
  deploymentView,
  lockView,
  promotionView,
  refusalView,
  reviewSettledView,
  reviewVerdictView,
  settledApprovalView,
  usageView,
  verdictView,
} from './index.js';

/** Every piece of text a renderer would show. */
function allText(view: MessageView): string {
  return [
    view.title,
    view.body ?? '',
    ...(view.fields ?? []).flatMap((f) => [f.label, f.value]),
    ...(view.context ?? []),
  ].join('\n');
}

const EXPECTED: Record<
  DeploymentState,
  { title: string; tone: MessageView['tone']; actions: string[] }
> = {
  requested: { title: 'web 1.4.2 → staging: requested', tone: 'waiting', actions: ['cancel'] },
  awaiting_approval: {
    title: 'web 1.4.2 → staging: waiting for approval',
    tone: 'waiting',
    actions: ['approve', 'reject', 'cancel'],
  },
  queued: { title: 'web 1.4.2 → staging: queued', tone: 'waiting', actions: ['cancel'] },
  // Cancel stops the driver and rolls back, so it asks first.
  running: { title: 'web 1.4.2 → staging: deploying', tone: 'progress', actions: ['cancel'] },
  verifying: { title: 'web 1.4.2 → staging: verifying', tone: 'progress', actions: ['cancel'] },
  succeeded: { title: 'web 1.4.2 → staging: deployed', tone: 'success', actions: ['rollback'] },
  failed: { title: 'web 1.4.2 → staging: failed', tone: 'failure', actions: ['retry'] },
  rolling_back: { title: 'web 1.4.2 → staging: rolling back', tone: 'progress', actions: [] },
  rolled_back: { title: 'web 1.4.2 → staging: rolled back', tone: 'warning', actions: ['retry'] },
  cancelled: { title: 'web 1.4.2 → staging: cancelled', tone: 'neutral', actions: [] },
  superseded: { title: 'web 1.4.2 → staging: superseded', tone: 'neutral', actions: [] },
};

describe('deploymentView', () => {
  it.each(DEPLOYMENT_STATES)('shows %s with its title, tone and buttons', (state) => {
    const view = deploymentView(
      deployment({ state, approvalsRequired: state === 'awaiting_approval' ? 1 : 0 }),
    );
    const expected = EXPECTED[state];
    expect(view.title).toBe(expected.title);
    expect(view.tone).toBe(expected.tone);
    expect((view.actions ?? []).map((a) => a.id)).toEqual(expected.actions);
    // Buttons carry only the deployment id: the state lives in the store.
    for (const action of view.actions ?? []) expect(action.value).toBe('d-1a2b3c');
    expect(view.context).toContain('`d-1a2b3c`');
    expect(view.context).toContain('correlation `corr-1`');
  });

  it('lists the facts as fields, approvals included when needed', () => {
    const view = deploymentView(deployment({ state: 'awaiting_approval', approvalsRequired: 2 }), {
      approvals: [
        { deploymentId: 'd-1a2b3c', approver: 'U-QA1', verdict: 'approve', comment: null, at },
      ],
    });
    expect(view.fields).toEqual([
      { label: 'Service', value: 'web' },
      { label: 'Version', value: '1.4.2' },
      { label: 'Environment', value: 'staging' },
      { label: 'Requested by', value: '<@U-ALICE>' },
      { label: 'Previous version', value: '1.4.1' },
      { label: 'Approvals', value: '1 of 2' },
    ]);
    expect(view.body).toContain('Waiting for 1 more approval');
    expect(view.body).toContain('<@U-QA1>');
  });

  it('names the branch or tag the build came from', () => {
    const branch = deploymentView(
      deployment({ ref: { type: 'branch', name: 'feature/login' }, environment: 'preview' }),
    );
    expect(branch.fields).toContainEqual({ label: 'Branch', value: '`feature/login`' });
    const tag = deploymentView(deployment({ ref: { type: 'tag', name: 'v1.4.2' } }));
    expect(tag.fields).toContainEqual({ label: 'Tag', value: '`v1.4.2`' });
    expect(deploymentView(deployment()).fields?.map((f) => f.label)).not.toContain('Branch');
    // QA and the owners read it in their messages too, beside where to try it.
    const preview = deployment({
      ref: { type: 'branch', name: 'feature/login' },
      environment: 'preview',
    });
    for (const role of ['qa', 'owner'] as const) {
      const asked = approvalRequestView(preview, {
        role,
        url: 'https://login.preview.example.com',
      });
      expect(asked.body).toContain(
        '(branch `feature/login`) is on *preview* at <https://login.preview.example.com|https://login.preview.example.com>',
      );
    }
  });

  it('shows the latest progress while running and the outcome once final', () => {
    expect(deploymentView(deployment({ progress: 'ready 2 of 3' })).body).toBe('ready 2 of 3');
    const failed = deploymentView(
      deployment({
        state: 'failed',
        outcome: 'exit 3: line one\nline two',
        startedAt: at,
        finishedAt: new Date(at.getTime() + 42_000),
      }),
    );
    expect(failed.body).toBe('exit 3: line one (details in the thread)');
    expect(failed.context).toContain('took 42s');
  });

  it('links what the driver reported: the preview to try and the page of the run', () => {
    const view = deploymentView(
      deployment({
        state: 'succeeded',
        driverRef: {
          deploy: { runId: 7 },
          url: 'http://fix-login.branch.preview.example.com',
          link: { label: 'GitHub run', url: 'https://github.com/acme/web/actions/runs/7' },
        },
      }),
    );
    expect(view.links).toEqual([
      { label: 'Open staging', url: 'http://fix-login.branch.preview.example.com' },
      { label: 'GitHub run', url: 'https://github.com/acme/web/actions/runs/7' },
    ]);
    // Only web links become buttons: a driver's handle is not trusted to be one.
    const odd = deploymentView(
      deployment({ driverRef: { link: { label: 'x', url: 'javascript:1' } } }),
    );
    expect(odd.links).toBeUndefined();
  });

  it('says what the driver left people to know about the target, escaped, on one line', () => {
    const view = deploymentView(
      deployment({
        state: 'rolled_back',
        outcome: 'rolled back to 1.4.0 after: not healthy',
        driverRef: {
          rollback: { phase: 'rollback' },
          note: 'auto-sync is off: Argo CD keeps the rollback until the next good deployment <!here>\nmore',
        },
      }),
    );
    expect(view.body).toBe(
      'rolled back to 1.4.0 after: not healthy\nℹ️ auto-sync is off: Argo CD keeps the rollback until the next good deployment &lt;!here&gt;',
    );
    expect(deploymentView(deployment({ driverRef: { note: 42 } })).body).not.toContain('ℹ️');
  });

  it('says what a queued deployment waits for', () => {
    const ahead = deployment({ id: 'd-ahead', version: '1.4.1', requestedBy: 'U-BOB' });
    const view = deploymentView(deployment({ state: 'queued' }), { queuedBehind: ahead });
    expect(view.body).toBe('Queued behind `d-ahead` (1.4.1, by <@U-BOB>).');
  });

  it('asks for confirmation before rolling back, and offers no rollback without a previous version', () => {
    const view = deploymentView(deployment({ state: 'succeeded' }));
    expect(view.actions?.[0]).toMatchObject({
      id: 'rollback',
      style: 'danger',
      confirm: { confirm: 'Roll back', deny: 'Keep 1.4.2' },
    });
    expect(
      deploymentView(deployment({ state: 'succeeded', previousVersion: null })).actions,
    ).toBeUndefined();
  });

  it('names a rollback as such and passes links through', () => {
    const view = deploymentView(deployment({ kind: 'rollback', version: '1.4.1' }), {
      links: [{ label: 'Open run', url: 'https://ci.example/run/1' }],
    });
    expect(view.title).toBe('web rollback to 1.4.1 in staging: rolling back');
    expect(view.links).toEqual([{ label: 'Open run', url: 'https://ci.example/run/1' }]);
  });
});

describe('escaping what people and programs typed', () => {
  const nasty = 'fix <!channel> & <@U-EVE> <https://evil.example|click>';

  it('never lets a reason, an outcome or progress ping or link', () => {
    const views = [
      deploymentView(deployment({ reason: nasty, progress: nasty })),
      deploymentView(deployment({ state: 'failed', outcome: nasty })),
      acceptedView(deployment({ reason: nasty })),
      refusalView(`Unknown service "${nasty}".`, `Did you mean \`${nasty}\`?`, nasty),
      lockView({
        environment: 'production',
        service: null,
        owner: 'U-ALICE',
        reason: nasty,
        createdAt: at,
        expiresAt: null,
      }),
      verdictView(deployment(), { approver: 'U-QA1', verdict: 'reject', comment: nasty }, 'reply'),
      settledApprovalView(deployment({ state: 'cancelled', outcome: nasty }), []),
      usageView(nasty),
      reviewVerdictView(
        deployment(),
        { approver: 'U-QA1', verdict: 'reject', comment: nasty },
        'reply',
      ),
      reviewSettledView(deployment(), { kind: 'closed', by: 'U-DEV1', next: 'production' }, [
        { deploymentId: 'd-1a2b3c', approver: 'U-QA1', verdict: 'reject', comment: nasty, at },
      ]),
      promotionView(deployment(), deployment({ environment: 'production' }), 'U-DEV1', {
        notes: [nasty],
      }),
    ];
    for (const view of views) {
      const text = allText(view);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U-EVE>');
      expect(text).not.toContain('<https://evil');
      expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U-EVE&gt;');
    }
  });

  it('mentions actors, which each platform shows as a person or, for the CLI operator, as text', () => {
    expect(acceptedView(deployment()).title).toBe(
      '<@U-ALICE> asked to deploy web 1.4.2 to staging',
    );
    const byOperator = acceptedView(
      deployment({ requestedBy: 'operator', kind: 'rollback', version: '1.4.1' }),
    );
    expect(byOperator.title).toBe('<@operator> asked to roll back web in staging to 1.4.1');
    const config = { people: {} };
    expect(mentionsOn(config, 'slack', byOperator.title)).toBe(
      'operator asked to roll back web in staging to 1.4.1',
    );
    expect(acceptedView(deployment({ requestedBy: 'slipway' })).title).toMatch(/^Slipway asked/);
  });

  it('shows where a canary stands, its last check against each threshold, and how to steer it', () => {
    const canary = {
      step: 3,
      steps: 7,
      weight: 25,
      waitingSince: at.toISOString(),
      analysis: null,
      last: {
        verdict: 'fail',
        message: 'success-rate 0.91 (>= 0.95)',
        at: at.toISOString(),
        metrics: [
          { name: 'success-rate', value: 0.9134, threshold: '>= 0.95', verdict: 'fail' },
          { name: 'p99', value: null, threshold: '<= 1.2 × primary', verdict: 'inconclusive' },
        ],
      },
      paused: null,
      seen: [],
      nextAt: new Date(at.getTime() + 60_000).toISOString(),
      promoting: false,
    };
    const d = deployment({ state: 'running', previousVersion: '1.4.1', driverRef: { canary } });
    const view = deploymentView(d);
    expect(view.body).toContain('*Canary:* 25% of traffic · step 4 of 7 · next check');
    expect(view.body).toContain('❌ success-rate 0.913 (&gt;= 0.95)');
    expect(view.body).toContain('⏳ p99 no data (&lt;= 1.2 × primary)');
    expect(view.actions?.map((a) => `${a.id}:${a.label}`)).toEqual([
      'canary_promote:Promote now',
      'canary_pause:Pause',
      'cancel:Abort',
    ]);
    expect(view.actions?.at(-1)?.confirm?.text).toContain('1.4.1 keeps serving staging');
    expect(deliveryQuestionView(d)).toBeNull();

    // Paused by its analysis: the card says why, Resume replaces Pause, and the thread asks.
    const asked = deployment({
      state: 'running',
      driverRef: {
        canary: {
          ...canary,
          paused: { by: 'slipway', asked: true, reason: 'no verdict after 3 inconclusive checks' },
        },
      },
    });
    expect(deploymentView(asked).body).toContain(
      '⏸ Paused: no verdict after 3 inconclusive checks',
    );
    expect(deploymentView(asked).actions?.map((a) => a.id)).toEqual([
      'canary_promote',
      'canary_resume',
      'cancel',
    ]);
    const question = deliveryQuestionView(asked);
    expect(question?.title).toBe('❓ web 1.4.2: no verdict after 3 inconclusive checks');
    expect(question?.actions?.map((a) => a.label)).toEqual(['Promote now', 'Resume', 'Abort']);

    // Promoting: nothing left to steer; the Cancel is the usual stop-and-roll-back.
    const promoting = deployment({
      state: 'running',
      driverRef: { canary: { ...canary, promoting: true } },
    });
    expect(deploymentView(promoting).actions?.map((a) => a.label)).toEqual(['Cancel']);
    // Once final, no canary lines are left on the card.
    const done = deployment({ state: 'succeeded', driverRef: { canary }, outcome: 'live' });
    expect(deploymentView(done).body).not.toContain('Canary');
  });
});
