import type { StoreContext } from './context.js';
import { pageLimit } from './deployments.js';
import { refusalRow, toRefusal } from './rows.js';
import { contains, containsPattern, oneOrMore } from './text-search.js';
import type { RefusalFilter, RefusalRecord } from './types.js';

export async function recordRefusal(ctx: StoreContext, refusal: RefusalRecord): Promise<void> {
  await ctx.db
    .insertInto('refusals')
    .values(refusalRow(refusal))
    // The caller made the id: recording the same refusal again (a retried request) keeps one row.
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function listRefusals(
  ctx: StoreContext,
  filter: RefusalFilter = {},
): Promise<RefusalRecord[]> {
  const actors = filter.actor === undefined ? undefined : oneOrMore(filter.actor);
  if (actors?.length === 0) return [];
  let query = ctx.db.selectFrom('refusals').selectAll();
  if (filter.service !== undefined) query = query.where('service', '=', filter.service);
  if (filter.environment !== undefined) {
    query = query.where('environment', '=', filter.environment);
  }
  if (actors !== undefined) query = query.where('actor', 'in', actors);
  if (filter.id !== undefined) query = query.where('id', '=', filter.id);
  const { text } = filter;
  if (text !== undefined) {
    const pattern = containsPattern(text);
    query = query.where((eb) =>
      eb.or([
        eb('id', '=', text),
        eb('deployment_id', '=', text),
        contains('version', pattern),
        contains('reason', pattern),
      ]),
    );
  }
  if (filter.deploymentId !== undefined) {
    query = query.where('deployment_id', '=', filter.deploymentId);
  }
  if (filter.before !== undefined) query = query.where('at', '<', filter.before.getTime());
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since.getTime());
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(pageLimit(filter.limit))
    .execute();
  return rows.map(toRefusal);
}
