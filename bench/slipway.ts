import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './load-spec.js';
import { type ServerChild, startServerChild } from './processes.js';

export const SIGNING_SECRET = 'bench-signing-secret';
export const BOT_TOKEN = 'xoxb-bench-bot-token';
/** In `@devs`: may deploy to `bench`, not to `production` (only the owners may). */
export const DEV = 'U0BENCHDEV';
export const OWNER = 'U0BENCHOWNER';
export const COMMAND_CHANNEL = 'C0BENCH';
/** In-flight states: accepted and not final (approval is never asked in `bench`). */
export const IN_FLIGHT = ['requested', 'queued', 'running', 'verifying'] as const;

export const heldName = (i: number) => `held-${String(i + 1).padStart(3, '0')}`;
export const fastName = (i: number) => `fast-${String(i + 1).padStart(3, '0')}`;
/** Each service announces in its own channel, as teams do (and Slack limits posts per channel). */
export const channelOf = (service: string) => `C0${service.replace(/-/g, '').toUpperCase()}`;

export interface ConfigShape {
  /** Services whose deploy sleeps `heldSeconds`: they stay in flight. */
  held: number;
  heldSeconds: number;
  /** Services whose deploy exits at once: they run to success. */
  fast: number;
  /** engine.concurrency: deployments run at once (Slipway's default 16 when absent). */
  concurrency?: number;
  /** A service `k8sweb` on the kubernetes driver, when given. */
  kubernetes?: { namespace: string; deployment: string };
}

let built: Promise<string> | null = null;

/**
 * Slipway compiled as `npm run build` and the image compile it, once per bench run: what
 * `npm start` and the container run with plain node. Run from source under tsx instead, the
 * same commands cost measurably more CPU (tsx turns on source maps, among other things), which
 * no user pays. Built when a section first needs it (none may: `--sections g`). Resolves to the
 * CLI's entry (`<outDir>/cli/index.js`).
 */
export function compiledSlipway(): Promise<string> {
  built ??= Promise.resolve().then(() => {
    process.stderr.write('  compiling Slipway as npm run build does (sections run it compiled)\n');
    const outDir = join(ROOT, '.tmp/bench-dist');
    rmSync(outDir, { recursive: true, force: true });
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const entry = join(outDir, 'cli/index.js');
    if (result.status !== 0 || !existsSync(entry))
      throw new Error(`npm run build failed: ${(result.stdout + result.stderr).slice(0, 500)}`);
    return entry;
  });
  return built;
}

/**
 * The CLI a section runs: compiledSlipway's, or with BENCH_SLIPWAY_SRC=<dir> that copy of the
 * sources (under tsx, to compare a change).
 */
export async function slipwayEntry(): Promise<string> {
  const source = process.env.BENCH_SLIPWAY_SRC;
  return source ? join(source, 'cli/index.ts') : compiledSlipway();
}

/** slipway.yaml for the benchmark (JSON is YAML). */
export function benchConfig(shape: ConfigShape): Record<string, unknown> {
  const command = (deploy: string[]) => ({ driver: 'command', options: { deploy, timeout: '1h' } });
  const service = (name: string, deploy: string[]) => ({
    name,
    image: `registry.bench/${name}`,
    channel: channelOf(name),
    owners: [OWNER],
    driver: command(deploy),
    environments: { bench: {} },
  });
  return {
    operator: 'operator',
    admins: ['operator'],
    groups: { devs: [DEV] },
    ...(shape.concurrency ? { engine: { concurrency: shape.concurrency } } : {}),
    environments: [
      { name: 'bench', order: 1, deployers: ['@devs'], autoRollback: false, verifyWindow: '1s' },
      // Protected: only the service's owners deploy here, so DEV's request is refused by policy.
      { name: 'production', order: 2, protected: true, deployers: ['service:owners'] },
    ],
    services: [
      { ...service('web', ['true']), environments: { bench: {}, production: {} } },
      ...Array.from({ length: shape.fast }, (_, i) => service(fastName(i), ['true'])),
      ...Array.from({ length: shape.held }, (_, i) =>
        service(heldName(i), ['sleep', String(shape.heldSeconds)]),
      ),
      ...(shape.kubernetes
        ? [
            {
              name: 'k8sweb',
              image: 'registry.bench/k8sweb',
              channel: channelOf('k8sweb'),
              owners: [OWNER],
              driver: {
                driver: 'kubernetes',
                options: {
                  namespace: shape.kubernetes.namespace,
                  deployments: [{ name: shape.kubernetes.deployment, containers: ['app'] }],
                  timeout: '2m',
                },
              },
              environments: { bench: {} },
            },
          ]
        : []),
    ],
  };
}

