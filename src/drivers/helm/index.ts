import { formatDuration } from '../../core/duration.js';
import { clientCache } from '../kubernetes/client.js';
import { followRollout } from '../kubernetes/follow.js';
import { namespaceWatchers } from '../kubernetes/watcher.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverOutcome,
  TargetStatus,
} from '../types.js';
import { releaseName, rollbackArgs, upgradeArgs } from './args.js';
import { helmCli, helmEnvironment } from './cli.js';
import { settledRevision } from './follow.js';
import {
  type DeployHandle,
  deployHandleOf,
  type HelmHandle,
  HelmHandle as HelmHandleSchema,
  type RollbackHandle,
  revisionLabel,
} from './handle.js';
import {
  outputTail,
  type ReleaseScope,
  readHistory,
  readValue,
  refusePending,
  runHelm,
  settleEarlierRun,
} from './release.js';
import {
  deployDescription,
  isPending,
  latestRevision,
  liveRevision,
  markedRevision,
  previousRevisionIn,
  revisionAfter,
} from './releases.js';
import { outputPath, readOutput, readRecord, runDirOf, runningHelm } from './runs.js';
import { durationMs, type HelmOptions, optionsSchema } from './schema.js';
import { onceLiveBefore, rollbackTarget } from './targets.js';
import { healthOf, liveTags, releaseDeployments, writtenOf } from './workloads.js';

export { type HelmOptions, optionsSchema } from './schema.js';

export const id = 'helm';

type Ctx = DriverContext<HelmOptions>;

/** Timings tests shorten; production uses the defaults. */
export interface HelmDriverTuning {
  /** Pause between reads of a release helm is still writing. */
  pollMs: number;
}

