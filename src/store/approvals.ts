import type { Approval } from '../core/deployment.js';
import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { toApproval } from './rows.js';

export async function addApproval(
  ctx: StoreContext,
  approval: Omit<Approval, 'at'> & { at?: Date },
): Promise<{ created: boolean }> {
  try {
    const row = await ctx.db
      .insertInto('approvals')
      .values({
        deployment_id: approval.deploymentId,
        approver: approval.approver,
        verdict: approval.verdict,
        comment: approval.comment,
        at: (approval.at ?? ctx.now()).getTime(),
      })
      // The first verdict stands: a double click or a changed mind does not rewrite it.
      .onConflict((oc) => oc.columns(['deployment_id', 'approver']).doNothing())
      .returning('approver')
      .executeTakeFirst();
    return { created: row !== undefined };
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${approval.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
}

export async function listApprovals(ctx: StoreContext, deploymentId: string): Promise<Approval[]> {
  const rows = await ctx.db
    .selectFrom('approvals')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .orderBy('at')
    .orderBy('approver')
    .execute();
  return rows.map(toApproval);
}
