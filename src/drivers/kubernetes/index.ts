import { z } from 'zod';
import type { BuildRef, Deployment } from '../../core/deployment.js';
import { formatDuration } from '../../core/duration.js';
import { ValidationError } from '../../core/errors.js';
import { DriverUnsupportedError } from '../errors.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverHandle,
  DriverOutcome,
  SweepContext,
  TargetStatus,
} from '../types.js';
import {
  abortCanary,
  type CanaryScope,
  canaryState,
  promoteCanary,
  setWeight,
  startCanary,
} from './canary.js';
import type { CanaryRelease } from './canary-objects.js';
import { clientCache } from './client.js';
import { followRollout } from './follow.js';
import { previewIdentity, previewManifests } from './preview.js';
import { applyPreview, deletePreview, expirePreviews } from './preview-objects.js';
import { templateVersion, undo } from './rollback.js';
import { rolloutOf } from './rollout.js';
import { durationMs, type KubernetesOptions, optionsSchema } from './schema.js';
import { changeAnnotations, readDeployment, setImages, type Target, targetsOf } from './update.js';
import { namespaceWatchers, type WatcherTuning } from './watcher.js';

export { type KubernetesOptions, optionsSchema } from './schema.js';

export const id = 'kubernetes';

/** What `watch` needs to follow a rollout again in any process; stored by the engine. */
const KubernetesHandle = z.object({
  targets: z
    .array(
      z.object({ name: z.string(), generation: z.number(), staleDeadline: z.number().optional() }),
    )
    .min(1),
  /** Epoch ms by which the rollout must be complete. */
  deadline: z.number(),
  url: z.string().optional(),
  how: z.string().optional(),
});
type KubernetesHandle = z.infer<typeof KubernetesHandle>;

type Ctx = DriverContext<KubernetesOptions>;

/** The ref a preview is named after; a version deployed by hand counts as a tag of that name. */
export function previewRef(d: Readonly<Deployment>): BuildRef {
  return d.ref ?? { type: 'tag', name: d.version };
}

/**
 * How long a namespace's watch outlives the last rollout it followed: the next deployment there
 * writes on what it saw instead of reading first, and is followed from its first event.
 */
const WATCH_IDLE_MS = 5 * 60_000;

