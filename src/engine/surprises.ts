import { driverBinding, environmentsInOrder, findService } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';
import type { EngineDeps } from './context.js';

/**
 * Requests that policy allows but a person probably did not mean: deploying the version that is
 * live already (the driver runs the same deploy once more), and "rolling back" to a version that
 * was never live there (which is a deploy of something new, not a way back). The CLI refuses them
 * without `--force` and chat asks with a button; policy is not involved, since whoever may
 * deploy may also do these on purpose.
 */
export type Surprise =
  | { kind: 'live_again'; service: string; environment: string; version: string; live: Deployment }
  | {
      kind: 'never_live';
      service: string;
      environment: string;
      version: string;
      /** What is live there now, if anything. */
      live: Deployment | null;
    };

export interface SurpriseQuestion {
  kind: 'deploy' | 'rollback';
  service: string;
  /** Null: the environment the engine would pick. */
  environment: string | null;
  /** Null: the engine picks it (a rollback to the previous version), which is never a surprise. */
  version: string | null;
  /** What is live on the target, when the caller reads it anyway (one read for both). */
  live?: (service: string, environment: string) => Promise<Deployment | null>;
}

export async function surpriseOf(
  deps: EngineDeps,
  question: SurpriseQuestion,
): Promise<Surprise | null> {
  const { config, store } = deps;
  const { service, version } = question;
  if (version === null) return null;
  const environment = question.environment ?? defaultEnvironment(config, question);
  // Unknown or ambiguous names: the engine refuses them with the names it knows.
  if (environment === null || !driverBinding(config, service, environment)) return null;
  if (question.kind === 'deploy') {
    const live = question.live
      ? await question.live(service, environment)
      : await store.lastSucceeded(service, environment);
    if (live?.version !== version) return null;
    return { kind: 'live_again', service, environment, version, live };
  }
  const succeeded = await store.listDeployments({
    service,
    environment,
    states: ['succeeded'],
    limit: 500,
  });
  const live = succeeded[0] ?? null;
  if (succeeded.some((d) => d.version === version)) return null;
  return { kind: 'never_live', service, environment, version, live };
}

/** The environment the engine picks when none is named (requests.ts does the same). */
function defaultEnvironment(config: Config, question: SurpriseQuestion): string | null {
  if (!findService(config, question.service)) return null;
  const deployable = environmentsInOrder(config).filter((env) =>
    driverBinding(config, question.service, env.name),
  );
  if (question.kind === 'rollback')
    return deployable.length === 1 ? (deployable[0]?.name ?? null) : null;
  return deployable[0]?.name ?? null;
}
