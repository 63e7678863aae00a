import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/engine-harness.js';
import { testDatabaseUrl, testSchemas } from '../../test/support/postgres.js';
import { exited } from '../../test/support/processes.js';
import { startReplicas } from '../../test/support/replicas.js';
import {
  atRate,
  channelOfTarget,
  checkRuns,
  killWhileRunning,
  ledgerConfig,
  ledgerTargets,
  readLedger,
  readStoredRuns,
  type StoredRun,
} from '../../test/support/run-ledger.js';
import type { BenchContext, Defer } from '../context.js';
import type { Goal } from '../report.js';
import { slipwayEntry } from '../slipway.js';
import { type LatencySummary, summarize } from '../stats.js';

const USERS = ['U-BENCHDEV1', 'U-BENCHDEV2'];
/** How long each run's command takes: long enough that newer requests queue behind it. */
const RUN_SECONDS = 0.5;
/** The lease a replica holds on a running deployment: how soon a dead one's work is taken over. */
const LEASE = '3s';

export type ReplicasFigure =
  | {
      replicas: number;
      targets: number;
      rate: number;
      seconds: number;
      runSeconds: number;
      lease: string;
      sent: number;
      /** Acknowledged with 200 and not "busy": Slipway promised to act on these. */
      accepted: number;
      refusedBusy: number;
      /** No answer within Slack's 3 s, or none at all (those in flight to the killed replica). */
      unanswered: number;
      ack: LatencySummary;
      killedAtSeconds: number;
      deployments: number;
      byState: Record<string, number>;
      ran: number;
      resumed: number;
      /** From the SIGKILL to another replica's takeover of each deployment it was running. */
      takeover: LatencySummary;
      /** From claimable (created, target free) to claimed. */
      claim: LatencySummary;
      /** From the record's creation to its claim, waiting behind the target's run included. */
      createdToClaim: LatencySummary;
      violations: number;
      firstViolations: string[];
      settledSeconds: number;
    }
  | { skipped: string };

/**
 * (l) Three `slipway serve` processes on one Postgres (a schema of its own), a round-robin
 * balancer in front, accepted signed /deploy commands at a fixed rate over many targets; the
 * second replica is SIGKILLed halfway, while it runs a deployment. The deploy command writes a
 * ledger (test/fixtures/ledger-run.sh), checked beside the database: each run once, none
 * overlapping on a target, every acknowledged request an outcome.
 */
