// `npm run bench`: Slipway's acknowledgements, throughput and costs beside their yardsticks,
// measured in one run on one machine. bench/README.md explains every figure.
import { loadavg } from 'node:os';
import { createLocalSlack } from '../src/local-slack/index.js';
import type { AckTarget, BenchContext, Defer } from './context.js';
import { stopHeldRuns } from './held-runs.js';
import { machineInfo, round1 } from './machine.js';
import { readOptions } from './options.js';
import { sleep } from './processes.js';
import { type BenchResults, goalsOf, renderTable, writeResults } from './report.js';
import { measureAccepted } from './sections/accepted.js';
import { measureAck, measurePairs } from './sections/ack.js';
import { measureCanaryAbort } from './sections/canary-abort.js';
import { measureChatCalls } from './sections/chat-calls.js';
import { measureCommandMemory } from './sections/command-memory.js';
import { measureDashboard } from './sections/dashboard.js';
import { measureFleet } from './sections/fleet.js';
import { measureInFlight } from './sections/inflight.js';
import { measureKubernetes } from './sections/kubernetes.js';
import { measureBurstMemory } from './sections/memory-bursts.js';
import { measureReplicas } from './sections/replicas.js';
import { measureRollbackReaction } from './sections/rollback-reaction.js';
import { measureSoak } from './sections/soak.js';
import { startResponseSink } from './sink.js';
import { BOT_TOKEN, channelsOf, DEV, OWNER, SIGNING_SECRET, startSlipway } from './slipway.js';
import { startBare, startBolt } from './targets.js';

const started = performance.now();
const options = readOptions();
const want = (s: string) => options.sections.has(s);
const machine = await machineInfo();
const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
/** Runs each cleanup once, whether the run ends, fails or is interrupted (Ctrl-C). */
function once(fn: () => Promise<unknown>): () => Promise<unknown> {
  let done: Promise<unknown> | null = null;
  return () => {
    done ??= fn().catch((err) => log(`cleanup: ${err}`));
    return done;
  };
}
async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}
/** Runs `work`; what it defers is undone when it ends (or on Ctrl-C), in reverse order. */
async function scoped(work: (defer: Defer) => Promise<void>) {
  const mine: Array<() => Promise<unknown>> = [];
  try {
    await work((fn) => {
      const f = once(fn);
      mine.push(f);
      cleanups.push(f);
    });
  } finally {
    for (const fn of mine.reverse()) {
      const at = cleanups.indexOf(fn);
      if (at >= 0) cleanups.splice(at, 1);
      await fn();
    }
  }
}
// When interrupted, whoever read our output may be gone: cleaning up matters more than saying so.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  log('interrupted: stopping what the benchmark started');
  void cleanUp().finally(() => process.exit(130));
});

// Deployments held in flight must outlast the run; they are stopped at the end regardless.
const HELD_SECONDS = 3600;
const mainShape = { held: 0, heldSeconds: 0, fast: options.deployments };
// Every held deployment runs at once: (b) measures acks beside that many rollouts, not a queue.
const heldShape = {
  held: options.inflight,
  heldSeconds: HELD_SECONDS,
  fast: 0,
  concurrency: options.inflight,
};
const slack = createLocalSlack({
  channels: [...new Set([...channelsOf(mainShape), ...channelsOf(heldShape)])].map((id) => ({
    id,
    name: id.toLowerCase(),
  })),
  users: [
    { id: DEV, name: 'dev' },
    { id: OWNER, name: 'owner' },
  ],
  signingSecret: SIGNING_SECRET,
  botToken: BOT_TOKEN,
});
const { apiUrl } = await slack.start();
cleanups.push(once(() => slack.stop()));
const sink = await startResponseSink();
cleanups.push(once(() => sink.close()));
const ctx: BenchContext = { options, slack, sink, log };
const skipped = (why: string) => ({ skipped: why });
const notSelected = skipped('not selected (--sections)');

const results: Omit<BenchResults, 'goals' | 'durationSeconds'> = {
  machine,
  options: { ...options, sections: [...options.sections] },
  command: `${options.text}  (${describeCommand(options.text)})`,
  a: notSelected,
  accepted: notSelected,
  b: notSelected,
  c: notSelected,
  d: notSelected,
  e: { calls: notSelected, memory: notSelected },
  f: notSelected,
  g: notSelected,
  i: notSelected,
  j: notSelected,
  k: notSelected,
  l: notSelected,
  s: notSelected,
  h: notSelected,
  notes: [],
};

function describeCommand(text: string): string {
  return text === 'deploy web 1.2.3 to production'
    ? `from ${DEV}, who may not deploy to production: parsed, checked by policy against the store (idempotency key, locks), refused, answered privately (in the acknowledgement, which waits for the answer up to 1 s, else through the response_url); creates no work`
    : 'set by --text';
}

