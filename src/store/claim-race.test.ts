import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import { createStore } from './index.js';
import { newDeployment } from './test-support/fixtures.js';
import type { Store } from './types.js';

/**
 * On Postgres a claim and the acceptance of a newer request for the same target run side by
 * side: the acceptance supersedes the queued row with a row lock and no queue lock. Here the
 * superseding transaction is held open by hand, so the claim's update waits on its row lock and
 * then finds the row no longer queued.
 */
describe('claiming on Postgres while a queued request is superseded', () => {
  let schemas: ReturnType<typeof testSchemas>;
  let url: string;
  let store: Store;
  let raw: pg.Client;

  beforeAll(async () => {
    schemas = testSchemas(await testDatabaseUrl(), 'slipway_claim_race');
    url = schemas.next();
    store = createStore(url);
    await store.migrate();
    raw = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]+/, '') });
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await store?.close();
    await schemas?.dropAll();
  });

  it('claims the next free request instead of failing on the one that moved on', async () => {
    const schema = new URL(url).searchParams.get('schema');
    const at = Date.now();
    const { deployment: web } = await store.createDeployment(
      newDeployment({ service: 'web' }),
      'queued',
      {
        actor: 'dev',
        at: new Date(at),
      },
    );
    const { deployment: api } = await store.createDeployment(
      newDeployment({ service: 'api' }),
      'queued',
      {
        actor: 'dev',
        at: new Date(at + 1),
      },
    );

    await raw.query('begin');
    await raw.query(`select id from "${schema}".deployments where id = $1 for update`, [web.id]);
    const claim = store.claimNextQueued('proc-1', 30_000, { actor: 'slipway' });
    // The claim reads `web` as the oldest queued and waits on its row lock.
    await waitForLockWait(raw);
    await raw.query(`update "${schema}".deployments set state = 'superseded' where id = $1`, [
      web.id,
    ]);
    await raw.query('commit');

    const claimed = await claim;
    expect(claimed?.id).toBe(api.id);
    expect(claimed?.state).toBe('running');
    expect((await store.getDeployment(web.id))?.state).toBe('superseded');
  });
});

/** Until some other session waits for a lock (the claim's update, blocked on the row). */
async function waitForLockWait(client: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid() and datname = current_database()`,
    );
    if (Number(rows[0]?.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const { rows } = await client.query(
    `select state, wait_event_type, wait_event, left(query, 80) as q from pg_stat_activity where datname = current_database()`,
  );
  throw new Error(`the claim never waited on the row lock: ${JSON.stringify(rows)}`);
}
