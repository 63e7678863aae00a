import type { Config } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';
import type { Store } from '../store/types.js';
import { computeDora } from './compute.js';
import { doraTargets } from './targets.js';
import type { DoraReport, DoraWindow } from './types.js';

const DAY_MS = 86_400_000;

export interface DoraRequest {
  window: DoraWindow;
  /** One service only. */
  service?: string;
  /** This environment instead of each service's production-like ones (targets.ts). */
  environment?: string;
}

/**
 * The DORA report the CLI prints, the gauges export and the dashboard draws: the targets asked
 * for, their records from the store, computed. A sentence when a name is unknown.
 */
export async function doraReport(
  store: Pick<Store, 'doraRecords'>,
  config: Config,
  request: DoraRequest,
): Promise<DoraReport | string> {
  const targets = doraTargets(config, request);
  if (typeof targets === 'string') return targets;
  const records = await store.doraRecords({ targets, window: request.window });
  return computeDora({ window: request.window, targets, ...records });
}

/** The `days` days up to `now`. */
export function lastDays(now: Date, days: number): DoraWindow {
  return { since: new Date(now.getTime() - days * DAY_MS), until: now };
}

/** A day, or a time with its offset (a time without one would be read in the local zone). */
const ISO_DAY_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * `--since`: a duration back from now (`30d`, `12w`, `36h`) or a day or time in ISO 8601
 * (`2025-01-06`, read as midnight UTC). The window ends now. A sentence when it cannot be read.
 */
export function windowSince(text: string, now: Date): DoraWindow | string {
  const trimmed = text.trim();
  const back = parseDuration(trimmed);
  const since =
    back !== null
      ? new Date(now.getTime() - back)
      : ISO_DAY_OR_TIME.test(trimmed)
        ? new Date(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed)
        : null;
  if (since === null || Number.isNaN(since.getTime())) {
    return `--since ${JSON.stringify(text)} is neither a duration (30d, 12w) nor a date (2025-01-06).`;
  }
  if (since.getTime() >= now.getTime()) {
    return `--since ${text} is not in the past: give how far back to look (30d) or an earlier date.`;
  }
  return { since, until: now };
}
