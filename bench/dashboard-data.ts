import type {
  ApprovalsTable,
  DeploymentsTable,
  RefusalsTable,
  TransitionsTable,
} from '../src/store/tables.js';

/**
 * Two years of deployments of a mid-sized organisation, for (g): 20 services, each built and
 * promoted dev → staging → preprod → production, mostly successfully, with approvals in
 * production, refusals, and a few deployments still moving at the end. Deterministic (one
 * seed), so both databases hold the same rows and two runs the same story.
 */

export const SERVICES = [
  'web',
  'api',
  'auth',
  'billing',
  'search',
  'checkout',
  'cart',
  'catalog',
  'inventory',
  'orders',
  'payments',
  'shipping',
  'notifications',
  'recommendations',
  'reviews',
  'accounts',
  'analytics',
  'gateway',
  'media',
  'reports',
] as const;
export const ENVIRONMENTS = ['dev', 'staging', 'preprod', 'production'] as const;
const DEVS = Array.from({ length: 40 }, (_, i) => `U0DEV${String(i + 1).padStart(2, '0')}`);
const QA = ['U0QA1', 'U0QA2', 'U0QA3', 'U0QA4'];
const CI = 'ci';
const DAY_MS = 86_400_000;
export const SPAN_DAYS = 730;
/** Deployments at the very end still moving: pending, or holding their target. */
const MOVING_AT_END = 60;

const channelOf = (service: string) => `C0${service.toUpperCase()}`;

/** slipway.yaml for the seeded organisation; its drivers never run (the engine is not started). */
export function dashboardConfig(): Record<string, unknown> {
  return {
    operator: 'operator',
    admins: ['operator'],
    groups: { devs: DEVS, qa: QA },
    environments: [
      { name: 'dev', order: 1, deployers: ['@devs'] },
      { name: 'staging', order: 2, deployers: ['@devs'] },
      { name: 'preprod', order: 3, deployers: ['@devs'] },
      {
        name: 'production',
        order: 4,
        protected: true,
        deployers: ['service:owners', '@devs'],
        approvals: { required: 1, from: ['@qa'] },
      },
    ],
    services: SERVICES.map((name, i) => ({
      name,
      image: `registry.bench/${name}`,
      channel: channelOf(name),
      owners: [DEVS[i * 2] as string],
      driver: { driver: 'command', options: { deploy: ['true'], timeout: '1m' } },
      environments: Object.fromEntries(ENVIRONMENTS.map((e) => [e, {}])),
    })),
  };
}

