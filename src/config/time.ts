import { CronExpressionParser } from 'cron-parser';

/**
 * Checks for freeze windows. Five fields only: cron-parser also reads a leading seconds field,
 * and "0 16 * * 5 1" would then silently mean something else than the author thought.
 */
export function cronProblem(expr: string): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `"${expr}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a freeze cron has 5`;
  }
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
    return null;
  } catch (err) {
    return `"${expr}" is not a valid cron expression (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** IANA zones only: Intl also accepts them case-insensitively, and so does cron-parser. */
export function timeZoneProblem(zone: string): { message: string; fix: string } | null {
  if (isTimeZone(zone)) return null;
  return {
    message: `"${zone}" is not a time zone`,
    fix: 'write an IANA time zone name like "Europe/Berlin", "America/New_York" or "UTC"',
  };
}

export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
