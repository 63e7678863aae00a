import { describe, expect, it } from 'vitest';
import type { TargetStatus } from '../../engine/queries.js';
import { at, deployment } from '../test-support/deployments.js';
import {
  approvalRequestView,
  historyView,
  lockView,
  promotionView,
  refusalView,
  reviewClosedView,
  reviewSettledView,
  reviewVerdictView,
  settledApprovalView,
  statusView,
  verdictView,
} from './index.js';

describe('approval views (seeds/001)', () => {
  const preview = deployment({ environment: 'preview', state: 'succeeded' });

  it('asks an approver with Approve and Reject', () => {
    const view = approvalRequestView(
      deployment({ state: 'awaiting_approval', approvalsRequired: 1, environment: 'production' }),
      {
        role: 'approver',
      },
    );
    expect(view.title).toBe('Approval needed: web 1.4.2 → production');
    expect(view.body).toContain('<@U-ALICE> asked to deploy *web* 1.4.2 to *production*');
    expect(view.actions?.map((a) => [a.id, a.value])).toEqual([
      ['approve', 'd-1a2b3c'],
      ['reject', 'd-1a2b3c'],
    ]);
  });

  it('tells QA where the build is, with Approve / Reject', () => {
    const view = approvalRequestView(preview, {
      role: 'qa',
      url: 'https://pr-12.preview.example/?a=1&b=2',
    });
    expect(view.title).toBe('web 1.4.2 is on preview');
    expect(view.body).toBe(
      '*web* 1.4.2 is on *preview* at <https://pr-12.preview.example/?a=1&amp;b=2|https://pr-12.preview.example/?a=1&amp;b=2>: try it, then approve or reject it.',
    );
    expect(view.actions?.map((a) => [a.id, a.label])).toEqual([
      ['review_approve', 'Approve'],
      ['review_reject', 'Reject'],
    ]);
    expect(view.links).toEqual([
      { label: 'Open preview', url: 'https://pr-12.preview.example/?a=1&b=2' },
    ]);
  });

  it('offers the owners Deploy to production and Close, naming the QA', () => {
    const view = approvalRequestView(preview, {
      role: 'owner',
      qa: ['U-QA1', 'U-QA2'],
      next: 'production',
    });
    expect(view.actions?.map((a) => [a.id, a.label])).toEqual([
      ['promote', 'Deploy to production'],
      ['close', 'Close'],
    ]);
    expect(view.body).toContain('QA: <@U-QA1>, <@U-QA2>');
  });

  it('shows a verdict as a thread reply and as the updated message without buttons', () => {
    const verdict = { approver: 'U-QA1', verdict: 'approve' as const };
    expect(verdictView(preview, verdict, 'reply')).toEqual({
      title: '<@U-QA1> approved web 1.4.2 for preview',
      tone: 'success',
    });
    const message = verdictView(
      preview,
      { ...verdict, verdict: 'reject', comment: 'login broken' },
      'message',
    );
    expect(message).toMatchObject({ tone: 'failure', body: 'Rejected by <@U-QA1>: login broken.' });
    expect(message.actions).toBeUndefined();
  });

  it('shows a QA verdict on a build as a reply under the owners’ messages and as the reviewer’s own message', () => {
    const verdict = { approver: 'U-QA1', verdict: 'approve' as const, comment: 'works <b>' };
    expect(reviewVerdictView(preview, verdict, 'reply')).toEqual({
      title: '<@U-QA1> approved web 1.4.2 on preview',
      tone: 'success',
      body: 'works &lt;b&gt;',
    });
    const own = reviewVerdictView(preview, verdict, 'message', 'production');
    expect(own).toMatchObject({
      title: 'web 1.4.2 on preview: approved',
      body: 'Approved by <@U-QA1>: works &lt;b&gt;.\nThe owners decide whether it goes to *production*.',
    });
    expect(own.actions).toBeUndefined();
  });

  it('closes the QA and owner messages with who promoted or closed the build, or what replaced it', () => {
    const approvals = [
      {
        deploymentId: 'd-1a2b3c',
        approver: 'U-QA2',
        verdict: 'approve' as const,
        comment: null,
        at,
      },
    ];
    const promoted = reviewSettledView(
      preview,
      { kind: 'promoted', by: 'U-DEV1', next: 'production' },
      approvals,
    );
    expect(promoted).toMatchObject({
      title: 'web 1.4.2 on preview: promoted to production',
      tone: 'success',
      body: 'Promoted to *production* by <@U-DEV1>.\nApproved by <@U-QA2>.',
    });
    expect(promoted.actions).toBeUndefined();
    expect(
      reviewSettledView(preview, { kind: 'closed', by: 'U-DEV2', next: 'production' }).body,
    ).toBe('Closed by <@U-DEV2>; it will not go to *production*.');
    const newer = deployment({ id: 'd-newer', version: '1.4.3', state: 'succeeded' });
    expect(reviewSettledView(preview, { kind: 'superseded', newer })).toMatchObject({
      title: 'web 1.4.2 on preview: replaced by 1.4.3',
      body: '1.4.3 (`d-newer`) replaced it on *preview*; nothing to decide here any more.',
    });
  });

  it('announces a promotion and a close in the channel', () => {
    const target = deployment({
      id: 'd-prod',
      environment: 'production',
      state: 'queued',
      requestedBy: 'U-DEV1',
    });
    expect(promotionView(preview, target, 'U-DEV1', { carried: ['U-QA1'] })).toEqual({
      title: '<@U-DEV1> promoted web 1.4.2 from preview to production',
      tone: 'progress',
      body: 'QA approval by <@U-QA1> counts toward production.',
      context: ['`d-prod`'],
    });
    expect(reviewClosedView(preview, 'U-DEV2', 'production')).toMatchObject({
      title: '<@U-DEV2> closed the review of web 1.4.2 on preview',
      body: 'It will not be promoted to production.',
    });
  });

  it('closes an approval request with who decided and where it went', () => {
    const view = settledApprovalView(deployment({ state: 'queued', environment: 'production' }), [
      { deploymentId: 'd-1a2b3c', approver: 'U-QA2', verdict: 'approve', comment: null, at },
    ]);
    expect(view).toMatchObject({
      title: 'web 1.4.2 → production: approved',
      tone: 'success',
      body: 'Approved by <@U-QA2>.\nIt is queued to run.',
    });
    expect(view.actions).toBeUndefined();
  });
});

