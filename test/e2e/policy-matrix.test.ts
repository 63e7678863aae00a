import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import type { Deployment, DeploymentKind, DeploymentState } from '../../src/core/deployment.js';
import { promotionKey } from '../../src/engine/index.js';
import type { Message } from '../../src/local-slack/index.js';
import type { RefusalCode } from '../../src/policy/index.js';
import type { NewDeployment } from '../../src/store/types.js';
import {
  expectRefused,
  type Outcome,
  type PolicyServer,
  privateAnswers,
  startPolicyServer,
} from '../support/policy-server.js';
import { drawnCard, type SignedAnswer } from '../support/signed-slack.js';
import { eventually } from '../support/slack-harness.js';

/**
 * Who may do what, where: the product's rules as one table, each cell driven through the real
 * HTTP server with Slack requests signed as Slack signs them (slash commands and button clicks),
 * and checked in the store and the driver. A refused cell must leave its target as it was: no
 * new deployment, no state or approval change, no lock taken or dropped, nothing run, and the
 * person told privately. The table is printed after the run.
 *
 * Each (row, role) has its own service, bound to the four environments, so each cell has a
 * target of its own and the cells do not depend on each other.
 */

const ROLES = ['outsider', 'deployer', 'owner', 'requester', 'qa', 'admin'] as const;
type Role = (typeof ROLES)[number];
const ENVS = ['open', 'protected', 'frozen', 'locked'] as const;
type Env = (typeof ENVS)[number];

const USER: Record<Role, string> = {
  outsider: 'U-OUTSIDER',
  deployer: 'U-DEPLOYER',
  owner: 'U-OWNER',
  // A second member of the owners' team: the one who requested each row's subject deployment.
  requester: 'U-REQUESTER',
  qa: 'U-QA',
  admin: 'U-ADMIN',
};
/** A deployer who holds the lock on every service in `locked`, and runs what is seeded running. */
const OTHER = 'U-OTHER';
/** In the services' QA (so a build's review counts) but no approver of `protected`. */
const REVIEWER = 'U-REVIEWER';
const CHANNEL = 'C-DEPLOYS';
/** Where the services of the crafted-payload cases post their cards. */
const CARDS = 'C-CARDS';

// ── The spec ────────────────────────────────────────────────────────────────────────────────

/** A: accepted (`waits`: recorded, awaiting approval, not run); R: refused (code null: any). */
type Cell = { kind: 'A'; waits?: boolean } | { kind: 'R'; code: RefusalCode | null };
const A: Cell = { kind: 'A' };
const WAITS: Cell = { kind: 'A', waits: true };
const R = (code: RefusalCode | null): Cell => ({ kind: 'R', code });

/** Deploy rights: admins, the service's owners, and the environment's deployers. */
function mayDeploy(role: Role, env: Env): boolean {
  if (role === 'admin' || role === 'owner' || role === 'requester') return true;
  // `protected` has no deployers list: owners only. QA are not deployers anywhere.
  return role === 'deployer' && env !== 'protected';
}
/** Owners and admins override a freeze, take over and remove a service lock. */
const ownerOrAdmin = (role: Role) => role === 'owner' || role === 'requester' || role === 'admin';

/**
 * A change of what runs: `previous` is a rollback to the version before the live one, which
 * needs no approval and may run in a freeze; everything else follows the rules for a deploy.
 */
function change(role: Role, env: Env, how: { force?: boolean; previous?: boolean } = {}): Cell {
  if (!mayDeploy(role, env)) return R('not_deployer');
  if (env === 'frozen' && !how.previous) {
    if (!how.force) return R('frozen');
    if (!ownerOrAdmin(role)) return R('freeze_override_denied');
  }
  if (env === 'locked') return R('locked');
  if (env === 'protected' && !how.previous) return WAITS;
  return A;
}

function lock(role: Role, env: Env, force: boolean): Cell {
  if (!mayDeploy(role, env)) return R('not_deployer');
  if (env !== 'locked') return A;
  if (!force) return R('lock_held');
  return ownerOrAdmin(role) ? A : R('lock_override_denied');
}

