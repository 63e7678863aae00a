import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { literalLimit } from './limit.js';
import { createSqliteDialect } from './sqlite/driver.js';
import type { Tables } from './tables.js';

describe('literalLimit', () => {
  const db = new Kysely<Tables>({ dialect: createSqliteDialect(new Sqlite(':memory:'), 1_000) });

  it('writes the limit into the SQL instead of binding it', () => {
    const query = db.selectFrom('locks').selectAll().limit(literalLimit(25)).compile();
    expect(query.sql).toMatch(/limit 25$/);
    expect(query.parameters).toEqual([]);
  });

  it('refuses anything but a whole number', () => {
    for (const bad of [2.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => literalLimit(bad)).toThrow(RangeError);
    }
  });
});
