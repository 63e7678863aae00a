import type { CanaryDriver } from '../../../../test/support/canary-driver.js';
import type { scenarioConfigInput } from '../../../../test/support/engine-harness.js';
import type { App } from '../../../app.js';
import type { Deployment } from '../../../core/deployment.js';

/**
 * The scenario config with web's releases to staging walked as canaries on `driver`: 25% of the
 * traffic held for 10 minutes, long enough for any test to send alerts about it, then 100%.
 * `owners` join web's owners (who may abort someone else's canary).
 */
export function withStagingCanary(
  input: ReturnType<typeof scenarioConfigInput>,
  driver: CanaryDriver,
  owners: string[] = [],
) {
  const [web, ...others] = input.services;
  const staging = {
    driver: driver.id,
    options: {},
    strategy: { canary: { steps: [25, 100], interval: '10m' } },
  };
  return {
    ...input,
    services: [
      {
        ...web,
        owners: [...(web?.owners ?? []), ...owners],
        environments: { ...web?.environments, staging },
      },
      ...others,
    ],
  };
}

/** `version` of web went live in staging before the test; record it before the engine starts. */
export async function seedLiveInStaging(app: App, version: string): Promise<void> {
  const r = await app.engine.request({
    actor: 'U-DEV1',
    source: 'cli',
    channel: null,
    kind: 'deploy',
    service: 'web',
    environment: 'staging',
    version,
  });
  if (!r.ok) throw new Error(r.reason);
  await app.store.transition(
    r.deployment.id,
    ['queued'],
    'succeeded',
    { actor: 'test', reason: 'live before the test' },
    { finishedAt: new Date(), outcome: 'seeded' },
  );
}

/** Polls until the deployment's canary, as stored and as the driver has it, takes `weight`. */
export async function untilCanaryWeight(
  app: App,
  driver: CanaryDriver,
  id: string,
  weight: number,
  timeoutMs = 15_000,
): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await app.store.getDeployment(id);
    const stored = (d?.driverRef as { canary?: { weight: number } } | null)?.canary?.weight;
    if (d && stored === weight && driver.target().canary?.weight === weight) return d;
    if (Date.now() > deadline)
      throw new Error(`the canary of ${id} did not take ${weight}% in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
