import type { BenchContext } from '../context.js';
import { runProcessesRss } from '../held-runs.js';
import { busyShare } from '../machine.js';
import { rssMiB, sleep } from '../processes.js';
import { sendCommand, until } from '../send.js';
import { channelOf, heldName, IN_FLIGHT, type Slipway } from '../slipway.js';
import { type AckFigure, measureAck } from './ack.js';

export interface InFlightCount {
  total: number;
  byState: Record<string, number>;
}

/** (b) acks while deployments are in flight, and (e) what they cost in Slipway's memory. */
/** The machine counts as settled below this share of its cores busy. */
const QUIET = 0.25;

export interface InFlightFigure {
  requested: number;
  driver: string;
  before: InFlightCount;
  after: InFlightCount;
  ack: AckFigure;
  /** Share of all cores busy just before measuring, once the held deployments' processes settled. */
  machineBusyBefore: number | null;
  /** How long they took to settle (below 25% busy), at most 180 s. */
  settledAfterSeconds: number;
  memory: {
    idleMiB: number | null;
    inFlightMiB: number | null;
    perDeploymentKiB: number | null;
    /** V8 heap in use (GET /metrics) idle and in flight: less noisy than RSS, when available. */
    heapIdleMiB: number | null;
    heapInFlightMiB: number | null;
    heapPerDeploymentKiB: number | null;
    /** Supervisors and commands of the running deployments: outside Slipway's process. */
    driverProcesses: { processes: number; mib: number };
  };
}

async function count(slipway: Slipway): Promise<InFlightCount> {
  const open = await slipway.deployments(IN_FLIGHT);
  const byState: Record<string, number> = {};
  for (const d of open) byState[d.state] = (byState[d.state] ?? 0) + 1;
  return { total: open.length, byState };
}

async function sendInBatches(
  url: string,
  n: number,
  command: (i: number) => [text: string, channel: string, responseUrl: string],
): Promise<void> {
  for (let i = 0; i < n; i += 20) {
    const batch = Array.from({ length: Math.min(20, n - i) }, (_, j) => command(i + j));
    await Promise.all(
      batch.map(([text, channel, responseUrl]) => sendCommand(url, text, channel, responseUrl)),
    );
  }
}

/** The lowest RSS over `ms`: the steady level, not a moment before a collection. */
async function steadyRss(pid: number, ms = 3_000): Promise<number | null> {
  let low: number | null = null;
  for (let t = 0; t < ms; t += 250) {
    const r = rssMiB(pid);
    if (r !== null && (low === null || r < low)) low = r;
    await sleep(250);
  }
  return low;
}

/**
 * Sends `n` commands that create nothing and reads the idle RSS; requests `n` deployments of
 * held services (each from its service's channel), waits until all are in flight and the engine
 * has started all it will, reads RSS again, then measures acks as in (a).
 */
export async function measureInFlight(
  ctx: BenchContext,
  slipway: Slipway,
  n: number,
  heldSeconds: number,
): Promise<InFlightFigure> {
  const target = { name: 'slipway', url: slipway.eventsUrl, pid: slipway.pid, answers: true };
  // The idle reading follows as many commands as the in-flight one (refused ones, creating
  // nothing), sent the same way: both carry the same garbage, only the deployments differ.
  await sendInBatches(slipway.eventsUrl, n, (i) => [
    `deploy ${heldName(i)} 1.0.0 to production`,
    channelOf(heldName(i)),
    `${ctx.sink.url}/r/idle-setup`,
  ]);
  const idleMiB = await steadyRss(slipway.pid);
  const heapIdleMiB = await slipway.heapUsedMiB();
  ctx.log(`  requesting ${n} deployments that stay in flight`);
  await sendInBatches(slipway.eventsUrl, n, (i) => [
    `deploy ${heldName(i)} 1.0.0 to bench`,
    channelOf(heldName(i)),
    `${ctx.sink.url}/r/inflight-setup`,
  ]);
  let lastRunning = -1;
  let stillSince = performance.now();
  const before = await until(
    `${n} deployments in flight`,
    async () => {
      const c = await count(slipway);
      const running = c.byState.running ?? 0;
      if (running !== lastRunning) {
        lastRunning = running;
        stillSince = performance.now();
      }
      const settled =
        c.total >= n && !c.byState.requested && performance.now() - stillSince > 3_000;
      return settled ? c : null;
    },
    120_000,
  );
  // The deployments' supervisors are processes of their own; two hundred of them starting take
  // the cores for a minute or more. Measure Slipway beside them once they have settled, not
  // while they compete with it for the CPU.
  const quietStart = performance.now();
  let busy = await busyShare();
  while (busy !== null && busy > QUIET && performance.now() - quietStart < 180_000)
    busy = await busyShare();
  const settledAfterSeconds = Math.round((performance.now() - quietStart) / 1000);
  ctx.log(`  cores ${Math.round((busy ?? 0) * 100)}% busy after ${settledAfterSeconds} s`);
  const inFlightMiB = await steadyRss(slipway.pid);
  const heapInFlightMiB = await slipway.heapUsedMiB();
  const driverProcesses = runProcessesRss(slipway.dataDir);
  ctx.log(`  in flight: ${JSON.stringify(before.byState)}; measuring acks`);
  const ack = await measureAck(ctx, target, 'closed');
  const after = await count(slipway);
  const perDeployment = (from: number | null, to: number | null) =>
    from !== null && to !== null ? Math.round(((to - from) * 1024) / before.total) : null;
  return {
    requested: n,
    driver: `command driver running "sleep ${heldSeconds}"`,
    before,
    after,
    ack,
    machineBusyBefore: busy,
    settledAfterSeconds,
    memory: {
      idleMiB,
      inFlightMiB,
      perDeploymentKiB: perDeployment(idleMiB, inFlightMiB),
      heapIdleMiB,
      heapInFlightMiB,
      heapPerDeploymentKiB: perDeployment(heapIdleMiB, heapInFlightMiB),
      driverProcesses,
    },
  };
}
