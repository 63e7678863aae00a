import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { literalLimit } from './limit.js';
import { toDate, toDateOrNull, toMillisOrNull } from './rows.js';
import type { GitHubDeploymentsTable } from './tables.js';
import type { GitHubDeploymentFilter, GitHubDeploymentRecord, Store } from './types.js';

export async function getGitHubDeployment(
  ctx: StoreContext,
  deploymentId: string,
): Promise<GitHubDeploymentRecord | null> {
  const row = await ctx.db
    .selectFrom('github_deployments')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Compare-and-set on `revision`: 0 inserts (null when the row exists), else updates that revision. */
export async function saveGitHubDeployment(
  ctx: StoreContext,
  report: Parameters<Store['saveGitHubDeployment']>[0],
  revision: number,
): Promise<GitHubDeploymentRecord | null> {
  const at = (report.at ?? ctx.now()).getTime();
  const fields = {
    repository: report.repository,
    service: report.service,
    environment: report.environment,
    version: report.version,
    slot: report.slot,
    ref: report.ref,
    github_environment: report.githubEnvironment,
    transient: report.transient ? 1 : 0,
    production: report.production ? 1 : 0,
    github_id: report.githubId,
    create_tried: report.createTried ? 1 : 0,
    statuses: report.statuses,
    last_state: report.lastState,
    open: report.open ? 1 : 0,
    given_up: report.givenUp,
    claimed_by: report.claimedBy,
    claimed_until: toMillisOrNull(report.claimedUntil),
    revision: revision + 1,
    updated_at: at,
  };
  try {
    const row =
      revision === 0
        ? await ctx.db
            .insertInto('github_deployments')
            .values({ deployment_id: report.deploymentId, ...fields, created_at: at })
            .onConflict((oc) => oc.column('deployment_id').doNothing())
            .returningAll()
            .executeTakeFirst()
        : await ctx.db
            .updateTable('github_deployments')
            .set(fields)
            .where('deployment_id', '=', report.deploymentId)
            .where('revision', '=', revision)
            .returningAll()
            .executeTakeFirst();
    return row ? toRecord(row) : null;
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${report.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
}

/** Newest first. */
export async function listGitHubDeployments(
  ctx: StoreContext,
  filter: GitHubDeploymentFilter,
): Promise<GitHubDeploymentRecord[]> {
  let query = ctx.db.selectFrom('github_deployments').selectAll();
  if (filter.repository !== undefined) query = query.where('repository', '=', filter.repository);
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
  if (filter.slot !== undefined) query = query.where('slot', '=', filter.slot);
  if (filter.version !== undefined) query = query.where('version', '=', filter.version);
  if (filter.lastState !== undefined) query = query.where('last_state', '=', filter.lastState);
  if (filter.open !== undefined) query = query.where('open', '=', filter.open ? 1 : 0);
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('deployment_id', 'desc')
    .limit(literalLimit(Math.floor(Math.min(Math.max(filter.limit ?? 50, 1), 500))))
    .execute();
  return rows.map(toRecord);
}

function toRecord(row: GitHubDeploymentsTable): GitHubDeploymentRecord {
  return {
    deploymentId: row.deployment_id,
    repository: row.repository,
    service: row.service,
    environment: row.environment,
    version: row.version,
    slot: row.slot,
    ref: row.ref,
    githubEnvironment: row.github_environment,
    transient: Number(row.transient) === 1,
    production: Number(row.production) === 1,
    githubId: row.github_id === null ? null : Number(row.github_id),
    createTried: Number(row.create_tried) === 1,
    statuses: Number(row.statuses),
    lastState: row.last_state,
    open: Number(row.open) === 1,
    givenUp: row.given_up,
    claimedBy: row.claimed_by,
    claimedUntil: toDateOrNull(row.claimed_until),
    revision: Number(row.revision),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