try {
  if (want('a') || want('c') || want('e'))
    await scoped(async (defer) => {
      log('starting slipway serve, the Bolt app and the bare server');
      const slipway = await startSlipway(mainShape, apiUrl);
      defer(() => slipway.close());
      const [bare, bolt] = await Promise.all([startBare(), startBolt(apiUrl)]);
      defer(() => bare.stop());
      defer(() => bolt.stop());
      const url = (port: number) => `http://127.0.0.1:${port}/slack/events`;
      const targets: Record<'slipway' | 'bolt' | 'bare', AckTarget> = {
        slipway: { name: 'slipway', url: slipway.eventsUrl, pid: slipway.pid, answers: true },
        bolt: { name: 'bolt', url: url(bolt.port), pid: bolt.pid, answers: false },
        bare: { name: 'bare', url: url(bare.port), pid: bare.pid, answers: false },
      };
      if (want('a')) {
        log('(a) acknowledgements, closed loop');
        results.a = {
          slipway: await measureAck(ctx, targets.slipway, 'closed'),
          bolt: await measureAck(ctx, targets.bolt, 'closed'),
          bare: await measureAck(ctx, targets.bare, 'closed'),
          // Diagnostic: a command Slipway verifies, normalizes, acks and drops (not /deploy).
          transportOnly: await measureAck(ctx, { ...targets.slipway, answers: false }, 'closed', {
            command: '/not-slipway',
          }),
          pairs:
            options.pairs > 0
              ? await measurePairs(ctx, targets.slipway, targets.bolt, options.pairs)
              : null,
        };
        log('(a) accepted deploys, on a Slipway of their own');
        await scoped(async (deferAccepted) => {
          results.accepted = await measureAccepted(ctx, targets.bolt, apiUrl, deferAccepted);
        });
      }
      if (want('c')) {
        log(`(c) burst of ${options.burst}`);
        const slipwayBurst = await measureAck(ctx, targets.slipway, 'burst');
        await sleep(2_000);
        const boltBurst = await measureAck(ctx, targets.bolt, 'burst');
        await sleep(2_000);
        const bareBurst = await measureAck(ctx, targets.bare, 'burst');
        await sleep(2_000);
        const transportOnly = await measureAck(
          ctx,
          { ...targets.slipway, answers: false },
          'burst',
          { command: '/not-slipway' },
        );
        results.c = { slipway: slipwayBurst, bolt: boltBurst, bare: bareBurst, transportOnly };
      }
      if (want('e')) {
        log(`(e) chat API calls for ${options.deployments} deployments`);
        results.e.calls = await measureChatCalls(ctx, slipway, options.deployments);
      }
    });
  if (want('b') || want('e'))
    await scoped(async (defer) => {
      log(`(b) acknowledgements with ${options.inflight} deployments in flight`);
      const slipway = await startSlipway(heldShape, apiUrl);
      // Slipway first, then what its held deployments left running (supervisors outlive it),
      // found through their run records, then its data directory.
      defer(() => slipway.close(() => stopHeldRuns(slipway.dataDir)));
      const b = await measureInFlight(ctx, slipway, options.inflight, HELD_SECONDS);
      if (want('b')) results.b = b;
      results.e.memory = b.memory;
      const running = b.before.byState.running ?? 0;
      if ((b.machineBusyBefore ?? 0) > 0.25)
        results.notes.push(
          `(b) the held deployments' processes still kept ${Math.round((b.machineBusyBefore ?? 0) * 100)}% of the cores busy after ${b.settledAfterSeconds} s: (b) was measured beside them.`,
        );
      if ((b.after.byState.running ?? 0) < running) {
        const ended = await slipway.deployments([
          'succeeded',
          'failed',
          'rolled_back',
          'cancelled',
        ]);
        const states: Record<string, number> = {};
        for (const d of ended) states[d.state] = (states[d.state] ?? 0) + 1;
        const first = ended[0] as { outcome?: string } | undefined;
        results.notes.push(
          `(b) ${running - (b.after.byState.running ?? 0)} of the held deployments stopped running during the measurement, ended as ${JSON.stringify(states)}${first?.outcome ? `; the first: "${first.outcome}"` : ''}.`,
        );
      }
      if (running < b.requested)
        results.notes.push(
          `(b) ${b.before.total} deployments were in flight but only ${running} ran at once: the engine runs at most engine.concurrency per process (set to ${options.inflight} here), the rest were queued. Memory per in-flight deployment averages over both.`,
        );
    });
  if (want('d')) {
    log('(d) kubernetes');
    await scoped(async (defer) => {
      results.d = await measureKubernetes(ctx, options.k8sIterations, defer);
      if ('skipped' in results.d) log(`!!! (d) SKIPPED: ${results.d.skipped}`);
    });
  }
  if (want('f')) {
    log(
      `(f) ${options.canaryRuns} canaries going bad at 25%, a check every ${options.canaryInterval} s`,
    );
    await scoped(async (defer) => {
      results.f = await measureCanaryAbort(ctx, options.canaryRuns, options.canaryInterval, defer);
      if ('skipped' in results.f) log(`!!! (f) SKIPPED: ${results.f.skipped}`);
    });
  }
  if (want('g')) {
    log(
      `(g) the dashboard at scale: ${options.dashboardDeployments.toLocaleString('en')} deployments on ${options.dashboardDatabases.join(' and ')}`,
    );
    await scoped(async (defer) => {
      results.g = await measureDashboard(ctx, defer);
    });
  }
  if (want('h')) {
    log('(h) memory across three bursts of 2,000 commands');
    await scoped(async (defer) => {
      results.h = await measureBurstMemory(ctx, apiUrl, defer);
    });
  }
  if (want('i')) {
    log(`(i) ${options.rollbackRuns} failing Kubernetes rollouts rolled back`);
    await scoped(async (defer) => {
      results.i = await measureRollbackReaction(ctx, options.rollbackRuns, defer);
      if ('skipped' in results.i) log(`!!! (i) SKIPPED: ${results.i.skipped}`);
    });
  }
  if (want('j')) {
    log(`(j) ${options.fleetRollouts} Kubernetes rollouts at once`);
    await scoped(async (defer) => {
      results.j = await measureFleet(
        ctx,
        {
          rollouts: options.fleetRollouts,
          namespaces: options.fleetNamespaces,
          failEvery: options.fleetFailEvery,
        },
        defer,
      );
      if ('skipped' in results.j) log(`!!! (j) SKIPPED: ${results.j.skipped}`);
    });
  }
  if (want('k')) {
    log(`(k) command driver memory: ${options.commandDeployments} running deployments`);
    await scoped(async (defer) => {
      results.k = await measureCommandMemory(ctx, options.commandDeployments, defer);
      if ('skipped' in results.k) log(`!!! (k) SKIPPED: ${results.k.skipped}`);
    });
  }
  if (want('l')) {
    log(
      `(l) 3 replicas on one Postgres: ${options.replicasRate} /deploy/s for ${options.replicasSeconds} s`,
    );
    await scoped(async (defer) => {
      results.l = await measureReplicas(ctx, defer);
    });
  }
  if (want('s')) {
    log(`(s) soak: ${options.soakRate} requests/s of mixed traffic for ${options.soakMinutes} min`);
    await scoped(async (defer) => {
      results.s = await measureSoak(ctx, defer);
    });
  }
} catch (err) {
  // Ctrl-C also stops the load generator, failing the measurement under way: not news.
  if (interrupted) await new Promise(() => {});
  throw err;
} finally {
  await cleanUp();
}