function unlock(role: Role, env: Env, force: boolean): Cell {
  // Only `locked` has a lock to remove.
  if (env !== 'locked') return R(null);
  return lock(role, env, force);
}

/** approvals.from of `protected` is `@qa` and the service's owners; never the requester. */
function verdict(role: Role, env: Env): Cell {
  if (env !== 'protected') return R(null);
  if (role === 'requester') return R('self_approval');
  return role === 'qa' || role === 'owner' ? A : R('not_approver');
}

function cancel(role: Role): Cell {
  return ownerOrAdmin(role) ? A : R('not_requester');
}

/**
 * Promote and close need a build up for review: on `open`, promoted to `protected`. In the other
 * columns the subject is a failed deploy, which is no build under review. (`frozen` has a next
 * environment, `locked`, so a build that succeeded there would be up for review; none is.)
 */
function ownerDecision(role: Role, env: Env): Cell {
  if (env !== 'open') return R(null);
  return ownerOrAdmin(role) ? A : R('not_owner');
}

// ── The rows ────────────────────────────────────────────────────────────────────────────────

interface CellTarget {
  role: Role;
  user: string;
  service: string;
  env: Env;
  /** The deployment the row acts on (approve, cancel, retry, …), when it has one. */
  subject: Deployment | null;
}

interface Row {
  /** Service name prefix; the service of a cell is `<key>-<role>`. */
  key: string;
  label: string;
  expect(role: Role, env: Env): Cell;
  /** Seeds the target before the server starts; returns the row's subject deployment. */
  seed?(service: string, env: Env): Promise<Deployment | null>;
  act(t: CellTarget): Promise<SignedAnswer>;
  /**
   * Chat asks before this request once policy allows it (a "rollback" to a version never live
   * there): the cell's outcome is that of a click on the question's confirm button.
   */
  asks?: boolean;
  /** Environments whose state the cell must leave alone when refused (default: its own). */
  watches?(env: Env): Env[];
  /** Checks what an accepted cell did. `created`: deployments new since the cell started. */
  accepted(t: CellTarget, created: Deployment[], cell: Cell): Promise<void>;
}

/** A new deployment of `version`, awaiting approval (not run) or run by the driver. */
async function expectChange(
  t: CellTarget,
  created: Deployment[],
  cell: Cell,
  version: string,
  kind?: DeploymentKind,
): Promise<void> {
  expect(created).toHaveLength(1);
  const d = created[0] as Deployment;
  expect(d).toMatchObject({ version, requestedBy: t.user, environment: t.env });
  if (kind) expect(d.kind).toBe(kind);
  if (cell.kind === 'A' && cell.waits) {
    expect(d.state).toBe('awaiting_approval');
    expect(runsOf(d.id)).toEqual([]);
  } else {
    expect(d).toMatchObject({ approvalsRequired: 0 });
    expect(d.state).not.toBe('awaiting_approval');
    const [run] = await eventually(() => (runsOf(d.id).length > 0 ? runsOf(d.id) : null), 10_000);
    expect(run?.version).toBe(version);
  }
}

const command = (text: (t: CellTarget) => string) => (t: CellTarget) =>
  h().signed.command({ user: t.user, channel: CHANNEL, text: text(t) });

