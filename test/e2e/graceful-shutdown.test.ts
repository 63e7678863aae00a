import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFinal } from '../../src/core/deployment.js';
import { readRuns, scenarioConfigInput, tempDir } from '../support/engine-harness.js';
import { exited } from '../support/processes.js';
import { type Replicas, startReplicas } from '../support/replicas.js';
import { CHANNELS, eventually, USERS } from '../support/slack-harness.js';

/**
 * Issue 6, graceful shutdown: on SIGTERM /readyz goes unready first, the server keeps
 * answering (a command arriving meanwhile is acknowledged and recorded, not run here), then
 * hands the lease of its running deployment back and exits 0. The next server resumes that
 * deployment at once (well before the lease would have expired) without running it twice.
 */
describe('graceful shutdown', () => {
  let replicas: Replicas | null = null;
  afterEach(async () => {
    await replicas?.close();
    replicas = null;
  });

  it('drains, hands its deployments back and exits 0 on SIGTERM', async () => {
    const dir = tempDir('slipway-drain-');
    const stateDir = join(dir, 'targets');
    replicas = await startReplicas({
      count: 1,
      dir,
      databaseUrl: `sqlite://${join(dir, 'slipway.db')}`,
      // A 60 s lease: resuming within it proves the lease was handed back, not waited out.
      config: scenarioConfigInput(stateDir, { ms: 6_000, lease: '60s' }),
      channels: CHANNELS,
      users: USERS,
      env: { SLIPWAY_SHUTDOWN_DELAY: '3s' },
    });
    const r = replicas;
    const [server] = r.servers;
    if (!server) throw new Error('no server');
    const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);

    await r.slack.slashCommand({ user: 'U-DEV1', channel: 'C-WEB', text: 'web 4.0.0 to staging' });
    const web = await eventually(async () => {
      const [d] = await r.store.listDeployments({ service: 'web', limit: 1 });
      return d && readRuns(stateDir).some((l) => l.startsWith(`start ${d.id} deploy`)) ? d : null;
    });
    expect((await get('/readyz')).status).toBe(200);

    const stoppedAt = Date.now();
    server.child.kill('SIGTERM');
    const readyz = await eventually(async () => {
      const answer = await get('/readyz');
      return answer.status === 503 ? answer.json() : null;
    }, 2_000);
    expect(readyz).toMatchObject({ checks: { shutdown: 'draining' } });
    expect((await get('/healthz')).status).toBe(200);

    // Still answering during the drain: the command is acknowledged and recorded; this
    // server no longer takes work, so it waits in the queue.
    const late = await r.slack.slashCommand({
      user: 'U-DEV2',
      channel: 'C-API',
      text: 'api 4.0.1 to staging',
    });
    expect(late.status).toBe(200);
    expect(late.timedOut).toBeFalsy();

    expect(await exited(server.child)).toBe(0);
    const drained = Date.now() - stoppedAt;
    expect(drained).toBeGreaterThanOrEqual(3_000);
    expect(server.output()).toContain('shutting down');
    expect(server.output()).toContain('stopped: requests answered, deployments handed back');

    const handedBack = await r.store.getDeployment(web.id);
    expect(handedBack?.state).toBe('running');
    expect(handedBack?.leaseOwner).toBeNull();
    const [api] = await r.store.listDeployments({ service: 'api', limit: 1 });
    expect(api?.version).toBe('4.0.1');
    expect(api?.state).toBe('queued');

    // The next server (the lock of the first was released) resumes both at once.
    const next = await r.add();
    const resumedAt = Date.now();
    const finals = await eventually(async () => {
      const all = await Promise.all([web.id, api?.id ?? ''].map((id) => r.store.getDeployment(id)));
      return all.every((d) => d && isFinal(d.state)) ? all : null;
    }, 30_000);
    expect(Date.now() - resumedAt).toBeLessThan(30_000);
    for (const d of finals) expect(d?.state, d?.outcome ?? '').toBe('succeeded');
    expect(next.output()).toContain('resuming deployment left by a stopped process');
    const webStarts = readRuns(stateDir).filter((l) => l.startsWith(`start ${web.id} deploy`));
    expect(webStarts).toHaveLength(1);
  }, 120_000);

  it('refuses a second server on the same SQLite file, saying why and what to use', async () => {
    const dir = tempDir('slipway-sqlite-two-');
    replicas = await startReplicas({
      count: 1,
      dir,
      databaseUrl: `sqlite://${join(dir, 'slipway.db')}`,
      config: scenarioConfigInput(join(dir, 'targets')),
      channels: CHANNELS,
      users: USERS,
    });
    const refused = await replicas.add().then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).toContain('server exited with 1 before listening');
    expect(refused).toContain(`Another Slipway server is using the SQLite database`);
    expect(refused).toContain(`pid ${replicas.servers[0]?.child.pid}`);
    expect(refused).toContain('postgres://');
    // The first one still serves.
    const port = replicas.servers[0]?.port;
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  }, 60_000);
});
