import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../../test/support/postgres.js';
import { preparingClient } from './preparing-client.js';

describe('the Postgres client that prepares statements', () => {
  let schemas: ReturnType<typeof testSchemas>;
  let pool: pg.Pool;
  let other: pg.Client;

  beforeAll(async () => {
    schemas = testSchemas(await testDatabaseUrl(), 'slipway_preparing');
    const url = new URL(schemas.next());
    const schema = url.searchParams.get('schema') as string;
    url.searchParams.delete('schema');
    const options = `-c search_path=${schema}`;
    // One connection: every call below runs on the same one, with its prepared statements.
    pool = new pg.Pool({
      connectionString: url.toString(),
      max: 1,
      options,
      Client: preparingClient(),
    });
    other = new pg.Client({ connectionString: url.toString(), options });
    await other.connect();
    await other.query(`create schema if not exists ${schema}`);
    await other.query('create table items (id integer primary key, name text)');
    await other.query(`insert into items values (1, 'one'), (2, 'two')`);
  });

  afterAll(async () => {
    await other?.end();
    await pool?.end();
    await schemas?.dropAll();
  });

  /** As Kysely runs a query: on a client taken from the pool, without a callback. */
  async function query(text: string, values?: unknown[]) {
    const client = await pool.connect();
    try {
      return await client.query(text, values);
    } finally {
      client.release();
    }
  }

  const prepared = async () =>
    (
      await query(
        `select statement from pg_prepared_statements where name like 'slipway\\_%' order by statement`,
      )
    ).rows.map((r) => r.statement);

  it('prepares a statement with parameters once and runs it by name after', async () => {
    for (const id of [1, 2, 1])
      expect((await query('select name from items where id = $1', [id])).rows).toHaveLength(1);
    // Without parameters a statement is sent as before, unprepared.
    await query('select count(*) from items');
    expect(await prepared()).toEqual(['select name from items where id = $1']);
  });

  it('prepares afresh, and answers, when a migration changed the table under a prepared statement', async () => {
    const text = 'select * from items where id = $1';
    expect((await query(text, [1])).rows).toEqual([{ id: 1, name: 'one' }]);
    await other.query('alter table items add column owner text');
    expect((await query(text, [1])).rows).toEqual([{ id: 1, name: 'one', owner: null }]);
  });

  it('lets the error stand inside a transaction, which it has aborted', async () => {
    const text = 'select * from items where id = $1';
    expect((await query(text, [2])).rows).toHaveLength(1);
    await other.query('alter table items add column team text');
    const client = await pool.connect();
    try {
      await client.query('begin');
      await expect(client.query(text, [2])).rejects.toThrow(
        /cached plan must not change result type/,
      );
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect((await query(text, [2])).rows).toEqual([
      { id: 2, name: 'two', owner: null, team: null },
    ]);
  });
});