export interface SeedBatch {
  deployments: DeploymentsTable[];
  transitions: TransitionsTable[];
  approvals: ApprovalsTable[];
  refusals: RefusalsTable[];
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MASK48 = (1n << 48n) - 1n;
/** `d-` + 12 hex digits, as newDeploymentId; a bijection of the index, so never a collision. */
function idOf(prefix: string, i: number): string {
  const scrambled = (BigInt(i + 1) * 0x9e3779b97f4bn + 0x5bd1e995n) & MASK48;
  return `${prefix}-${scrambled.toString(16).padStart(12, '0')}`;
}

type Final = 'succeeded' | 'failed' | 'rolled_back' | 'cancelled' | 'superseded';

function finalState(r: number): Final {
  if (r < 0.9) return 'succeeded';
  if (r < 0.94) return 'failed';
  if (r < 0.96) return 'rolled_back';
  if (r < 0.985) return 'cancelled';
  return 'superseded';
}

/** The states a deployment went through, from its request to `end`. */
function pathTo(end: string, production: boolean): string[] {
  const start = production ? ['requested', 'awaiting_approval'] : ['requested'];
  const run = [...start, 'queued', 'running', ...(production ? ['verifying'] : [])];
  switch (end) {
    case 'succeeded':
      return [...run, 'succeeded'];
    case 'failed':
      return [...run, 'failed'];
    case 'rolled_back':
      return [...run, 'rolling_back', 'rolled_back'];
    case 'cancelled':
      return [...start, 'cancelled'];
    case 'superseded':
      return [...start, 'queued', 'superseded'];
    default:
      // Still moving: the path so far.
      return run.slice(0, run.indexOf(end) + 1);
  }
}

/** Seconds each step took, roughly: approval waits minutes, a rollout a few. */
function stepMs(to: string, rand: () => number): number {
  if (to === 'queued') return 1_000 + rand() * 600_000;
  if (to === 'running') return 500 + rand() * 20_000;
  if (to === 'awaiting_approval') return 200;
  return 30_000 + rand() * 300_000;
}

/**
 * `total` deployments in creation order over the `SPAN_DAYS` before `now`, in batches of
 * `batchSize`, with their transitions, approvals and the refusals around them.
 */
export function* seedBatches(total: number, now: number, batchSize = 5_000): Generator<SeedBatch> {
  const rand = prng(0x51_1b_a7);
  const start = now - SPAN_DAYS * DAY_MS;
  // Stops before now, so the moving ones at the end are minutes old.
  const step = (SPAN_DAYS * DAY_MS - 3_600_000) / total;
  const builds = new Map<string, number>();
  /** The last version that succeeded on each target, and the one before it. */
  const live = new Map<string, { version: string; before: string | null }>();
  const holding = new Set<string>();
  let refusals = 0;
  let batch: SeedBatch = { deployments: [], transitions: [], approvals: [], refusals: [] };
  for (let i = 0; i < total; i++) {
    const created = Math.floor(start + (i + rand()) * step);
    const service = SERVICES[Math.floor(rand() * SERVICES.length)] as string;
    const envIndex = Math.floor(rand() * ENVIRONMENTS.length);
    const environment = ENVIRONMENTS[envIndex] as string;
    const target = `${service}/${environment}`;
    const production = environment === 'production';
    const current = live.get(target) ?? null;
    // dev deploys a new build; each later environment what succeeded on the one before.
    const upstream = envIndex > 0 ? live.get(`${service}/${ENVIRONMENTS[envIndex - 1]}`) : null;
    const rollback = current?.before != null && rand() < 0.02;
    let version: string;
    let build = false;
    if (rollback) version = current?.before as string;
    else if (upstream) version = upstream.version;
    else {
      const n = (builds.get(service) ?? 0) + 1;
      builds.set(service, n);
      version = `1.${Math.floor(n / 100)}.${n % 100}`;
      build = true;
    }
    let state: string = finalState(rand());
    if (total - i <= MOVING_AT_END) {
      if (!holding.has(target) && rand() < 0.4) {
        state = production ? 'verifying' : 'running';
        holding.add(target);
      } else state = production ? 'awaiting_approval' : rand() < 0.5 ? 'queued' : 'requested';
    }
    const id = idOf('d', i);
    const requestedBy = build ? CI : (DEVS[Math.floor(rand() * DEVS.length)] as string);
    const path = pathTo(state, production);
    let at = created;
    let startedAt: number | null = null;
    let approvedAt: number | null = null;
    path.forEach((to, seq) => {
      if (seq > 0) at += Math.round(stepMs(to, rand));
      if (to === 'running') startedAt = at;
      if (production && path[seq - 1] === 'awaiting_approval') approvedAt = at;
      batch.transitions.push({
        deployment_id: id,
        seq: seq + 1,
        from_state: seq === 0 ? null : (path[seq - 1] as string),
        to_state: to,
        actor: to === 'cancelled' || seq === 0 ? requestedBy : 'engine',
        at,
        reason: to === 'failed' ? 'deploy command exited 1' : null,
        correlation_id: `c-${id}`,
      });
    });
    const final = ['succeeded', 'failed', 'rolled_back', 'cancelled', 'superseded'].includes(state);
    if (approvedAt !== null) {
      const verdict = state === 'cancelled' ? 'reject' : 'approve';
      batch.approvals.push({
        deployment_id: id,
        approver: QA[Math.floor(rand() * QA.length)] as string,
        verdict,
        comment: verdict === 'reject' ? 'not before the migration lands' : null,
        at: approvedAt,
      });
    }
    batch.deployments.push({
      id,
      service,
      environment,
      version,
      previous_version: current?.version ?? null,
      ref_type: build ? 'branch' : null,
      ref_name: build ? 'main' : null,
      kind: rollback ? 'rollback' : 'deploy',
      state,
      requested_by: requestedBy,
      source: build ? 'webhook' : 'chat',
      channel: build ? null : channelOf(service),
      reason: rollback ? 'error rate up after the last deploy' : null,
      correlation_id: `c-${id}`,
      idempotency_key: build ? `build:${id.slice(2)}:${environment}` : null,
      freeze_override: 0,
      approvals_required: production ? 1 : 0,
      driver: 'command',
      driver_ref: null,
      progress: null,
      outcome: outcomeOf(state),
      lease_owner: startedAt !== null && !final ? 'bench:1:000000' : null,
      lease_expires_at: startedAt !== null && !final ? now + 60_000 : null,
      created_at: created,
      updated_at: at,
      started_at: startedAt,
      finished_at: final ? at : null,
      trace_parent: null,
      committed_at: build ? created - Math.floor(600_000 + rand() * 2 * DAY_MS) : null,
      commit_sha: build ? `${id.slice(2)}${id.slice(2)}`.padEnd(40, '0') : null,
    });
    if (state === 'succeeded') live.set(target, { version, before: current?.version ?? null });
    // About one request in fifty was refused: a deploy by someone who may not, or an
    // approval by the deployment's own requester.
    if (rand() < 0.02) {
      const approve = production && rand() < 0.4;
      batch.refusals.push({
        id: idOf('r', refusals++),
        at: approve ? created + 1_000 : created - 60_000,
        actor: approve ? requestedBy : (DEVS[Math.floor(rand() * DEVS.length)] as string),
        source: 'chat',
        channel: channelOf(service),
        action: approve ? 'approve' : 'deploy',
        service,
        environment,
        version,
        deployment_id: approve ? id : null,
        code: approve ? 'self_approval' : 'not_deployer',
        reason: approve
          ? 'You requested this deployment: someone else in @qa must approve it.'
          : `You may not deploy ${service} to ${environment}: ask one of its owners.`,
        correlation_id: null,
      });
    }
    if (batch.deployments.length >= batchSize) {
      yield batch;
      batch = { deployments: [], transitions: [], approvals: [], refusals: [] };
    }
  }
  if (batch.deployments.length > 0) yield batch;
}

function outcomeOf(state: string): string | null {
  if (state === 'succeeded') return 'deployed';
  if (state === 'failed') return 'deploy command exited 1';
  if (state === 'rolled_back') return 'rolled back: the status command reported unhealthy';
  return null;
}
