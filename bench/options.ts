import { parseArgs } from 'node:util';

/** What a run measures and for how long; every figure can be changed by flag or environment. */
export interface BenchOptions {
  /** Measured seconds of each ack measurement, after `warmup` seconds not counted. */
  duration: number;
  warmup: number;
  /** Keep-alive connections of the load generator in (a) and (b). */
  concurrency: number;
  /** Alternating Slipway/Bolt rounds after (a)'s figures, for the throughput comparison. */
  pairs: number;
  /** Commands fired at once in (c). */
  burst: number;
  /** Deployments held in flight in (b). */
  inflight: number;
  /** Deployments run to success in (e). */
  deployments: number;
  /** /deploy commands and kubectl runs each, in (d). */
  k8sIterations: number;
  /** Bad canaries aborted in (f), and the seconds between their checks. */
  canaryRuns: number;
  canaryInterval: number;
  /** Deployments seeded for (g), the dashboard at scale. */
  dashboardDeployments: number;
  /** Timed GETs of each page in (g), after 20 not counted; DORA's report gets its own count. */
  dashboardRequests: number;
  dashboardDoraRequests: number;
  /** Seconds each page's measurement in (g) may take; a slow page gets fewer requests. */
  dashboardBudget: number;
  /** The databases (g) seeds and serves from, in order. */
  dashboardDatabases: Array<'sqlite' | 'postgres'>;
  /** Sections to run, of a b c d e f g h i j k l s. */
  /** Failing rollouts rolled back in (i). */
  rollbackRuns: number;
  /** Rollouts at once in (j), the namespaces they spread over, and every how many one fails. */
  fleetRollouts: number;
  fleetNamespaces: number;
  fleetFailEvery: number;
  /** Deployments kept running `sleep` through the command driver in (k). */
  commandDeployments: number;
  /** (l): /deploy commands a second, seconds sent, targets they spread over. */
  replicasRate: number;
  replicasSeconds: number;
  replicasTargets: number;
  /** (s): minutes of mixed traffic, and requests a second. */
  soakMinutes: number;
  soakRate: number;
  sections: Set<string>;
  /** The /deploy text sent in (a), (b) and (c). */
  text: string;
  /** Where latest.json and the dated copy go. */
  out: string;
}

const FLAGS = {
  duration: { env: 'BENCH_DURATION', default: '10' },
  warmup: { env: 'BENCH_WARMUP', default: '3' },
  concurrency: { env: 'BENCH_CONCURRENCY', default: '16' },
  pairs: { env: 'BENCH_PAIRS', default: '4' },
  burst: { env: 'BENCH_BURST', default: '1000' },
  inflight: { env: 'BENCH_INFLIGHT', default: '200' },
  deployments: { env: 'BENCH_DEPLOYMENTS', default: '20' },
  'k8s-iterations': { env: 'BENCH_K8S_ITERATIONS', default: '10' },
  'canary-runs': { env: 'BENCH_CANARY_RUNS', default: '5' },
  'canary-interval': { env: 'BENCH_CANARY_INTERVAL', default: '5' },
  'dashboard-deployments': { env: 'BENCH_DASHBOARD_DEPLOYMENTS', default: '1000000' },
  'dashboard-requests': { env: 'BENCH_DASHBOARD_REQUESTS', default: '200' },
  'dashboard-dora-requests': { env: 'BENCH_DASHBOARD_DORA_REQUESTS', default: '20' },
  'dashboard-budget': { env: 'BENCH_DASHBOARD_BUDGET', default: '60' },
  'dashboard-databases': { env: 'BENCH_DASHBOARD_DATABASES', default: 'sqlite,postgres' },
  'rollback-runs': { env: 'BENCH_ROLLBACK_RUNS', default: '20' },
  'fleet-rollouts': { env: 'BENCH_FLEET_ROLLOUTS', default: '1000' },
  'fleet-namespaces': { env: 'BENCH_FLEET_NAMESPACES', default: '4' },
  'fleet-fail-every': { env: 'BENCH_FLEET_FAIL_EVERY', default: '10' },
  'command-deployments': { env: 'BENCH_COMMAND_DEPLOYMENTS', default: '50' },
  'replicas-rate': { env: 'BENCH_REPLICAS_RATE', default: '100' },
  'replicas-seconds': { env: 'BENCH_REPLICAS_SECONDS', default: '60' },
  'replicas-targets': { env: 'BENCH_REPLICAS_TARGETS', default: '20' },
  'soak-minutes': { env: 'BENCH_SOAK_MINUTES', default: '20' },
  'soak-rate': { env: 'BENCH_SOAK_RATE', default: '20' },
  sections: { env: 'BENCH_SECTIONS', default: 'a,b,c,d,e,f,g,h,i,j,k,l,s' },
  text: { env: 'BENCH_TEXT', default: 'deploy web 1.2.3 to production' },
  out: { env: 'BENCH_OUT', default: 'bench/results' },
} as const;

