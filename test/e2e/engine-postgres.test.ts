import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { type TestSchemas, testDatabaseUrl, testSchemas } from '../support/postgres.js';

/**
 * The engine on Postgres, the store replicas share: the same queue, supersession and
 * idempotency guarantees as on SQLite, through the real command driver.
 */
let schemas: TestSchemas;
let h: Harness | null = null;
beforeAll(async () => {
  schemas = testSchemas(await testDatabaseUrl());
});
afterEach(async () => {
  await h?.close();
  h = null;
});
afterAll(async () => {
  await schemas.dropAll();
});

const dev = { actor: 'U-DEV1', source: 'chat' as const, channel: 'C-WEB' };

describe('engine scenarios on Postgres', () => {
  it('queues, supersedes and runs one deployment at a time per target', async () => {
    h = await startHarness({ ms: 500, databaseUrl: schemas.next() });
    const engine = h.app.engine;
    const ids: string[] = [];
    for (const version of ['1.0.0', '1.0.1', '1.0.2']) {
      const r = await engine.request({
        ...dev,
        kind: 'deploy',
        service: 'web',
        environment: 'staging',
        version,
      });
      if (!r.ok) throw new Error(r.reason);
      ids.push(r.deployment.id);
    }
    const finals = await Promise.all(ids.map((id) => h?.waitFinal(id)));
    const states = finals.map((d) => d?.state);
    // The first may or may not have started before the others arrived; the last always runs.
    expect(states.at(-1)).toBe('succeeded');
    expect(
      states.filter((s) => s === 'succeeded').length +
        states.filter((s) => s === 'superseded').length,
    ).toBe(3);
    const starts = h.runs().filter((line) => line.startsWith('start'));
    expect(starts).toHaveLength(states.filter((s) => s === 'succeeded').length);
    const live = (await engine.status('web')).find((s) => s.environment === 'staging')?.live;
    expect(live?.version).toBe('1.0.2');
  });

  it('creates one deployment for concurrent requests with the same idempotency key', async () => {
    h = await startHarness({ databaseUrl: schemas.next() });
    const request = {
      ...dev,
      kind: 'deploy' as const,
      service: 'web',
      environment: 'staging',
      version: '5.0.0',
      idempotencyKey: 'slack:trigger-pg',
    };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h?.app.engine.request(request)),
    );
    const ids = new Set(results.map((r) => (r?.ok ? r.deployment.id : 'refused')));
    expect(ids.size).toBe(1);
    expect(ids.has('refused')).toBe(false);
    await h.waitFinal([...ids][0] ?? '');
    expect(h.runs().filter((line) => line.startsWith('start'))).toHaveLength(1);
  });
});
