import { randomUUID } from 'node:crypto';
import { fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { DialectSupport } from '../context.js';
import { createDeliveryLedger } from '../deliveries.js';
import { createStore } from '../index.js';
import type { Tables } from '../tables.js';
import { createSqliteDialect } from './driver.js';
import { openDatabase } from './index.js';
import { createWalSync } from './wal-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-wal-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NORMAL = 1;

/** An fdatasync that is held until the test lets it finish, one call at a time. */
function heldSync() {
  const calls: Array<{ fd: number; done: (err: NodeJS.ErrnoException | null) => void }> = [];
  let finished = 0;
  return {
    calls,
    fdatasync: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      calls.push({ fd, done });
    },
    /** Ends the oldest sync still running. */
    finish(err: NodeJS.ErrnoException | null = null) {
      const call = calls[finished++];
      if (!call) throw new Error('no sync is running');
      call.done(err);
    },
  };
}

const open: Array<Kysely<Tables>> = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.destroy();
});

/** A migrated file, opened as the store opens it, with the sync in the test's hands. */
async function database(statements: string[] = []) {
  const path = join(dir, `${randomUUID()}.db`);
  const migrated = createStore(path);
  await migrated.migrate();
  await migrated.close();
  const raw = openDatabase(path, 0, (sql) => statements.push(String(sql)));
  const sync = heldSync();
  const dialect = createSqliteDialect(raw, 0, createWalSync(raw, sync));
  const db = new Kysely<Tables>({ dialect });
  open.push(db);
  return { path, raw, sync, dialect, db };
}

function insertMark(db: Kysely<Tables>, key: string) {
  return db.insertInto('seen_deliveries').values({ key, expires_at: 1 }).execute();
}

function keys(db: Kysely<Tables>) {
  return db
    .selectFrom('seen_deliveries')
    .select('key')
    .orderBy('key')
    .execute()
    .then((rows) => rows.map((r) => r.key));
}

/** Whether a promise has settled, without waiting for it. */
function tracked<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

function ledgerOn(db: Kysely<Tables>, dialect: ReturnType<typeof createSqliteDialect>) {
  const support: DialectSupport = {
    kind: 'sqlite',
    rowLocks: false,
    violation: () => null,
    migrationSchema: async () => undefined,
  };
  return createDeliveryLedger({
    db,
    dialect: support,
    now: () => new Date(),
    log: undefined,
    leaveUnsynced: dialect.leaveUnsynced,
    betweenSyncs: dialect.betweenSyncs,
  });
}

