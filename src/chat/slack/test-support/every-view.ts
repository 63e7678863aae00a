import { scenarioConfig } from '../../../../test/support/engine-harness.js';
import { COMMAND_NAMES, usageFor } from '../../../commands/usage.js';
import {
  type Approval,
  DEPLOYMENT_STATES,
  type Deployment,
  type Lock,
  type Transition,
} from '../../../core/deployment.js';
import type { CanaryProgress } from '../../../engine/canary.js';
import type { VerifyProgress } from '../../../engine/verification.js';
import { applyNotification } from '../../../webhooks/alertmanager/group.js';
import { subjectOf } from '../../../webhooks/alertmanager/match.js';
import { alert, notification } from '../../../webhooks/alertmanager/test-support/notifications.js';
import { alertGroupView } from '../../../webhooks/alertmanager/view.js';
import { outcomeReplies } from '../../notifier.js';
import { at, deployment } from '../../test-support/deployments.js';
import type { MessageView, ModalView } from '../../types.js';
import { cancelledRequestView, dismissedView, surpriseView } from '../../views/confirm.js';
import {
  acceptedView,
  approvalRequestView,
  deliveryQuestionView,
  deploymentView,
  historyView,
  lockView,
  promotionView,
  refusalView,
  rejectReasonModal,
  reviewClosedView,
  reviewRejectedOwnerView,
  reviewSettledView,
  reviewVerdictView,
  settledApprovalView,
  statusView,
  usageView,
  verdictView,
} from '../../views/index.js';
import { SLACK_CHAT_LIMITS } from '../client.js';

/**
 * Every message and form Slipway shows in Slack, in every state, with the longest texts Slipway
 * itself accepts: names of 63 characters (the config's name rule), versions of 128 (the
 * parser's limit), reasons of 500 (the parser's limit) made of characters that grow when escaped
 * for mrkdwn, rejection reasons of 2000 (the form's limit), thirty approvers, a hundred targets.
 */

const NAME = 63;
/** A valid name (config: lowercase letters, digits and dashes) of the longest length. */
const longName = (stem: string) => `${stem}-${'x'.repeat(NAME)}`.slice(0, NAME - 1).concat('z');
export const SERVICE = longName('payments-reconciliation-worker');
export const ENVIRONMENT = longName('production-eu-west');
export const VERSION = `2026.12.06-build.${'0123456789abcdef'.repeat(7)}`.slice(0, 128);
/** Every character of it grows when escaped for mrkdwn (`&` → `&amp;`): 500 become 2,500. */
export const REASON = `<!channel> & ${'&<>'.repeat(200)}`.slice(0, 500);
const COMMENT = `Login breaks on Safari & <Edge>: ${'steps & details '.repeat(200)}`.slice(0, 2000);
const OUTCOME = Array.from({ length: 200 }, (_, i) => `line ${i}: pod restarted & <crashed>`).join(
  '\n',
);
const USERS = Array.from({ length: 30 }, (_, i) => `U0APPROVER${String(i).padStart(2, '0')}`);
const URL = `https://preview.example.com/${'deep/path/'.repeat(250)}`.slice(0, 2990);

function long(overrides: Partial<Deployment> = {}): Deployment {
  return deployment({
    id: `d-${'9'.repeat(30)}`,
    service: SERVICE,
    environment: ENVIRONMENT,
    version: VERSION,
    previousVersion: VERSION.replace('build', 'prior'),
    ref: { type: 'branch', name: `feature/${'very-long-branch-name-'.repeat(10)}` },
    requestedBy: 'U0REQUESTER',
    reason: REASON,
    correlationId: `corr-${'c'.repeat(60)}`,
    approvalsRequired: USERS.length,
    progress: `ready 2 of 3 & <waiting> ${'x'.repeat(400)}`,
    outcome: OUTCOME,
    driverRef: { url: URL, link: { label: `Run ${'#'.repeat(100)}`, url: URL }, note: OUTCOME },
    startedAt: at,
    finishedAt: new Date(at.getTime() + 3_600_000),
    freezeOverride: true,
    ...overrides,
  });
}

const approvals = (verdict: 'approve' | 'reject' = 'approve'): Approval[] =>
  USERS.map((approver, i) => ({
    deploymentId: 'd',
    approver,
    verdict: i === USERS.length - 1 ? verdict : 'approve',
    comment: COMMENT,
    at,
  }));

const transitions: Transition[] = [
  {
    deploymentId: 'd',
    seq: 1,
    from: null,
    to: 'running',
    actor: 'U0OPERATOR',
    at,
    reason: REASON,
    correlationId: 'c',
  } as Transition,
];

