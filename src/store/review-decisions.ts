import { NotFoundError } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { toReviewDecision } from './rows.js';
import type { ReviewDecision } from './types.js';

export async function recordReviewDecision(
  ctx: StoreContext,
  decision: Omit<ReviewDecision, 'at'> & { at?: Date },
): Promise<{ created: boolean; decision: ReviewDecision }> {
  try {
    const row = await ctx.db
      .insertInto('review_decisions')
      .values({
        deployment_id: decision.deploymentId,
        decision: decision.decision,
        actor: decision.actor,
        at: (decision.at ?? ctx.now()).getTime(),
      })
      // The first decision stands: a second click, or a close racing a promotion, changes nothing.
      .onConflict((oc) => oc.column('deployment_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return { created: true, decision: toReviewDecision(row) };
  } catch (err) {
    if (ctx.dialect.violation(err) !== 'foreign_key') throw err;
    throw Object.assign(
      new NotFoundError(`deployment ${decision.deploymentId} does not exist: check the id`),
      { cause: err },
    );
  }
  const existing = await getReviewDecision(ctx, decision.deploymentId);
  if (!existing) throw new Error(`review decision on ${decision.deploymentId} vanished`);
  return { created: false, decision: existing };
}

export async function getReviewDecision(
  ctx: StoreContext,
  deploymentId: string,
): Promise<ReviewDecision | null> {
  const row = await ctx.db
    .selectFrom('review_decisions')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .executeTakeFirst();
  return row ? toReviewDecision(row) : null;
}