describe('SQLite commits synced off the event loop', () => {
  it('answers a write once the WAL is synced, and runs other statements meanwhile', async () => {
    const { path, raw, sync, db } = await database();
    expect(raw.pragma('synchronous', { simple: true })).toBe(NORMAL);
    const write = tracked(insertMark(db, 'a'));
    await vi.waitFor(() => expect(sync.calls).toHaveLength(1));
    // The sync is of the WAL, where the commit is.
    expect(fstatSync(sync.calls[0]?.fd ?? -1).ino).toBe(statSync(`${path}-wal`).ino);
    // The connection was given back before the sync: a read runs, and sees the commit.
    expect(await keys(db)).toEqual(['a']);
    expect(write.settled).toBe(false);
    sync.finish();
    await write.promise;
    expect(write.settled).toBe(true);
  });

  it('shares one sync between the commits made while another runs', async () => {
    const { sync, db } = await database();
    const inTransaction = (key: string) =>
      tracked(db.transaction().execute((trx) => insertMark(trx, key)));
    const first = inTransaction('a');
    await vi.waitFor(() => expect(sync.calls).toHaveLength(1));
    const second = inTransaction('b');
    const third = inTransaction('c');
    // Both committed while the first sync runs; neither is answered, nor has a sync started.
    await vi.waitFor(async () => expect(await keys(db)).toEqual(['a', 'b', 'c']));
    expect(sync.calls).toHaveLength(1);
    sync.finish();
    await first.promise;
    expect(second.settled || third.settled).toBe(false);
    // The first sync may have started before their commits: they need one of their own.
    expect(sync.calls).toHaveLength(2);
    sync.finish();
    await Promise.all([second.promise, third.promise]);
    expect(sync.calls).toHaveLength(2);
  });

  it('waits for no sync after a read, a read-only transaction or one rolled back', async () => {
    const { sync, db } = await database();
    expect(await keys(db)).toEqual([]);
    expect(await db.transaction().execute((trx) => keys(trx))).toEqual([]);
    await expect(
      db.transaction().execute(async (trx) => {
        await insertMark(trx, 'a');
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(await keys(db)).toEqual([]);
    expect(sync.calls).toHaveLength(0);
  });

  it('fails a write whose sync failed, saying so', async () => {
    const { sync, db } = await database();
    const write = insertMark(db, 'a');
    await vi.waitFor(() => expect(sync.calls).toHaveLength(1));
    sync.finish(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await expect(write).rejects.toThrow(/could not sync .*-wal to disk/);
    // The next write is synced again, by a sync of its own.
    const next = insertMark(db, 'b');
    await vi.waitFor(() => expect(sync.calls).toHaveLength(2));
    sync.finish();
    await next;
  });

  it('leaves delivery marks to the next sync that is waited for', async () => {
    const { sync, dialect, db } = await database();
    const ledger = ledgerOn(db, dialect);
    const expires = new Date(Date.now() + 60_000);
    expect(await ledger.markDelivered('slack:trigger:1', expires)).toBe(true);
    expect(await ledger.markDelivered('slack:trigger:1', expires)).toBe(false);
    expect(sync.calls).toHaveLength(0);
    // What the command then writes is waited for, and its sync covers the marks before it.
    const write = tracked(insertMark(db, 'record'));
    await vi.waitFor(() => expect(sync.calls).toHaveLength(1));
    expect(write.settled).toBe(false);
    sync.finish();
    await write.promise;
  });

  it('holds delivery marks while a sync runs, then writes them together', async () => {
    const statements: string[] = [];
    const { sync, dialect, db } = await database(statements);
    const ledger = ledgerOn(db, dialect);
    const write = tracked(insertMark(db, 'record'));
    await vi.waitFor(() => expect(sync.calls).toHaveLength(1));
    const expires = new Date(Date.now() + 60_000);
    const marks = [1, 2, 3].map((n) =>
      tracked(ledger.markDelivered(`slack:trigger:${n}`, expires)),
    );
    // Nothing waits on the connection: a read runs, and finds no mark written yet.
    expect(await keys(db)).toEqual(['record']);
    expect(marks.some((m) => m.settled)).toBe(false);
    const inserts = () => statements.filter((s) => s.startsWith('insert into "seen_deliveries"'));
    expect(inserts()).toHaveLength(1);
    sync.finish();
    expect(await Promise.all(marks.map((m) => m.promise))).toEqual([true, true, true]);
    await write.promise;
    // The three in one statement, and none of them waited for a sync of its own.
    expect(inserts()).toHaveLength(2);
    expect(sync.calls).toHaveLength(1);
  });

  it('keeps the setting on a file reopened in WAL mode', () => {
    const path = join(dir, `${randomUUID()}.db`);
    for (let i = 0; i < 2; i++) {
      const raw = openDatabase(path, 0);
      try {
        raw.exec('create table if not exists t (x); insert into t values (1)');
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(raw.pragma('synchronous', { simple: true })).toBe(NORMAL);
      } finally {
        raw.close();
      }
    }
  });

  it('syncs nothing for a database in memory', async () => {
    const raw = openDatabase(':memory:', 0);
    const calls: number[] = [];
    const sync = createWalSync(raw, { fdatasync: (fd) => calls.push(fd) });
    await sync.synced();
    expect(calls).toEqual([]);
    raw.close();
  });
});