export function createHelmDriver(
  factory: DriverFactoryContext,
  tuning: Partial<HelmDriverTuning> = {},
): DeployDriver<HelmOptions> {
  const pollMs = tuning.pollMs ?? 1_000;
  const cli = helmCli(factory.env);
  const clientsFor = clientCache(factory.env);
  const watcherFor = namespaceWatchers(factory.log);

  /** Checks helm (once) and names the release: every call starts here. */
  async function scopeOf(ctx: Ctx): Promise<ReleaseScope> {
    const env = helmEnvironment(factory.env, ctx.options);
    await cli.ready(env);
    const d = ctx.deployment;
    return {
      cli,
      env,
      options: ctx.options,
      release: releaseName(ctx.options.release, d.service, d.environment),
      dataDir: factory.dataDir,
      deploymentId: d.id,
      signal: ctx.signal,
      log: ctx.log,
      progress: ctx.progress,
    };
  }

  function timeoutOf(ctx: Ctx): number {
    return durationMs(ctx.options.timeout);
  }

  /** helm wrote no revision: nothing changed, and helm's own words say why. */
  async function nothingWritten(
    scope: ReleaseScope,
    phase: 'deploy' | 'rollback',
    code: number | null,
  ) {
    const said = await outputTail(scope, phase);
    const verb = phase === 'deploy' ? 'upgrade --install' : 'rollback';
    return new Error(
      `helm ${verb} of release ${scope.release} wrote no revision (exit ${code ?? 'by signal'}): ${said || 'it printed nothing'}`,
    );
  }

  async function deploy(ctx: Ctx): Promise<DeployHandle> {
    const scope = await scopeOf(ctx);
    const d = ctx.deployment;
    const earlier = await settleEarlierRun(scope, 'deploy');
    let history = await readHistory(scope);
    let mine =
      markedRevision(history, d.id) ??
      (earlier ? revisionAfter(history, earlier.latestBefore) : null);
    let previousRevision: number | null;
    if (mine) {
      // Written by this deployment before a restart: follow it rather than upgrade again.
      ctx.log.info(
        { revision: mine.revision },
        'helm revision of this deployment exists; attaching',
      );
      previousRevision = previousRevisionIn(mine.description) ?? onceLiveBefore(history, mine);
    } else {
      refusePending(scope, history);
      const latest = latestRevision(history)?.revision ?? 0;
      previousRevision = liveRevision(history)?.revision ?? null;
      const args = upgradeArgs({
        options: ctx.options,
        release: scope.release,
        version: d.version,
        description: deployDescription({
          deploymentId: d.id,
          service: d.service,
          version: d.version,
          actor: d.requestedBy,
          previousRevision,
        }),
        timeoutMs: timeoutOf(ctx),
        cwd: process.cwd(),
      });
      const code = await runHelm(scope, 'deploy', args, latest, timeoutOf(ctx));
      history = await readHistory(scope);
      mine = markedRevision(history, d.id) ?? revisionAfter(history, latest);
      if (!mine) throw await nothingWritten(scope, 'deploy', code);
    }
    return {
      phase: 'deploy',
      release: scope.release,
      namespace: ctx.options.namespace,
      revision: mine.revision,
      previousRevision,
      version: d.version,
      deadline: Date.now() + timeoutOf(ctx),
    };
  }

  async function rollback(ctx: Ctx, toVersion: string | null): Promise<RollbackHandle> {
    const scope = await scopeOf(ctx);
    const d = ctx.deployment;
    const earlier = await settleEarlierRun(scope, 'rollback');
    let history = await readHistory(scope);
    // What a rollback started before a restart added is not a candidate to return to.
    const known = earlier ? history.filter((e) => e.revision <= earlier.latestBefore) : history;
    const target = await rollbackTarget(ctx.deployment, scope, known, toVersion);
    const restores = 'revision' in target ? target.revision : null;
    const handle = (revision: number): RollbackHandle => ({
      phase: 'rollback',
      release: scope.release,
      namespace: ctx.options.namespace,
      revision,
      restores,
      deadline: Date.now() + timeoutOf(ctx),
    });
    const done = earlier ? revisionAfter(history, earlier.latestBefore) : null;
    if (done) return handle(done.revision);

    // helm rollback takes a release an interrupted upgrade left pending (that is how helm says
    // to recover one); anything else pending is another operation under way.
    const own = deployHandleOf(d.driverRef);
    const latest = latestRevision(history);
    if (!(latest && isPending(latest) && own?.revision === latest.revision)) {
      refusePending(scope, history);
    }
    const args =
      'revision' in target
        ? rollbackArgs(ctx.options, scope.release, target.revision, timeoutOf(ctx))
        : upgradeArgs({
            options: ctx.options,
            release: scope.release,
            version: target.version,
            description: `Slipway rollback ${d.id}: ${d.service} ${target.version} by ${d.requestedBy} (no revision in the history ran it)`,
            timeoutMs: timeoutOf(ctx),
            cwd: process.cwd(),
          });
    const before = latest?.revision ?? 0;
    const code = await runHelm(scope, 'rollback', args, before, timeoutOf(ctx));
    history = await readHistory(scope);
    const mine = revisionAfter(history, before);
    if (!mine) throw await nothingWritten(scope, 'rollback', code);
    return handle(mine.revision);
  }

  async function watch(ctx: Ctx, handle: HelmHandle): Promise<DriverOutcome> {
    const scope = await scopeOf(ctx);
    const label = revisionLabel(handle);
    const settled = await settledRevision(scope, handle, pollMs);
    if (settled.kind === 'over') return settled.outcome;
    const clients = clientsFor(ctx.options);
    const { deployments, chosenBy } = await releaseDeployments(
      clients,
      handle.namespace,
      handle.release,
      ctx.options.deployments,
      ctx.signal,
    );
    if (deployments.length === 0) {
      return {
        ok: true,
        summary: `${label}; no Deployment ${chosenBy} to follow (name them in "deployments")`,
      };
    }
    const outcome = await followRollout({
      watcher: watcherFor(clients, handle.namespace),
      namespace: handle.namespace,
      targets: writtenOf(deployments),
      deadline: handle.deadline,
      timeoutText: formatDuration(timeoutOf(ctx)),
      signal: ctx.signal,
      progress: (text) => ctx.progress(`${label}: ${text}`),
    });
    if (!outcome.ok) return { ...outcome, reason: `${label}: ${outcome.reason}` };
    return { ok: true, summary: `${label}: ${outcome.summary}` };
  }

  async function status(ctx: Ctx): Promise<TargetStatus> {
    const scope = await scopeOf(ctx);
    const history = await readHistory(scope);
    const live = liveRevision(history);
    if (!live) {
      const latest = latestRevision(history);
      return {
        version: null,
        healthy: false,
        detail: latest
          ? `release ${scope.release} has no deployed revision (revision ${latest.revision} is ${latest.status})`
          : `release ${scope.release} is not installed in namespace ${ctx.options.namespace}`,
      };
    }
    const wanted = await readValue(scope, live.revision, ctx.options.versionValue);
    const head = `release ${scope.release} revision ${live.revision}`;
    const { deployments, chosenBy } = await releaseDeployments(
      clientsFor(ctx.options),
      ctx.options.namespace,
      scope.release,
      ctx.options.deployments,
      ctx.signal,
    );
    if (deployments.length === 0) {
      return { version: wanted, healthy: true, detail: `${head}; no Deployment ${chosenBy}` };
    }
    const tags = liveTags(deployments, null);
    const health = healthOf(deployments);
    if (wanted !== null && tags.includes(wanted)) {
      return { version: wanted, healthy: health.complete, detail: `${head}: ${health.detail}` };
    }
    return {
      version: tags[0] ?? wanted,
      healthy: false,
      detail: `${head}: ${ctx.options.versionValue} is ${wanted ?? 'not set'}, but its Deployments run ${tags.join(', ') || 'no tagged image'}`,
    };
  }

  return {
    id,
    optionsSchema,
    deploy,
    rollback,
    status,
    watch: (ctx, raw) => watch(ctx, HelmHandleSchema.parse(raw)),
    capabilities: () => ({ status: true, rollbackToPrevious: true }),

    async logs(ctx, raw) {
      const handle = HelmHandleSchema.parse(raw);
      const runDir = runDirOf(factory.dataDir, ctx.deployment.id, handle.phase);
      const text = await readOutput(runDir);
      if (text === null) return null;
      return {
        text,
        running: runningHelm(await readRecord(runDir)) !== null,
        location: outputPath(runDir),
      };
    },
  } satisfies DeployDriver<HelmOptions>;
}
