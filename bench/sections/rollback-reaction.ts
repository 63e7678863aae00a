import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchContext, Defer } from '../context.js';
import { sleep } from '../processes.js';
import { sendCommand, until } from '../send.js';
import { channelOf, startSlipwayWith } from '../slipway.js';
import { type LatencySummary, summarize } from '../stats.js';
import {
  allRolledOut,
  createFleet,
  type DeploymentTimeline,
  type FleetService,
  fleetConfig,
  REPOSITORY,
  startBenchCluster,
  startFleetSlack,
  versionOf,
  watchTimelines,
} from './k8s-fleet.js';
import { findKubectl } from './kubernetes.js';

const run = promisify(execFile);
/** The smallest deadline the Deployment controller keeps to (it reads times to the second). */
const DEADLINE_SECONDS = 2;

/**
 * (i) A rollout whose pods never become Ready: from ProgressDeadlineExceeded appearing on the
 * Deployment to its pod template back on the previous version (the rollback's patch), both
 * seen by the benchmark's own watch.
 */
export type RollbackFigure =
  | { skipped: string }
  | {
      runs: number;
      deadlineSeconds: number;
      slipway: LatencySummary;
      byState: Record<string, number>;
      /** `kubectl rollout status || kubectl rollout undo`, as a script would. */
      kubectl: LatencySummary | { skipped: string };
    };

export async function measureRollbackReaction(
  ctx: BenchContext,
  runs: number,
  defer: Defer,
): Promise<RollbackFigure> {
  const k = await startBenchCluster(ctx.log, defer);
  if ('skipped' in k) return k;
  const namespace = `rollback-${process.pid}`;
  const services = Array.from(
    { length: runs },
    (_, i): FleetService => ({
      name: `rb${String(i + 1).padStart(3, '0')}`,
      namespace,
      failing: true,
    }),
  );
  const kubectl = findKubectl();
  const yardRuns = typeof kubectl === 'string' ? Math.min(5, runs) : 0;
  const yard = Array.from(
    { length: yardRuns },
    (_, i): FleetService => ({
      name: `ku${String(i + 1).padStart(3, '0')}`,
      namespace,
      failing: true,
    }),
  );
  await createFleet(k, [...services, ...yard], DEADLINE_SECONDS);
  await until('the Deployments to roll out', () => allRolledOut(k, [namespace]), 5 * 60_000);
  const timelines = await watchTimelines(k, defer);

  const apiUrl = await startFleetSlack(services, defer);
  const slipway = await startSlipwayWith(
    fleetConfig(services, { concurrency: Math.max(16, runs), timeout: '2m' }),
    apiUrl,
    { KUBECONFIG: k.cluster.kubeconfig },
  );
  defer(() => slipway.close());

  ctx.log(`  ${runs} failing rollouts through Slipway, 300 ms apart`);
  for (const s of services) {
    await sendCommand(
      slipway.eventsUrl,
      `deploy ${s.name} ${versionOf(s)} to bench`,
      channelOf(s.name),
      `${ctx.sink.url}/r/rollback`,
    );
    await sleep(300);
  }
  await until(
    'every failing rollout to be rolled back',
    async () => services.every((s) => timelines.get(s.name)?.revertedAt !== undefined),
    5 * 60_000,
  );
  const done = await until(
    'Slipway to record every outcome',
    async () => {
      const ended = await slipway.deployments(['rolled_back', 'failed', 'succeeded']);
      return ended.length >= runs ? ended : null;
    },
    60_000,
  );
  const byState: Record<string, number> = {};
  for (const d of done) byState[d.state] = (byState[d.state] ?? 0) + 1;

  let yardstick: LatencySummary | { skipped: string } =
    typeof kubectl === 'string' ? { skipped: 'no runs' } : kubectl;
  if (typeof kubectl === 'string' && yard.length > 0) {
    ctx.log(`  ${yard.length} of the same by kubectl rollout status || kubectl rollout undo`);
    for (const s of yard) {
      await kubectlReaction(kubectl, k.cluster.kubeconfig, s);
      await until('the undo to be seen', async () => timelines.get(s.name)?.revertedAt, 60_000);
    }
    yardstick = summarize(reactions(yard, timelines));
  }
  return {
    runs,
    deadlineSeconds: DEADLINE_SECONDS,
    slipway: summarize(reactions(services, timelines)),
    byState,
    kubectl: yardstick,
  };
}

function reactions(services: FleetService[], timelines: Map<string, DeploymentTimeline>) {
  return services.flatMap((s) => {
    const t = timelines.get(s.name);
    return t?.deadlineAt !== undefined && t.revertedAt !== undefined
      ? [t.revertedAt - t.deadlineAt]
      : [];
  });
}

/** What a deploy script does: set the image, wait for the rollout, undo it when it fails. */
async function kubectlReaction(kubectl: string, kubeconfig: string, s: FleetService) {
  const base = ['--kubeconfig', kubeconfig, '-n', s.namespace];
  const image = `app=${REPOSITORY}:${versionOf(s)}`;
  await run(kubectl, [...base, 'set', 'image', `deployment/${s.name}`, image]);
  try {
    await run(kubectl, [...base, 'rollout', 'status', `deployment/${s.name}`, '--timeout=5m']);
  } catch {
    await run(kubectl, [...base, 'rollout', 'undo', `deployment/${s.name}`]);
  }
}
