import { driverBinding, serviceEnvironments } from '../config/lookup.js';
import type { EngineDeps } from './context.js';

const SWEEP_TIMEOUT_MS = 60_000;

/**
 * Periodic upkeep drivers ask for through `expire`: previews whose time to live has passed are
 * torn down. Every replica may sweep; removing what is already gone is harmless.
 */
export function createSweeper(deps: EngineDeps, intervalMs: number) {
  const log = deps.log.child({ component: 'sweeper' });
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<string[]> | null = null;

  async function sweepOnce(): Promise<string[]> {
    const removed: string[] = [];
    for (const service of deps.config.services) {
      for (const environment of serviceEnvironments(deps.config, service)) {
        const binding = driverBinding(deps.config, service.name, environment);
        const driver = binding ? deps.drivers.get(binding.driver) : undefined;
        if (!binding || !driver?.expire) continue;
        const options = driver.optionsSchema.safeParse(binding.options);
        if (!options.success) continue;
        try {
          const gone = await driver.expire({
            service: service.name,
            environment,
            options: options.data,
            log: log.child({ service: service.name, environment }),
            signal: AbortSignal.timeout(SWEEP_TIMEOUT_MS),
          });
          if (gone.length > 0)
            log.info(
              { service: service.name, environment, removed: gone },
              'expired previews removed',
            );
          removed.push(...gone);
        } catch (err) {
          log.warn(
            { err, service: service.name, environment },
            'could not remove expired previews',
          );
        }
      }
    }
    return removed;
  }

  /** Runs one sweep now (or joins the one running); returns what was removed. */
  function sweep(): Promise<string[]> {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = null;
    });
    return sweeping;
  }

  return {
    sweep,
    start() {
      timer ??= setInterval(() => void sweep(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await sweeping;
    },
  };
}
