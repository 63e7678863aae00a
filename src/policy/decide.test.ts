import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALICE_TEAMS, BOB_TEAMS, configFrom } from '../config/test-support/config.js';
import type { BadVersion } from '../core/bad-version.js';
import type { Lock } from '../core/deployment.js';
import { decide, type PolicyRequest, type RefusalCode } from './decide.js';

const CONFIG = configFrom(`
admins: ['@admins']
groups:
  admins: [UADMIN]
  qa: [UQA1, UQA2]
  web-team: [UWEB1, UWEB2]
  api-team: [UAPI1]
  release: [UREL]
environments:
  - { name: preview, order: 0 }
  - name: staging
    order: 1
    deployers: ['@release', '@qa']
  - name: production
    order: 2
    protected: true
    deployers: ['@release']
    approvals: { required: 1, from: ['@qa', 'service:owners'] }
    channels: [C0DEPLOYS]
    freeze:
      - { cron: '0 16 * * 5', duration: 64h, timezone: Europe/Berlin, reason: weekend }
    freezeOverride: ['service:owners']
  # Protected without deployers: owners and admins only.
  - name: lab
    order: 3
    protected: true
    freeze: [{ cron: "0 16 * * 5", duration: 64h, timezone: Europe/Berlin, reason: weekend }]
    rollback: { duringFreeze: false }
services:
  - name: web
    owners: ['@web-team']
    qa: ['@qa']
    driver: { driver: command, options: { deploy: [x] } }
  - name: api
    owners: ['@api-team']
    driver: { driver: command, options: { deploy: [x] } }
    environments: { staging: {}, production: {} }
autoDeploy:
  - { service: api, type: branch, pattern: main, environment: staging }
`);

/** Wednesday 6 March 2024, 11:00 in Berlin: no freeze. */
const WEDNESDAY = new Date('2024-03-06T10:00:00Z');
/** Friday 8 March 2024, 18:00 in Berlin: inside the weekend freeze (until Mon 11 Mar 08:00). */
const FRIDAY_EVENING = new Date('2024-03-08T17:00:00Z');

function lock(owner: string, service: string | null, extra: Partial<Lock> = {}): Lock {
  return {
    environment: 'production',
    service,
    owner,
    reason: 'db migration',
    createdAt: new Date('2024-03-06T09:00:00Z'),
    expiresAt: new Date('2024-03-06T12:00:00Z'),
    ...extra,
  };
}

/** web 1.5.0, taken off production by an automatic rollback that morning. */
const BAD: BadVersion = {
  id: 'b-1',
  service: 'web',
  environment: 'production',
  version: '1.5.0',
  markedAt: new Date('2024-03-06T09:30:00Z'),
  markedBy: 'slipway',
  reason: 'not healthy within 30s',
  deploymentId: 'd-1',
  clearedAt: null,
  clearedBy: null,
  clearedReason: null,
  clearedDeploymentId: null,
};

/** A chat deploy of web to production from the deploy channel, on a quiet Wednesday. */
const BASE: PolicyRequest = {
  actor: 'UWEB1',
  channel: 'C0DEPLOYS',
  source: 'chat',
  action: 'deploy',
  service: 'web',
  environment: 'production',
  now: WEDNESDAY,
};

interface Row {
  name: string;
  request: Partial<PolicyRequest>;
  /** Allowed, with these texts among the notes (none when empty). */
  notes?: string[];
  /** Refused with this code, the reason containing each text. */
  code?: RefusalCode;
  reason?: string[];
  suggestion?: string;
}

