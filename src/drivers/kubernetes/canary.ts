import type { V1Deployment } from '@kubernetes/client-node';
import { ValidationError } from '../../core/errors.js';
import type { CanaryState, DriverOutcome } from '../types.js';
import { CanaryApi } from './canary-api.js';
import {
  type CanaryRelease,
  canaryDeployment,
  canaryName,
  isCanaryOf,
  VERSION,
} from './canary-objects.js';
import { routerFor } from './canary-routers.js';
import type { KubeClients } from './client.js';
import { KubernetesError } from './errors.js';
import { templateVersion } from './rollback.js';
import { rolloutOf } from './rollout.js';
import type { CanaryOptions } from './schema.js';
import {
  changeAnnotations,
  checkContainers,
  setImages,
  type Target,
  type Written,
} from './update.js';

/**
 * A canary release on Kubernetes: `<name>-canary` runs the new version beside the primary
 * Deployment `<name>`, and a router gives it a share of the traffic. Every step reads the
 * cluster before it writes, so repeating one (after a crash, on another replica) is harmless.
 */

/** Where the canary is, and what the driver lends it. */
export interface CanaryScope {
  clients: KubeClients;
  namespace: string;
  /** The primary Deployment and its containers that take the new image. */
  target: Target;
  options: CanaryOptions;
  /** The service's image repository, to read versions from image tags. */
  repository: string | null;
  signal: AbortSignal;
  /** Follows Deployments' rollouts to the end (the driver's shared watch, its deadline). */
  follow(targets: Written[]): Promise<DriverOutcome>;
}

function setUp(scope: CanaryScope) {
  const api = new CanaryApi(scope.clients, scope.namespace, scope.signal);
  const router = routerFor(scope.options, api, scope.target.name);
  return { api, router, name: canaryName(scope.target.name) };
}

function runs(canary: V1Deployment, target: Target, image: string): boolean {
  const containers = canary.spec?.template.spec?.containers ?? [];
  return target.containers.every((c) => containers.find((x) => x.name === c)?.image === image);
}

/**
 * Creates `<name>-canary` running `release` with no traffic, or replaces a canary of another
 * version (its traffic taken away first); a canary already running `release` keeps its share.
 * Settles once the canary's pods are ready. A failure leaves the primary as it was.
 */
export async function startCanary(
  scope: CanaryScope,
  release: CanaryRelease,
): Promise<DriverOutcome> {
  const { api, router, name } = setUp(scope);
  const { target, namespace } = scope;
  const primary = await api.get('deployments', target.name);
  checkContainers(primary, target, namespace);
  const hideFrom = await router.hideFrom(primary);
  const live = await api.read('deployments', name);
  if (live && !isCanaryOf(live.metadata, target.name)) throw api.notOurs('deployments', name);
  const same = live !== null && runs(live, target, release.image);
  if (live && !same) await router.drain();
  const weight = same ? await router.weight(live) : 0;
  const body = canaryDeployment({
    primary,
    containers: target.containers,
    release,
    replicas: router.replicas(primary, weight),
    hideFrom,
    weight: router.recordsWeight ? weight : null,
  });
  const written = await api.apply('deployments', body, target.name);
  await router.route(primary, weight);
  const outcome = await scope.follow([{ name, generation: written.metadata?.generation ?? 0 }]);
  if (!outcome.ok) return { ...outcome, changed: false };
  return {
    ok: true,
    summary: `canary ${name} ${release.version} ${outcome.summary.replace(/^rolled out: /, '')}; ${weight}% of the traffic by ${router.name}`,
  };
}

/**
 * Sends `weight` percent of the traffic to the canary. With the replica ratio it settles once the
 * canary's pods for that share are ready (the state says when they did not come up in time).
 */
export async function setWeight(scope: CanaryScope, weight: number): Promise<CanaryState> {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new ValidationError(`A canary weight is a whole percent from 0 to 100, not ${weight}.`);
  }
  const { api, router, name } = setUp(scope);
  const { target, namespace } = scope;
  const primary = await api.get('deployments', target.name);
  const canary = await api.read('deployments', name);
  if (!canary || !isCanaryOf(canary.metadata, target.name)) {
    if (weight > 0) {
      throw new KubernetesError(
        `There is no canary of ${target.name} in namespace ${namespace} (${name}): start it before sending it traffic.`,
        404,
        false,
      );
    }
    await router.drain();
    return canaryState(scope);
  }
  const written = await router.route(primary, weight);
  const outcome = written ? await scope.follow([written]) : null;
  const state = await canaryState(scope);
  return outcome && !outcome.ok
    ? { ...state, detail: `${state.detail}; ${outcome.reason}` }
    : state;
}

/**
 * The primary takes the canary's version through its own rolling update, followed to the end;
 * then the canary's traffic goes back to the primary and the canary is removed. A rollout that
 * fails leaves the canary and its share as they were, for an abort (and a rollback) to follow.
 */
export async function promoteCanary(
  scope: CanaryScope,
  release: CanaryRelease,
): Promise<DriverOutcome> {
  const { clients, namespace, target, signal } = scope;
  const cause = `slipway: promote canary ${release.version} by ${release.requestedBy} (${release.deploymentId})`;
  const annotations = changeAnnotations(cause, release.deploymentId, release.requestedBy);
  const written = await setImages(clients, namespace, [target], release.image, annotations, signal);
  const outcome = await scope.follow(written);
  if (!outcome.ok) return outcome;
  await removeCanary(scope);
  return {
    ok: true,
    summary: `promoted ${release.version}: ${outcome.summary}; canary ${canaryName(target.name)} removed`,
  };
}

/** Takes every request from the canary, then removes it at once. The primary is not touched. */
export async function abortCanary(scope: CanaryScope): Promise<void> {
  await removeCanary(scope);
}

async function removeCanary(scope: CanaryScope): Promise<void> {
  const { api, router, name } = setUp(scope);
  await router.drain();
  await router.remove();
  await api.removeCanary('deployments', name, scope.target.name);
}

/** What runs as the canary and the share the router gives it, read from the cluster. */
export async function canaryState(scope: CanaryScope): Promise<CanaryState> {
  const { api, router, name } = setUp(scope);
  const live = await api.read('deployments', name);
  const canary = live && isCanaryOf(live.metadata, scope.target.name) ? live : null;
  const weight = await router.weight(canary);
  if (!canary) {
    const stray = weight > 0 ? `, yet ${router.name} sends it ${weight}%` : '';
    return {
      running: false,
      version: null,
      weight,
      ready: false,
      deploymentId: null,
      detail: `no canary of ${scope.target.name}${stray}`,
    };
  }
  const annotations = canary.metadata?.annotations ?? {};
  const version =
    templateVersion(canary.spec?.template, scope.target, scope.repository) ??
    annotations[VERSION] ??
    null;
  const rollout = rolloutOf(canary);
  const ready = rollout.state === 'complete';
  return {
    running: true,
    version,
    weight,
    ready,
    deploymentId: annotations['slipway.dev/deployment-id'] ?? null,
    detail: `${name} ${version ?? 'of an unknown version'}: ${weight}% by ${router.name}${ready ? '' : `; ${rollout.detail}`}`,
  };
}
