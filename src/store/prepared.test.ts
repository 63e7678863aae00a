import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { preparedInsert, preparedQuery, rowsOf } from './prepared.js';
import { createSqliteDialect } from './sqlite/driver.js';
import type { Tables } from './tables.js';

function database(): Kysely<Tables> {
  const db = new Kysely<Tables>({ dialect: createSqliteDialect(new Sqlite(':memory:'), 1_000) });
  return db;
}

describe('preparedQuery', () => {
  it('runs the compiled SQL with each call’s values, constants kept, in SQL order', async () => {
    const db = database();
    await db.schema
      .createTable('locks')
      .addColumn('environment', 'text')
      .addColumn('service', 'text')
      .addColumn('expires_at', 'integer')
      .execute();
    await db
      .insertInto('locks')
      .values([
        { environment: 'prod', service: 'web', expires_at: 100 } as never,
        { environment: 'prod', service: 'api', expires_at: null } as never,
        { environment: 'staging', service: 'web', expires_at: 300 } as never,
      ])
      .execute();
    let builds = 0;
    // Arguments in the other order from the SQL's, and a constant ('api') between them.
    const query = preparedQuery((k, environment: string, after: number) => {
      builds++;
      return k
        .selectFrom('locks')
        .select('service')
        .where((eb) => eb.or([eb('expires_at', '>', after as never), eb('service', '=', 'api')]))
        .where('environment', '=', environment)
        .orderBy('service');
    });
    expect(await query(db, 'prod', 50)).toEqual([{ service: 'api' }, { service: 'web' }]);
    expect(await query(db, 'prod', 150)).toEqual([{ service: 'api' }]);
    expect(await query(db, 'staging', 150)).toEqual([{ service: 'web' }]);
    expect(builds).toBe(1);
    await db.destroy();
  });

  it('refuses a query that does not use every argument as a value', async () => {
    const db = database();
    const query = preparedQuery((k, _unused: string) =>
      k.selectFrom('locks').selectAll().where('environment', '=', 'prod'),
    );
    await expect(query(db, 'x')).rejects.toThrow(/not every argument reached the SQL/);
    await db.destroy();
  });

  it('compiles once for a database and its transactions', async () => {
    const db = database();
    await db.schema.createTable('locks').addColumn('environment', 'text').execute();
    let builds = 0;
    const query = preparedQuery((k, environment: string) => {
      builds++;
      return k.selectFrom('locks').selectAll().where('environment', '=', environment);
    });
    await query(db, 'prod');
    for (const environment of ['staging', 'dev']) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('locks')
          .values({ environment } as never)
          .execute();
        expect(await query(trx, environment)).toEqual([{ environment }]);
      });
    }
    expect(builds).toBe(1);
    await db.destroy();
  });

  it('inserts rows of any shape, leaving out undefined columns as Kysely does', async () => {
    const db = database();
    await db.schema
      .createTable('locks')
      .addColumn('environment', 'text')
      .addColumn('service', 'text', (c) => c.defaultTo('everything'))
      .execute();
    const insert = preparedInsert('locks');
    await insert(db, { environment: 'prod', service: 'web' } as never);
    await insert(db, { environment: 'staging', service: undefined } as never);
    await insert(db, { environment: 'dev', service: null } as never);
    expect(await db.selectFrom('locks').selectAll().execute()).toEqual([
      { environment: 'prod', service: 'web' },
      { environment: 'staging', service: 'everything' },
      { environment: 'dev', service: null },
    ]);
    await db.destroy();
  });

  it('compiles a batch once for each number of rows', async () => {
    const db = database();
    await db.schema.createTable('locks').addColumn('environment', 'text').execute();
    const counts: number[] = [];
    const insert = preparedQuery((k, ...environments: unknown[]) => {
      counts.push(environments.length);
      return k.insertInto('locks').values(rowsOf(['environment'], environments) as never);
    });
    await insert(db, 'a', 'b');
    await insert(db, 'c');
    await insert(db, 'd', 'e');
    expect(counts).toEqual([2, 1]);
    const rows = await db.selectFrom('locks').selectAll().execute();
    expect(rows.map((r) => r.environment)).toEqual(['a', 'b', 'c', 'd', 'e']);
    await db.destroy();
  });
});