const CHECK = {
  verdict: 'inconclusive',
  message: `no data & <nothing> ${'x'.repeat(300)}`,
  at: at.toISOString(),
  metrics: Array.from({ length: 20 }, (_, i) => ({
    name: `metric-${i}-${'m'.repeat(60)}`,
    value: i % 2 ? null : 0.91234,
    threshold: `>= 0.95 & <= ${'9'.repeat(40)}`,
    verdict: 'inconclusive',
  })),
};

function canary(over: Partial<CanaryProgress> = {}): { canary: CanaryProgress } {
  return {
    canary: {
      step: 3,
      steps: 7,
      weight: 25,
      waitingSince: at.toISOString(),
      analysis: null,
      last: CHECK as CanaryProgress['last'],
      paused: null,
      seen: [],
      nextAt: at.toISOString(),
      promoting: false,
      ...over,
    },
  };
}

const verify: { verify: VerifyProgress } = {
  verify: {
    analysis: null,
    last: CHECK as VerifyProgress['last'],
    waitingSince: at.toISOString(),
    nextAt: at.toISOString(),
    passes: 3,
    asked: `no verdict after 3 inconclusive checks & <why> ${'x'.repeat(400)}`,
    seen: [],
  },
};

const lock = (over: Partial<Lock> = {}): Lock => ({
  environment: ENVIRONMENT,
  service: SERVICE,
  owner: 'U0LOCKER',
  reason: REASON,
  createdAt: at,
  expiresAt: new Date(at.getTime() + 86_400_000),
  ...over,
});

function deploymentCards(): [string, MessageView][] {
  const cards: [string, MessageView][] = [];
  for (const state of DEPLOYMENT_STATES) {
    for (const kind of ['deploy', 'rollback'] as const) {
      const d = long({ state, kind });
      cards.push([
        `card ${kind} ${state}`,
        deploymentView(d, {
          transitions,
          approvals: approvals(),
          queuedBehind: long({ id: 'd-ahead' }),
          links: [{ label: `Logs ${'l'.repeat(100)}`, url: URL }],
        }),
      ]);
    }
  }
  const running = (driverRef: unknown) => long({ state: 'running', driverRef });
  cards.push(['card canary step', deploymentView(running(canary()))]);
  cards.push([
    'card canary paused by analysis',
    deploymentView(running(canary({ paused: { by: 'slipway', asked: true, reason: REASON } }))),
  ]);
  cards.push([
    'card canary paused by a person',
    deploymentView(running(canary({ paused: { by: 'U0PAUSER', asked: false, reason: '' } }))),
  ]);
  cards.push(['card canary promoting', deploymentView(running(canary({ promoting: true })))]);
  const asked = long({ state: 'verifying', driverRef: verify });
  cards.push(['card verification asks', deploymentView(asked)]);
  const question = [
    deliveryQuestionView(asked),
    deliveryQuestionView(
      running(canary({ paused: { by: 'slipway', asked: true, reason: REASON } })),
    ),
  ];
  for (const [i, q] of question.entries()) if (q) cards.push([`delivery question ${i}`, q]);
  return cards;
}

function approvalViews(): [string, MessageView][] {
  const d = long({ state: 'awaiting_approval' });
  const request = { url: URL, qa: USERS, next: ENVIRONMENT, approvals: approvals() };
  const views: [string, MessageView][] = [];
  for (const role of ['approver', 'qa', 'owner'] as const) {
    views.push([`approval request ${role}`, approvalRequestView(d, { ...request, role })]);
  }
  for (const verdict of ['approve', 'reject'] as const) {
    for (const form of ['reply', 'message'] as const) {
      const v = { approver: 'U0APPROVER', verdict, comment: COMMENT };
      views.push([`verdict ${verdict} ${form}`, verdictView(d, v, form)]);
      views.push([`review verdict ${verdict} ${form}`, reviewVerdictView(d, v, form, ENVIRONMENT)]);
    }
  }
  views.push(['settled approval approved', settledApprovalView(d, approvals())]);
  views.push(['settled approval rejected', settledApprovalView(d, approvals('reject'))]);
  views.push(['settled approval none', settledApprovalView(long({ state: 'cancelled' }), [])]);
  return views;
}

function reviewViews(): [string, MessageView][] {
  const d = long({ state: 'succeeded' });
  const next = ENVIRONMENT;
  const rejected = { kind: 'rejected' as const, by: 'U0QA', next };
  return [
    [
      'review promoted',
      reviewSettledView(d, { kind: 'promoted', by: 'U0OWNER', next }, approvals()),
    ],
    ['review closed', reviewSettledView(d, { kind: 'closed', by: 'U0OWNER', next }, approvals())],
    ['review superseded', reviewSettledView(d, { kind: 'superseded', newer: long() }, approvals())],
    ['review rejected', reviewSettledView(d, rejected, approvals('reject'))],
    ['review rejected, owners', reviewRejectedOwnerView(d, rejected, approvals('reject'))],
    [
      'promotion',
      promotionView(d, long({ state: 'awaiting_approval' }), 'U0OWNER', {
        carried: USERS,
        notes: [REASON, REASON],
      }),
    ],
    ['review closed in channel', reviewClosedView(d, 'U0OWNER', next)],
  ];
}

