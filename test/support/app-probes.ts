import {
  createHandlingQueue,
  type HandlingQueue,
  type HandlingQueueOptions,
} from '../../src/chat/handling-queue.js';
import type { Engine } from '../../src/engine/index.js';

/** One answer of the engine that says yes or no (`{ ok, code? }`), in the order given. */
export interface EngineAnswer {
  method: string;
  ok: boolean;
  /** The refusal code when `ok` is false. */
  code: string | null;
  reason: string | null;
  result: unknown;
}

/**
 * Watches the engine's answers without changing them: the chat handler shows a refusal's
 * sentence but not its code, and a test about policy wants the code. Every method of the engine
 * object is wrapped in place (the handler holds the same object), so a method added later is
 * watched too; only answers shaped `{ ok: boolean }` are kept.
 */
export function watchEngineAnswers(engine: Engine): { answers(): EngineAnswer[] } {
  const answers: EngineAnswer[] = [];
  const target = engine as unknown as Record<string, unknown>;
  for (const [method, fn] of Object.entries(target)) {
    if (typeof fn !== 'function') continue;
    target[method] = (...args: unknown[]) => {
      const out = (fn as (...a: unknown[]) => unknown).apply(engine, args);
      if (out instanceof Promise) {
        out.then(
          (result: unknown) => {
            if (typeof result !== 'object' || result === null || !('ok' in result)) return;
            const r = result as { ok: unknown; code?: unknown; reason?: unknown };
            if (typeof r.ok !== 'boolean') return;
            answers.push({
              method,
              ok: r.ok,
              code: typeof r.code === 'string' ? r.code : null,
              reason: typeof r.reason === 'string' ? r.reason : null,
              result,
            });
          },
          () => {},
        );
      }
      return out;
    };
  }
  return { answers: () => [...answers] };
}

/**
 * The app's chat handling queue, with a way to wait for the next event it handles to be done,
 * its answer's chat call included: Slack requests are acknowledged before they are handled.
 */
export function watchedHandling(options?: HandlingQueueOptions): {
  queue: HandlingQueue;
  /** Settles when the next event handed to the queue after this call has been handled. */
  next(): Promise<void>;
} {
  const inner = createHandlingQueue(options);
  const waiting: (() => void)[] = [];
  return {
    queue: {
      ...inner,
      run(work) {
        const done = inner.run(work);
        const resolve = waiting.shift();
        if (resolve) done.then(resolve, resolve);
        return done;
      },
    },
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
  };
}