/** A click on the confirm button of the question Slipway answered privately. */
function confirmFrom(answer: SignedAnswer, t: CellTarget): Promise<SignedAnswer> {
  const buttons = privateAnswers(answer).flatMap((r) =>
    ((r.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[]).flatMap(
      (b) => b.elements ?? [],
    ),
  );
  const confirm = buttons.find((b) => b.action_id === 'confirm_command');
  if (!confirm?.value) throw new Error('the question has no confirm button');
  const actionId = 'confirm_command';
  const message = drawnCard({
    cfg: h().slack.config,
    channel: CHANNEL,
    actionId,
    value: confirm.value,
  });
  return h().signed.click({ user: t.user, channel: CHANNEL, message, actionId });
}

/** A click on the deployment's card: `actionId` carrying the subject's id. */
const button = (actionId: string) => (t: CellTarget) => {
  const value = t.subject?.id ?? 'd-none';
  const message = drawnCard({ cfg: h().slack.config, channel: CHANNEL, actionId, value });
  return h().signed.click({ user: t.user, channel: CHANNEL, message, actionId });
};

/** 0.9.0, 1.0.0 and 1.1.0 went live in this order: 1.1.0 is live, 1.0.0 the previous. */
async function history(service: string, env: Env): Promise<Deployment | null> {
  let previous: string | null = null;
  for (const version of ['0.9.0', '1.0.0', '1.1.0']) {
    await seed(service, env, version, 'succeeded', { previousVersion: previous });
    previous = version;
  }
  return null;
}

async function lockIsHeldBy(t: CellTarget, owner: string | null): Promise<void> {
  const locks = (await h().app.store.listLocks(t.env)).filter((l) => l.service === t.service);
  expect(locks.map((l) => l.owner)).toEqual(owner ? [owner] : []);
}

async function subjectNow(t: CellTarget): Promise<Deployment> {
  const d = await h().app.store.getDeployment(t.subject?.id ?? '');
  if (!d) throw new Error(`subject of ${t.service} in ${t.env} is gone`);
  return d;
}

const ROWS: Row[] = [
  {
    key: 'deploy',
    label: 'deploy',
    expect: (role, env) => change(role, env),
    act: command((t) => `deploy ${t.service} 1.3.0 to ${t.env}`),
    accepted: (t, created, cell) => expectChange(t, created, cell, '1.3.0', 'deploy'),
  },
  {
    key: 'deploybang',
    label: 'deploy!',
    expect: (role, env) => change(role, env, { force: true }),
    act: command((t) => `deploy! ${t.service} 1.3.0 to ${t.env}`),
    accepted: (t, created, cell) => expectChange(t, created, cell, '1.3.0', 'deploy'),
  },
  {
    key: 'rollback',
    label: 'rollback',
    expect: (role, env) => change(role, env, { previous: true }),
    seed: history,
    act: command((t) => `rollback ${t.service} in ${t.env}`),
    accepted: (t, created, cell) => expectChange(t, created, cell, '1.0.0', 'rollback'),
  },
  {
    key: 'rollbackold',
    label: 'rollback→0.9.0',
    expect: (role, env) => change(role, env),
    seed: history,
    act: command((t) => `rollback ${t.service} in ${t.env} to 0.9.0`),
    accepted: (t, created, cell) => expectChange(t, created, cell, '0.9.0'),
  },
  {
    key: 'rollbacknew',
    label: 'rollback→6.7.2',
    expect: (role, env) => change(role, env),
    seed: history,
    act: command((t) => `rollback ${t.service} in ${t.env} to 6.7.2`),
    asks: true,
    accepted: (t, created, cell) => expectChange(t, created, cell, '6.7.2', 'deploy'),
  },
  {
    key: 'lock',
    label: 'lock',
    expect: (role, env) => lock(role, env, false),
    act: command((t) => `lock ${t.env} ${t.service}`),
    accepted: (t) => lockIsHeldBy(t, t.user),
  },
  {
    key: 'lockbang',
    label: 'lock!',
    expect: (role, env) => lock(role, env, true),
    act: command((t) => `lock! ${t.env} ${t.service}`),
    accepted: (t) => lockIsHeldBy(t, t.user),
  },
  {
    key: 'unlock',
    label: 'unlock',
    expect: (role, env) => unlock(role, env, false),
    act: command((t) => `unlock ${t.env} ${t.service}`),
    accepted: (t) => lockIsHeldBy(t, null),
  },
  {
    key: 'unlockbang',
    label: 'unlock!',
    expect: (role, env) => unlock(role, env, true),
    act: command((t) => `unlock! ${t.env} ${t.service}`),
    accepted: (t) => lockIsHeldBy(t, null),
  },
  {
    key: 'approve',
    label: 'approve',
    expect: verdict,
    // In `protected` a deployment awaiting approval; elsewhere the live one, which awaits nothing.
    seed: (service, env) =>
      seed(service, env, '2.0.0', env === 'protected' ? 'awaiting_approval' : 'succeeded'),
    act: button('approve'),
    async accepted(t) {
      const d = await subjectNow(t);
      expect(d.state).not.toBe('awaiting_approval');
      const approvals = await h().app.store.listApprovals(d.id);
      expect(approvals.map((a) => [a.approver, a.verdict])).toEqual([[t.user, 'approve']]);
    },
  },
  {
    key: 'reject',
    label: 'reject',
    expect: verdict,
    seed: (service, env) =>
      seed(service, env, '2.0.0', env === 'protected' ? 'awaiting_approval' : 'succeeded'),
    act: button('reject'),
    async accepted(t) {
      expect((await subjectNow(t)).state).toBe('cancelled');
    },
  },
  {
    key: 'cancel',
    label: 'cancel',
    expect: (role) => cancel(role),
    // Awaiting approval in `protected`; elsewhere queued behind a deployment running elsewhere.
    seed: (service, env) =>
      env === 'protected'
        ? seed(service, env, '2.0.0', 'awaiting_approval')
        : queuedBehind(service, env),
    act: button('cancel'),
    async accepted(t) {
      expect((await subjectNow(t)).state).toBe('cancelled');
    },
  },
  {
    key: 'retry',
    label: 'retry',
    expect: (role, env) => change(role, env),
    seed: (service, env) => seed(service, env, '2.0.0', 'failed'),
    act: button('retry'),
    accepted: (t, created, cell) => expectChange(t, created, cell, '2.0.0', 'deploy'),
  },
  {
    key: 'promote',
    label: 'promote',
    expect: ownerDecision,
    seed: reviewedBuild,
    act: button('promote'),
    watches: (env) => (env === 'protected' ? [env] : [env, 'protected']),
    async accepted(t) {
      const store = h().app.store;
      const promoted = await store.findByIdempotencyKey(promotionKey(t.subject?.id ?? ''));
      // The reviewer's approval does not count in `protected` (not an approver there).
      expect(promoted).toMatchObject({
        environment: 'protected',
        version: '1.2.0',
        kind: 'deploy',
        requestedBy: t.user,
        state: 'awaiting_approval',
      });
      expect(runsOf(promoted?.id ?? '')).toEqual([]);
      const decision = await store.getReviewDecision(t.subject?.id ?? '');
      expect(decision).toMatchObject({ decision: 'promoted', actor: t.user });
    },
  },
  {
    key: 'close',
    label: 'close',
    expect: ownerDecision,
    seed: reviewedBuild,
    act: button('close'),
    watches: (env) => (env === 'protected' ? [env] : [env, 'protected']),
    async accepted(t) {
      const decision = await h().app.store.getReviewDecision(t.subject?.id ?? '');
      expect(decision).toMatchObject({ decision: 'closed', actor: t.user });
    },
  },
];

/**
 * On `open`, a build of 1.2.0 that succeeded and that a reviewer from the service's QA approved:
 * up for promotion to `protected`. Elsewhere no build is up for review: a failed deploy.
 */
async function reviewedBuild(service: string, env: Env): Promise<Deployment> {
  if (env !== 'open') return seed(service, env, '1.2.0', 'failed');
  const build = await seed(service, env, '1.2.0', 'succeeded');
  await h().app.store.addApproval({
    deploymentId: build.id,
    approver: REVIEWER,
    verdict: 'approve',
    comment: null,
  });
  return build;
}

// ── The server ──────────────────────────────────────────────────────────────────────────────

let server: PolicyServer | null = null;
function h(): PolicyServer {
  if (!server) throw new Error('the server is not started');
  return server;
}
const runsOf = (id: string) => h().runsOf(id);

/** Seeded history: requested by the requester unless said otherwise. */
function seed(
  service: string,
  env: Env,
  version: string,
  state: DeploymentState,
  extra: Partial<NewDeployment> = {},
): Promise<Deployment> {
  return h().seed(
    { service, environment: env, version, requestedBy: USER.requester, channel: CHANNEL, ...extra },
    state,
  );
}

/** Queued behind a deployment another Slipway process is running, so it stays queued. */
async function queuedBehind(service: string, env: Env): Promise<Deployment> {
  await h().seedRunningElsewhere({
    service,
    environment: env,
    version: '1.5.0',
    requestedBy: OTHER,
  });
  return seed(service, env, '2.0.0', 'queued');
}

function config() {
  const service = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    owners: ['@owners'],
    qa: ['@qa', '@reviewers'],
    driver: { driver: 'recording', options: {} },
    environments: { open: {}, protected: {}, frozen: {}, locked: {} },
    ...extra,
  });
  return Config.parse({
    admins: ['@admins'],
    groups: {
      admins: [USER.admin],
      deployers: [USER.deployer, OTHER],
      owners: [USER.owner, USER.requester],
      qa: [USER.qa],
      reviewers: [REVIEWER],
    },
    environments: [
      { name: 'open', order: 0, deployers: ['@deployers'] },
      {
        name: 'protected',
        order: 1,
        protected: true,
        approvals: { required: 1, from: ['@qa', 'service:owners'] },
      },
      {
        name: 'frozen',
        order: 2,
        deployers: ['@deployers'],
        // Starts every hour and lasts two: always in force.
        freeze: [{ cron: '0 * * * *', duration: '2h', reason: 'always frozen' }],
        freezeOverride: ['service:owners'],
      },
      { name: 'locked', order: 3, deployers: ['@deployers'] },
    ],
    services: [
      ...ROWS.flatMap((row) => ROLES.map((role) => service(`${row.key}-${role}`))),
      ...CARD_SERVICES.map((name) => service(name, { channel: CARDS })),
    ],
    engine: { lease: '30s', pollInterval: '100ms', concurrency: 64 },
  });
}