/** Every channel the config posts to, for the local Slack double. */
export function channelsOf(shape: ConfigShape): string[] {
  return [
    COMMAND_CHANNEL,
    channelOf('web'),
    channelOf('k8sweb'),
    ...Array.from({ length: shape.fast }, (_, i) => channelOf(fastName(i))),
    ...Array.from({ length: shape.held }, (_, i) => channelOf(heldName(i))),
  ];
}

export interface Slipway extends ServerChild {
  baseUrl: string;
  eventsUrl: string;
  dataDir: string;
  /** Deployments in these states, from GET /api/deployments (at most 500). */
  deployments(states: readonly string[], service?: string): Promise<ApiDeployment[]>;
  /** V8 heap in use, from GET /metrics (prom-client's default metrics), or null without it. */
  heapUsedMiB(): Promise<number | null>;
  /**
   * Stops the server, runs `beforeRemove` (which may still read the data directory: the held
   * deployments' run records), then removes the directory.
   */
  close(beforeRemove?: () => Promise<unknown>): Promise<void>;
}

export interface ApiDeployment {
  id: string;
  service: string;
  state: string;
  version: string;
}

/**
 * `slipway serve`, compiled (compiledSlipway), in its own process: SQLite (the default store)
 * in a fresh data directory, Slack over HTTP with chat pointed at the local Slack double.
 */
export function startSlipway(
  shape: ConfigShape,
  slackApiUrl: string,
  extraEnv: NodeJS.ProcessEnv = {},
  /** Another compiled CLI (`<outDir>/cli/index.js`) than compiledSlipway's. */
  entry?: string,
): Promise<Slipway> {
  return startSlipwayWith(benchConfig(shape), slackApiUrl, extraEnv, entry);
}

/** The same, on a config a section wrote itself (JSON is YAML). */
export async function startSlipwayWith(
  config: Record<string, unknown>,
  slackApiUrl: string,
  extraEnv: NodeJS.ProcessEnv = {},
  /** Another compiled CLI (`<outDir>/cli/index.js`) than compiledSlipway's. */
  entry?: string,
): Promise<Slipway> {
  const cli = entry ?? (await slipwayEntry());
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  const configPath = join(dataDir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = {};
  // Only what a deployment of Slipway would set: none of this shell's SLACK_* or SLIPWAY_*.
  for (const [k, v] of Object.entries(process.env))
    if (!/^(SLACK_|SLIPWAY_|KUBECONFIG$|PORT$)/.test(k)) env[k] = v;
  const server = await startServerChild(
    'slipway',
    [cli, 'serve'],
    {
      ...env,
      PORT: '0',
      SLIPWAY_CONFIG: configPath,
      SLIPWAY_DATA_DIR: dataDir,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slackApiUrl,
      ...extraEnv,
    },
    /"port":(\d+).*"msg":"slipway is serving"/,
    // BENCH_PROFILE=dir: a V8 CPU profile of each Slipway process, written when it exits.
    process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [],
  );
  const baseUrl = `http://127.0.0.1:${server.port}`;
  return {
    ...server,
    baseUrl,
    eventsUrl: `${baseUrl}/slack/events`,
    dataDir,
    async deployments(states, service) {
      const q = new URLSearchParams({ state: states.join(','), limit: '500' });
      if (service) q.set('service', service);
      const res = await fetch(`${baseUrl}/api/deployments?${q}`);
      if (!res.ok) throw new Error(`GET /api/deployments: HTTP ${res.status}`);
      return ((await res.json()) as { deployments: ApiDeployment[] }).deployments;
    },
    async heapUsedMiB() {
      const res = await fetch(`${baseUrl}/metrics`).catch(() => null);
      if (!res?.ok) return null;
      const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(
        await res.text(),
      );
      return m ? Math.round((Number(m[1]) / 2 ** 20) * 10) / 10 : null;
    },
    async close(beforeRemove) {
      // SIGINT: stop at once (SIGTERM would first wait out the load balancer drain delay).
      await server.stop(15_000, 'SIGINT');
      await beforeRemove?.();
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}
