import { driverBinding, findService } from '../config/lookup.js';
import type { Deployment } from '../core/deployment.js';
import type { DriverPhase } from '../drivers/types.js';
import type { DashboardDeps } from './types.js';

/** The handles the engine keeps in `driverRef`, one per phase (as `slipway logs` reads them). */
interface StoredRef {
  deploy?: Record<string, unknown>;
  rollback?: Record<string, unknown>;
}

/** What a deployment's runs printed so far, all phases in order, as one text. */
export interface DeploymentOutput {
  text: string;
  /** A run is still going: more may come. */
  running: boolean;
  /** Where the driver keeps each phase's output. */
  locations: string[];
}

const PHASES: readonly DriverPhase[] = ['deploy', 'rollback'];

/** Whether the deployment's driver keeps output Slipway can read (`logs`). */
export function keepsOutput(deps: Pick<DashboardDeps, 'drivers'>, d: Deployment): boolean {
  return deps.drivers.get(d.driver)?.logs !== undefined;
}

/**
 * The output of the deployment's runs, through its driver; null when the driver keeps none or
 * no run has started. Each phase after the first starts with a line naming it, so appending
 * what comes later to what was shown earlier keeps the text whole.
 */
export async function readOutput(
  deps: Pick<DashboardDeps, 'drivers' | 'config' | 'log'>,
  d: Deployment,
): Promise<DeploymentOutput | null> {
  const driver = deps.drivers.get(d.driver);
  const logs = driver?.logs?.bind(driver);
  if (!driver || !logs) return null;
  const binding = driverBinding(deps.config, d.service, d.environment);
  const options = driver.optionsSchema.safeParse(binding?.options);
  if (!binding || !options.success) return null;
  const ref = (d.driverRef ?? null) as StoredRef | null;
  let text = '';
  let running = false;
  const locations: string[] = [];
  for (const phase of PHASES) {
    const handle = ref?.[phase];
    if (!handle) continue;
    const out = await logs(
      {
        deployment: d,
        image: findService(deps.config, d.service)?.image ?? null,
        options: options.data,
        log: deps.log,
        signal: AbortSignal.timeout(10_000),
        progress: () => {},
      },
      handle,
    ).catch((err: unknown) => {
      deps.log.warn({ err, deploymentId: d.id, phase }, 'reading output failed');
      return null;
    });
    if (!out) continue;
    if (phase !== 'deploy' || text !== '') text += `\n── ${phase} ──\n`;
    text += out.text;
    running ||= out.running;
    locations.push(out.location);
  }
  return locations.length > 0 ? { text, running, locations } : null;
}
