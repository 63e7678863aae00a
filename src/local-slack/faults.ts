/**
 * Failure injection for Web API calls, programmable from tests. A faulted call never
 * reaches the method, so nothing it would have posted is recorded.
 */

export type FaultStatus = 429 | 500 | 502 | 503 | 504;

export interface ChaosOptions {
  /** Probability in [0, 1] that a call fails. */
  rate: number;
  /** Same seed and same sequence of calls give the same failures. */
  seed: number;
  statuses?: FaultStatus[];
  /** Methods chaos applies to; all methods when omitted. */
  methods?: string[];
  /** Retry-After sent with chaos 429s, in seconds (default 1). */
  retryAfterSec?: number;
}

export interface DelayOptions {
  times?: number;
  /**
   * `before` (default): wait, then run the call only if the client is still there, as if
   * the request never reached Slack. `after`: run the call, then answer late, the ambiguous
   * timeout where Slack did act but the client gave up.
   */
  when?: 'before' | 'after';
}

export interface FaultDecision {
  status?: FaultStatus | undefined;
  retryAfterSec?: number | undefined;
  delayMs: number;
  delayWhen: 'before' | 'after';
}

export interface Faults {
  /** The next `times` calls of `method` (or `*`) answer this status. */
  next(
    method: string,
    fault: { status: FaultStatus; times?: number; retryAfterSec?: number },
  ): void;
  /** The next `times` calls of `method` (or `*`) are answered `ms` late. */
  delay(method: string, ms: number, options?: DelayOptions): void;
  /** Random failures, reproducible by seed; `null` turns chaos off. */
  chaos(options: ChaosOptions | null): void;
  /** Removes every programmed fault. */
  clear(): void;
  /** How many calls chaos or `next` failed so far, by method. */
  injected(): Record<string, number>;
  /** @internal Consulted once per Web API call. */
  decide(method: string): FaultDecision;
}

/** mulberry32: tiny, seedable, good enough to pick failures reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function createFaults(): Faults {
  let queued: Array<{ method: string; status: FaultStatus; left: number; retryAfterSec: number }> =
    [];
  let delays: Array<{ method: string; ms: number; left: number; when: 'before' | 'after' }> = [];
  let chaos: (ChaosOptions & { random: () => number }) | null = null;
  const counts: Record<string, number> = {};

  const matches = (pattern: string, method: string) => pattern === '*' || pattern === method;

  function pickStatus(method: string): { status: FaultStatus; retryAfterSec: number } | null {
    const q = queued.find((f) => matches(f.method, method));
    if (q) {
      q.left -= 1;
      if (q.left <= 0) queued = queued.filter((f) => f !== q);
      return { status: q.status, retryAfterSec: q.retryAfterSec };
    }
    if (chaos && (!chaos.methods || chaos.methods.includes(method))) {
      // Two draws per call whatever the outcome, so one call's result never shifts the next.
      const hit = chaos.random() < chaos.rate;
      const statuses = chaos.statuses ?? [429, 500, 503];
      const status = statuses[Math.floor(chaos.random() * statuses.length)] ?? 500;
      if (hit) return { status, retryAfterSec: chaos.retryAfterSec ?? 1 };
    }
    return null;
  }

  return {
    next(method, fault) {
      queued.push({
        method,
        status: fault.status,
        left: fault.times ?? 1,
        retryAfterSec: fault.retryAfterSec ?? 1,
      });
    },
    delay(method, ms, options = {}) {
      delays.push({ method, ms, left: options.times ?? 1, when: options.when ?? 'before' });
    },
    chaos(options) {
      if (options && (options.rate < 0 || options.rate > 1)) {
        throw new Error(`local-slack: chaos rate must be within [0, 1], got ${options.rate}`);
      }
      chaos = options ? { ...options, random: prng(options.seed) } : null;
    },
    clear() {
      queued = [];
      delays = [];
      chaos = null;
    },
    injected() {
      return { ...counts };
    },
    decide(method) {
      const d = delays.find((f) => matches(f.method, method));
      if (d) {
        d.left -= 1;
        if (d.left <= 0) delays = delays.filter((f) => f !== d);
      }
      const picked = pickStatus(method);
      if (picked) counts[method] = (counts[method] ?? 0) + 1;
      return {
        status: picked?.status,
        retryAfterSec: picked?.retryAfterSec,
        delayMs: d?.ms ?? 0,
        delayWhen: d?.when ?? 'before',
      };
    },
  };
}
