import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { DeploymentState } from '../../core/deployment.js';
import type { Engine } from '../../engine/index.js';
import { autoDeployEnvironments } from './rules.js';
import type { Build } from './types.js';

export interface Placed {
  id: string;
  environment: string;
  state: DeploymentState;
  version: string;
  /** The same body was accepted before: this is the deployment it created then. */
  replayed: boolean;
}

export interface Declined {
  environment: string;
  code: string;
  reason: string;
  suggestion?: string | null;
}

export interface BuildOutcome {
  environments: string[];
  placed: Placed[];
  declined: Declined[];
}

/**
 * Asks the engine to deploy `build` wherever an autoDeploy rule sends it, one environment after
 * the other so the answer lists them in rule order. Policy and approvals apply as for anyone:
 * the CI identity is `builds.actor`. A refusal for one environment does not stop the others.
 *
 * The idempotency key is the body's hash per environment: the same signed body, sent again (a
 * retry, or someone replaying a captured request), finds the deployments it created and
 * creates none, even when both copies arrive at once (the store's unique key decides).
 */
export async function deployBuild(
  deps: { engine: Engine; config: Config; log: Logger },
  build: Build,
  bodyHash: string,
): Promise<BuildOutcome> {
  const environments = autoDeployEnvironments(deps.config, build.service, build.ref);
  const placed: Placed[] = [];
  const declined: Declined[] = [];
  for (const environment of environments) {
    const result = await deps.engine.request({
      actor: deps.config.builds.actor,
      source: 'webhook',
      channel: null,
      service: build.service,
      environment,
      version: build.version,
      ref: build.ref,
      committedAt: build.committedAt,
      commit: build.commit,
      kind: 'deploy',
      reason: reasonOf(build),
      idempotencyKey: `build:${bodyHash}:${environment}`,
    });
    if (result.ok) {
      const d = result.deployment;
      placed.push({
        id: d.id,
        environment: d.environment,
        state: d.state,
        version: d.version,
        replayed: result.duplicate,
      });
    } else {
      declined.push({
        environment,
        code: result.code,
        reason: result.reason,
        ...(result.suggestion ? { suggestion: result.suggestion } : {}),
      });
    }
  }
  return { environments, placed, declined };
}

/** "build 3f2a9c1 from https://ci.example.com/runs/42": what the deployment says it came from. */
export function reasonOf(build: Build): string {
  const what = build.commit ?? `${build.version} of ${build.ref.type} ${build.ref.name}`;
  return `build ${what}${build.url ? ` from ${build.url}` : ''}`;
}