export async function measureReplicas(ctx: BenchContext, defer: Defer): Promise<ReplicasFigure> {
  const { replicasRate: rate, replicasSeconds: seconds, replicasTargets: targets } = ctx.options;
  const schemas = testSchemas(await testDatabaseUrl(), 'slipway_bench_replicas');
  defer(() => schemas.dropAll());
  const databaseUrl = schemas.next();
  const dir = tempDir('slipway-bench-replicas-');
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  const ledger = join(dir, 'ledger.log');
  const services = ledgerTargets(targets);
  const r = await startReplicas({
    count: 3,
    dir,
    databaseUrl,
    config: ledgerConfig({ targets, ledger, seconds: RUN_SECONDS, lease: LEASE, users: USERS }),
    channels: services.map(channelOfTarget),
    users: USERS,
    entry: await slipwayEntry(),
    // BENCH_PROFILE=dir: a V8 CPU profile of each replica, written when it exits (SIGINT below).
    env: process.env.BENCH_PROFILE
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` }
      : {},
  });
  defer(async () => {
    // Replicas still alive stop on SIGINT, which lets a profiling one write its profile.
    for (const s of r.servers)
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGINT');
    await Promise.all(r.servers.map((s) => exited(s.child)));
    await r.close();
  });
  ctx.log(`  3 replicas up; ${rate}/s over ${targets} targets for ${seconds} s`);
  const t0 = Date.now();
  let killedAt = 0;
  const killed = killWhileRunning(r, (seconds * 1000) / 2).then((victim) => {
    killedAt = Date.now();
    ctx.log(`  SIGKILLed replica 2 at ${((killedAt - t0) / 1000).toFixed(1)} s`);
    return victim;
  });
  const answers = await atRate(rate, seconds * 1000, async (i) => {
    const service = services[i % services.length] as string;
    const version = `3.0.${i}`;
    const sentAt = performance.now();
    const a = await r.slack.slashCommand({
      user: USERS[i % USERS.length] as string,
      channel: channelOfTarget(service),
      text: `${service} ${version} to load`,
    });
    const busy = a.body?.includes('Slipway is busy') ?? false;
    return { version, status: a.status, busy, ms: performance.now() - sentAt, body: a.body };
  });
  await killed;
  const accepted = answers.filter((a) => a.status === 200 && !a.busy).map((a) => a.version);
  ctx.log(`  sent ${answers.length}, ${accepted.length} accepted; waiting for every outcome`);
  const settleStart = Date.now();
  const stored = await settled(databaseUrl, 300_000);
  const check = checkRuns(stored, readLedger(ledger), accepted);
  // What an accepted request that left no deployment was answered: the first lead to why.
  const known = new Set(stored.map((d) => d.version));
  for (const a of answers)
    if (a.status === 200 && !a.busy && !known.has(a.version))
      ctx.log(
        `  accepted, never recorded: ${a.version}, answered after ${Math.round(a.ms)} ms with ${a.body ? a.body.slice(0, 300) : 'an empty acknowledgement'}`,
      );
  // Warnings and errors the replicas logged: where a request that left no record went.
  for (const [n, s] of r.servers.entries()) {
    const worrying = s
      .output()
      .split('\n')
      .filter((line) => /"level":(4|5|6)0/.test(line));
    if (worrying.length > 0)
      ctx.log(`  replica ${n + 1} logged ${worrying.length} warnings or errors:`);
    for (const line of worrying.slice(0, 15)) ctx.log(`    ${line.slice(0, 600)}`);
  }
  const takeovers = stored
    .filter((d) => d.resumedAt !== null)
    .map((d) => (d.resumedAt ?? 0) - killedAt);
  return {
    replicas: 3,
    targets,
    rate,
    seconds,
    runSeconds: RUN_SECONDS,
    lease: LEASE,
    sent: answers.length,
    accepted: accepted.length,
    refusedBusy: answers.filter((a) => a.busy).length,
    unanswered: answers.filter((a) => a.status !== 200).length,
    ack: summarize(answers.filter((a) => a.status === 200).map((a) => a.ms)),
    killedAtSeconds: Math.round((killedAt - t0) / 100) / 10,
    deployments: check.deployments,
    byState: check.byState,
    ran: check.ran,
    resumed: check.resumed,
    takeover: summarize(takeovers),
    claim: summarize(check.claimMs),
    createdToClaim: summarize(check.createdToClaimMs),
    violations: check.violations.length,
    firstViolations: check.violations.slice(0, 10),
    settledSeconds: Math.round((Date.now() - settleStart) / 1000),
  };
}

/**
 * Every deployment final and no new one for 5 s (or `timeoutMs` gone: the check then names those
 * that are not). An accepted request that was never recorded never shows up: the count only
 * stops growing.
 */
async function settled(url: string, timeoutMs: number): Promise<StoredRun[]> {
  const finalStates = new Set(['succeeded', 'failed', 'rolled_back', 'cancelled', 'superseded']);
  let stored = await readStoredRuns(url);
  let stableSince = Date.now();
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const next = await readStoredRuns(url);
    if (next.length !== stored.length) stableSince = Date.now();
    stored = next;
    if (Date.now() - stableSince >= 5_000 && stored.every((d) => finalStates.has(d.state))) break;
  }
  return stored;
}

const GOAL = '(l) 3 replicas: each run once, no overlap, claim p99 < 100 ms';

export function replicasGoal(l: ReplicasFigure): Goal {
  if ('skipped' in l) return { goal: GOAL, value: '—', status: 'not measured' };
  return {
    goal: GOAL,
    value: `${l.violations} violations, claim p99 ${l.claim.p99} ms`,
    status: l.violations === 0 && l.claim.p99 < 100 ? 'met' : 'missed',
  };
}

export function replicasLines(l: ReplicasFigure): string[] {
  if ('skipped' in l) return [`(l) replicas SKIPPED: ${l.skipped}`];
  return [
    `(l) ${l.replicas} replicas on one Postgres: ${l.rate} /deploy/s round-robin over ${l.targets} targets for ${l.seconds} s, runs of ${l.runSeconds} s (command driver, ledger outside Slipway), lease ${l.lease}; replica 2 SIGKILLed at ${l.killedAtSeconds} s while running a deployment`,
    `  sent ${l.sent}: ${l.accepted} accepted, ${l.refusedBusy} refused busy, ${l.unanswered} unanswered; ack p50 ${l.ack.p50} ms, p99 ${l.ack.p99} ms`,
    `  outcomes: ${JSON.stringify(l.byState)}; commands run ${l.ran}; taken over after the kill ${l.resumed} (kill → takeover p50 ${l.takeover.p50} ms, max ${l.takeover.max} ms); settled ${l.settledSeconds} s after the last request`,
    `  claim latency (claimable → claimed): p50 ${l.claim.p50} ms, p99 ${l.claim.p99} ms, max ${l.claim.max} ms; created → claimed, waiting behind the target included: p50 ${l.createdToClaim.p50} ms, p99 ${l.createdToClaim.p99} ms`,
    `  exactly once / no overlap / every accepted request an outcome: ${l.violations === 0 ? 'held' : `${l.violations} violations: ${l.firstViolations.join('; ')}`}`,
  ];
}
