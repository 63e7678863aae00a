import type { RecordedCall } from './github-double.js';
import { describeViolation, type SpecViolation } from './github-double-spec.js';

/** A call a test expects; `body` is matched as a subset of the JSON body sent. */
export interface ExpectedCall {
  method: string;
  path: RegExp;
  body?: unknown;
  /** How many such calls; default 1. */
  times?: number;
}

/**
 * Each call takes the first expectation it matches that still has room; what is left over on
 * either side is reported, with the bodies, so a failure says what went wrong.
 */
export function verifyCalls(expected: ExpectedCall[], calls: RecordedCall[]): void {
  if (expected.length === 0) return;
  const left = expected.map((e) => ({ ...e, left: e.times ?? 1 }));
  const unexpected: RecordedCall[] = [];
  for (const call of calls) {
    const match = left.find(
      (e) =>
        e.left > 0 &&
        e.method === call.method &&
        e.path.test(call.path) &&
        (e.body === undefined || contains(call.body, e.body)),
    );
    if (match) match.left--;
    else unexpected.push(call);
  }
  const missing = left.filter((e) => e.left > 0);
  if (missing.length === 0 && unexpected.length === 0) return;
  const lines = [
    ...missing.map(
      (e) =>
        `expected ${e.left} more ${e.method} ${e.path}${e.body === undefined ? '' : ` with ${JSON.stringify(e.body)}`}`,
    ),
    ...unexpected.map(
      (c) => `unexpected ${c.method} ${c.path} → ${c.status} ${JSON.stringify(c.body ?? null)}`,
    ),
  ];
  throw new Error(`the GitHub double saw other calls than expected:\n${lines.join('\n')}`);
}

/** Whether `actual` holds everything `subset` has (objects by key, arrays and values exactly). */
function contains(actual: unknown, subset: unknown): boolean {
  if (subset === null || typeof subset !== 'object' || Array.isArray(subset))
    return JSON.stringify(actual) === JSON.stringify(subset);
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(subset).every(([key, value]) =>
    contains((actual as Record<string, unknown>)[key], value),
  );
}

/** Throws, naming each, while the double holds departures from GitHub's description. */
export function verifySpec(violations: SpecViolation[]): void {
  if (violations.length === 0) return;
  throw new Error(
    `the GitHub double saw ${violations.length} departure(s) from GitHub's OpenAPI description:\n${violations.map(describeViolation).join('\n')}`,
  );
}
