import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isFinal } from '../core/deployment.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { createEngine } from './index.js';
import { oneTargetDeps, oneTargetRequest } from './test-support/one-target.js';

let closing: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closing) await close();
  closing = [];
});

/**
 * `store`, but a transition into a final state is answered `ms` after it was committed: the
 * store shows the end while the run that wrote it has not told the engine's listeners yet (as
 * while a commit's sync runs on SQLite, or its answer crosses the network on Postgres).
 */
function slowToAnswerEnds(store: Store, ms: number): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key !== 'transition') return value.bind(target);
      return async (...args: unknown[]) => {
        const moved = await value.apply(target, args);
        if (moved && isFinal(moved.state)) await sleep(ms);
        return moved;
      };
    },
  });
}

describe('engine.waitFor', () => {
  it("answers a run's end once the engine's listeners heard of it, not as soon as the store shows it", async () => {
    const store = createStore(':memory:');
    await store.migrate();
    const deps = oneTargetDeps('p1', slowToAnswerEnds(store, 400));
    const { events } = deps;
    const engine = createEngine(deps);
    closing.push(async () => {
      await engine.stop();
      await store.close();
    });
    const told: string[] = [];
    events.on((e) => {
      if (e.type === 'transition' && isFinal(e.transition.to)) told.push(e.deployment.id);
    });
    engine.start();
    const r = await engine.request(oneTargetRequest);
    if (!r.ok) throw new Error(r.reason);
    const d = await engine.waitFor(r.deployment.id, AbortSignal.timeout(10_000), 20);
    expect(d.state).toBe('succeeded');
    expect(told).toEqual([d.id]);
  });
});