describe('answers', () => {
  it('shows refusals with the suggestion and the usage', () => {
    expect(
      refusalView('Unknown service "wbe".', 'Did you mean `web`?', 'deploy <service>'),
    ).toEqual({
      title: 'Unknown service "wbe".',
      tone: 'failure',
      body: 'Did you mean `web`?\n```deploy &lt;service&gt;```',
    });
  });

  it('announces locks and unlocks', () => {
    const lock = {
      environment: 'production',
      service: 'web',
      owner: 'U-ALICE',
      reason: 'migration',
      createdAt: at,
      expiresAt: null,
    };
    expect(lockView(lock).title).toBe('🔒 web in production locked by <@U-ALICE>');
    expect(lockView(lock, { released: true, by: 'U-BOB' }).title).toBe(
      '🔓 web in production unlocked by <@U-BOB>',
    );
  });

  it('reports status and history', () => {
    const target: TargetStatus = {
      service: 'web',
      environment: 'staging',
      live: deployment({ state: 'succeeded', version: '1.4.1' }),
      active: deployment(),
      pending: [deployment({ state: 'queued' })],
      locks: [],
    };
    expect(statusView([target], 'web')).toEqual({
      title: 'Status of web',
      tone: 'neutral',
      body: '*web* in *staging*: 1.4.1 live · deploying 1.4.2 (`d-1a2b3c`) · 1 request waiting',
    });
    const history = historyView([deployment({ state: 'succeeded' })], {
      service: 'web',
      environment: 'staging',
    });
    expect(history.title).toBe('History of web in staging');
    expect(history.body).toMatch(
      /^`d-1a2b3c` 1\.4\.2 → staging: deployed, by <@U-ALICE>, <!date\^\d+\^/,
    );
    expect(historyView([], { service: 'web' }).body).toBe('No deployments yet.');
  });
});
