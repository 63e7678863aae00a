import { z } from 'zod';
import { ConfigError, ValidationError } from '../../core/errors.js';
import { secretFrom } from '../../core/secrets.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverHandle,
  DriverPhase,
} from '../types.js';
import { type CsrfSession, createJenkinsClient, type JenkinsClient } from './client.js';
import { readConsole } from './console.js';
import { DEFAULT_RETRY, type RetryPolicy } from './errors.js';
import { jobPath, phaseJob, startedWith } from './parameters.js';
import { durationMs, type JenkinsOptions, type ListedBuild, optionsSchema } from './schema.js';
import { followBuild } from './watch.js';

export { type JenkinsOptions, optionsSchema } from './schema.js';

export const id = 'jenkins';

/**
 * What `watch`, `cancel` and `logs` need to find the build again, in any process; stored by the
 * engine as soon as Jenkins has queued it. The build number is there when the build was already
 * known (a retry found it); otherwise it is read from the queue item, or, once Jenkins has forgotten
 * the item, found among the job's builds by its queue id.
 */
export const JenkinsHandle = z
  .object({
    phase: z.enum(['deploy', 'rollback']),
    job: z.string(),
    queueItem: z.number().int().optional(),
    build: z.number().int().optional(),
    /** Epoch ms when the build was asked for. */
    triggeredAt: z.number(),
    /** Epoch ms by which the build must have finished; restarts keep the same window. */
    deadline: z.number(),
  })
  .refine((h) => h.queueItem !== undefined || h.build !== undefined, {
    message: 'a jenkins handle names a queue item or a build',
  });
export type JenkinsHandle = z.infer<typeof JenkinsHandle>;

/** Timings tests shorten; production uses the defaults. */
export interface JenkinsTuning {
  retry: RetryPolicy;
  requestTimeoutMs: number;
}
const DEFAULT_TUNING: JenkinsTuning = { retry: DEFAULT_RETRY, requestTimeoutMs: 30_000 };

/** Builds started this long before the deployment (by Slipway's clock) are still looked at. */
const CLOCK_SKEW_MS = 5 * 60_000;

type Ctx = DriverContext<JenkinsOptions>;