const ROWS: Row[] = [
  // Names
  {
    name: 'unknown service',
    request: { service: 'wbe' },
    code: 'unknown_service',
    reason: ['no service called "wbe"', 'Known services: web, api'],
    suggestion: 'Did you mean web?',
  },
  {
    name: 'unknown environment',
    request: { environment: 'prod' },
    code: 'unknown_environment',
    reason: ['no environment called "prod"'],
    suggestion: 'Did you mean production?',
  },
  {
    name: 'a service in an environment it has no driver for',
    request: { actor: 'UAPI1', service: 'api', environment: 'preview' },
    code: 'not_deployable_here',
    reason: [
      'api is not set up for preview',
      'it deploys to staging, production',
      'services → api → environments',
    ],
  },
  {
    name: 'a deploy without an environment',
    request: { environment: null },
    code: 'incomplete_request',
    reason: ['deploy needs an environment'],
  },
  {
    name: 'an unidentified actor never counts as anyone',
    request: { actor: '', environment: 'preview' },
    code: 'incomplete_request',
    reason: ['could not tell who sent this deploy request'],
  },
  // Who may deploy
  { name: 'an owner deploys to production', request: {}, notes: [] },
  {
    name: 'anyone deploys to an unprotected environment',
    request: { actor: 'USOMEONE', environment: 'preview', channel: 'C0RANDOM' },
    notes: [],
  },
  {
    name: 'an environment deployer deploys',
    request: { actor: 'UREL', environment: 'staging' },
    notes: [],
  },
  { name: 'an admin deploys anything', request: { actor: 'UADMIN', service: 'api' }, notes: [] },
  {
    name: 'someone outside deployers, owners and admins',
    request: { actor: 'UAPI1' },
    code: 'not_deployer',
    reason: [
      'UAPI1 may not deploy web to production',
      'the owners of web (@web-team)',
      '@release',
      'an admin (@admins)',
    ],
  },
  {
    name: 'protected environment without deployers: QA may not deploy',
    request: { actor: 'UQA1', environment: 'lab' },
    code: 'not_deployer',
    reason: [
      'UQA1 may not deploy web to lab',
      'lab allows the owners of web (@web-team) or an admin (@admins)',
    ],
  },
  {
    name: 'protected environment without deployers: owners may',
    request: { environment: 'lab' },
    notes: [],
  },
  {
    name: 'a rollback needs the same rights',
    request: { actor: 'USOMEONE', action: 'rollback', environment: 'staging' },
    code: 'not_deployer',
    reason: ['USOMEONE may not roll back web in staging'],
  },
  {
    name: 'a build webhook deploys where autoDeploy sends it',
    request: {
      actor: 'slipway:build',
      source: 'webhook',
      channel: null,
      service: 'api',
      environment: 'staging',
    },
    notes: [],
  },
  {
    name: 'a build webhook may not deploy where no rule sends it',
    request: { actor: 'slipway:build', source: 'webhook', channel: null, environment: 'staging' },
    code: 'not_deployer',
  },
  // Channels
  {
    name: 'a chat deploy to production from another channel',
    request: { channel: 'C0RANDOM' },
    code: 'wrong_channel',
    reason: ['production can only be deployed from #C0DEPLOYS', 'run the command in that channel'],
  },
  {
    name: 'a chat rollback from a direct message',
    request: { action: 'rollback', channel: 'D0DIRECT' },
    code: 'wrong_channel',
    reason: ['production can only be rolled back from #C0DEPLOYS'],
  },
  {
    name: 'the CLI is not subject to channel rules',
    request: { source: 'cli', channel: null },
    notes: [],
  },
  {
    name: 'the API is not subject to channel rules',
    request: { source: 'api', channel: null },
    notes: [],
  },
  // Freeze
  {
    name: 'a deploy during the freeze, by someone who could override',
    request: { now: FRIDAY_EVENING, version: '1.4.2' },
    code: 'frozen',
    reason: [
      'production is frozen until Mon 11 Mar 08:00 Europe/Berlin (weekend)',
      // The suggestion is a command that works as typed: it names the version.
      'override the freeze with deploy! web 1.4.2 to production.',
    ],
  },
  {
    name: 'a deploy during the freeze, by someone who could not override',
    request: { actor: 'UREL', now: FRIDAY_EVENING },
    code: 'frozen',
    reason: [
      'frozen until Mon 11 Mar 08:00 Europe/Berlin',
      'ask the owners of web (@web-team) or an admin (@admins) to deploy it with deploy! web <version> to production.',
    ],
  },
  {
    name: 'deploy! by someone not allowed to override',
    request: { actor: 'UREL', now: FRIDAY_EVENING, force: true },
    code: 'freeze_override_denied',
    reason: [
      'UREL may not override the freeze on production (weekend, until Mon 11 Mar 08:00 Europe/Berlin)',
      'only the owners of web (@web-team) or an admin (@admins) may',
    ],
  },
  {
    name: 'deploy! by an owner listed in freezeOverride',
    request: { now: FRIDAY_EVENING, force: true },
    notes: ['Freeze "weekend" overridden by UWEB1'],
  },
  {
    name: 'deploy! by an admin',
    request: { actor: 'UADMIN', now: FRIDAY_EVENING, force: true },
    notes: ['overridden by UADMIN'],
  },
  {
    name: 'a rollback during the freeze goes ahead, with a note',
    request: { actor: 'UREL', action: 'rollback', now: FRIDAY_EVENING },
    notes: ['Rollback during freeze "weekend" (until Mon 11 Mar 08:00 Europe/Berlin)'],
  },
  {
    name: 'a rollback during the freeze where the rollback rule forbids it',
    request: { action: 'rollback', environment: 'lab', now: FRIDAY_EVENING },
    code: 'frozen',
    reason: ['lab is frozen until', 'deploy! web <version> to lab'],
  },
  {
    name: 'a retry during the freeze is a deploy',
    request: { action: 'retry', now: FRIDAY_EVENING },
    code: 'frozen',
  },
  { name: 'deploy! outside a freeze is a plain deploy', request: { force: true }, notes: [] },
  // Locks and deploys
  {
    name: 'an environment lock held by someone else',
    request: { locks: [lock('UREL', null)] },
    code: 'locked',
    reason: [
      'production is locked by UREL ("db migration") since Wed 6 Mar 09:00 UTC, until Wed 6 Mar 12:00 UTC',
      'so web cannot be deployed there',
      'Ask UREL to unlock production or wait until the lock expires',
      'an admin can remove it with unlock! production',
    ],
  },
  {
    name: 'a service lock held by someone else',
    request: {
      action: 'rollback',
      locks: [lock('UWEB2', 'web', { expiresAt: null, reason: null })],
    },
    code: 'locked',
    reason: [
      'web in production is locked by UWEB2 since',
      'with no expiry',
      'an admin or an owner of web can remove it with unlock! production web',
    ],
  },
  {
    name: 'a lock on another service does not block',
    request: { locks: [lock('UAPI1', 'api')] },
    notes: [],
  },
  {
    name: 'a lock on another environment does not apply',
    request: { locks: [lock('UREL', null, { environment: 'staging' })] },
    notes: [],
  },
  {
    name: 'your own lock does not block you',
    request: { locks: [lock('UWEB1', null)] },
    notes: [],
  },
  {
    name: 'an expired lock is ignored',
    request: { locks: [lock('UREL', null)], now: new Date('2024-03-06T12:00:00Z') },
    notes: [],
  },
  // lock / unlock
  {
    name: 'locking needs deploy rights',
    request: { actor: 'USOMEONE', action: 'lock', service: null },
    code: 'not_deployer',
    reason: [
      'USOMEONE may not lock production (locking needs the right to deploy there)',
      'the owners of a service deployed to production, @release or an admin (@admins)',
    ],
  },
  {
    name: 'an owner of a service there may lock the environment',
    request: { action: 'lock', service: null },
    notes: [],
  },
  {
    name: 'locking what someone else holds',
    request: { action: 'lock', locks: [lock('UWEB2', 'web')] },
    code: 'lock_held',
    reason: [
      'web in production is locked by UWEB2 ("db migration")',
      'Ask UWEB2 to unlock it',
      'take it over with lock! production web',
    ],
  },
  {
    name: 'lock! by an owner of the locked service takes it over',
    request: { action: 'lock', force: true, locks: [lock('UWEB2', 'web')] },
    notes: ['Lock on web in production held by UWEB2 ("db migration") taken over by UWEB1'],
  },
  {
    name: 'lock! by a deployer who is not an owner',
    request: { actor: 'UREL', action: 'lock', force: true, locks: [lock('UWEB2', 'web')] },
    code: 'lock_override_denied',
    reason: [
      'UREL may not take over the lock UWEB2 holds on web in production: only an admin or an owner of web may',
    ],
  },
  {
    name: 'unlock! of an environment lock by a service owner',
    request: { action: 'unlock', service: null, force: true, locks: [lock('UREL', null)] },
    code: 'lock_override_denied',
    reason: ['UWEB1 may not remove the lock UREL holds on production: only an admin may'],
  },
  // A version a rollback took off production (policy/bad-version.ts has the rest)
  {
    name: 'a webhook (a build, alert automation) putting back a version rolled back there',
    request: { source: 'webhook', channel: null, badVersion: BAD },
    code: 'bad_version',
    reason: ['web 1.5.0 was rolled back in production automatically', 'Builds and alerts never'],
  },
  {
    name: 'deploy! of a version rolled back there, without a reason',
    request: { force: true, badVersion: BAD },
    code: 'reason_required',
    reason: ['deploy! web 1.5.0 to production -- <reason>'],
  },
  {
    name: 'deploy! of a version rolled back there, with a reason',
    request: { force: true, reason: 'fixed upstream', badVersion: BAD },
    notes: ['deployed again by UWEB1 with deploy! ("fixed upstream"), which clears the mark'],
  },
  {
    name: 'unlock without force of someone else’s lock',
    request: { action: 'unlock', service: null, locks: [lock('UREL', null)] },
    code: 'lock_held',
    reason: ['remove it with unlock! production'],
  },
  {
    name: 'unlock! by an admin',
    request: {
      actor: 'UADMIN',
      action: 'unlock',
      service: null,
      force: true,
      locks: [lock('UREL', null)],
    },
    notes: ['Lock on production held by UREL ("db migration") removed by UADMIN'],
  },
  {
    name: 'unlocking your own lock',
    request: { action: 'unlock', locks: [lock('UWEB1', 'web')] },
    notes: [],
  },
  {
    name: 'locks are chat commands bound to the channel too',
    request: { action: 'lock', channel: 'C0RANDOM' },
    code: 'wrong_channel',
    reason: ['production can only be locked from #C0DEPLOYS'],
  },
  // Approvals: four-eyes
  {
    name: 'QA approves',
    request: { actor: 'UQA1', action: 'approve', requestedBy: 'UWEB1', channel: 'D0QA1' },
    notes: [],
  },
  {
    name: 'another owner approves',
    request: { actor: 'UWEB2', action: 'approve', requestedBy: 'UWEB1' },
    notes: [],
  },
  {
    name: 'the requester approves their own deployment',
    request: { action: 'approve', requestedBy: 'UWEB1' },
    code: 'self_approval',
    reason: [
      'You requested this deployment of web to production',
      'someone else must approve it (four-eyes): @qa or the owners of web (@web-team)',
    ],
  },
  {
    name: 'an admin who requested may not approve either',
    request: { actor: 'UADMIN', action: 'approve', requestedBy: 'UADMIN' },
    code: 'self_approval',
  },
  {
    name: 'the requester rejects their own deployment',
    request: { actor: 'UQA1', action: 'reject', requestedBy: 'UQA1' },
    code: 'self_approval',
    reason: ['cancel it instead'],
  },
  {
    name: 'someone outside approvals.from approves',
    request: { actor: 'UREL', action: 'approve', requestedBy: 'UWEB1' },
    code: 'not_approver',
    reason: [
      'UREL may not approve deployments of web to production: approvals come from @qa or the owners of web (@web-team)',
    ],
  },
  {
    name: 'approving where nobody may approve',
    request: { actor: 'UQA1', action: 'approve', environment: 'staging', requestedBy: 'UREL' },
    code: 'not_approver',
    reason: ['Nobody is set up to approve deployments to staging', 'approvals.from'],
  },
  {
    name: 'an approval without knowing the requester',
    request: { actor: 'UQA1', action: 'approve' },
    code: 'incomplete_request',
    reason: ['Cannot check who requested this deployment of web to production'],
  },
  // Cancel
  {
    name: 'the requester cancels',
    request: { actor: 'UREL', action: 'cancel', requestedBy: 'UREL' },
    notes: [],
  },
  {
    name: 'an owner cancels',
    request: { actor: 'UWEB2', action: 'cancel', requestedBy: 'UREL' },
    notes: [],
  },
  {
    name: 'an admin cancels',
    request: { actor: 'UADMIN', action: 'cancel', requestedBy: 'UREL' },
    notes: [],
  },
  {
    name: 'someone else cancels',
    request: { actor: 'UQA1', action: 'cancel', requestedBy: 'UREL' },
    code: 'not_requester',
    reason: ['Only the requester (UREL), the owners of web (@web-team) or an admin may cancel'],
  },
  // Reviews of a build on a pre-production environment (seeds/001)
  {
    name: 'QA reviews a build on staging',
    request: { actor: 'UQA1', action: 'review', environment: 'staging', requestedBy: 'UREL' },
    notes: [],
  },
  {
    name: 'QA reviews a build they deployed themselves',
    request: { actor: 'UQA1', action: 'review', environment: 'staging', requestedBy: 'UQA1' },
    code: 'self_approval',
    reason: ['You deployed this build of web to staging', 'someone else from QA', '@qa'],
  },
  {
    name: 'an owner reviews a build (reviews are for QA)',
    request: { actor: 'UWEB1', action: 'review', environment: 'staging', requestedBy: 'UREL' },
    code: 'not_qa',
    reason: ['UWEB1 may not review builds of web: reviews come from its QA (@qa)'],
  },
  {
    name: 'a build of a service without QA',
    request: {
      actor: 'UQA1',
      action: 'review',
      service: 'api',
      environment: 'staging',
      requestedBy: 'UREL',
    },
    code: 'not_qa',
    reason: ['api has no QA listed', 'services → api → qa'],
  },
  {
    name: 'a review without knowing who deployed the build',
    request: { actor: 'UQA1', action: 'review', environment: 'staging' },
    code: 'incomplete_request',
  },
  {
    name: 'an owner promotes a build, even one they deployed',
    request: { actor: 'UWEB2', action: 'promote', environment: 'staging', requestedBy: 'UWEB2' },
    notes: [],
  },
  {
    name: 'an admin closes a build',
    request: { actor: 'UADMIN', action: 'close', environment: 'staging' },
    notes: [],
  },
  {
    name: 'QA promotes a build',
    request: { actor: 'UQA1', action: 'promote', environment: 'staging' },
    code: 'not_owner',
    reason: ['UQA1 may not promote builds of web: only the owners of web (@web-team) or an admin'],
  },
  {
    name: 'a stranger closes a build',
    request: { actor: 'USOMEONE', action: 'close', environment: 'staging' },
    code: 'not_owner',
    reason: ['USOMEONE may not close builds of web'],
  },
  // Reading
  {
    name: 'anyone reads status anywhere',
    request: {
      actor: 'USOMEONE',
      action: 'status',
      service: null,
      environment: null,
      channel: 'C0RANDOM',
    },
    notes: [],
  },
  {
    name: 'anyone reads history during a freeze',
    request: { actor: 'USOMEONE', action: 'history', now: FRIDAY_EVENING, channel: 'C0RANDOM' },
    notes: [],
  },
  {
    name: 'status of an unknown service',
    request: { action: 'status', service: 'nope', environment: null },
    code: 'unknown_service',
  },
];

