import { randomUUID } from 'node:crypto';
import type { BadVersion, BadVersionClearing, NewBadVersion } from '../core/bad-version.js';
import type { StoreContext } from './context.js';
import { pageLimit } from './deployments.js';
import { literalLimit } from './limit.js';
import { preparedQuery } from './prepared.js';
import { toDate, toDateOrNull } from './rows.js';
import type { BadVersionsTable } from './tables.js';
import type { BadVersionFilter } from './types.js';

/**
 * Marks a version bad on a target, or returns the uncleared mark it already has: the engine
 * marks on every path that rolls a version off (and again after a restart), and the first
 * mark, with its reason, is the one that stands. The partial unique index decides between
 * two replicas marking at once.
 */
export async function markBadVersion(
  ctx: StoreContext,
  mark: NewBadVersion,
): Promise<{ mark: BadVersion; created: boolean }> {
  const row: BadVersionsTable = {
    id: `b-${randomUUID()}`,
    service: mark.service,
    environment: mark.environment,
    version: mark.version,
    marked_at: (mark.at ?? ctx.now()).getTime(),
    marked_by: mark.markedBy,
    reason: mark.reason,
    deployment_id: mark.deploymentId,
    cleared_at: null,
    cleared_by: null,
    cleared_reason: null,
    cleared_deployment_id: null,
  };
  for (let attempt = 1; ; attempt++) {
    const inserted = await ctx.db
      .insertInto('bad_versions')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { mark: toBadVersion(row), created: true };
    const existing = await findBadVersion(ctx, mark.service, mark.environment, mark.version);
    if (existing) return { mark: existing, created: false };
    // Cleared between the insert and the read: try again, now that nothing is in the way.
    if (attempt >= 3) throw new Error(`the mark of ${mark.version} kept changing; try again`);
  }
}

/** The uncleared mark of a version on a target, or null. */
export async function findBadVersion(
  ctx: StoreContext,
  service: string,
  environment: string,
  version: string,
): Promise<BadVersion | null> {
  const [row] = await uncleared(ctx.db, service, environment, version);
  return row ? toBadVersion(row) : null;
}

// Policy reads the mark of the version every deploy request names.
const uncleared = preparedQuery((db, service: string, environment: string, version: string) =>
  db
    .selectFrom('bad_versions')
    .selectAll()
    .where('service', '=', service)
    .where('environment', '=', environment)
    .where('version', '=', version)
    .where('cleared_at', 'is', null),
);

/**
 * Clears the uncleared mark of a version on a target, recording who, why and through which
 * deployment; returns the mark as cleared, or null when there was none (never marked, or
 * another request cleared it first).
 */
export async function clearBadVersion(
  ctx: StoreContext,
  clearing: BadVersionClearing,
): Promise<BadVersion | null> {
  const found = await findBadVersion(ctx, clearing.service, clearing.environment, clearing.version);
  if (!found) return null;
  const at = (clearing.at ?? ctx.now()).getTime();
  const changes = {
    cleared_at: at,
    cleared_by: clearing.by,
    cleared_reason: clearing.reason,
    cleared_deployment_id: clearing.deploymentId,
  };
  const updated = await ctx.db
    .updateTable('bad_versions')
    .set(changes)
    .where('id', '=', found.id)
    .where('cleared_at', 'is', null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return null;
  return {
    ...found,
    clearedAt: new Date(at),
    clearedBy: clearing.by,
    clearedReason: clearing.reason,
    clearedDeploymentId: clearing.deploymentId,
  };
}

/** Marks, newest first; uncleared ones only unless `cleared` says otherwise. */
export async function listBadVersions(
  ctx: StoreContext,
  filter: BadVersionFilter = {},
): Promise<BadVersion[]> {
  let query = ctx.db.selectFrom('bad_versions').selectAll();
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
  if (!filter.cleared) query = query.where('cleared_at', 'is', null);
  const rows = await query
    .orderBy('marked_at', 'desc')
    .orderBy('id', 'desc')
    .limit(literalLimit(pageLimit(filter.limit)))
    .execute();
  return rows.map(toBadVersion);
}

function toBadVersion(row: BadVersionsTable): BadVersion {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    markedAt: toDate(row.marked_at),
    markedBy: row.marked_by,
    reason: row.reason,
    deploymentId: row.deployment_id,
    clearedAt: toDateOrNull(row.cleared_at),
    clearedBy: row.cleared_by,
    clearedReason: row.cleared_reason,
    clearedDeploymentId: row.cleared_deployment_id,
  };
}