export function createKubernetesDriver(
  factory: DriverFactoryContext,
  tuning?: Partial<WatcherTuning>,
): DeployDriver<KubernetesOptions> {
  const clientsFor = clientCache(factory.env);
  const watcherFor = namespaceWatchers(factory.log, { idleMs: WATCH_IDLE_MS, ...tuning });

  function repositoryOf(ctx: Ctx): string {
    if (!ctx.image)
      throw new ValidationError(
        `The kubernetes driver sets images: give ${ctx.deployment.service} an "image" (its repository, e.g. registry.example.com/${ctx.deployment.service}) in the config.`,
      );
    return ctx.image;
  }

  function annotate(ctx: Ctx, what: string) {
    const d = ctx.deployment;
    return changeAnnotations(`slipway: ${what} by ${d.requestedBy} (${d.id})`, d.id, d.requestedBy);
  }

  function handleFor(
    ctx: Ctx,
    targets: KubernetesHandle['targets'],
    extra: Partial<KubernetesHandle> = {},
  ) {
    return {
      targets,
      deadline: Date.now() + durationMs(ctx.options.timeout),
      ...extra,
    } satisfies KubernetesHandle;
  }

  function previewTarget(ctx: Ctx): { name: string; target: Target } {
    const preview = ctx.options.preview;
    if (!preview) throw new ValidationError('preview mode needs preview settings');
    const { name } = previewIdentity(
      ctx.deployment.service,
      ctx.deployment.environment,
      previewRef(ctx.deployment),
      preview.baseDomain,
    );
    return { name, target: { name, containers: [ctx.deployment.service] } };
  }

  function targets(ctx: Ctx): Target[] {
    return ctx.options.mode === 'preview'
      ? [previewTarget(ctx).target]
      : targetsOf(ctx.options, ctx.deployment.service);
  }

  function canaryScope(ctx: Ctx): CanaryScope {
    const { options, deployment } = ctx;
    const [target] = targets(ctx);
    if (!options.canary || !target) {
      throw new DriverUnsupportedError(
        `${deployment.service} has no canary settings in ${deployment.environment}: add canary: { router: gateway-api | ingress-nginx | replicas } to its kubernetes driver options.`,
      );
    }
    const clients = clientsFor(options);
    const timeout = durationMs(options.timeout);
    return {
      clients,
      namespace: options.namespace,
      target,
      options: options.canary,
      repository: ctx.image,
      signal: ctx.signal,
      follow: (written) =>
        followRollout({
          watcher: watcherFor(clients, options.namespace),
          namespace: options.namespace,
          targets: written,
          deadline: Date.now() + timeout,
          timeoutText: formatDuration(timeout),
          signal: ctx.signal,
          progress: ctx.progress,
        }),
    };
  }

  function releaseOf(ctx: Ctx): CanaryRelease {
    const d = ctx.deployment;
    const image = `${repositoryOf(ctx)}:${d.version}`;
    return { version: d.version, image, deploymentId: d.id, requestedBy: d.requestedBy };
  }

  return {
    id,
    optionsSchema,

    async deploy(ctx) {
      const d = ctx.deployment;
      const repository = repositoryOf(ctx);
      const clients = clientsFor(ctx.options);
      const image = `${repository}:${d.version}`;
      if (ctx.options.mode === 'preview' && ctx.options.preview) {
        const manifests = previewManifests({
          service: d.service,
          environment: d.environment,
          ref: previewRef(d),
          image,
          options: ctx.options.preview,
          deploymentId: d.id,
          requestedBy: d.requestedBy,
          now: new Date(),
        });
        const written = await applyPreview(clients, ctx.options.namespace, manifests, ctx.signal);
        return handleFor(ctx, [written], { url: manifests.url });
      }
      // The watch that will follow the rollout starts now, beside the write, if it is not open.
      const watcher = watcherFor(clients, ctx.options.namespace);
      watcher.warm();
      const written = await setImages(
        clients,
        ctx.options.namespace,
        targets(ctx),
        image,
        annotate(ctx, `deploy ${d.service} ${d.version}`),
        ctx.signal,
        (name) => watcher.latest(name),
      );
      return handleFor(ctx, written);
    },

    async watch(ctx, raw: DriverHandle): Promise<DriverOutcome> {
      const handle = KubernetesHandle.parse(raw);
      const clients = clientsFor(ctx.options);
      const outcome = await followRollout({
        watcher: watcherFor(clients, ctx.options.namespace),
        namespace: ctx.options.namespace,
        targets: handle.targets,
        deadline: handle.deadline,
        timeoutText: formatDuration(durationMs(ctx.options.timeout)),
        signal: ctx.signal,
        progress: ctx.progress,
      });
      if (!outcome.ok) return outcome;
      const summary = handle.how ? `${handle.how}; ${outcome.summary}` : outcome.summary;
      return { ok: true, summary, ...(handle.url ? { url: handle.url } : {}) };
    },

    async status(ctx): Promise<TargetStatus> {
      const clients = clientsFor(ctx.options);
      const repository = ctx.image;
      const watcher = watcherFor(clients, ctx.options.namespace);
      const seen = await Promise.all(
        targets(ctx).map(async (target) => {
          // The watch's copy when it is open: what a rollout just followed there is no older.
          const live =
            watcher.latest(target.name) ??
            (await readDeployment(clients, ctx.options.namespace, target.name, ctx.signal));
          return {
            version: templateVersion(live.spec?.template, target, repository),
            rollout: rolloutOf(live),
          };
        }),
      );
      const versions = new Set(seen.map((s) => s.version));
      return {
        version: versions.size === 1 ? (seen[0]?.version ?? null) : null,
        healthy: seen.every((s) => s.rollout.state === 'complete'),
        detail: seen.map((s) => s.rollout.detail).join('; '),
      };
    },

    async rollback(ctx, toVersion) {
      const clients = clientsFor(ctx.options);
      const d = ctx.deployment;
      // A preview rolls back within its own history: another build's version is not its past.
      const version = ctx.options.mode === 'preview' ? null : toVersion;
      const done = [];
      for (const target of targets(ctx)) {
        done.push(
          await undo(
            clients,
            ctx.options.namespace,
            target,
            ctx.image,
            version,
            annotate(ctx, `roll back ${d.service}${version ? ` to ${version}` : ''}`),
            ctx.signal,
          ),
        );
      }
      return handleFor(
        ctx,
        done.map(({ how: _, ...written }) => written),
        { how: done.map((u) => u.how).join('; ') },
      );
    },

    capabilities: (options) => ({
      status: true,
      rollbackToPrevious: true,
      canary: options.canary !== undefined,
    }),

    // Async throughout, so a service without canary settings is a rejection like any other.
    canary: {
      start: async (ctx) => startCanary(canaryScope(ctx), releaseOf(ctx)),
      setWeight: async (ctx, weight) => setWeight(canaryScope(ctx), weight),
      promote: async (ctx) => promoteCanary(canaryScope(ctx), releaseOf(ctx)),
      abort: async (ctx) => abortCanary(canaryScope(ctx)),
      state: async (ctx) => canaryState(canaryScope(ctx)),
    },

    async teardown(ctx) {
      // Only previews are Slipway's to delete; an updated Deployment belongs to its team.
      if (ctx.options.mode !== 'preview') return;
      const clients = clientsFor(ctx.options);
      await deletePreview(clients, ctx.options.namespace, previewTarget(ctx).name, ctx.signal);
    },

    async close() {
      watcherFor.close();
    },

    async expire(ctx: SweepContext<KubernetesOptions>) {
      if (ctx.options.mode !== 'preview') return [];
      const clients = clientsFor(ctx.options);
      return expirePreviews(
        clients,
        ctx.options.namespace,
        ctx.service,
        ctx.environment,
        new Date(),
        ctx.signal,
      );
    },
  } satisfies DeployDriver<KubernetesOptions>;
}