export function createJenkinsDriver(
  factory: DriverFactoryContext,
  tuning: Partial<JenkinsTuning> = {},
): DeployDriver<JenkinsOptions> {
  const settings = { ...DEFAULT_TUNING, ...tuning };
  // Crumbs by server and user: one is fetched only when Jenkins asks, then reused until refused.
  const sessions = new Map<string, CsrfSession>();

  // Read per call, so a token file rotated by Kubernetes or Vault is picked up without a restart.
  function apiFor(ctx: Ctx): JenkinsClient {
    const prefix = ctx.options.credentialsEnv;
    const user = secretFrom(factory.env, `${prefix}_USER`);
    const token = secretFrom(factory.env, `${prefix}_TOKEN`);
    if (!user || !token) {
      throw new ConfigError(
        `${[!user && `${prefix}_USER`, !token && `${prefix}_TOKEN`].filter(Boolean).join(' and ')} ${!user && !token ? 'are' : 'is'} not set: give Slipway a Jenkins user in ${prefix}_USER and one of its API tokens in ${prefix}_TOKEN (or ${prefix}_TOKEN_FILE); the user needs Job/Build and Job/Cancel on ${ctx.options.job}.`,
      );
    }
    const key = `${ctx.options.url}\n${user}`;
    let session = sessions.get(key);
    if (!session) {
      session = { crumb: null, cookie: null };
      sessions.set(key, session);
    }
    return createJenkinsClient({
      server: ctx.options.url,
      credentials: { user, token, prefix },
      session,
      retry: settings.retry,
      requestTimeoutMs: settings.requestTimeoutMs,
      log: ctx.log,
      signal: ctx.signal,
    });
  }

  async function start(ctx: Ctx, phase: DriverPhase, version: string): Promise<DriverHandle> {
    const d = ctx.deployment;
    const { job, parameters, identifying } = phaseJob(ctx, phase, version);
    const api = apiFor(ctx);
    const since = new Date(d.startedAt ?? d.createdAt).getTime() - CLOCK_SKEW_MS;
    const deployed = phase === 'rollback' ? deployHandleOf(d.driverRef) : null;
    // Idempotent per (deployment, phase): a retry after the build was asked for finds it by the
    // parameters that name the deployment. (Jenkins itself answers a request identical to one
    // still queued with that queue item.) The deploy's own build is never the rollback's.
    const findExisting = async (): Promise<ListedBuild | undefined> => {
      if (identifying.length === 0) return undefined;
      return (await api.recentBuilds(job)).find(
        (b) =>
          (b.timestamp ?? since) >= since &&
          !(
            deployed?.job === job &&
            (b.number === deployed.build || b.queueId === deployed.queueItem)
          ) &&
          startedWith(b, parameters, identifying),
      );
    };
    const timeout = durationMs(ctx.options.timeout);
    const existing = await findExisting();
    if (existing) {
      ctx.log.info(
        { job, build: existing.number },
        'jenkins build of this deployment exists, attaching',
      );
      const at = existing.timestamp ?? Date.now();
      return handle({
        phase,
        job,
        build: existing.number,
        triggeredAt: at,
        deadline: at + timeout,
      });
    }
    const triggeredAt = Date.now();
    const triggered = await api.trigger(job, parameters, findExisting);
    const where =
      'queueItem' in triggered
        ? { queueItem: triggered.queueItem }
        : { build: triggered.build.number };
    ctx.log.info({ job, ...where }, 'jenkins build requested');
    return handle({ phase, job, ...where, triggeredAt, deadline: triggeredAt + timeout });
  }

  /** The build behind a handle now: its number, 'queued' while it waits, or null when there is none. */
  async function buildOf(api: JenkinsClient, h: JenkinsHandle): Promise<number | 'queued' | null> {
    if (h.build !== undefined) return h.build;
    const queueItem = h.queueItem as number;
    const item = await api.queueItem(queueItem);
    if (item === null) {
      return (await api.recentBuilds(h.job)).find((b) => b.queueId === queueItem)?.number ?? null;
    }
    if (item.executable) return item.executable.number;
    return item.cancelled ? null : 'queued';
  }

  const driver = {
    id,
    optionsSchema,

    deploy(ctx) {
      return start(ctx, 'deploy', ctx.deployment.version);
    },

    async rollback(ctx, toVersion) {
      const o = ctx.options;
      const d = ctx.deployment;
      if (toVersion === null && o.rollbackJob === undefined) {
        throw new ValidationError(
          `cannot roll back ${d.service} in ${d.environment} without a version: Slipway builds ${o.job} again with the older version, and knows none. Name one ("rollback ${d.service} in ${d.environment} to <version>"), or set rollbackJob to a job that returns to the previous version when its version parameter is empty.`,
        );
      }
      return start(ctx, 'rollback', toVersion ?? '');
    },

    watch(ctx, raw) {
      const h = JenkinsHandle.parse(raw);
      return followBuild({
        api: apiFor(ctx),
        followed: h,
        pollMs: durationMs(ctx.options.pollInterval),
        timeoutMs: durationMs(ctx.options.timeout),
        signal: ctx.signal,
        progress: ctx.progress,
        log: ctx.log.child({ job: h.job, queueItem: h.queueItem }),
      });
    },

    capabilities: (options) => ({
      // Jenkins knows which builds succeeded, not what is live on the target.
      status: false,
      // A rollback job is built with an empty version and decides what "previous" is.
      rollbackToPrevious: options.rollbackJob !== undefined,
    }),

    async cancel(ctx, raw) {
      const h = JenkinsHandle.parse(raw);
      const api = apiFor(ctx);
      let build = await buildOf(api, h);
      if (build === 'queued') {
        const answer = await api.cancelQueueItem(h.queueItem as number);
        ctx.log.info({ queueItem: h.queueItem, answer }, 'jenkins queue item cancel requested');
        if (answer === 'cancelled') return;
        // It left the queue between the read and the cancel: stop the build it became.
        build = await buildOf(api, h);
      }
      if (typeof build !== 'number') {
        ctx.log.warn({ job: h.job, queueItem: h.queueItem }, 'no jenkins build to stop');
        return;
      }
      await api.stop(h.job, build);
      ctx.log.info({ job: h.job, build }, 'jenkins build stop requested');
    },

    async logs(ctx, raw) {
      const h = JenkinsHandle.parse(raw);
      const api = apiFor(ctx);
      const build = await buildOf(api, h);
      if (typeof build !== 'number') return null;
      const location = `${ctx.options.url}${jobPath(h.job)}/${build}/console`;
      const { text, running } = await readConsole(api, h.job, build, location);
      return { text, running, location };
    },
  } satisfies DeployDriver<JenkinsOptions>;
  return driver;
}

function handle(h: JenkinsHandle): DriverHandle {
  return JenkinsHandle.parse(h);
}

/** The deploy phase's handle among those the engine stored, when it is a Jenkins one. */
function deployHandleOf(driverRef: unknown): JenkinsHandle | null {
  const stored = (driverRef as { deploy?: unknown } | null)?.deploy;
  const parsed = JenkinsHandle.safeParse(stored);
  return parsed.success ? parsed.data : null;
}
