import type { StoreContext } from './context.js';
import { toDate } from './rows.js';
import type { PersonRecord } from './types.js';

/**
 * Three bound values a row, one an id: far below SQLite's 32,766 variables in one statement,
 * and more people than a configuration names.
 */
const MAX_BATCH = 500;

/**
 * Upserts names. A row refreshed later than the one given (another replica asked meanwhile)
 * is kept. Postgres refuses to touch one row twice in a statement, so each id goes in once.
 */
export async function rememberPeople(
  ctx: StoreContext,
  people: readonly PersonRecord[],
): Promise<void> {
  const rows = new Map<string, { id: string; name: string; refreshed_at: number }>();
  for (const p of people)
    rows.set(p.id, { id: p.id, name: p.name, refreshed_at: p.refreshedAt.getTime() });
  for (const batch of chunks([...rows.values()])) {
    await ctx.db
      .insertInto('people')
      .values(batch)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            refreshed_at: eb.ref('excluded.refreshed_at'),
          }))
          .whereRef('people.refreshed_at', '<=', 'excluded.refreshed_at'),
      )
      .execute();
  }
}

/** The people known among `ids`, by id; ids nobody named yet are left out. */
export async function findPeople(
  ctx: StoreContext,
  ids: readonly string[],
): Promise<Map<string, PersonRecord>> {
  const found = new Map<string, PersonRecord>();
  for (const batch of chunks([...new Set(ids)])) {
    const rows = await ctx.db.selectFrom('people').selectAll().where('id', 'in', batch).execute();
    for (const row of rows)
      found.set(row.id, { id: row.id, name: row.name, refreshedAt: toDate(row.refreshed_at) });
  }
  return found;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) out.push(items.slice(i, i + MAX_BATCH));
  return out;
}