const CARD_SERVICES = ['card-roll', 'card-theirs', 'card-mine', 'card-hold', 'card-retry'];
/** Subject deployments by `<service>|<env>`. */
const subjects = new Map<string, Deployment | null>();
/** The seeded deployments the crafted cases point at. */
const crafted: Record<string, Deployment> = {};

async function seedAll(started: PolicyServer): Promise<void> {
  server = started;
  for (const row of ROWS) {
    for (const role of ROLES) {
      const service = `${row.key}-${role}`;
      for (const env of ENVS)
        subjects.set(`${service}|${env}`, (await row.seed?.(service, env)) ?? null);
      await started.app.store.acquireLock(
        { environment: 'locked', service, owner: OTHER, reason: 'migration', expiresAt: null },
        false,
      );
    }
  }
  await seedCrafted();
}

// ── The matrix ──────────────────────────────────────────────────────────────────────────────

interface CellResult {
  expected: Cell;
  outcome: Outcome | null;
  /** Why the cell does not behave as the spec says; null when it does. */
  failure: string | null;
}
const results = new Map<string, CellResult>();
const cellKey = (row: Row, role: Role, env: Env) => `${row.key}|${role}|${env}`;

beforeAll(async () => {
  await startPolicyServer({
    config: config(),
    users: [...Object.values(USER), OTHER, REVIEWER],
    channels: [CHANNEL, CARDS],
    seed: seedAll,
  });
}, 120_000);
afterAll(async () => {
  printMatrix();
  await server?.close();
  server = null;
});

