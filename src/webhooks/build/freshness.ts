import { type HookRefusal, hookRefusal } from './types.js';

/** How far a build's `timestamp` may be from Slipway's clock, either way. */
export const MAX_SKEW_MS = 5 * 60_000;

/**
 * A signed body that carries a `timestamp` is only good for five minutes around its time, so a
 * captured request cannot be sent again later. (Within those minutes, the idempotency key of
 * the body stops a replay from deploying twice; see deploy.ts.)
 */
export function checkFreshness(timestamp: number | string, now: Date): HookRefusal | null {
  const at = parseTimestamp(timestamp);
  if (at === null) {
    return hookRefusal(
      400,
      'invalid_timestamp',
      `timestamp ${JSON.stringify(timestamp)} is neither unix seconds nor an ISO 8601 time: send $(date +%s).`,
    );
  }
  const skew = at.getTime() - now.getTime();
  if (Math.abs(skew) <= MAX_SKEW_MS) return null;
  const minutes = Math.round(Math.abs(skew) / 60_000);
  const when = skew < 0 ? `${minutes} minutes old` : `${minutes} minutes in the future`;
  // 13 digits is a unix time in milliseconds (JavaScript's Date.now()), read as seconds here.
  const hint = /^\d{12,}$/.test(String(timestamp).trim())
    ? ' It looks like milliseconds: send seconds.'
    : '';
  return hookRefusal(
    401,
    'stale',
    `The build's timestamp (${at.toISOString()}) is ${when}; Slipway accepts signed builds within 5 minutes of its clock. Sign a fresh body with the current time, and check the clocks if this keeps happening.${hint}`,
  );
}

/** Unix seconds (a number, or digits) or an ISO 8601 time with at least hours and minutes. */
export function parseTimestamp(value: number | string): Date | null {
  const text = String(value).trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  // Date.parse also reads loose forms ("March 7"); only ISO 8601 with a time is meant here.
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) ms = Date.parse(text);
  else return null;
  // Beyond ±8.64e15 ms a Date is invalid, and could not be printed in the answer.
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? null : at;
}