describe('decide', () => {
  it.each(ROWS)('$name', ({ request, notes, code, reason, suggestion }) => {
    const decision = decide(CONFIG, { ...BASE, ...request });
    if (code) {
      expect(decision).toMatchObject({ allowed: false, code });
      if (suggestion) expect(decision).toMatchObject({ suggestion });
      for (const text of reason ?? [])
        expect(decision.allowed ? '' : decision.reason).toContain(text);
    } else {
      expect(decision, JSON.stringify(decision)).toMatchObject({ allowed: true });
      const got = decision.allowed ? decision.notes : [];
      if (notes?.length === 0) expect(got).toEqual([]);
      for (const text of notes ?? []) expect(got.join('\n')).toContain(text);
    }
  });

  it('has a row for every refusal code', () => {
    // A Record makes the compiler fail here when a code is added without a row.
    const codes: Record<RefusalCode, true> = {
      unknown_service: true,
      unknown_environment: true,
      not_deployable_here: true,
      incomplete_request: true,
      not_deployer: true,
      wrong_channel: true,
      frozen: true,
      freeze_override_denied: true,
      locked: true,
      lock_held: true,
      lock_override_denied: true,
      bad_version: true,
      reason_required: true,
      self_approval: true,
      not_approver: true,
      not_requester: true,
      not_qa: true,
      not_owner: true,
    };
    expect(new Set(ROWS.map((r) => r.code).filter(Boolean))).toEqual(new Set(Object.keys(codes)));
  });

  it('reasons are sentences: they end with a full stop', () => {
    for (const row of ROWS) {
      const decision = decide(CONFIG, { ...BASE, ...row.request });
      if (!decision.allowed) expect(decision.reason, row.name).toMatch(/[.?]$/);
    }
  });

  it('answers any request with an allowance or a sentence, never an exception', () => {
    const name = (known: string[]) =>
      fc.option(fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 8 })));
    const request = fc.record({
      actor: fc.oneof(
        fc.constantFrom('UWEB1', 'UQA1', 'UREL', 'UADMIN', 'USOMEONE', ''),
        fc.string({ maxLength: 6 }),
      ),
      channel: fc.option(fc.constantFrom('C0DEPLOYS', 'C0RANDOM', '#C0DEPLOYS', 'c0deploys')),
      source: fc.constantFrom('chat', 'cli', 'api', 'webhook', 'dashboard'),
      action: fc.constantFrom(
        'deploy',
        'rollback',
        'lock',
        'unlock',
        'approve',
        'reject',
        'cancel',
        'review',
        'promote',
        'close',
        'status',
        'history',
      ),
      service: name(['web', 'api']),
      environment: name(['preview', 'staging', 'production', 'lab']),
      force: fc.boolean(),
      requestedBy: fc.option(fc.constantFrom('UWEB1', 'UQA1', 'UREL'), { nil: undefined }),
      locks: fc.array(
        fc.record({
          owner: fc.constantFrom('UWEB1', 'UWEB2', 'UREL'),
          service: fc.option(fc.constantFrom('web', 'api')),
          expired: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      now: fc.date({
        min: new Date('2024-01-01T00:00:00Z'),
        max: new Date('2025-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
    });
    fc.assert(
      fc.property(request, ({ locks, ...rest }) => {
        const decision = decide(CONFIG, {
          ...rest,
          source: rest.source as PolicyRequest['source'],
          action: rest.action as PolicyRequest['action'],
          locks: locks.map((l) =>
            lock(l.owner, l.service, {
              createdAt: new Date(rest.now.getTime() - 3_600_000),
              expiresAt: new Date(rest.now.getTime() + (l.expired ? -1 : 3_600_000)),
            }),
          ),
        });
        if (!decision.allowed) expect(decision.reason).toMatch(/\S.*[.?]$/s);
        // Nobody outside every list changes production, whatever else is true.
        if (
          rest.actor === 'USOMEONE' &&
          rest.environment === 'production' &&
          ['deploy', 'rollback', 'lock', 'unlock'].includes(rest.action)
        ) {
          expect(decision.allowed).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('decide for people on several platforms', () => {
  const PEOPLE = configFrom(`
people:
  alice: { slack: U0ALICE01, teams: ${ALICE_TEAMS} }
  bob: { slack: U0BOB0001, teams: ${BOB_TEAMS} }
environments:
  - name: production
    order: 0
    approvals: { required: 1, from: [U0ALICE01, U0BOB0001] }
services:
  - name: web
    owners: [alice]
    driver: { driver: command, options: { deploy: [x] } }
`);
  const approve = (actor: string, requestedBy: string) =>
    decide(PEOPLE, { ...BASE, channel: null, actor, requestedBy, action: 'approve' });

  it('refuses a requester approving from the other platform, by key or by id', () => {
    expect(approve('alice', 'alice')).toMatchObject({ code: 'self_approval' });
    expect(approve(`teams:${ALICE_TEAMS}`, 'alice')).toMatchObject({ code: 'self_approval' });
    // Requested before alice was listed under people, so recorded under her Slack id.
    expect(approve('alice', 'U0ALICE01')).toMatchObject({ code: 'self_approval' });
    expect(approve(`teams:${ALICE_TEAMS.toUpperCase()}`, 'U0ALICE01')).toMatchObject({
      code: 'self_approval',
    });
  });

  it('lets an approver listed by Slack id approve from Teams', () => {
    expect(approve(`teams:${BOB_TEAMS}`, 'alice')).toMatchObject({ allowed: true });
    expect(approve('bob', 'U0ALICE01')).toMatchObject({ allowed: true });
    expect(approve('teams:aaaaaaaa-0000-4000-8000-000000000000', 'alice')).toMatchObject({
      code: 'not_approver',
    });
  });

  it('names a Teams channel an environment may only be deployed from as such', () => {
    const teamsOnly = configFrom(`
environments:
  - { name: production, order: 0, channels: [C0DEPLOYS, "teams:19:deploys@thread.tacv2"] }
services: [{ name: web, driver: { driver: command, options: { deploy: [x] } } }]
`);
    const elsewhere = decide(teamsOnly, { ...BASE, channel: 'teams:19:random@thread.tacv2' });
    expect(elsewhere).toMatchObject({ code: 'wrong_channel' });
    expect(elsewhere.allowed ? '' : elsewhere.reason).toContain(
      'from #C0DEPLOYS or the Teams channel 19:deploys@thread.tacv2,',
    );
    expect(decide(teamsOnly, { ...BASE, channel: 'teams:19:deploys@thread.tacv2' })).toMatchObject({
      allowed: true,
    });
  });

  it("does not hold a person's own lock, taken on the other platform, against them", () => {
    const deploy = (actor: string, owner: string) =>
      decide(PEOPLE, { ...BASE, channel: null, actor, locks: [lock(owner, 'web')] });
    expect(deploy('alice', 'U0ALICE01')).toMatchObject({ allowed: true });
    expect(deploy(`teams:${ALICE_TEAMS}`, 'alice')).toMatchObject({ allowed: true });
    expect(deploy('alice', 'U0BOB0001')).toMatchObject({ code: 'locked' });
  });
});
