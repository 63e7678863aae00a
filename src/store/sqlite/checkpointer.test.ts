import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createStore } from '../index.js';
import type { Tables } from '../tables.js';
import { type CheckpointerOptions, createCheckpointer } from './checkpointer.js';
import { createSqliteDialect } from './driver.js';
import { openDatabase } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-checkpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: Array<Kysely<Tables>> = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.destroy();
});

async function database(options: CheckpointerOptions) {
  const path = join(dir, `${randomUUID()}.db`);
  const migrated = createStore(path);
  await migrated.migrate();
  await migrated.close();
  const raw = openDatabase(path, 0);
  const checkpoints = createCheckpointer(raw, options);
  const db = new Kysely<Tables>({ dialect: createSqliteDialect(raw, 0, { checkpoints }) });
  open.push(db);
  let n = 0;
  const commit = () =>
    db
      .insertInto('seen_deliveries')
      .values({ key: `k${n++}`, expires_at: 1 })
      .execute();
  return { raw, checkpoints, commit };
}

describe('checkpoints on a thread of their own', () => {
  it('takes them off the connection once it writes steadily, and copies the WAL', async () => {
    const { raw, checkpoints, commit } = await database({ startAfterCommits: 5, intervalMs: 5 });
    for (let i = 0; i < 5; i++) await commit();
    await vi.waitFor(() => expect(checkpoints.stats.active).toBe(true));
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    for (let i = 0; i < 20; i++) await commit();
    await vi.waitFor(() => expect(checkpoints.stats.copied).toBeGreaterThan(0));
    // Everything the connection committed is in the database file: nothing is left to copy.
    await vi.waitFor(async () => {
      await commit();
      const [result] = raw.pragma('wal_checkpoint(PASSIVE)') as Array<{
        log: number;
        checkpointed: number;
      }>;
      expect(result?.checkpointed).toBe(result?.log);
    });
  });

  it('leaves a store that writes little to checkpoint for itself', async () => {
    const { raw, checkpoints, commit } = await database({ startAfterCommits: 1_000 });
    for (let i = 0; i < 10; i++) await commit();
    expect(checkpoints.stats.active).toBe(false);
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
  });

  it('stops its thread when the store closes, which then checkpoints the rest', async () => {
    const { checkpoints, commit } = await database({ startAfterCommits: 1, intervalMs: 5 });
    await commit();
    await vi.waitFor(() => expect(checkpoints.stats.active).toBe(true));
    await checkpoints.close();
    expect(checkpoints.stats.active).toBe(false);
    // Commits after it go on, checkpointed by the connection itself when it closes.
    await commit();
  });
});
