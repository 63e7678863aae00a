import type { Kysely } from 'kysely';
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
 * stream. On SQLite they also wait for the WAL sync running, if any (at most one sync's
 * time): a mark needs no sync of its own (`unsynced` below), so nothing else would hold them
 * back, and a stream of commands would commit marks a few at a time, each commit writing the
 * same table and index pages to the WAL again.
 */
export function createDeliveryLedger(ctx: StoreContext): DeliveryLedger {
  let prunedAt = Number.NEGATIVE_INFINITY;
  const mark = batchedWrites(
    MAX_BATCH,
    async (marks: Mark[]) => {
      const now = ctx.now().getTime();
      const pruning = now - prunedAt >= PRUNE_EVERY_MS;
      if (pruning) prunedAt = now;
      const inserted = await unsynced(ctx, async (db) => {
        const keys = await insertIfAbsent(db, marks, now);
        if (pruning) await prune(db, now);
        return keys;
      });
      // The same key twice in one batch: the first caller is the first delivery.
      const seen = new Set<string>();
      return marks.map(({ key }) => {
        const first = inserted.has(key) && !seen.has(key);
        seen.add(key);
        return first;
      });
    },
    { ready: ctx.betweenSyncs },
  );

  /** A failed prune is tried again a minute later; the marks it came with stand. */
  async function prune(db: Kysely<Tables>, now: number): Promise<void> {
    try {
      await db.deleteFrom('seen_deliveries').where('expires_at', '<=', now).execute();
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
async function insertIfAbsent(
  db: Kysely<Tables>,
  marks: Mark[],
  now: number,
): Promise<Set<string>> {
  const rows = new Map<string, number>();
  for (const mark of marks) if (!rows.has(mark.key)) rows.set(mark.key, mark.expiresAt);
  const inserted = await insertMarks(db, now, ...[...rows].flat());
  return new Set(inserted.map((row) => row.key));
}

/**
 * On SQLite a mark is committed without waiting for its sync (`leaveUnsynced`): the WAL is
 * one file written in order, so the next sync that is waited for makes it durable too, and
 * whatever the command then changes, its record or its refusal, is such a commit before it is
 * answered. A power cut before that takes back the mark only with everything after it: no
 * change that was answered can be done again by a replay (a command that changes nothing, a
 * status, could be answered again). The command goes on without waiting for a sync it does not
 * need.
 */
function unsynced<T>(ctx: StoreContext, work: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
  const leaveUnsynced = ctx.leaveUnsynced;
  if (!leaveUnsynced) return work(ctx.db);
  return ctx.db.connection().execute((db) => {
    leaveUnsynced();
    return work(db);
  });
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
