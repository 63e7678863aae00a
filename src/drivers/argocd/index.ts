import { z } from 'zod';
import { formatDuration } from '../../core/duration.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverHandle,
  DriverOutcome,
  TargetStatus,
} from '../types.js';
import { PINNED_NOTE, pin, unpin } from './auto-sync.js';
import { type AppRef, type ClientTuning, DEFAULT_CLIENT_TUNING } from './client.js';
import { clientFrom, pageOf, refOf, singleSource } from './connect.js';
import { follow } from './follow.js';
import { chooseEntry } from './history.js';
import { createJudge, describeApp, isOurs, RUNNING, shortRevision, type Verdict } from './judge.js';
import {
  fingerprint,
  liveRepository,
  overrideOf,
  overridePatch,
  versionIn,
  versionInImages,
} from './override.js';
import { type Application, type ArgoCdOptions, durationMs, optionsSchema } from './schema.js';
import {
  ourSync,
  rollbackUnderway,
  type Starter,
  settledAt,
  startRollback,
  startSync,
  syncRequest,
} from './start.js';

export { type ArgoCdOptions, optionsSchema } from './schema.js';

export const id = 'argocd';

/** What `watch` needs to judge the work again, in any process; stored by the engine. */
const ArgoCdHandle = z.object({
  phase: z.enum(['deploy', 'rollback']),
  tag: z.string(),
  version: z.string().nullable(),
  source: z.string().nullable(),
  priorOp: z.string().nullable(),
  settled: z.boolean(),
  /** Epoch ms by which the application must be synced and healthy; restarts keep it. */
  deadline: z.number(),
  /** Rollback: how the history entry was chosen ("history 4 (1.2.0)"). */
  how: z.string().optional(),
  /** Rollback: automated sync is off by Slipway's doing until the next good deployment. */
  pinned: z.boolean().optional(),
});
type ArgoCdHandle = z.infer<typeof ArgoCdHandle>;

/** Timings tests shorten; production uses the defaults. */
export interface ArgoCdDriverTuning {
  client: ClientTuning;
  /** A silent event stream is reopened after this long. */
  staleMs: number;
  /** How long a Degraded health of uncertain age must last to count (judge.ts). */
  settleMs: number;
}
const DEFAULT_TUNING: ArgoCdDriverTuning = {
  client: DEFAULT_CLIENT_TUNING,
  staleMs: 60_000,
  settleMs: 5_000,
};

type Ctx = DriverContext<ArgoCdOptions>;
type Succeeded = Extract<Verdict, { state: 'succeeded' }>;

