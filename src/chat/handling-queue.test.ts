import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { busyRefusal, createHandlingQueue } from './handling-queue.js';
import { buttonClick, deferred, slashCommand } from './test-support/events.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('handling queue', () => {
  it('runs at most `concurrency` at once, the rest in arrival order', async () => {
    const q = createHandlingQueue({ concurrency: 2, backlog: 10 });
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const done = gates.map((gate, i) =>
      q.run(async () => {
        started.push(i);
        await gate.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([q.running(), q.waiting()]).toEqual([2, 3]);
    gates[1]?.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3]?.resolve();
    gates[4]?.resolve();
    await Promise.all(done);
    expect([q.running(), q.waiting()]).toEqual([0, 0]);
  });

  it('frees the slot of work that failed and passes the error on', async () => {
    const q = createHandlingQueue({ concurrency: 1, backlog: 10 });
    const failing = q.run(async () => {
      throw new Error('boom');
    });
    const after = q.run(async () => {});
    await expect(failing).rejects.toThrow('boom');
    await expect(after).resolves.toBeUndefined();
    expect(q.running()).toBe(0);
  });

  it('lets the next start when a handler releases its slot, and counts the slot once', async () => {
    const q = createHandlingQueue({ concurrency: 1, backlog: 10 });
    const gate = deferred();
    const order: string[] = [];
    const first = q.run(async (release) => {
      order.push('first: work');
      release();
      release();
      await gate.promise;
      order.push('first: chat call done');
    });
    const second = q.run(async () => {
      order.push('second');
    });
    await second;
    expect(order).toEqual(['first: work', 'second']);
    gate.resolve();
    await first;
    expect([q.running(), q.waiting(), q.idle()]).toEqual([0, 0, true]);
  });

  it('is full once `backlog` wait, and has room again as they start', async () => {
    const q = createHandlingQueue({ concurrency: 1, backlog: 2 });
    const gate = deferred();
    const runs = [q.run(() => gate.promise), q.run(async () => {})];
    expect(q.full()).toBe(false);
    runs.push(q.run(async () => {}));
    expect(q.full()).toBe(true);
    gate.resolve();
    await Promise.all(runs);
    expect(q.full()).toBe(false);
  });
});

describe('busy refusal', () => {
  const slash = slashCommand();
  const click = buttonClick();

  it('refuses only commands, only while the backlog is full, logging once per burst', async () => {
    const q = createHandlingQueue({ concurrency: 1, backlog: 1 });
    const warnings: unknown[] = [];
    const log = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
    let refused = 0;
    let clock = 0;
    const refuse = busyRefusal(
      q,
      () => refused++,
      log,
      () => clock,
    );
    const gate = deferred();
    const runs = [q.run(() => gate.promise)];
    expect(refuse(slash)).toBeNull();
    runs.push(q.run(async () => {}));
    expect(refuse(slash)).toMatch(
      /^Slipway is busy: 1 request is waiting ahead of yours\. Nothing was done with `web 1\.4\.2 to staging`/,
    );
    // Admission asks only where the acknowledgement can carry the answer (inbound.test.ts);
    // a click is never refused, even there.
    expect(refuse(click)).toBeNull();
    // What the user typed is quoted as code, escaped: it cannot ping a channel or end the span.
    expect(refuse({ ...slash, text: 'web `1.4.2` <!channel>' })).toMatch(
      /Nothing was done with `web '1\.4\.2' &lt;!channel&gt;`;/,
    );
    clock = 10_000;
    expect(refuse(slash)).not.toBeNull();
    expect(refused).toBe(3);
    expect(warnings).toEqual([
      { refused: 1, waiting: 1 },
      { refused: 2, waiting: 1 },
    ]);
    gate.resolve();
    await Promise.all(runs);
    expect(refuse(slash)).toBeNull();
  });
});
