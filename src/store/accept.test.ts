import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { PENDING_STATES } from '../engine/state-machine.js';
import { olderWaiting } from './accept.js';
import { createStore } from './index.js';
import { createSqliteDialect } from './sqlite/driver.js';
import type { Tables } from './tables.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-accept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the accept writer on SQLite', () => {
  it('finds the requests a new one supersedes by state, not by walking the target’s history', async () => {
    const path = join(dir, 'plan.db');
    const store = createStore(path);
    await store.migrate();
    await store.close();
    const ran: string[] = [];
    const database = new Sqlite(path, { verbose: (sql) => ran.push(String(sql)) });
    const db = new Kysely<Tables>({ dialect: createSqliteDialect(database, 1_000) });
    try {
      await olderWaiting(PENDING_STATES)(db, 'web', 'staging');
      const [sql] = ran;
      if (!sql) throw new Error('the lookup ran no statement');
      const plan = database
        .prepare(`explain query plan ${sql}`)
        .all()
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
      // A target accumulates a row per request it was ever sent; the waiting ones are a few.
      expect(plan).toContain('deployments_live (service=? AND environment=? AND state=?)');
      expect(plan).not.toContain('deployments_target_created');
    } finally {
      await db.destroy();
    }
  });
});