function answerViews(): [string, MessageView][] {
  const d = long({ state: 'queued' });
  const confirmed = {
    command: `deploy ${SERVICE} ${VERSION} to ${ENVIRONMENT}`,
    key: 'k'.repeat(64),
  };
  const targets = Array.from({ length: 100 }, (_, i) => ({
    service: `${SERVICE.slice(0, 60)}-${i}`,
    environment: ENVIRONMENT,
    live: long({ state: 'succeeded' }),
    active: long({ state: 'running' }),
    pending: [long(), long()],
    locks: [lock(), lock({ service: null })],
  }));
  return [
    ['accepted', acceptedView(d, [REASON, REASON], 'C0SERVICE')],
    ['lock taken', lockView(lock(), { replaced: lock({ owner: 'U0BEFORE' }) })],
    ['environment lock', lockView(lock({ service: null, expiresAt: null }))],
    ['lock released', lockView(lock(), { released: true, by: 'U0UNLOCKER' })],
    ['refusal', refusalView(`Frozen: ${REASON}`, `Did you mean ${SERVICE}?`, usageFor('deploy'))],
    ['help', usageView(usageFor(null))],
    ...COMMAND_NAMES.map((name): [string, MessageView] => [
      `usage ${name}`,
      usageView(usageFor(name)),
    ]),
    ['status of many targets', statusView(targets)],
    ['status of one service', statusView(targets.slice(0, 3), SERVICE)],
    [
      'history',
      historyView(
        Array.from({ length: 100 }, () => long()),
        { service: SERVICE, environment: ENVIRONMENT },
      ),
    ],
    [
      'surprise live again',
      surpriseView(
        {
          kind: 'live_again',
          service: SERVICE,
          environment: ENVIRONMENT,
          version: VERSION,
          live: long(),
        },
        confirmed,
      ),
    ],
    [
      'surprise never live',
      surpriseView(
        {
          kind: 'never_live',
          service: SERVICE,
          environment: ENVIRONMENT,
          version: VERSION,
          live: long(),
        },
        confirmed,
      ),
    ],
    ['dismissed', dismissedView()],
    ['cancelled request', cancelledRequestView(d, 'U0CANCELLER')],
  ];
}

function alertViews(): [string, MessageView][] {
  const config = scenarioConfig('/tmp/unused');
  const alerts = Array.from({ length: 60 }, (_, i) =>
    alert({
      name: `HighErrorRate${i}${'E'.repeat(80)}`,
      labels: { instance: `web-${i}-${'i'.repeat(60)}`, severity: 'page' },
      annotations: { summary: COMMENT, description: REASON, value: '7.2%' },
    }),
  );
  const state = applyNotification(null, notification(alerts)).state;
  const input = { state, subject: subjectOf(config, state.alerts) };
  return [
    [
      'alert group',
      alertGroupView({
        ...input,
        deployment: long({ state: 'succeeded' }),
        rollback: long({ kind: 'rollback' }),
        links: [{ label: 'Dashboard', url: URL }],
      }),
    ],
  ];
}

/** A failure's output in the card's thread: 30 KB with code fences, entities and emoji. */
function outcomeViews(): [string, MessageView][] {
  const log = Array.from(
    { length: 300 },
    (_, i) => `${i} 🚀 error: <&> \`\`\` ${'x'.repeat(60)}`,
  ).join('\n');
  const options = { logs: true, messageText: SLACK_CHAT_LIMITS.messageText };
  const views: [string, MessageView][] = [];
  for (const state of ['failed', 'rolling_back', 'rolled_back', 'succeeded'] as const) {
    for (const [i, view] of outcomeReplies(long({ state }), log, options).entries()) {
      views.push([`outcome reply ${state} ${i + 1}`, view]);
    }
  }
  for (const view of outcomeReplies(long({ state: 'failed' }), REASON, options)) {
    views.push(['outcome reply short', view]);
  }
  return views;
}

/** Every message view, named for the test that renders it. */
export function everyMessageView(): [string, MessageView][] {
  return [
    ...deploymentCards(),
    ...approvalViews(),
    ...reviewViews(),
    ...answerViews(),
    ...alertViews(),
    ...outcomeViews(),
  ];
}

/** Every form Slipway opens. */
export function everyModalView(): [string, ModalView][] {
  const origin = { channel: 'C0QA', ts: '1700000000.000100' };
  return [['reject reason', rejectReasonModal(long({ state: 'succeeded' }), origin)]];
}