export function createArgoCdDriver(
  factory: DriverFactoryContext,
  tuning: Partial<ArgoCdDriverTuning> = {},
): DeployDriver<ArgoCdOptions> {
  const settings = { ...DEFAULT_TUNING, ...tuning };

  function connect(ctx: Ctx) {
    const client = clientFrom(factory.env, ctx.log, settings.client);
    const ref = refOf(ctx.options);
    const override = overrideOf(ctx.options, ctx.image);
    return { client, ref, override };
  }

  function starter(ctx: Ctx, connection: ReturnType<typeof connect>, deadline: number): Starter {
    return {
      ...connection,
      deadline,
      timeoutText: formatDuration(durationMs(ctx.options.timeout)),
      pollMs: durationMs(ctx.options.pollInterval),
      signal: ctx.signal,
      log: ctx.log,
      progress: ctx.progress,
    };
  }

  /** Keeps the override naming what a rollback installed, so the application is Synced again. */
  async function alignOverride(ctx: Ctx, c: ReturnType<typeof connect>, version: string | null) {
    if (version === null) return;
    try {
      const app = await c.client.get(c.ref, ctx.signal);
      const patch = overridePatch(singleSource(app), c.override, version);
      if (patch) await c.client.patch(c.ref, patch, ctx.signal);
    } catch (err) {
      ctx.log.warn(
        { reason: (err as Error).message },
        'argocd override not set back after rollback',
      );
    }
  }

  function success(ctx: Ctx, ref: AppRef, server: string, handle: ArgoCdHandle, v: Succeeded) {
    const url = pageOf(server, ref);
    const env = ctx.deployment.environment;
    const revision = v.revision ? `revision ${shortRevision(v.revision)}` : 'its target revision';
    const history = v.historyId !== null ? ` (history ${v.historyId})` : '';
    const summary =
      handle.phase === 'deploy'
        ? `${ref.name} at ${revision}${history}, Synced and Healthy in ${env}: ${url}`
        : `${ref.name} rolled back to ${handle.how ?? revision} in ${env}, Healthy: ${url}`;
    const note = handle.phase === 'rollback' && handle.pinned ? { note: PINNED_NOTE } : {};
    return { ok: true as const, summary, link: { label: 'Argo CD', url }, ...note };
  }

  return {
    id,
    optionsSchema,

    async deploy(ctx) {
      const c = connect(ctx);
      const d = ctx.deployment;
      const tag = `${d.id}/deploy`;
      const deadline = Date.now() + durationMs(ctx.options.timeout);
      const base = { phase: 'deploy', tag, version: d.version, source: null, deadline } as const;
      let app = await c.client.get(c.ref, ctx.signal);
      const source = singleSource(app);
      if (ourSync(app, tag)) {
        ctx.log.info({ application: c.ref.name }, 'argocd sync exists, attaching');
        return { ...base, priorOp: null, settled: false } satisfies ArgoCdHandle;
      }
      const priorOp = app.status?.operationState?.startedAt ?? null;
      const patch = overridePatch(source, c.override, d.version);
      if (patch) {
        app = await c.client.patch(c.ref, patch, ctx.signal);
        ctx.log.info({ application: c.ref.name, version: d.version }, 'argocd version set');
      } else if (settledAt(app, c.override, d.version)) {
        ctx.log.info({ application: c.ref.name }, 'argocd already synced at this version');
        return { ...base, priorOp, settled: true } satisfies ArgoCdHandle;
      }
      const request = syncRequest(app, tag, ctx.options.prune, d.requestedBy);
      await startSync(starter(ctx, c, deadline), request, tag);
      return { ...base, priorOp, settled: false } satisfies ArgoCdHandle;
    },

    async watch(ctx, raw: DriverHandle): Promise<DriverOutcome> {
      const handle = ArgoCdHandle.parse(raw);
      const c = connect(ctx);
      const judge = createJudge(handle, c.override, settings.settleMs);
      // One look even when the deadline passed while Slipway was down: the work may be done.
      const left = handle.deadline > Date.now() ? handle.deadline - Date.now() : 1_000;
      const stop = AbortSignal.any([ctx.signal, AbortSignal.timeout(left)]);
      const seen: { verdict: Exclude<Verdict, { state: 'waiting' }> | null; last: string } = {
        verdict: null,
        last: 'no news from Argo CD',
      };
      const report = (text: string) => {
        seen.last = text;
        ctx.progress(text);
      };
      await follow(
        {
          client: c.client,
          ref: c.ref,
          pollMs: durationMs(ctx.options.pollInterval),
          stream: ctx.options.stream,
          staleMs: settings.staleMs,
          signal: stop,
          log: ctx.log,
          trouble: report,
        },
        (app) => {
          const verdict = judge(app);
          if (verdict.state === 'waiting') report(verdict.text);
          else seen.verdict = verdict;
          return verdict.state !== 'waiting';
        },
      );
      if (ctx.signal.aborted) throw new Error('aborted');
      const verdict = seen.verdict;
      if (!verdict) {
        const done = handle.phase === 'deploy' ? 'Synced and Healthy' : 'rolled back and Healthy';
        const within = formatDuration(durationMs(ctx.options.timeout));
        return {
          ok: false,
          reason: `${c.ref.name} not ${done} within ${within}: ${seen.last}`,
          changed: true,
        };
      }
      if (verdict.state === 'failed') return { ok: false, reason: verdict.reason, changed: true };
      ctx.log.info({ application: c.ref.name, phase: handle.phase }, 'argocd work done');
      const done = success(ctx, c.ref, c.client.server, handle, verdict);
      if (handle.phase !== 'deploy') return done;
      // A good deployment ends the pin of an earlier rollback.
      const note = await unpin({ ...c, signal: ctx.signal, log: ctx.log });
      return note ? { ...done, note } : done;
    },

    async status(ctx): Promise<TargetStatus> {
      const c = connect(ctx);
      const app = await c.client.get(c.ref, ctx.signal);
      const source = singleSource(app);
      const status = app.status;
      const synced = status?.sync?.status === 'Synced';
      const state = status?.operationState;
      const busy = Boolean(app.operation) || Boolean(state && RUNNING.has(state.phase));
      const repository = liveRepository(source, c.override, ctx.image);
      const version =
        versionInImages(status?.summary?.images, repository) ??
        (synced ? versionIn(status?.sync?.comparedTo?.source ?? source, c.override) : null);
      return {
        version,
        healthy: synced && status?.health?.status === 'Healthy' && !busy,
        detail: describeApp(app),
      };
    },

    async rollback(ctx, toVersion) {
      const c = connect(ctx);
      const d = ctx.deployment;
      const deadline = Date.now() + durationMs(ctx.options.timeout);
      const connection = { ...c, signal: ctx.signal, log: ctx.log };
      const { app, pinned } = await pin(connection, await c.client.get(c.ref, ctx.signal));
      const current = d.kind === 'deploy' ? d.version : versionIn(singleSource(app), c.override);
      const history = app.status?.history ?? [];
      const choice = chooseEntry(c.ref.name, history, toVersion, current, c.override);
      const source = fingerprint(choice.entry.source);
      const state = app.status?.operationState ?? null;
      const handle: ArgoCdHandle = {
        phase: 'rollback',
        tag: `${d.id}/rollback`,
        version: choice.version,
        source,
        priorOp: state?.startedAt ?? null,
        settled: false,
        deadline,
        how: choice.how,
        pinned,
      };
      if (rollbackUnderway(app, source)) {
        // Requested before a restart: follow that one. A running one is ours whatever its start.
        if (state && RUNNING.has(state.phase)) handle.priorOp = null;
      } else if (alreadyLive(app, choice.entry.id, source)) {
        handle.settled = true;
        handle.how = `${choice.how}, which is already live`;
      } else {
        await startRollback(starter(ctx, c, deadline), choice.entry.id, source, ctx.options.prune);
      }
      await alignOverride(ctx, c, choice.version);
      return handle;
    },

    capabilities: () => ({ status: true, rollbackToPrevious: true }),

    async cancel(ctx, raw) {
      const handle = ArgoCdHandle.parse(raw);
      const c = connect(ctx);
      const app = await c.client.get(c.ref, ctx.signal);
      const state = app.status?.operationState;
      if (state && RUNNING.has(state.phase) && isOurs(handle, c.override, state)) {
        await c.client.terminate(c.ref, ctx.signal);
        ctx.log.info({ application: c.ref.name }, 'argocd operation terminated');
      }
    },
  } satisfies DeployDriver<ArgoCdOptions>;
}

/** The entry is the newest in the history and the last operation installed it, successfully. */
function alreadyLive(app: Application, entryId: number, source: string | null): boolean {
  const status = app.status;
  const state = status?.operationState;
  const newest = Math.max(...(status?.history ?? []).map((e) => e.id));
  if (app.operation || !state || state.phase !== 'Succeeded' || newest !== entryId) return false;
  return fingerprint(state.operation?.sync?.source ?? state.syncResult?.source) === source;
}
