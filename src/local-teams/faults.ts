/**
 * Failure injection for the connector and the token endpoint, programmable from tests. A
 * faulted call never reaches its handler, so nothing it would have posted is recorded.
 *
 * A target names calls by operation (`sendToConversation`, `updateActivity`, `getToken`, …,
 * or `*`) or by method and path relative to the serviceUrl, where `*` matches one path
 * segment and `**` anything: `PUT /v3/conversations/*\/activities/*`.
 */

/** The failures Teams documents as retryable, plus 500 (conversation-messages, status codes). */
export type FaultStatus = 412 | 429 | 500 | 502 | 503 | 504;

export interface FaultDecision {
  status?: FaultStatus | undefined;
  retryAfterSec?: number | undefined;
  delayMs: number;
  delayWhen: 'before' | 'after';
}

export interface Faults {
  /** The next `times` calls matching `target` answer this status (429 with Retry-After). */
  next(
    target: string,
    fault: { status: FaultStatus; times?: number; retryAfterSec?: number },
  ): void;
  /**
   * The next `times` calls matching `target` are answered `ms` late: `before` (default) waits
   * then acts only if the client is still there; `after` acts, then answers late.
   */
  delay(target: string, ms: number, options?: { times?: number; when?: 'before' | 'after' }): void;
  clear(): void;
  /** How many calls were failed so far, by operation. */
  injected(): Record<string, number>;
  /** @internal Consulted once per call. */
  decide(operation: string, method: string, path: string): FaultDecision;
}

function matcher(target: string): (operation: string, method: string, path: string) => boolean {
  if (target === '*') return () => true;
  const m = /^([A-Z]+) (\/.*)$/.exec(target);
  if (!m) return (operation) => operation === target;
  const source = (m[2] ?? '')
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  const re = new RegExp(`^${source}$`);
  return (_op, method, path) => method === m[1] && re.test(path);
}

interface Programmed<T> {
  matches: ReturnType<typeof matcher>;
  left: number;
  value: T;
}

function take<T>(list: Array<Programmed<T>>, op: string, method: string, path: string) {
  const i = list.findIndex((f) => f.matches(op, method, path));
  const hit = list[i];
  if (!hit) return undefined;
  hit.left -= 1;
  if (hit.left <= 0) list.splice(i, 1);
  return hit.value;
}

export function createFaults(): Faults {
  const statuses: Array<Programmed<{ status: FaultStatus; retryAfterSec: number }>> = [];
  const delays: Array<Programmed<{ ms: number; when: 'before' | 'after' }>> = [];
  const counts: Record<string, number> = {};

  return {
    next(target, fault) {
      statuses.push({
        matches: matcher(target),
        left: fault.times ?? 1,
        value: { status: fault.status, retryAfterSec: fault.retryAfterSec ?? 1 },
      });
    },
    delay(target, ms, options = {}) {
      delays.push({
        matches: matcher(target),
        left: options.times ?? 1,
        value: { ms, when: options.when ?? 'before' },
      });
    },
    clear() {
      statuses.length = 0;
      delays.length = 0;
    },
    injected: () => ({ ...counts }),
    decide(operation, method, path) {
      const delay = take(delays, operation, method, path);
      const fault = take(statuses, operation, method, path);
      if (fault) counts[operation] = (counts[operation] ?? 0) + 1;
      return {
        status: fault?.status,
        retryAfterSec: fault?.retryAfterSec,
        delayMs: delay?.ms ?? 0,
        delayWhen: delay?.when ?? 'before',
      };
    },
  };
}
