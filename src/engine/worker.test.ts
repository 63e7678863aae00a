import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../core/logger.js';
import type { DeployDriver } from '../drivers/types.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { createEventBus } from './events.js';
import { requestDeployment } from './requests.js';
import { oneTargetDeps, oneTargetRequest } from './test-support/one-target.js';
import { createWorker, type Worker } from './worker.js';

const HOUR = 3_600_000;
let stores: Store[] = [];
let workers: Worker[] = [];

afterEach(async () => {
  for (const w of workers) await w.stop();
  for (const s of stores) await s.close();
  workers = [];
  stores = [];
});

/** Deploys never finish until stopped; rollbacks finish at once. */
const hangingDriver: DeployDriver<unknown> = {
  id: 'recording',
  optionsSchema: z.unknown(),
  deploy: async () => ({ phase: 'deploy' }),
  rollback: async () => ({ phase: 'rollback' }),
  watch: (ctx, handle) =>
    (handle as { phase: string }).phase === 'rollback'
      ? Promise.resolve({ ok: true, summary: 'back' })
      : new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }),
        ),
};

async function depsWith(processId: string, store?: Store): Promise<EngineDeps> {
  const own = store ?? createStore(':memory:');
  if (!store) await own.migrate();
  stores.push(own);
  return oneTargetDeps(processId, own);
}

/** Renews leases every third of `leaseMs` (an hour unless a test needs renewals). */
function start(deps: EngineDeps, leaseMs = HOUR): Worker {
  // Polls once an hour: only the wake on the queued event can start the deployment in time.
  const worker = createWorker(deps, { leaseMs, pollMs: HOUR, concurrency: 4 });
  workers.push(worker);
  worker.start();
  return worker;
}

async function stateWithin(store: Store, id: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await store.getDeployment(id);
    if (d?.state === 'succeeded' || Date.now() > deadline) return d?.state;
    await sleep(20);
  }
}

const request = oneTargetRequest;

/**
 * Runs whose last progress line, written after their final transition, is held until
 * `release`: such a run has ended in the store but has not returned yet.
 */
async function heldAfterItsEnd() {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reporting: DeployDriver<unknown> = {
    id: 'recording',
    optionsSchema: z.unknown(),
    deploy: async () => ({}),
    rollback: async () => ({}),
    async watch(ctx) {
      ctx.progress('1 of 2');
      await sleep(50);
      ctx.progress('2 of 2');
      return { ok: true, summary: 'done' };
    },
  };
  const base = await depsWith('p1');
  const store: Store = Object.create(base.store);
  store.patchDeployment = async (id, patch) => {
    if (patch.progress === '2 of 2') await held;
    return base.store.patchDeployment(id, patch);
  };
  return { deps: { ...base, store, drivers: new Map([['recording', reporting]]) }, store, release };
}

function warningsInto(lines: string[]) {
  return createLogger({ level: 'warn' }, { write: (line: string) => lines.push(line) });
}

