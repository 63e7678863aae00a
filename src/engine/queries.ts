import { driverBinding, environmentsInOrder } from '../config/lookup.js';
import type { Deployment, Lock, Transition } from '../core/deployment.js';
import { ACTIVE_STATES } from '../core/deployment.js';
import type { DeploymentFilter } from '../store/types.js';
import { clockOf, type EngineDeps } from './context.js';
import { PENDING_STATES } from './state-machine.js';

export interface TargetStatus {
  service: string;
  environment: string;
  /** The last deployment that succeeded there: what is live, as far as Slipway knows. */
  live: Deployment | null;
  active: Deployment | null;
  pending: Deployment[];
  locks: Lock[];
}

/** What is live where, what is moving, and what is locked; for one service or all. */
export async function statusOf(deps: EngineDeps, service: string | null): Promise<TargetStatus[]> {
  const { config, store } = deps;
  const now = clockOf(deps);
  const services = config.services.filter((s) => service === null || s.name === service);
  const locks = await store.listLocks(undefined, now);
  const moving = await store.listDeployments({
    states: [...ACTIVE_STATES, ...PENDING_STATES],
    limit: 500,
  });
  const targets = services.flatMap((s) =>
    environmentsInOrder(config)
      .filter((env) => driverBinding(config, s.name, env.name))
      .map((env) => ({ service: s.name, environment: env.name })),
  );
  // One read for every target: the overview asks for all of them on each look.
  const live = new Map(
    (await store.lastSucceededOn(targets)).map((d) => [`${d.service}\n${d.environment}`, d]),
  );
  return targets.map(({ service, environment }) => {
    const here = moving.filter((d) => d.service === service && d.environment === environment);
    return {
      service,
      environment,
      live: live.get(`${service}\n${environment}`) ?? null,
      active: here.find((d) => ACTIVE_STATES.includes(d.state)) ?? null,
      pending: here.filter((d) => PENDING_STATES.includes(d.state)),
      locks: locks.filter(
        (l) => l.environment === environment && (l.service === null || l.service === service),
      ),
    };
  });
}

/** The deployment holding a target now (running, verifying or rolling back), if any. */
export async function holderOf(
  deps: EngineDeps,
  service: string,
  environment: string,
): Promise<Deployment | null> {
  const [holder] = await deps.store.listDeployments({
    service,
    environment,
    states: [...ACTIVE_STATES],
    limit: 1,
  });
  return holder ?? null;
}

export async function historyOf(deps: EngineDeps, filter: DeploymentFilter): Promise<Deployment[]> {
  return deps.store.listDeployments(filter);
}

export async function detailsOf(
  deps: EngineDeps,
  id: string,
): Promise<{
  deployment: Deployment;
  transitions: Transition[];
  approvals: Awaited<ReturnType<EngineDeps['store']['listApprovals']>>;
} | null> {
  const deployment = await deps.store.getDeployment(id);
  if (!deployment) return null;
  const [transitions, approvals] = await Promise.all([
    deps.store.listTransitions(id),
    deps.store.listApprovals(id),
  ]);
  return { deployment, transitions, approvals };
}