export const USAGE = `npm run bench [-- --duration s] [--warmup s] [--concurrency n] [--pairs n] [--burst n]
  [--inflight n] [--deployments n] [--k8s-iterations n] [--canary-runs n] [--canary-interval s]
  [--dashboard-deployments n] [--dashboard-requests n] [--dashboard-dora-requests n]
  [--dashboard-budget s] [--dashboard-databases sqlite,postgres] [--rollback-runs n] [--fleet-rollouts n]
  [--fleet-namespaces n] [--fleet-fail-every n] [--command-deployments n]
  [--replicas-rate n] [--replicas-seconds s] [--replicas-targets n] [--soak-minutes m] [--soak-rate n]
  [--sections a,b,c,d,e,f,g,h,i,j,k,l,s] [--text "..."]
  [--out dir]
Each flag also reads ${Object.values(FLAGS)
  .map((f) => f.env)
  .join(', ')}.`;

export function readOptions(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      [...Object.keys(FLAGS), 'help'].map((k) => [
        k,
        { type: k === 'help' ? ('boolean' as const) : ('string' as const) },
      ]),
    ),
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const get = (key: keyof typeof FLAGS): string => {
    const given = values[key];
    return typeof given === 'string' ? given : (env[FLAGS[key].env] ?? FLAGS[key].default);
  };
  const num = (key: keyof typeof FLAGS, min: number): number => {
    const n = Number(get(key));
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${key} / ${FLAGS[key].env} is "${get(key)}": give a number ≥ ${min}.`);
    return n;
  };
  const sections = new Set(
    get('sections')
      .split(',')
      .map((s) => s.trim().toLowerCase()),
  );
  for (const s of sections)
    if (!'abcdefghijkls'.includes(s) || s.length !== 1)
      throw new Error(`--sections: "${s}" is not one of a, b, c, d, e, f, g, h, i, j, k, l, s.`);
  const databases = get('dashboard-databases')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const d of databases)
    if (d !== 'sqlite' && d !== 'postgres')
      throw new Error(`--dashboard-databases: "${d}" is not sqlite or postgres.`);
  return {
    duration: num('duration', 1),
    warmup: num('warmup', 0),
    concurrency: Math.floor(num('concurrency', 1)),
    pairs: Math.floor(num('pairs', 0)),
    burst: Math.floor(num('burst', 1)),
    inflight: Math.floor(num('inflight', 1)),
    deployments: Math.floor(num('deployments', 1)),
    k8sIterations: Math.floor(num('k8s-iterations', 1)),
    canaryRuns: Math.floor(num('canary-runs', 1)),
    canaryInterval: num('canary-interval', 2),
    dashboardDeployments: Math.floor(num('dashboard-deployments', 100)),
    dashboardRequests: Math.floor(num('dashboard-requests', 1)),
    dashboardDoraRequests: Math.floor(num('dashboard-dora-requests', 1)),
    dashboardBudget: num('dashboard-budget', 1),
    dashboardDatabases: databases as Array<'sqlite' | 'postgres'>,
    rollbackRuns: Math.floor(num('rollback-runs', 1)),
    fleetRollouts: Math.floor(num('fleet-rollouts', 1)),
    fleetNamespaces: Math.floor(num('fleet-namespaces', 1)),
    fleetFailEvery: Math.floor(num('fleet-fail-every', 0)),
    commandDeployments: Math.floor(num('command-deployments', 1)),
    replicasRate: num('replicas-rate', 1),
    replicasSeconds: num('replicas-seconds', 4),
    replicasTargets: Math.floor(num('replicas-targets', 1)),
    soakMinutes: num('soak-minutes', 0.5),
    soakRate: num('soak-rate', 1),
    sections,
    text: get('text'),
    out: get('out'),
  };
}
