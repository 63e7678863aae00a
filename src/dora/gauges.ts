import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import { doraReport, lastDays } from './report.js';
import type { DoraFigures, DoraReport } from './types.js';

/** The gauges' window: what a team looks at, long enough to hold a few failures. */
export const GAUGE_DAYS = 30;
/**
 * Prometheus scrapes every 15 to 60 s, several replicas each; the report reads a month of
 * deployments. Once a minute is fresh enough for figures that move over weeks.
 */
export const GAUGE_MAX_AGE_MS = 60_000;

export interface DoraGaugeSource {
  /** The report the gauges show (every production-like target over the last 30 days). */
  load(): Promise<DoraReport>;
  now?: () => Date;
  maxAgeMs?: number;
}

/** The last 30 days of every service's production-like targets, from the store. */
export function doraGaugeSource(deps: {
  store: Pick<Store, 'doraRecords'>;
  config: Config;
  now?: () => Date;
}): DoraGaugeSource {
  const now = deps.now ?? (() => new Date());
  return {
    now,
    async load() {
      const report = await doraReport(deps.store, deps.config, {
        window: lastDays(now(), GAUGE_DAYS),
      });
      if (typeof report === 'string') throw new Error(report);
      return report;
    },
  };
}

type Label = 'service' | 'environment' | 'quantile';

/**
 * `slipway_dora_*`, per service and environment, over the last 30 days. Every scrape reads the
 * report computed at most a minute ago; a figure without data (no lead time measured, no
 * change) is left out rather than shown as 0. When the store does not answer, the gauges are
 * empty for that scrape and the next one tries again.
 */
export function registerDoraGauges(
  registers: Registry[],
  source: DoraGaugeSource,
  log: Logger,
): void {
  const report = cachedReport(source, log);
  const gauge = (
    name: string,
    help: string,
    values: (f: DoraFigures) => [Record<string, string>, number | null][],
  ) =>
    new Gauge<Label>({
      name,
      help: `${help} Over the last ${GAUGE_DAYS} days, recomputed at most once a minute.`,
      labelNames: [
        'service',
        'environment',
        ...(name.endsWith('_seconds') ? ['quantile' as const] : []),
      ],
      registers,
      async collect() {
        this.reset();
        for (const t of (await report())?.targets ?? []) {
          for (const [labels, value] of values(t.total)) {
            if (value !== null)
              this.set({ service: t.service, environment: t.environment, ...labels }, value);
          }
        }
      },
    });
  gauge('slipway_dora_deployments', 'Deploys that went live (rollbacks not counted).', (f) => [
    [{}, f.deployments],
  ]);
  gauge('slipway_dora_deployments_per_week', 'Deploys that went live, per week.', (f) => [
    [{}, f.deploymentsPerWeek],
  ]);
  gauge(
    'slipway_dora_lead_time_seconds',
    "From a version's commit (or its build report) to live: median and p90.",
    (f) => [
      [{ quantile: '0.5' }, f.leadTime.medianSeconds],
      [{ quantile: '0.9' }, f.leadTime.p90Seconds],
    ],
  );
  gauge(
    'slipway_dora_changes',
    'Deploys that ran and ended (the failure rate’s denominator).',
    (f) => [[{}, f.changes]],
  );
  gauge(
    'slipway_dora_failed_changes',
    'Changes that failed, were rolled back, or had an alert tied to them, each once.',
    (f) => [[{}, f.failedChanges]],
  );
  gauge('slipway_dora_change_failure_ratio', 'Failed changes / changes.', (f) => [
    [{}, f.changeFailureRate],
  ]);
  gauge(
    'slipway_dora_time_to_restore_seconds',
    'From a failure or alert to the next good deployment or the alert resolved: median.',
    (f) => [[{ quantile: '0.5' }, f.timeToRestore.medianSeconds]],
  );
}

/**
 * The report, computed again once it is older than `maxAgeMs`. Gauges collected together share
 * one computation; a failed one is not kept, so the next scrape tries again.
 */
function cachedReport(source: DoraGaugeSource, log: Logger): () => Promise<DoraReport | null> {
  const maxAgeMs = source.maxAgeMs ?? GAUGE_MAX_AGE_MS;
  const now = () => (source.now?.() ?? new Date()).getTime();
  let kept: { at: number; report: DoraReport } | null = null;
  let pending: Promise<DoraReport | null> | null = null;
  return () => {
    if (kept && now() - kept.at < maxAgeMs) return Promise.resolve(kept.report);
    pending ??= source
      .load()
      .then(
        (report) => {
          kept = { at: now(), report };
          return report;
        },
        (err: unknown) => {
          log.warn({ err }, 'metrics: could not compute the DORA metrics');
          return null;
        },
      )
      .finally(() => {
        pending = null;
      });
    return pending;
  };
}