describe('worker', () => {
  it('claims a deployment on the event that queued it, not at the next poll', async () => {
    const deps = await depsWith('p1');
    start(deps);
    await sleep(50); // the start's own look for work is over
    const accepted = await requestDeployment(deps, request);
    if (!accepted.ok) throw new Error(accepted.reason);
    expect(await stateWithin(deps.store, accepted.deployment.id, 10_000)).toBe('succeeded');
  });

  it('resumes an orphan (a lease run out) at start', async () => {
    const first = await depsWith('p1');
    const accepted = await requestDeployment(first, {
      actor: 'dev',
      source: 'api',
      channel: null,
      service: 'web',
      environment: 'staging',
      version: '1.0.0',
      kind: 'deploy',
    });
    if (!accepted.ok) throw new Error(accepted.reason);
    // Claimed by a process that died at once: its lease has expired.
    await first.store.claimNextQueued('dead', -1, { actor: 'slipway' });
    const second = { ...first, processId: 'p2' };
    start(second);
    expect(await stateWithin(first.store, accepted.deployment.id, 10_000)).toBe('succeeded');
  });

  it('hears at the lease renewal of a cancel another process wrote, and rolls back', async () => {
    const deps = { ...(await depsWith('p1')), drivers: new Map([['recording', hangingDriver]]) };
    start(deps, 600);
    const accepted = await requestDeployment(deps, request);
    if (!accepted.ok) throw new Error(accepted.reason);
    const id = accepted.deployment.id;
    for (let i = 0; i < 200 && (await deps.store.getDeployment(id))?.state !== 'running'; i++)
      await sleep(20);
    // Written as another replica writes a cancel: in the store, with no event in this process.
    await deps.store.transition(
      id,
      ['running'],
      'rolling_back',
      {
        actor: 'U-OTHER',
        reason: 'cancelled by U-OTHER',
      },
      { outcome: 'cancelled by U-OTHER' },
    );
    const deadline = Date.now() + 10_000;
    let d = await deps.store.getDeployment(id);
    while (d?.state !== 'rolled_back' && Date.now() < deadline) {
      await sleep(50);
      d = await deps.store.getDeployment(id);
    }
    expect(d?.state).toBe('rolled_back');
  });

  it('claims the next request to a target when its run ends, before that run has tidied up', async () => {
    const { deps, store, release } = await heldAfterItsEnd();
    start(deps);
    const first = await requestDeployment(deps, request);
    if (!first.ok) throw new Error(first.reason);
    for (
      let i = 0;
      i < 200 && (await store.getDeployment(first.deployment.id))?.state === 'queued';
      i++
    )
      await sleep(10);
    const second = await requestDeployment(deps, { ...request, version: '1.0.1' });
    if (!second.ok) throw new Error(second.reason);
    try {
      // The worker polls once an hour: only the first run's end can start the second.
      expect(await stateWithin(store, second.deployment.id, 5_000)).toBe('succeeded');
      expect((await store.getDeployment(first.deployment.id))?.state).toBe('succeeded');
    } finally {
      release();
    }
  });

  it('does not take a run whose lease ended with it for lost while it tidies up', async () => {
    const held = await heldAfterItsEnd();
    const warnings: string[] = [];
    const deps = { ...held.deps, log: warningsInto(warnings) };
    // Renewed every 100 ms.
    const worker = start(deps, 300);
    const accepted = await requestDeployment(deps, request);
    if (!accepted.ok) throw new Error(accepted.reason);
    try {
      expect(await stateWithin(held.store, accepted.deployment.id, 5_000)).toBe('succeeded');
      expect(worker.inFlight()).toEqual([accepted.deployment.id]);
      await sleep(450);
      expect(warnings.filter((line) => line.includes('lease lost'))).toEqual([]);
    } finally {
      held.release();
    }
  });

  it('looks no more for work queued for a target another process runs; that run’s end claims it', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const untilReleased: DeployDriver<unknown> = {
      id: 'recording',
      optionsSchema: z.unknown(),
      deploy: async () => ({}),
      rollback: async () => ({}),
      // Ends when released, or when its worker stops (a failed test must not hang the next).
      watch: (ctx) =>
        new Promise((resolve, reject) => {
          void released.then(() => resolve({ ok: true, summary: 'done' }));
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
        }),
    };
    const runner = { ...(await depsWith('p1')), drivers: new Map([['recording', untilReleased]]) };
    start(runner);
    const first = await requestDeployment(runner, request);
    if (!first.ok) throw new Error(first.reason);
    for (
      let i = 0;
      i < 200 &&
      runner.store &&
      (await runner.store.getDeployment(first.deployment.id))?.state !== 'running';
      i++
    )
      await sleep(10);
    // A second process on the same store, with events of its own, as a replica has.
    let claims = 0;
    const counted: Store = Object.create(runner.store);
    counted.claimNextQueued = (...args) => {
      claims++;
      return runner.store.claimNextQueued(...args);
    };
    const other = { ...runner, processId: 'p2', events: createEventBus(() => {}), store: counted };
    start(other);
    await sleep(50); // the start's own look for work is over
    claims = 0;
    let lastId = '';
    for (const version of ['1.0.1', '1.0.2', '1.0.3']) {
      const accepted = await requestDeployment(other, { ...request, version });
      if (!accepted.ok) throw new Error(accepted.reason);
      lastId = accepted.deployment.id;
      await sleep(30);
    }
    // The first request found its target running elsewhere; the next two asked for nothing.
    expect(claims).toBe(1);
    release();
    // Both poll once an hour: the first run's end, in the other process, starts the last one.
    expect(await stateWithin(runner.store, lastId, 5_000)).toBe('succeeded');
  });

  it('looks for no work when a request is accepted for a target it runs; for another target, it looks', async () => {
    const own = await depsWith('p1');
    let claims = 0;
    const counted: Store = Object.create(own.store);
    counted.claimNextQueued = (...args) => {
      claims++;
      return own.store.claimNextQueued(...args);
    };
    const deps = { ...own, store: counted, drivers: new Map([['recording', hangingDriver]]) };
    const worker = start(deps);
    const first = await requestDeployment(deps, request);
    if (!first.ok) throw new Error(first.reason);
    const running = async () =>
      (await deps.store.getDeployment(first.deployment.id))?.state === 'running';
    for (let i = 0; i < 200 && !(await running()); i++) await sleep(10);
    expect(await running()).toBe(true);
    await sleep(50); // the claim that started it is over
    claims = 0;
    for (let i = 0; i < 3; i++) worker.wakeFor({ service: 'web', environment: 'staging' });
    await sleep(50);
    expect(claims).toBe(0);
    worker.wakeFor({ service: 'api', environment: 'staging' });
    await sleep(50);
    expect(claims).toBe(1);
  });

  it('stops following a run another process took over, and says so', async () => {
    const warnings: string[] = [];
    const deps = {
      ...(await depsWith('p1')),
      drivers: new Map([['recording', hangingDriver]]),
      log: warningsInto(warnings),
    };
    const worker = start(deps, 300);
    const accepted = await requestDeployment(deps, request);
    if (!accepted.ok) throw new Error(accepted.reason);
    const id = accepted.deployment.id;
    for (let i = 0; i < 200 && worker.inFlight().length === 0; i++) await sleep(10);
    // As another replica takes over a lease it found expired.
    await deps.store.releaseLeases('p1');
    expect((await deps.store.takeExpiredLeases('p2', HOUR)).map((d) => d.id)).toEqual([id]);
    for (let i = 0; i < 100 && worker.inFlight().length > 0; i++) await sleep(20);
    expect(worker.inFlight()).toEqual([]);
    const lost = warnings.filter((line) => line.includes('lease lost'));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toContain(id);
    expect((await deps.store.getDeployment(id))?.leaseOwner).toBe('p2');
  });

  it('counts a slot promised to a request being recorded, and lets queued work start once it is given back', async () => {
    const deps = await depsWith('p1');
    const worker = createWorker(deps, { leaseMs: HOUR, pollMs: HOUR, concurrency: 1 });
    workers.push(worker);
    worker.start();
    const slot = worker.reserve();
    expect(slot?.claim.owner).toBe('p1');
    expect(worker.reserve()).toBeNull();
    // Recorded without starting: its queued event finds the only slot promised.
    const accepted = await requestDeployment(deps, request);
    if (!accepted.ok) throw new Error(accepted.reason);
    await sleep(100);
    expect((await deps.store.getDeployment(accepted.deployment.id))?.state).toBe('queued');
    slot?.release();
    // Polls once an hour: only the release can start it in time.
    expect(await stateWithin(deps.store, accepted.deployment.id, 5_000)).toBe('succeeded');
    slot?.release();
    expect(worker.reserve()).not.toBeNull();
  });
});
