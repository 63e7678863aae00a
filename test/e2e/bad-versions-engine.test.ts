import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import type { Refusal } from '../../src/engine/index.js';
import type { DeployAccepted } from '../../src/engine/requests.js';
import { type Harness, requestWeb, startHarness } from '../support/engine-harness.js';

/**
 * Which ways off a target mark a version bad, through the engine with the command driver
 * (test/fixtures/fake-deploy.mjs fails versions containing "bad"): see src/engine/bad-versions.ts.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

function accepted(result: DeployAccepted | Refusal): Deployment {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.deployment;
}

async function live(version: string): Promise<void> {
  expect((await h.waitFinal((await requestWeb(h.app, { version })).id)).state).toBe('succeeded');
}

async function started(id: string): Promise<void> {
  for (const end = Date.now() + 15_000; Date.now() < end; ) {
    if (h.runs().some((r) => r.startsWith(`start ${id} deploy`))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${id} never started`);
}

describe('marking rolled-back versions through the engine', () => {
  it('a failed deploy marks its version; its Retry asks for deploy!; one queued behind it does not start', async () => {
    h = await startHarness({ ms: 300 });
    await live('1.0.0');
    const bad = await requestWeb(h.app, { version: '1.1.0-bad' });
    // Asked for again while the first runs: policy saw no mark then.
    const again = await requestWeb(h.app, { version: '1.1.0-bad', actor: 'U-DEV2' });
    expect(again.state).toBe('queued');

    expect((await h.waitFinal(bad.id)).state).toBe('rolled_back');
    expect(await h.app.store.findBadVersion('web', 'staging', '1.1.0-bad')).toMatchObject({
      markedBy: 'slipway',
      deploymentId: bad.id,
      reason: '1.1.0-bad crashed on start (exit 3)',
    });
    const stopped = await h.waitFinal(again.id);
    expect(stopped.state).toBe('failed');
    expect(stopped.outcome).toMatch(
      /^not started: web 1\.1\.0-bad was rolled back in staging automatically on .*: 1\.1\.0-bad crashed on start \(exit 3\), after this was requested\. To deploy it anyway: deploy! web 1\.1\.0-bad to staging -- <reason>$/,
    );
    expect(h.runs().filter((r) => r.startsWith(`start ${again.id}`))).toEqual([]);

    const retry = await h.app.engine.retry({
      actor: 'U-DEV1',
      source: 'chat',
      channel: 'C-WEB',
      deploymentId: bad.id,
    });
    expect(retry).toMatchObject({ ok: false, code: 'bad_version' });
    // The version rolled back to is not marked.
    expect(await h.app.store.listBadVersions({ service: 'web' })).toHaveLength(1);
  });

  it('a person’s cancel of a running deploy does not mark it; alert automation’s does', async () => {
    h = await startHarness({ ms: 1_500 });
    await live('1.0.0');
    const cancel = async (id: string, actor: string, source: 'chat' | 'webhook') => {
      await started(id);
      const r = await h.app.engine.cancel({ deploymentId: id, actor, source, channel: null });
      expect(r.ok).toBe(true);
      expect((await h.waitFinal(id)).state).toBe('rolled_back');
    };

    const first = await requestWeb(h.app, { version: '2.0.0' });
    await cancel(first.id, 'U-DEV1', 'chat');
    expect(await h.app.store.findBadVersion('web', 'staging', '2.0.0')).toBeNull();

    const second = await requestWeb(h.app, { version: '2.0.1' });
    await cancel(second.id, 'U-DEV1', 'webhook');
    expect(await h.app.store.findBadVersion('web', 'staging', '2.0.1')).toMatchObject({
      markedBy: 'U-DEV1',
      reason: 'cancelled by U-DEV1',
      deploymentId: second.id,
    });
    // The person's cancelled version deploys again as any other.
    accepted(await h.app.engine.request({ ...personal(), version: '2.0.0' }));
  });

  it('a typed rollback marks what was live, not what it goes back to, and the next has nowhere unmarked to go', async () => {
    h = await startHarness({ ms: 100 });
    await live('1.0.0');
    await live('1.1.0');
    const back = accepted(
      await h.app.engine.request({ ...personal(), kind: 'rollback', version: null, reason: null }),
    );
    expect((await h.waitFinal(back.id)).state).toBe('succeeded');
    expect(await h.app.store.findBadVersion('web', 'staging', '1.1.0')).toMatchObject({
      markedBy: 'U-DEV1',
      reason: 'no reason given',
      deploymentId: back.id,
    });
    expect(await h.app.store.findBadVersion('web', 'staging', '1.0.0')).toBeNull();
    // Nothing earlier that is not marked: nothing to roll back to.
    const none = await h.app.engine.request({ ...personal(), kind: 'rollback', version: null });
    expect(none).toMatchObject({ ok: false, code: 'nothing_to_roll_back' });
  });
});

function personal() {
  return {
    actor: 'U-DEV1',
    source: 'chat' as const,
    channel: 'C-WEB',
    kind: 'deploy' as const,
    service: 'web',
    environment: 'staging',
    version: '1.0.0' as string | null,
  };
}