results.notes.push(...diagnose(results));
machine.loadAverage.end = round1(loadavg()[0] ?? 0);
if ((machine.busyBefore ?? 0) > 0.25 || machine.loadAverage.start > machine.cores * 0.5)
  results.notes.push(
    `The machine was busy before the run (${Math.round((machine.busyBefore ?? 0) * 100)}% of its cores, load average ${machine.loadAverage.start} on ${machine.cores}): other work competed for the CPU, figures are noisy.`,
  );
const final: BenchResults = {
  ...results,
  goals: goalsOf(results),
  durationSeconds: Math.round((performance.now() - started) / 1000),
};
process.stdout.write(`${renderTable(final)}\n`);
for (const path of writeResults(final, options.out)) log(`wrote ${path}`);

/** Observations a reader of the table would otherwise have to work out. */
function diagnose(r: typeof results): string[] {
  const notes: string[] = [];
  for (const [name, fig] of [
    ['(a)', 'skipped' in r.a ? null : r.a.slipway],
    ['(b)', 'skipped' in r.b ? null : r.b.ack],
  ] as const) {
    if (fig?.answered && fig.answered.count > 0 && fig.answered.latency.p50 > 1_000)
      notes.push(
        `${name} Slipway acknowledged faster than it handled: answers arrived ${fig.answered.latency.p50} ms (p50) after the command, so req/s there is not what it can sustain.`,
      );
    const answers = fig?.answered ? fig.answered.count + fig.answered.inAck : 0;
    if (fig?.answered && answers < fig.sent)
      notes.push(`${name} only ${answers} of ${fig.sent} commands were answered.`);
  }
  if (!('skipped' in r.c) && r.c.slipway.missed > 0 && r.c.transportOnly.missed === 0)
    notes.push(
      `(c) Slipway's transport alone (diag. row) acknowledged all ${r.c.transportOnly.measured} in time: the late ones waited behind the handling of earlier commands, which runs on the same event loop.`,
    );
  return notes;
}