describe('policy matrix over signed Slack requests', () => {
  for (const row of ROWS) {
    describe(row.label, () => {
      for (const role of ROLES) {
        for (const env of ENVS) {
          const expected = row.expect(role, env);
          it(`${role} in ${env}: ${token(expected)}`, async () => {
            const result: CellResult = { expected, outcome: null, failure: 'did not finish' };
            results.set(cellKey(row, role, env), result);
            const service = `${row.key}-${role}`;
            const t: CellTarget = {
              role,
              user: USER[role],
              service,
              env,
              subject: subjects.get(`${service}|${env}`) ?? null,
            };
            const watched = row.watches?.(env) ?? [env];
            const before = await h().snapshot(service, watched);
            const known = new Set((await h().deploymentsIn(service, watched)).map((d) => d.id));
            const audited = (await h().app.store.listRefusals({ actor: t.user, limit: 500 }))
              .length;
            try {
              const first = await h().send(() => row.act(t));
              // Asked only once policy allowed it; a refusal is never a question.
              if (row.asks)
                expect(first.outcome.code === 'unconfirmed').toBe(expected.kind === 'A');
              const { outcome, answer } =
                row.asks && first.outcome.code === 'unconfirmed'
                  ? await h().send(() => confirmFrom(first.answer, t))
                  : first;
              result.outcome = outcome;
              if (expected.kind === 'R') {
                await expectRefused(outcome, answer, expected.code, {
                  before,
                  after: () => h().snapshot(service, watched),
                });
                // Every refusal is in the audit trail, with who and why.
                const trail = await h().app.store.listRefusals({ actor: t.user, limit: 500 });
                expect(trail.length, 'refusals recorded').toBe(audited + 1);
                expect(trail[0]).toMatchObject({ actor: t.user, reason: outcome.reason });
                if (outcome.code) expect(trail[0]?.code).toBe(outcome.code);
              } else {
                expect(outcome.ok, `refused (${outcome.code}): ${outcome.reason}`).toBe(true);
                const created = (await h().deploymentsIn(service, [env])).filter(
                  (d) => !known.has(d.id),
                );
                await row.accepted(t, created, expected);
              }
              result.failure = null;
            } catch (err) {
              result.failure =
                (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
              throw err;
            }
          });
        }
      }
    });
  }
});

// ── Crafted payloads: a button's value swapped for a deployment the clicker may not touch ──

async function seedCrafted(): Promise<void> {
  // card-roll: 1.0.0 live on open; 1.0.0 then 1.1.0 on protected.
  await seed('card-roll', 'open', '1.0.0', 'succeeded');
  await seed('card-roll', 'protected', '1.0.0', 'succeeded');
  crafted.protectedLive = await seed('card-roll', 'protected', '1.1.0', 'succeeded', {
    previousVersion: '1.0.0',
  });
  // card-mine: the requester's own deployment, awaiting approval in protected.
  crafted.mine = await seed('card-mine', 'protected', '3.0.0', 'awaiting_approval');
  // card-hold: open is busy with a deployment another process runs.
  await queuedBehind('card-hold', 'open');
  // card-retry: the deployer's failed deploy on open, the requester's on protected.
  crafted.deployersFailed = await seed('card-retry', 'open', '2.0.0', 'failed', {
    requestedBy: USER.deployer,
  });
  crafted.protectedFailed = await seed('card-retry', 'protected', '2.0.0', 'failed');
}

/** What a refused click must leave as it was on these targets. */
async function targets(...list: [string, Env[]][]): Promise<string[]> {
  const parts = await Promise.all(list.map(([service, envs]) => h().snapshot(service, envs)));
  return parts.flat();
}

/** The card Slipway posted for `id`, once it shows the button `actionId`. */
async function cardOf(id: string, actionId: string): Promise<Message> {
  return eventually(
    () =>
      h()
        .slack.history(CARDS)
        .find((m) => {
          const blocks = JSON.stringify(m.blocks ?? []);
          return blocks.includes(`"action_id":"${actionId}"`) && blocks.includes(`"value":"${id}"`);
        }),
    10_000,
  );
}

/** A deploy through chat that Slipway accepted. */
async function requested(user: string, text: string): Promise<Deployment> {
  const { outcome } = await h().send(() => h().signed.command({ user, channel: CHANNEL, text }));
  expect(outcome.ok, outcome.reason).toBe(true);
  const [d] = await h().app.engine.history({ service: text.split(' ')[1] ?? '', limit: 1 });
  if (!d) throw new Error(`nothing recorded for "${text}"`);
  return d;
}

describe('crafted button payloads are judged on the deployment they name', () => {
  const swapped: Record<string, { card: Message; own: Deployment }> = {};

  it("Roll back on an open card, carrying a protected deployment's id: refused for protected", async () => {
    const own = await requested(USER.deployer, 'deploy card-roll 2.0.0 to open');
    await eventually(async () => (await h().app.engine.get(own.id))?.state === 'succeeded');
    const card = await cardOf(own.id, 'rollback');
    swapped.roll = { card, own };
    const real = crafted.protectedLive as Deployment;
    const watch = () => targets(['card-roll', ['open', 'protected']]);
    const before = await watch();
    const { outcome, answer } = await h().send(() =>
      h().signed.click({
        user: USER.deployer,
        channel: CARDS,
        message: card,
        actionId: 'rollback',
        value: real.id,
      }),
    );
    await expectRefused(outcome, answer, 'not_deployer', {
      before,
      after: watch,
    });
    expect(outcome.reason).toContain('protected');
  });

  it('the same Roll back, untampered, rolls back open', async () => {
    const { card, own } = swapped.roll ?? {};
    if (!card || !own) throw new Error('the previous case did not get its card');
    const { outcome } = await h().send(() =>
      h().signed.click({
        user: USER.deployer,
        channel: CARDS,
        message: card,
        actionId: 'rollback',
      }),
    );
    expect(outcome.ok, outcome.reason).toBe(true);
    const [d] = await h().app.engine.history({
      service: 'card-roll',
      environment: 'open',
      limit: 1,
    });
    expect(d).toMatchObject({ kind: 'rollback', version: '1.0.0', requestedBy: USER.deployer });
  });

  it("Approve on another owner's card, carrying the clicker's own deployment: four-eyes", async () => {
    const theirs = await requested(USER.owner, 'deploy card-theirs 3.0.0 to protected');
    expect(theirs.state).toBe('awaiting_approval');
    const card = await cardOf(theirs.id, 'approve');
    swapped.approve = { card, own: theirs };
    const mine = crafted.mine as Deployment;
    const watch = () => targets(['card-mine', ['protected']], ['card-theirs', ['protected']]);
    const before = await watch();
    const { outcome, answer } = await h().send(() =>
      h().signed.click({
        user: USER.requester,
        channel: CARDS,
        message: card,
        actionId: 'approve',
        value: mine.id,
      }),
    );
    await expectRefused(outcome, answer, 'self_approval', {
      before,
      after: watch,
    });
  });

  it("the same Approve, untampered, approves the other owner's deployment", async () => {
    const { card, own: theirs } = swapped.approve ?? {};
    if (!card || !theirs) throw new Error('the previous case did not get its card');
    const { outcome } = await h().send(() =>
      h().signed.click({
        user: USER.requester,
        channel: CARDS,
        message: card,
        actionId: 'approve',
      }),
    );
    expect(outcome.ok, outcome.reason).toBe(true);
    expect((await h().app.engine.get(theirs.id))?.state).not.toBe('awaiting_approval');
  });

  it("Cancel on the clicker's own queued card, carrying someone else's deployment: refused", async () => {
    const own = await requested(USER.deployer, 'deploy card-hold 2.0.0 to open');
    expect(own.state).toBe('queued');
    // A queued deployment gets its card once it runs (most queued ones are superseded before):
    // the card is drawn as Slipway draws it, with its Cancel button.
    const card = drawnCard({
      cfg: h().slack.config,
      channel: CARDS,
      actionId: 'cancel',
      value: own.id,
    });
    swapped.cancel = { card, own };
    const mine = crafted.mine as Deployment;
    const watch = () => targets(['card-mine', ['protected']], ['card-hold', ['open']]);
    const before = await watch();
    const { outcome, answer } = await h().send(() =>
      h().signed.click({
        user: USER.deployer,
        channel: CARDS,
        message: card,
        actionId: 'cancel',
        value: mine.id,
      }),
    );
    await expectRefused(outcome, answer, 'not_requester', {
      before,
      after: watch,
    });
  });

  it('the same Cancel, untampered, cancels their own deployment', async () => {
    const { card, own } = swapped.cancel ?? {};
    if (!card || !own) throw new Error('the previous case did not get its card');
    const { outcome } = await h().send(() =>
      h().signed.click({ user: USER.deployer, channel: CARDS, message: card, actionId: 'cancel' }),
    );
    expect(outcome.ok, outcome.reason).toBe(true);
    expect((await h().app.engine.get(own.id))?.state).toBe('cancelled');
  });

  it("Retry of the clicker's failed deploy, carrying a failed protected deployment: refused for protected", async () => {
    const own = crafted.deployersFailed as Deployment;
    const real = crafted.protectedFailed as Deployment;
    const card = drawnCard({
      cfg: h().slack.config,
      channel: CARDS,
      actionId: 'retry',
      value: own.id,
    });
    const watch = () => targets(['card-retry', ['open', 'protected']]);
    const before = await watch();
    const { outcome, answer } = await h().send(() =>
      h().signed.click({
        user: USER.deployer,
        channel: CARDS,
        message: card,
        actionId: 'retry',
        value: real.id,
      }),
    );
    await expectRefused(outcome, answer, 'not_deployer', {
      before,
      after: watch,
    });
  });

  it('the same Retry, untampered, deploys the failed version again on open', async () => {
    const own = crafted.deployersFailed as Deployment;
    const card = drawnCard({
      cfg: h().slack.config,
      channel: CARDS,
      actionId: 'retry',
      value: own.id,
    });
    const { outcome } = await h().send(() =>
      h().signed.click({ user: USER.deployer, channel: CARDS, message: card, actionId: 'retry' }),
    );
    expect(outcome.ok, outcome.reason).toBe(true);
    const [d] = await h().app.engine.history({
      service: 'card-retry',
      environment: 'open',
      limit: 1,
    });
    expect(d).toMatchObject({ kind: 'deploy', version: '2.0.0', requestedBy: USER.deployer });
    expect(d?.id).not.toBe(own.id);
  });
});

// ── The printed matrix ──────────────────────────────────────────────────────────────────────

const SHORT: Record<string, string> = {
  not_deployer: 'nd',
  frozen: 'fz',
  freeze_override_denied: 'fo',
  locked: 'lk',
  lock_held: 'lh',
  lock_override_denied: 'lo',
  self_approval: 'sa',
  not_approver: 'na',
  not_requester: 'nr',
  not_owner: 'no',
};
const short = (code: string | null) =>
  code === null
    ? ''
    : (SHORT[code] ??
      code
        .split('_')
        .map((w) => w[0])
        .join(''));

function token(cell: Cell): string {
  if (cell.kind === 'A') return cell.waits ? 'A~' : 'A';
  return cell.code ? `R:${short(cell.code)}` : 'R';
}

function actualToken(o: Outcome): string {
  return o.ok ? (o.waits ? 'A~' : 'A') : `R:${short(o.code)}`;
}

function printMatrix(): void {
  if (results.size === 0) return;
  const width = 6;
  const pad = (s: string, n = width) => s.padEnd(n);
  const label = 16;
  const lines = [
    'Who may do what, where (spec; "!" marks a cell that does not behave so today)',
    `${pad('', label)}${ROLES.map((r) => `| ${pad(r, width * ENVS.length)}`).join('')}`,
    `${pad('', label)}${ROLES.map(() => `| ${ENVS.map((e) => pad(e.slice(0, 4))).join('')}`).join('')}`,
  ];
  const failures: string[] = [];
  for (const row of ROWS) {
    const cells = ROLES.map((role) => {
      const groups = ENVS.map((env) => {
        const r = results.get(cellKey(row, role, env));
        const mark = r?.failure ? '!' : '';
        if (r?.failure) {
          const got = r.outcome ? actualToken(r.outcome) : 'no answer';
          // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colours of vitest's messages
          const why = r.failure.replace(/\u001b\[\d+m/g, '').slice(0, 160);
          failures.push(
            `${row.label} · ${role} · ${env}: spec ${token(r.expected)}, got ${got} — ${why}`,
          );
        }
        return pad(`${token(row.expect(role, env))}${mark}`);
      });
      return `| ${groups.join('')}`;
    });
    lines.push(`${pad(row.label, label)}${cells.join('')}`);
  }
  lines.push(
    '',
    'A: accepted and run · A~: accepted, awaiting approval (not run) · R: refused (any code)',
    `R codes: ${Object.entries(SHORT)
      .map(([code, s]) => `${s}=${code}`)
      .join(' ')} · -=refused by the chat handler, not the engine`,
  );
  if (failures.length > 0)
    lines.push('', `Cells that differ today (${failures.length}):`, ...failures);
  console.log(lines.join('\n'));
}
