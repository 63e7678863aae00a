import { actorOf, slackIdOf, teamsIdOf } from '../../chat/identity.js';
import type { Approval, Deployment, DeploymentState, Lock } from '../../core/deployment.js';
import { PENDING_STATES } from '../../engine/state-machine.js';
import { qaProblem } from '../../features/review/engine-promotion.js';
import {
  loadReview,
  qaVerdicts,
  reviewOver,
  reviewTarget,
} from '../../features/review/engine-state.js';
import { type Action, type Decision, decide } from '../../policy/decide.js';
import type { DeploymentFilter } from '../../store/types.js';
import type { DashboardDeps } from '../types.js';

/**
 * What waits for one person, decided as the engine would decide their click: every button the
 * inbox offers is one `decide` allows with the inputs the engine builds for a dashboard action
 * (source `dashboard`, no channel), so four-eyes, approver groups and roles are policy's alone.
 */

export interface ApprovalItem {
  deployment: Deployment;
  /** Approvals so far, of `deployment.approvalsRequired`. */
  approvals: number;
}

export interface ReviewItem {
  deployment: Deployment;
  /** Where a promotion would take the build. */
  next: string;
  /** QA verdicts given so far. */
  verdicts: Approval[];
  /** The person may give a QA verdict, and has not yet. */
  review: boolean;
  /** The person may close the review. */
  close: boolean;
  /** The person may promote the build now. */
  promote: boolean;
  /** Why an owner cannot promote yet (QA pending or rejected), when that is all that stops them. */
  promoteBlocked: string | null;
}

export interface MineItem {
  deployment: Deployment;
  cancel: boolean;
  /** Whether policy lets them retry it now, or why not. */
  retry: Decision | null;
}

export interface Inbox {
  approvals: ApprovalItem[];
  reviews: ReviewItem[];
  /** Their deployments that are moving or waiting. */
  moving: MineItem[];
  /** Their deployments that failed recently and that nothing has followed on their target. */
  failed: MineItem[];
}

/** How far back "failed recently" looks. */
export const FAILED_WINDOW_DAYS = 7;

/** Everything but a final state: the deployment still moves or waits on someone. */
const MOVING: DeploymentState[] = [...PENDING_STATES, 'running', 'verifying', 'rolling_back'];
const FAILED: DeploymentState[] = ['failed', 'rolled_back'];
/** What the store reads at most per list; far more than one person has waiting. */
const LIMIT = 500;

export async function whatWaits(deps: DashboardDeps, actor: string): Promise<Inbox> {
  const [approvals, reviews, mine] = await Promise.all([
    approvalsFor(deps, actor),
    reviewsFor(deps, actor),
    mineOf(deps, actor),
  ]);
  return { approvals, reviews, ...mine };
}

/** Policy on `d` for `action`, with the inputs the engine gives it for a dashboard click. */
function decideOn(
  deps: DashboardDeps,
  actor: string,
  action: Action,
  d: Deployment,
  more: { locks?: Lock[]; withRequester?: boolean } = {},
): Decision {
  return decide(deps.config, {
    actor,
    channel: null,
    source: 'dashboard',
    action,
    service: d.service,
    environment: d.environment,
    ...(more.withRequester === false ? {} : { requestedBy: d.requestedBy }),
    ...(more.locks ? { version: d.version, force: false, locks: more.locks } : {}),
    now: deps.now(),
  });
}

/** Whether two ids are one person (a key and their platform id, for rows older than `people:`). */
function samePerson(deps: DashboardDeps, a: string, b: string): boolean {
  return actorOf(deps.config, a) === actorOf(deps.config, b);
}

async function approvalsFor(deps: DashboardDeps, actor: string): Promise<ApprovalItem[]> {
  const awaiting = await deps.store.listDeployments({
    states: ['awaiting_approval'],
    limit: LIMIT,
  });
  const theirs = awaiting.filter((d) => decideOn(deps, actor, 'approve', d).allowed);
  const items = await Promise.all(
    theirs.map(async (deployment) => {
      const votes = await deps.store.listApprovals(deployment.id);
      if (votes.some((v) => samePerson(deps, v.approver, actor))) return null;
      return { deployment, approvals: votes.filter((v) => v.verdict === 'approve').length };
    }),
  );
  return items.filter((i): i is ApprovalItem => i !== null);
}

/**
 * Builds up for review that this person reviews as QA or decides on as an owner. The candidates
 * are read per environment that may review (a handful, from the config), and only the latest
 * build of each line can still be under review; `loadReview` and `reviewOver`, the engine's own
 * steps, then say whether the review is open.
 */
