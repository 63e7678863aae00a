import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { RetryableError } from '../../core/errors.js';
import type { GrafanaAnnotationRecord, Store } from '../../store/types.js';
import { annotationOf, deploymentTag, outcomeOf, SLIPWAY_TAG } from './annotation.js';
import type { GrafanaClient } from './client.js';

export interface SyncDeps {
  store: Store;
  client: GrafanaClient;
  config: Config;
  /** This process, as it claims annotations it creates. */
  owner: string;
  /** A reservation without an id this old was left by a process that died while creating it. */
  staleAfterMs: number;
  publicUrl: string | undefined;
  log: Logger;
}

/** What a sync did: nothing to do, created the annotation, or wrote its end. */
export type Synced = 'none' | 'created' | 'ended' | 'current';

/**
 * Brings a deployment's annotation in Grafana to where the deployment is: created once it has
 * started (with its end too if it has ended meanwhile), its end and outcome written once it
 * ended. The store says which of these happened already, so any process (after a restart,
 * another replica) picks up where another left off. Throws RetryableError when Grafana should
 * be asked again later, GrafanaError when asking again will not help.
 */
export async function syncAnnotation(deps: SyncDeps, deploymentId: string): Promise<Synced> {
  const d = await deps.store.getDeployment(deploymentId);
  // Never started: nothing changed anything, so there is nothing to mark.
  if (!d?.startedAt) return 'none';
  let row = await deps.store.getGrafanaAnnotation(d.id);
  if (!row) {
    const reserved = await deps.store.reserveGrafanaAnnotation({
      deploymentId: d.id,
      owner: deps.owner,
    });
    if (reserved.reserved) return create(deps, d, { adopt: false });
    row = reserved.annotation;
  }
  if (row.annotationId === null) return createFor(deps, d, row);
  if (row.endedAt !== null || !outcomeOf(d)) return 'current';
  return end(deps, d, row.annotationId);
}

/** A reservation without an id: this process's own earlier try, or another's. */
async function createFor(
  deps: SyncDeps,
  d: Deployment,
  row: GrafanaAnnotationRecord,
): Promise<Synced> {
  if (row.claimedBy !== deps.owner) {
    const taken = await deps.store.takeOverGrafanaAnnotation(
      { deploymentId: d.id, owner: deps.owner },
      deps.staleAfterMs,
    );
    if (!taken) {
      throw new RetryableError(`another process (${row.claimedBy}) is creating the annotation`);
    }
  }
  // An earlier try may have been created in Grafana without its answer arriving.
  return create(deps, d, { adopt: true });
}

async function create(
  deps: SyncDeps,
  d: Deployment,
  { adopt }: { adopt: boolean },
): Promise<Synced> {
  const body = annotationOf(d, await context(deps, d));
  const found = adopt ? await deps.client.findByTags([SLIPWAY_TAG, deploymentTag(d.id)]) : null;
  let id: number;
  if (found === null) {
    id = await deps.client.create(body);
  } else {
    id = found;
    // Whatever the earlier try wrote, the annotation now says where the deployment is.
    await deps.client.patch(id, patchOf(body));
  }
  const ended = body.timeEnd !== undefined ? new Date() : null;
  const recorded = await deps.store.completeGrafanaAnnotation({
    deploymentId: d.id,
    owner: deps.owner,
    annotationId: id,
    endedAt: ended,
  });
  if (!recorded) {
    deps.log.warn(
      { deployment: d.id, annotation: id },
      'another process took the annotation over while it was created: Grafana may show it twice',
    );
  }
  return 'created';
}

async function end(deps: SyncDeps, d: Deployment, annotationId: number): Promise<Synced> {
  const body = annotationOf(d, await context(deps, d));
  const result = await deps.client.patch(annotationId, patchOf(body));
  if (result === 'gone') {
    // Someone deleted it in Grafana: that was their call, so it is not made again.
    deps.log.warn(
      { deployment: d.id, annotation: annotationId },
      'the annotation was deleted in Grafana: its end is not written',
    );
  }
  await deps.store.endGrafanaAnnotation({ deploymentId: d.id, endedAt: new Date() });
  return 'ended';
}

/** PATCH replaces the tags as a whole, so they are sent whole, the outcome's included. */
function patchOf(body: ReturnType<typeof annotationOf>) {
  return {
    time: body.time,
    ...(body.timeEnd !== undefined ? { timeEnd: body.timeEnd } : {}),
    tags: body.tags,
    text: body.text,
  };
}

async function context(deps: SyncDeps, d: Deployment) {
  const person = (await deps.store.findPeople([d.requestedBy])).get(d.requestedBy);
  const configured = deps.config.people[d.requestedBy]?.name;
  return {
    config: deps.config,
    requesterName: configured ?? person?.name ?? null,
    publicUrl: deps.publicUrl,
  };
}
