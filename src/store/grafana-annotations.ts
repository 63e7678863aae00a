import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { literalLimit } from './limit.js';
import { toDate, toDateOrNull } from './rows.js';
import type { GrafanaAnnotationsTable } from './tables.js';
import type { GrafanaAnnotationRecord } from './types.js';

/**
 * The Grafana annotation of a deployment, reserved before it is created: the process whose
 * insert wins creates it. `reserved: false` hands back the row another process holds.
 */
export async function reserveGrafanaAnnotation(
  ctx: StoreContext,
  key: { deploymentId: string; owner: string; at?: Date },
): Promise<{ reserved: boolean; annotation: GrafanaAnnotationRecord }> {
  const at = (key.at ?? ctx.now()).getTime();
  try {
    const inserted = await ctx.db
      .insertInto('grafana_annotations')
      .values({
        deployment_id: key.deploymentId,
        annotation_id: null,
        claimed_by: key.owner,
        claimed_at: at,
        ended_at: null,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('deployment_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { reserved: true, annotation: toRecord(inserted) };
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(new NotFoundError(`deployment ${key.deploymentId} does not exist`), {
      cause: err,
    });
  }
  const existing = await getGrafanaAnnotation(ctx, key.deploymentId);
  if (!existing) throw new Error(`the annotation of ${key.deploymentId} vanished while reserved`);
  return { reserved: false, annotation: existing };
}

/** A reservation whose creator left it this long without an id is taken over; one wins. */
export async function takeOverGrafanaAnnotation(
  ctx: StoreContext,
  key: { deploymentId: string; owner: string; at?: Date },
  staleAfterMs: number,
): Promise<GrafanaAnnotationRecord | null> {
  const at = (key.at ?? ctx.now()).getTime();
  // One statement: the first to take it over moves claimed_at past the cut-off.
  const row = await ctx.db
    .updateTable('grafana_annotations')
    .set({ claimed_by: key.owner, claimed_at: at, updated_at: at })
    .where('deployment_id', '=', key.deploymentId)
    .where('annotation_id', 'is', null)
    .where('claimed_at', '<=', at - staleAfterMs)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/**
 * Records Grafana's id for a reservation `owner` still holds (null when another process took it
 * over meanwhile), with `endedAt` when the annotation was created with its end.
 */
export async function completeGrafanaAnnotation(
  ctx: StoreContext,
  key: {
    deploymentId: string;
    owner: string;
    annotationId: number;
    endedAt: Date | null;
    at?: Date;
  },
): Promise<GrafanaAnnotationRecord | null> {
  const row = await ctx.db
    .updateTable('grafana_annotations')
    .set({
      annotation_id: key.annotationId,
      ended_at: key.endedAt?.getTime() ?? null,
      updated_at: (key.at ?? ctx.now()).getTime(),
    })
    .where('deployment_id', '=', key.deploymentId)
    .where('claimed_by', '=', key.owner)
    .where('annotation_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Records that the annotation's end was written to Grafana; the first record stands. */
export async function endGrafanaAnnotation(
  ctx: StoreContext,
  key: { deploymentId: string; endedAt: Date },
): Promise<void> {
  await ctx.db
    .updateTable('grafana_annotations')
    .set({ ended_at: key.endedAt.getTime(), updated_at: key.endedAt.getTime() })
    .where('deployment_id', '=', key.deploymentId)
    .where('ended_at', 'is', null)
    .execute();
}

export async function getGrafanaAnnotation(
  ctx: StoreContext,
  deploymentId: string,
): Promise<GrafanaAnnotationRecord | null> {
  const row = await ctx.db
    .selectFrom('grafana_annotations')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Annotations whose end is not written yet (or not created yet), oldest claim first. */
export async function listOpenGrafanaAnnotations(
  ctx: StoreContext,
  limit: number,
): Promise<GrafanaAnnotationRecord[]> {
  const rows = await ctx.db
    .selectFrom('grafana_annotations')
    .selectAll()
    .where('ended_at', 'is', null)
    .orderBy('claimed_at')
    .orderBy('deployment_id')
    .limit(literalLimit(limit))
    .execute();
  return rows.map(toRecord);
}

function toRecord(row: GrafanaAnnotationsTable): GrafanaAnnotationRecord {
  return {
    deploymentId: row.deployment_id,
    // Postgres hands BIGINT back as a string.
    annotationId: row.annotation_id === null ? null : Number(row.annotation_id),
    claimedBy: row.claimed_by,
    claimedAt: toDate(row.claimed_at),
    endedAt: toDateOrNull(row.ended_at),
  };
}
