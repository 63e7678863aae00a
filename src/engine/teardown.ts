import type { Logger } from 'pino';
import { driverBinding, findService } from '../config/lookup.js';
import type { Deployment } from '../core/deployment.js';
import type { EngineDeps } from './context.js';

const TEARDOWN_TIMEOUT_MS = 60_000;

/** Best effort: a failed or slow teardown is logged; the closed review stands either way. */
export async function tearDown(deps: EngineDeps, d: Deployment): Promise<void> {
  const driver = deps.drivers.get(d.driver);
  const binding = driverBinding(deps.config, d.service, d.environment);
  if (!driver?.teardown || !binding) return;
  const log: Logger = deps.log.child({ deployment: d.id, correlationId: d.correlationId });
  const options = driver.optionsSchema.safeParse(binding.options);
  if (!options.success) {
    log.warn({ err: options.error }, 'teardown skipped: the driver options are invalid');
    return;
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`teardown took longer than ${TEARDOWN_TIMEOUT_MS / 1000} s`));
    }, TEARDOWN_TIMEOUT_MS);
  });
  const ctx = {
    deployment: d,
    image: findService(deps.config, d.service)?.image ?? null,
    options: options.data,
    log,
    signal: controller.signal,
    progress: () => {},
  };
  try {
    await Promise.race([driver.teardown(ctx), timeout]);
    log.info({ environment: d.environment }, 'torn down after the review was closed');
  } catch (err) {
    log.warn({ err }, 'teardown failed; the review is closed all the same');
  } finally {
    clearTimeout(timer);
  }
}
