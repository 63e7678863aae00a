import type { Config } from '../../config/schema.js';
import { doraTargets } from '../../dora/targets.js';

/** The periods the page offers, as `slipway report dora --since` writes them. */
export const PERIODS = ['7d', '30d', '90d', '180d', '365d'] as const;
export type Period = (typeof PERIODS)[number];
export const DEFAULT_PERIOD: Period = '30d';

/** What the page shows: a period, and optionally one service and one environment. */
export interface DoraFilter {
  since: Period;
  service?: string;
  environment?: string;
}

/**
 * The filter in the query string. A value the page cannot show is replaced by its default,
 * with a sentence saying what was wrong and what is shown instead, so that a mistyped link
 * still lands on a useful page.
 */
export function readFilter(
  query: URLSearchParams,
  config: Config,
): { filter: DoraFilter; problems: string[] } {
  const problems: string[] = [];
  const since = query.get('since') || DEFAULT_PERIOD;
  const filter: DoraFilter = { since: DEFAULT_PERIOD };
  if (isPeriod(since)) filter.since = since;
  else
    problems.push(
      `"${since}" is not a period this page offers: pick 7, 30, 90, 180 or 365 days. Showing the last 30 days.`,
    );
  const service = query.get('service') || undefined;
  const environment = query.get('environment') || undefined;
  if (service !== undefined) {
    const wrong = doraTargets(config, { service });
    if (typeof wrong === 'string') problems.push(`${wrong} Showing every service.`);
    else filter.service = service;
  }
  if (environment !== undefined) {
    // Checked with the service kept: a service that does not deploy there is a wrong pair.
    const wrong = doraTargets(config, { service: filter.service, environment });
    if (typeof wrong === 'string') problems.push(`${wrong} Showing production instead.`);
    else filter.environment = environment;
  }
  return { filter, problems };
}

function isPeriod(text: string): text is Period {
  return (PERIODS as readonly string[]).includes(text);
}

/** The same selection as a command, for whoever wants it in a terminal or as JSON. */
export function cliCommand(filter: DoraFilter): string {
  return [
    'slipway report dora',
    `--since ${filter.since}`,
    filter.service ? `--service ${filter.service}` : '',
    filter.environment ? `--environment ${filter.environment}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
