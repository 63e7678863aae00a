import type { Logger } from 'pino';
import { driverBinding, findService } from '../../config/lookup.js';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import type { DeployDriver, TargetStatus } from '../../drivers/types.js';

/** How long a target's reading is trusted before the overview asks its driver again. */
export const DRIFT_MAX_AGE_MS = 60_000;
/** A driver that does not answer in this long is left for the next look. */
const READ_TIMEOUT_MS = 10_000;

/** What the driver reads on a target, when that disagrees with Slipway's record. */
export interface Drift {
  /** Why the record and the target disagree, as a sentence. */
  text: string;
  /** When the target was read. */
  at: Date;
}

export interface DriftWatch {
  /**
   * The disagreement last read for the target, if any; a reading older than DRIFT_MAX_AGE_MS is
   * taken again in the background, so the page never waits on a driver (a slow cluster, a
   * workflow API's rate limit), and shows what was read until the new reading lands.
   */
  driftOf(service: string, environment: string, live: Deployment | null, now: Date): Drift | null;
}

interface Reading {
  at: Date;
  status: TargetStatus | null;
  /** The live record's version when the reading was taken: a deploy since makes it stale. */
  recorded: string | null;
  pending: boolean;
}

/**
 * Drift: the driver's own status for a target (what runs there, healthy or not) disagrees with
 * the deployment Slipway recorded as live, e.g. someone ran `kubectl set image`, or the GitOps
 * tool synced another revision. Read only for targets whose driver can tell (`status`), and only
 * while nothing is moving there (a rollout in progress disagrees by design).
 */
export function createDriftWatch(deps: {
  config: Config;
  drivers: ReadonlyMap<string, DeployDriver<unknown>>;
  log: Logger;
}): DriftWatch {
  const readings = new Map<string, Reading>();
  const read = async (key: string, live: Deployment, recorded: string | null) => {
    const reading: Reading = { at: new Date(), status: null, recorded, pending: true };
    const before = readings.get(key);
    readings.set(key, { ...(before ?? reading), pending: true });
    try {
      reading.status = await statusOf(deps, live);
    } catch (err) {
      deps.log.debug({ err, target: key }, 'reading the target for drift failed');
    }
    readings.set(key, { ...reading, at: new Date(), pending: false });
  };
  return {
    driftOf(service, environment, live, now) {
      if (!live) return null;
      const key = `${service}\u0000${environment}`;
      const reading = readings.get(key);
      const stale =
        !reading ||
        reading.recorded !== live.version ||
        now.getTime() - reading.at.getTime() > DRIFT_MAX_AGE_MS;
      if (stale && !reading?.pending && canRead(deps, live)) void read(key, live, live.version);
      if (!reading?.status || reading.recorded !== live.version) return null;
      return disagreement(reading.status, live, reading.at);
    },
  };
}

/** The sentence for a reading that disagrees with the live record, or null when they agree. */
export function disagreement(status: TargetStatus, live: Deployment, at: Date): Drift | null {
  if (status.version !== null && status.version !== live.version) {
    return {
      text: `The target runs ${status.version}; Slipway last deployed ${live.version} there.`,
      at,
    };
  }
  if (!status.healthy) return { text: `Not healthy: ${status.detail}`, at };
  return null;
}

function canRead(
  deps: { config: Config; drivers: ReadonlyMap<string, DeployDriver<unknown>> },
  live: Deployment,
): boolean {
  const driver = deps.drivers.get(live.driver);
  return driver?.status !== undefined;
}

async function statusOf(
  deps: { config: Config; drivers: ReadonlyMap<string, DeployDriver<unknown>>; log: Logger },
  live: Deployment,
): Promise<TargetStatus | null> {
  const driver = deps.drivers.get(live.driver);
  const binding = driverBinding(deps.config, live.service, live.environment);
  if (!driver?.status || !binding || binding.driver !== live.driver) return null;
  const options = driver.optionsSchema.safeParse(binding.options);
  if (!options.success) return null;
  if (driver.capabilities && !driver.capabilities(options.data).status) return null;
  return driver.status({
    deployment: live,
    image: findService(deps.config, live.service)?.image ?? null,
    options: options.data,
    log: deps.log,
    signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    progress: () => {},
  });
}
