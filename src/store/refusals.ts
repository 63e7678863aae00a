import type { StoreContext } from './context.js';
import { pageLimit } from './deployments.js';
import { literalLimit } from './limit.js';
import { preparedQuery, rowsOf } from './prepared.js';
import { refusalRow, toRefusal } from './rows.js';
import type { RefusalsTable } from './tables.js';
import { contains, containsPattern, oneOrMore } from './text-search.js';
import type { RefusalFilter, RefusalRecord } from './types.js';
import { batchedWrites } from './write-batch.js';

/** Rows in one insert at most: each count of rows is a statement of its own (prepared.ts). */
const MAX_BATCH = 64;

type Outcome = { ok: true } | { ok: false; err: unknown };

/**
 * Every refused request is recorded before its answer goes out, so a stream of refused chat
 * commands wrote one row per commit, and the commit cost SQLite more than the rest of the
 * refusal's store work together. Refusals recorded at the same moment go in one statement
 * instead (write-batch.ts); a batch that fails is written again one row at a time, so a bad row
 * fails only its own caller.
 */
export function createRefusalLedger(ctx: StoreContext): (refusal: RefusalRecord) => Promise<void> {
  const write = batchedWrites(MAX_BATCH, async (refusals: RefusalRecord[]): Promise<Outcome[]> => {
    try {
      await insertRefusals(ctx, refusals);
      return refusals.map(() => ({ ok: true }));
    } catch (err) {
      if (refusals.length === 1) return [{ ok: false, err }];
      const outcomes: Outcome[] = [];
      for (const refusal of refusals) {
        outcomes.push(
          await insertRefusals(ctx, [refusal]).then(
            (): Outcome => ({ ok: true }),
            (e: unknown): Outcome => ({ ok: false, err: e }),
          ),
        );
      }
      return outcomes;
    }
  });
  return async (refusal) => {
    const outcome = await write(refusal);
    if (!outcome.ok) throw outcome.err;
  };
}

async function insertRefusals(ctx: StoreContext, refusals: RefusalRecord[]): Promise<void> {
  await insertRefusalRows(
    ctx.db,
    ...refusals.flatMap((r) => {
      const row = refusalRow(r);
      return REFUSAL_COLUMNS.map((c) => row[c]);
    }),
  );
}

const REFUSAL_COLUMNS = [
  'id',
  'at',
  'actor',
  'source',
  'channel',
  'action',
  'service',
  'environment',
  'version',
  'deployment_id',
  'code',
  'reason',
  'correlation_id',
] as const satisfies ReadonlyArray<keyof RefusalsTable>;

const insertRefusalRows = preparedQuery((db, ...values: unknown[]) =>
  db
    .insertInto('refusals')
    .values(rowsOf(REFUSAL_COLUMNS, values) as never)
    // The caller made the id: recording the same refusal again (a retried request) keeps one row.
    .onConflict((oc) => oc.column('id').doNothing()),
);

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
    .limit(literalLimit(pageLimit(filter.limit)))
    .execute();
  return rows.map(toRefusal);
}