async function reviewsFor(deps: DashboardDeps, actor: string): Promise<ReviewItem[]> {
  const { config, store } = deps;
  const environments = config.environments.filter((e) => !e.protected && e.review !== false);
  const lists = await Promise.all(
    environments.map((e) =>
      store.listDeployments({ environment: e.name, states: ['succeeded'], limit: LIMIT }),
    ),
  );
  const asked = lists
    .flatMap(latestOfEachLine)
    .filter((d) => d.kind === 'deploy' && reviewTarget(config, d) !== null)
    .map((d) => ({
      d,
      review: decideOn(deps, actor, 'review', d).allowed,
      promote: decideOn(deps, actor, 'promote', d).allowed,
      close: decideOn(deps, actor, 'close', d).allowed,
    }))
    .filter((c) => c.review || c.promote || c.close);
  const items = await Promise.all(
    asked.map(async (c): Promise<ReviewItem | null> => {
      const state = await loadReview(deps, c.d.id, 'review');
      if (!state.ok) return null;
      const voted = state.approvals.some((a) => samePerson(deps, a.approver, actor));
      const review = c.review && !voted && reviewOver(state, 'review') === null;
      const close = c.close && reviewOver(state, 'close') === null;
      const open = c.promote && reviewOver(state, 'promote') === null;
      const blocked = open ? qaProblem(config, state) : null;
      if (!review && !close && !open) return null;
      return {
        deployment: state.deployment,
        next: state.next.name,
        verdicts: qaVerdicts(config, state),
        review,
        close,
        promote: open && blocked === null,
        promoteBlocked: blocked?.reason ?? null,
      };
    }),
  );
  return items.filter((i): i is ReviewItem => i !== null);
}

/**
 * The builds of one environment that nothing has replaced: per service, what is live (the one
 * that finished last, as `store.lastSucceeded` orders), and the latest of each branch or tag,
 * whose previews live side by side (engine-state.ts, `latestOfItsLine`).
 */
function latestOfEachLine(succeeded: Deployment[]): Deployment[] {
  const live = new Map<string, Deployment>();
  const lines = new Map<string, Deployment>();
  for (const d of succeeded) {
    const current = live.get(d.service);
    if (!current || finishedLater(d, current)) live.set(d.service, d);
    const line = d.ref ? `${d.service}\n${d.ref.type}\n${d.ref.name}` : null;
    // Newest first: the first of a line is its latest.
    if (line && !lines.has(line)) lines.set(line, d);
  }
  return succeeded.filter((d) =>
    d.ref
      ? lines.get(`${d.service}\n${d.ref.type}\n${d.ref.name}`) === d
      : live.get(d.service) === d,
  );
}

function finishedLater(a: Deployment, b: Deployment): boolean {
  const end = (d: Deployment) => (d.finishedAt ?? d.updatedAt).getTime();
  if (end(a) !== end(b)) return end(a) > end(b);
  return a.createdAt.getTime() > b.createdAt.getTime();
}

async function mineOf(
  deps: DashboardDeps,
  actor: string,
): Promise<{ moving: MineItem[]; failed: MineItem[] }> {
  const since = new Date(deps.now().getTime() - FAILED_WINDOW_DAYS * 86_400_000);
  const [moving, failedLately, locks] = await Promise.all([
    requestedBy(deps, actor, { states: MOVING }),
    requestedBy(deps, actor, { states: FAILED, since }),
    deps.store.listLocks(undefined, deps.now()),
  ]);
  const failed = await notFollowedUp(deps, failedLately);
  return {
    moving: moving.map((deployment) => ({
      deployment,
      cancel: cancellable(deployment) && decideOn(deps, actor, 'cancel', deployment).allowed,
      retry: null,
    })),
    failed: failed.map((deployment) => ({
      deployment,
      cancel: false,
      // Retry is decided as a deploy of the same version, as the engine asks it.
      retry: decideOn(deps, actor, 'retry', deployment, { locks, withRequester: false }),
    })),
  };
}

/**
 * This person's deployments, under each id they may have been recorded by: their key, and the
 * platform ids chat used before they were listed under `people:`.
 */
async function requestedBy(
  deps: DashboardDeps,
  actor: string,
  filter: DeploymentFilter,
): Promise<Deployment[]> {
  const { config } = deps;
  const ids = new Set(
    [actor, actorOf(config, actor), slackIdOf(config, actor), teamsIdOf(config, actor)].filter(
      (id): id is string => !!id,
    ),
  );
  const lists = await Promise.all(
    [...ids].map((id) => deps.store.listDeployments({ ...filter, requestedBy: id, limit: LIMIT })),
  );
  const byId = new Map(lists.flat().map((d) => [d.id, d]));
  return [...byId.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/**
 * Failures that are still the latest word on their target: once anything was requested there
 * since (its retry, another version, a rollback), the failure no longer waits on anyone.
 */
async function notFollowedUp(deps: DashboardDeps, failed: Deployment[]): Promise<Deployment[]> {
  const targets = [...new Set(failed.map((d) => `${d.service}\n${d.environment}`))];
  const newest = await Promise.all(
    targets.map(async (target) => {
      const [service = '', environment = ''] = target.split('\n');
      const [latest] = await deps.store.listDeployments({ service, environment, limit: 1 });
      return latest?.id;
    }),
  );
  const latest = new Set(newest);
  return failed.filter((d) => latest.has(d.id));
}

/** As the engine's cancel allows: before the run, or during it except for a rollback. */
function cancellable(d: Deployment): boolean {
  if (PENDING_STATES.includes(d.state)) return true;
  return d.kind === 'deploy' && (d.state === 'running' || d.state === 'verifying');
}
