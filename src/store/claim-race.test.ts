import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import { createStore } from './index.js';
import { newDeployment } from './test-support/fixtures.js';
import type { Store } from './types.js';

/**
 * On Postgres a claim and the acceptance of a newer request for the same target run side by
 * side: the acceptance locks the target's queued row to supersede it. Here that transaction is
 * held open by hand.
 */
describe('claiming on Postgres while a queued request is being superseded', () => {
  let schemas: ReturnType<typeof testSchemas>;
  let url: string;
  let store: Store;
  let peer: Store;
  let raw: pg.Client;

  beforeAll(async () => {
    schemas = testSchemas(await testDatabaseUrl(), 'slipway_claim_race');
    url = schemas.next();
    store = createStore(url);
    await store.migrate();
    peer = createStore(url);
    raw = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]+/, '') });
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await peer?.close();
    await store?.close();
    await schemas?.dropAll();
  });

  it('claims the next free request without waiting for the one being superseded', async () => {
    const schema = new URL(url).searchParams.get('schema');
    const at = Date.now();
    const queued = async (service: string, offsetMs: number) =>
      (
        await store.createDeployment(newDeployment({ service }), 'queued', {
          actor: 'dev',
          at: new Date(at + offsetMs),
        })
      ).deployment;
    const web = await queued('web', 0);
    const api = await queued('api', 1);

    await raw.query('begin');
    try {
      await raw.query(`select id from "${schema}".deployments where id = $1 for update`, [web.id]);
      const claimed = await store.claimNextQueued('proc-1', 30_000, { actor: 'slipway' });
      expect(claimed).toMatchObject({ id: api.id, state: 'running', leaseOwner: 'proc-1' });
      await raw.query(`update "${schema}".deployments set state = 'superseded' where id = $1`, [
        web.id,
      ]);
    } finally {
      await raw.query('commit');
    }
    expect(await store.claimNextQueued('proc-1', 30_000, { actor: 'slipway' })).toBeNull();
    expect((await store.getDeployment(web.id))?.state).toBe('superseded');
    expect((await store.listTransitions(api.id)).map((t) => [t.from, t.to])).toEqual([
      [null, 'queued'],
      ['queued', 'running'],
    ]);
  });

  it('gives a target to one of two replicas claiming its two requests at once', async () => {
    const at = Date.now();
    const requests = [];
    for (let i = 0; i < 40; i++) {
      const { deployment } = await store.createDeployment(
        newDeployment({ service: `svc-${i % 4}`, environment: 'race' }),
        'queued',
        { actor: 'dev', at: new Date(at + i) },
      );
      requests.push(deployment);
    }
    // Two processes claim until neither finds anything: one run per target at most.
    const claims = await Promise.all(
      [store, peer].map(async (s, n) => {
        const got = [];
        for (;;) {
          const d = await s.claimNextQueued(`proc-${n}`, 30_000, { actor: 'slipway' });
          if (!d) return got;
          got.push(d);
        }
      }),
    );
    const claimed = claims.flat();
    expect(claimed.map((d) => d.service).sort()).toEqual(['svc-0', 'svc-1', 'svc-2', 'svc-3']);
    // The oldest request of each target is the one that runs.
    for (const d of claimed) expect(d.id).toBe(requests.find((r) => r.service === d.service)?.id);
  });
});
