import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import { createStore } from './index.js';
import { newDeployment, timeline } from './test-support/fixtures.js';
import type { AcceptSteps, Store } from './types.js';

const PENDING = ['requested', 'awaiting_approval', 'queued'] as const;

function steps(at: Date, by: string): AcceptSteps {
  const outcome = `superseded by ${by}`;
  return {
    requested: { actor: 'U-DEV1', reason: 'asked', at },
    next: { to: 'queued', meta: { actor: 'slipway', reason: null } },
    supersede: { from: PENDING, meta: { actor: 'slipway', reason: outcome }, outcome },
  };
}

/**
 * On Postgres the requests accepted at one moment are written by one statement. When that
 * statement fails, the group is written again request by request and a warning says so: a
 * group that produces no warning was written by the statement.
 */
describe('accepting a group of requests on Postgres', () => {
  let schemas: ReturnType<typeof testSchemas>;
  let store: Store;
  const warnings: string[] = [];

  beforeAll(async () => {
    schemas = testSchemas(await testDatabaseUrl(), 'slipway_accept_group');
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => void warnings.push(JSON.parse(line).msg) },
    );
    store = createStore(schemas.next(), { log });
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    await schemas?.dropAll();
  });

  it('writes requests for several targets at once: each recorded, the older ones superseded, a used key answered', async () => {
    const at = timeline();
    const actor = { actor: 'U-DEV1' };
    await store.createDeployment(newDeployment({ id: 'web-old-q' }), 'queued', {
      ...actor,
      at: at(0),
    });
    await store.createDeployment(newDeployment({ id: 'web-old-a' }), 'awaiting_approval', {
      ...actor,
      at: at(1),
    });
    await store.createDeployment(newDeployment({ id: 'api-run', service: 'api' }), 'running', {
      ...actor,
      at: at(2),
    });
    await store.createDeployment(
      newDeployment({ id: 'db-prod', service: 'db', environment: 'production' }),
      'queued',
      {
        ...actor,
        at: at(3),
      },
    );
    const used = await store.acceptDeployment(
      newDeployment({ id: 'key-holder', service: 'cron', idempotencyKey: 'slack:used' }),
      steps(at(4), 'key-holder'),
    );

    const [web, api, repeat, db] = await Promise.all([
      store.acceptDeployment(newDeployment({ id: 'web-new' }), steps(at(10), 'web-new')),
      store.acceptDeployment(
        newDeployment({ id: 'api-new', service: 'api' }),
        steps(at(11), 'api-new'),
      ),
      store.acceptDeployment(
        newDeployment({ id: 'cron-again', service: 'cron', idempotencyKey: 'slack:used' }),
        steps(at(12), 'cron-again'),
      ),
      store.acceptDeployment(
        newDeployment({ id: 'db-new', service: 'db' }),
        steps(at(13), 'db-new'),
      ),
    ]);

    expect(warnings).toEqual([]);
    expect(web?.created).toBe(true);
    expect(web?.deployment).toMatchObject({ id: 'web-new', state: 'queued', createdAt: at(10) });
    expect(web?.requested).toMatchObject({ id: 'web-new', state: 'requested' });
    expect(web?.superseded.map((s) => [s.deployment.id, s.from, s.deployment.state])).toEqual([
      ['web-old-q', 'queued', 'superseded'],
      ['web-old-a', 'awaiting_approval', 'superseded'],
    ]);
    expect(web?.superseded[0]?.deployment).toMatchObject({
      outcome: 'superseded by web-new',
      finishedAt: at(10),
    });
    // A running deployment is not waiting: it stays; another environment's request stays.
    expect(api?.superseded).toEqual([]);
    expect((await store.getDeployment('api-run'))?.state).toBe('running');
    expect(db?.superseded).toEqual([]);
    expect((await store.getDeployment('db-prod'))?.state).toBe('queued');
    expect(repeat).toEqual({
      deployment: used.deployment,
      created: false,
      requested: null,
      superseded: [],
      claimed: null,
    });
    expect(await store.getDeployment('cron-again')).toBeNull();

    expect(await store.getDeployment('web-new')).toEqual(web?.deployment);
    expect(
      (await store.listTransitions('web-new')).map((t) => [t.seq, t.from, t.to, t.actor, t.at]),
    ).toEqual([
      [1, null, 'requested', 'U-DEV1', at(10)],
      [2, 'requested', 'queued', 'slipway', at(10)],
    ]);
    expect(
      (await store.listTransitions('web-old-a')).map((t) => [t.seq, t.from, t.to, t.reason]),
    ).toEqual([
      [1, null, 'awaiting_approval', null],
      [2, 'awaiting_approval', 'superseded', 'superseded by web-new'],
    ]);
  });

  it('writes a second request for a target in the next group, which supersedes the first', async () => {
    const at = timeline();
    const [first, second] = await Promise.all([
      store.acceptDeployment(
        newDeployment({ id: 'jobs-1', service: 'jobs' }),
        steps(at(0), 'jobs-1'),
      ),
      store.acceptDeployment(
        newDeployment({ id: 'jobs-2', service: 'jobs' }),
        steps(at(1), 'jobs-2'),
      ),
    ]);
    expect(warnings).toEqual([]);
    expect(first?.deployment.state).toBe('queued');
    expect(second?.superseded.map((s) => s.deployment.id)).toEqual(['jobs-1']);
    expect((await store.getDeployment('jobs-1'))?.state).toBe('superseded');
  });
});
