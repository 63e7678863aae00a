import type { Deployment } from '../../core/deployment.js';
import type { RefusalRecord, Store } from '../../store/types.js';
import type { StoreQuery } from './filters.js';

/** One row of the history: a deployment, or a request that was refused. */
export type HistoryEntry =
  | { type: 'deployment'; at: Date; id: string; deployment: Deployment }
  | { type: 'refusal'; at: Date; id: string; refusal: RefusalRecord };

/** The store lists at most this many rows a call. */
const STORE_MAX = 500;

type Lists = Pick<Store, 'listDeployments' | 'listRefusals'>;

/**
 * Up to `size` entries older than `before`, newest first, and the cursor of the next page (null
 * when there is none). Pages are keyset pages on time, never OFFSET: each list reads one more
 * row than the page shows, from its time index, however deep the page.
 *
 * A cursor is a time, and the lists take "strictly before" it, so a page must never end inside
 * a millisecond it shares with the next row: those rows would be on neither page. The page
 * stops before that millisecond, and the next one starts with it. When a whole page is one
 * millisecond (a burst of refusals), that millisecond is read whole instead, up to what the
 * store lists in one call.
 */
export async function readPage(
  store: Lists,
  query: StoreQuery,
  size: number,
  before: Date | null = query.before,
): Promise<{ entries: HistoryEntry[]; next: Date | null }> {
  const rows = await readBoth(store, query, { before, limit: size + 1 });
  if (rows.length <= size) return { entries: rows, next: null };
  const last = rows[size - 1] as HistoryEntry;
  const following = rows[size] as HistoryEntry;
  let entries = rows.slice(0, size);
  if (last.at.getTime() === following.at.getTime()) {
    const shared = last.at.getTime();
    entries = entries.filter((e) => e.at.getTime() !== shared);
    if (entries.length === 0) {
      const whole = await readBoth(store, query, {
        since: last.at,
        before: new Date(shared + 1),
        limit: STORE_MAX,
      });
      return { entries: whole, next: last.at };
    }
  }
  return { entries, next: (entries.at(-1) as HistoryEntry).at };
}

/**
 * Up to `max` entries, newest first, read a page at a time (the store lists at most 500 rows a
 * call); `truncated` when there were more.
 */
export async function readUpTo(
  store: Lists,
  query: StoreQuery,
  max: number,
): Promise<{ entries: HistoryEntry[]; truncated: boolean }> {
  const entries: HistoryEntry[] = [];
  let before = query.before;
  for (;;) {
    const page = await readPage(store, query, STORE_MAX - 1, before);
    entries.push(...page.entries);
    if (entries.length > max) return { entries: entries.slice(0, max), truncated: true };
    if (!page.next) return { entries, truncated: false };
    if (entries.length === max) return { entries, truncated: true };
    before = page.next;
  }
}

/** Both lists under one bound, merged newest first (ties by id, as each list orders them). */
async function readBoth(
  store: Lists,
  query: StoreQuery,
  bound: { before: Date | null; since?: Date; limit: number },
): Promise<HistoryEntry[]> {
  const page = {
    ...(bound.before ? { before: bound.before } : {}),
    ...(bound.since ? { since: bound.since } : {}),
    limit: bound.limit,
  };
  const [deployments, refusals] = await Promise.all([
    query.deployments ? store.listDeployments({ ...query.deployments, ...page }) : [],
    query.refusals ? store.listRefusals({ ...query.refusals, ...page }) : [],
  ]);
  const entries: HistoryEntry[] = [
    ...deployments.map((d) => ({
      type: 'deployment' as const,
      at: d.createdAt,
      id: d.id,
      deployment: d,
    })),
    ...refusals.map((r) => ({ type: 'refusal' as const, at: r.at, id: r.id, refusal: r })),
  ];
  return entries.sort(
    (a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}
