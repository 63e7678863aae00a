import { type Kysely, sql } from 'kysely';
import type { StoreContext } from './context.js';
import { preparedQuery, rowsOf } from './prepared.js';
import type { Tables } from './tables.js';
import { batchedWrites } from './write-batch.js';

/**
 * Expired rows are deleted at most this often per process, on the way through a write: one
 * extra statement a minute instead of one per delivery keeps the acknowledgement path at one
 * insert, and a minute's worth of expired keys is all the table holds beyond the live ones.
 */
const PRUNE_EVERY_MS = 60_000;
/** Marks in one insert at most: each count of rows is a statement of its own (prepared.ts). */
const MAX_BATCH = 64;

export interface DeliveryLedger {
  markDelivered(key: string, expiresAt: Date): Promise<boolean>;
}

interface Mark {
  key: string;
  expiresAt: number;
}

/**
 * Marks wait for the statement in flight and then go together in one (write-batch.ts): one
 * insert per slash command cost about 0.1 ms of SQLite's time at every command of a full-speed
 * stream.
 */
export function createDeliveryLedger(ctx: StoreContext): DeliveryLedger {
  let prunedAt = Number.NEGATIVE_INFINITY;
  const mark = batchedWrites(MAX_BATCH, async (marks: Mark[]) => {
    const now = ctx.now().getTime();
    const inserted = await insertIfAbsent(ctx, marks, now);
    if (now - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = now;
      await prune(now);
    }
    // The same key twice in one batch: the first caller is the first delivery.
    const seen = new Set<string>();
    return marks.map(({ key }) => {
      const first = inserted.has(key) && !seen.has(key);
      seen.add(key);
      return first;
    });
  });

  /** A failed prune is tried again a minute later; the marks it came with stand. */
  async function prune(now: number): Promise<void> {
    try {
      await ctx.db.deleteFrom('seen_deliveries').where('expires_at', '<=', now).execute();
    } catch (err) {
      ctx.log?.warn({ err }, 'could not prune expired delivery records');
    }
  }

  return {
    markDelivered: (key, expiresAt) => mark({ key, expiresAt: expiresAt.getTime() }),
  };
}

/**
 * One statement, atomic on both databases: new keys are inserted; a key whose row has expired
 * but is not pruned yet is taken again; a live key changes nothing and returns no row. Returns
 * the keys inserted or taken again. Postgres refuses to touch one row twice in a statement, so
 * each key goes in once.
 */
async function insertIfAbsent(ctx: StoreContext, marks: Mark[], now: number): Promise<Set<string>> {
  const rows = new Map<string, number>();
  for (const mark of marks) if (!rows.has(mark.key)) rows.set(mark.key, mark.expiresAt);
  const values = [...rows].flat();
  const inserted =
    ctx.dialect.kind === 'sqlite'
      ? await ctx.db
          .connection()
          .execute((db) => unsynced(db, () => insertMarks(db, now, ...values)))
      : await insertMarks(ctx.db, now, ...values);
  return new Set(inserted.map((row) => row.key));
}

/**
 * Runs `work` on SQLite with its commit left unsynced, on a connection held for it alone (the
 * store's one connection: nothing else commits meanwhile). A mark needs no sync of its own:
 * the WAL is one file written in order, so the next synced commit (synchronous = FULL, the
 * store's setting) makes every frame before it durable too, and whatever the command then
 * changes, its record or its refusal, is such a commit before it is answered. A power cut
 * before that takes back the mark only with everything after it: no change that was answered
 * can be done again by a replay (a command that changes nothing, a status, could be answered
 * again). It saves a sync per batch of marks: a fifth of a millisecond on an idle disk, more
 * under load, spent on the event loop, since better-sqlite3 is synchronous.
 */
async function unsynced<T>(db: Kysely<Tables>, work: () => Promise<T>): Promise<T> {
  await sql`pragma synchronous = normal`.execute(db);
  try {
    return await work();
  } finally {
    await sql`pragma synchronous = full`.execute(db);
  }
}

const insertMarks = preparedQuery((db, now: number, ...keysAndExpiries: unknown[]) =>
  db
    .insertInto('seen_deliveries')
    .values(rowsOf(['key', 'expires_at'], keysAndExpiries) as never)
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
        .where('seen_deliveries.expires_at', '<=', now),
    )
    .returning('key'),
);
