import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scenarioConfigInput, tempDir } from '../support/engine-harness.js';
import { exited } from '../support/processes.js';
import { type Replicas, startReplicas } from '../support/replicas.js';
import { CHANNELS, eventually, USERS } from '../support/slack-harness.js';

/**
 * A stop while Slack answers every call with 429 and a long Retry-After: the last chat updates
 * get SLIPWAY_SHUTDOWN_CHAT_TIMEOUT, then their calls are abandoned, and the server still exits
 * 0, saying which cards it left showing an earlier state. Kubernetes would SIGKILL a server
 * that waited the rate limits out (terminationGracePeriodSeconds).
 */
describe('stopping while Slack rate-limits every call', () => {
  let replicas: Replicas | null = null;
  afterEach(async () => {
    await replicas?.close();
    replicas = null;
  });

  it('gives the last chat updates their time, then exits 0 naming what was left', async () => {
    const dir = tempDir('slipway-stop-429-');
    replicas = await startReplicas({
      count: 1,
      dir,
      databaseUrl: `sqlite://${join(dir, 'slipway.db')}`,
      config: scenarioConfigInput(join(dir, 'targets'), { ms: 60_000 }),
      channels: CHANNELS,
      users: USERS,
      env: { SLIPWAY_SHUTDOWN_CHAT_TIMEOUT: '2s', SLIPWAY_LOG_LEVEL: 'info' },
    });
    const r = replicas;
    const [server] = r.servers;
    if (!server) throw new Error('no server');
    r.slack.faults.next('*', { status: 429, times: 1_000_000, retryAfterSec: 30 });

    const answer = await r.slack.slashCommand({
      user: 'U-DEV1',
      channel: 'C-WEB',
      text: 'web 4.0.0 to staging',
    });
    expect(answer.status).toBe(200);
    const web = await eventually(async () => {
      const [d] = await r.store.listDeployments({ service: 'web', limit: 1 });
      return d?.state === 'running' ? d : null;
    });
    // Its card's post is waiting out a rate limit.
    await eventually(async () => (r.slack.faults.injected()['chat.postMessage'] ?? 0) > 0);

    const stoppedAt = Date.now();
    server.child.kill('SIGINT');
    expect(await exited(server.child)).toBe(0);
    const took = Date.now() - stoppedAt;
    // The 2 s for chat, and the rest of the stop; far from the 30 s of a single Retry-After.
    expect(took).toBeLessThan(10_000);
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const left = lines.find((l) => String(l.msg).includes('chat updates left undelivered'));
    expect(left).toMatchObject({ withinMs: 2_000, cards: 1, deployments: [web.id] });
    expect(lines.at(-1)?.msg).toBe('stopped: requests answered, deployments handed back');
    // Handed back as it was: the state is the store's, whatever the card shows.
    expect((await r.store.getDeployment(web.id))?.leaseOwner).toBeNull();
  }, 60_000);
});
