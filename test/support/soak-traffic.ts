import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLocalSlack,
  type LocalSlack,
  type LocalSlackOptions,
} from '../../src/local-slack/index.js';
import { alert, notification } from '../../src/webhooks/alertmanager/test-support/notifications.js';
import { exited, type ServerProcess, startServer } from './processes.js';
import { ledgerBinding } from './run-ledger.js';

/**
 * One `slipway serve` under mixed, bounded traffic, as a busy team makes it: signed slash
 * commands (deploy, status, lock, unlock), deploys to production that wait for a QA approval and
 * the approval button clicks that release them, CI build posts to /hooks/build and Alertmanager
 * notifications to /hooks/alertmanager. For the soak e2e test and `npm run bench` (s).
 */
const SERVICES = Array.from({ length: 10 }, (_, i) => `s${i}`);
const DEV = 'U-DEV1';
const QA = 'U-QA1';
const WEBHOOK_SECRET = 'soak-webhook-secret';
const ALERT_TOKEN = 'soak-alertmanager-token';
export const channelOfService = (service: string) => `C-${service.toUpperCase()}`;

export function soakConfig(ledger: string) {
  return {
    operator: 'operator',
    groups: { devs: [DEV], qa: [QA] },
    environments: [
      { name: 'staging', order: 1, deployers: ['@devs'], autoRollback: false },
      {
        name: 'production',
        order: 2,
        protected: true,
        deployers: ['@devs'],
        approvals: { required: 1, from: ['@qa'] },
        autoRollback: false,
      },
    ],
    services: SERVICES.map((name) => ({
      name,
      image: `registry.soak/${name}`,
      channel: channelOfService(name),
      owners: [DEV],
      driver: ledgerBinding(ledger, 0.1),
      environments: { staging: {}, production: {} },
    })),
    autoDeploy: [{ type: 'branch', pattern: 'main', environment: 'staging' }],
    engine: { pollInterval: '500ms' },
  };
}

export type TrafficKind = 'deploy' | 'approval' | 'click' | 'status' | 'lock' | 'build' | 'alert';

/**
 * Twenty requests in a fixed order, repeated: at 20 a second, four deployments a second (two
 * commands, a build, a production deploy approved by the click that follows it), the rest reads,
 * locks and alerts. Each service's channel then gets a deployment message every 2.5 s, within
 * Slack's one post a second per channel: traffic Slack itself would not throttle into a backlog.
 */
const MIX: TrafficKind[] = [
  'deploy',
  'status',
  'alert',
  'status',
  'build',
  'status',
  'click',
  'status',
  'lock',
  'alert',
  'approval',
  'status',
  'deploy',
  'status',
  'alert',
  'status',
  'lock',
  'status',
  'alert',
  'status',
];

export interface SoakServer {
  slack: LocalSlack;
  server: ServerProcess;
  baseUrl: string;
  /** Sends request `i` of the mix; resolves with its kind and HTTP status (null: no answer). */
  send(i: number): Promise<{ kind: TrafficKind; status: number | null }>;
  /** Approves every production deployment still waiting, so that all can end. */
  approveAll(): Promise<number>;
  /** Heap in use and the event loop's delay p99 since the last scrape, from GET /metrics. */
  scrape(): Promise<{ heapUsedBytes: number; lagP99Seconds: number } | null>;
  /**
   * Stops the server with SIGINT (a clean stop); after `graceMs`, a second SIGINT (exit now).
   * Says how long it took and whether the second was needed.
   */
  stop(graceMs?: number): Promise<{ ms: number; forced: boolean }>;
  close(): Promise<void>;
}

export async function startSoakServer(options: {
  dir: string;
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** The local Slack's rate limits by method, over Slack's own (src/local-slack/rate-limit.ts). */
  rateLimits?: LocalSlackOptions['rateLimits'];
  /** The CLI the server runs (startServer's `entry`). */
  entry?: string;
}): Promise<SoakServer> {
  const users = [DEV, QA];
  const slack = createLocalSlack({
    channels: SERVICES.map((s) => ({ id: channelOfService(s), name: s, members: users })),
    users: users.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'soak-signing-secret',
    rateLimits: {
      'chat.update': { perMinute: 600, burst: 100, per: 'method' },
      ...options.rateLimits,
    },
  });
  const { apiUrl } = await slack.start();
  const configPath = join(options.dir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(soakConfig(join(options.dir, 'ledger.log')), null, 2));
  const server = await startServer(
    {
      SLIPWAY_CONFIG: configPath,
      SLIPWAY_DATA_DIR: options.dir,
      ...(options.databaseUrl ? { SLIPWAY_DATABASE_URL: options.databaseUrl } : {}),
      SLACK_SIGNING_SECRET: slack.config.signingSecret,
      SLACK_BOT_TOKEN: slack.config.botToken,
      SLACK_API_URL: apiUrl,
      SLIPWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SLIPWAY_ALERTMANAGER_TOKEN: ALERT_TOKEN,
      ...options.env,
    },
    60_000,
    { entry: options.entry },
  );
  const baseUrl = `http://127.0.0.1:${server.port}`;
  slack.setDelivery({ mode: 'http', requestUrl: `${baseUrl}/slack/events` });
  const clicked = new Set<string>();
  const traffic = createTraffic(slack, baseUrl, clicked);
  return {
    slack,
    server,
    baseUrl,
    async send(i) {
      const kind = MIX[i % MIX.length] as TrafficKind;
      const status = await traffic[kind](i).catch(() => null);
      return { kind, status };
    },
    async approveAll() {
      let n = 0;
      while ((await traffic.click(0)) === 200) n++;
      return n;
    },
    async scrape() {
      const res = await fetch(`${baseUrl}/metrics`).catch(() => null);
      if (!res?.ok) return null;
      const text = await res.text();
      const value = (name: string) =>
        Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
      return {
        heapUsedBytes: value('nodejs_heap_size_used_bytes'),
        lagP99Seconds: value('nodejs_eventloop_lag_p99_seconds'),
      };
    },
    stop: (graceMs) => stopServer(server, graceMs),
    async close() {
      await stopServer(server);
      await slack.stop();
    },
  };
}

function createTraffic(
  slack: LocalSlack,
  baseUrl: string,
  clicked: Set<string>,
): Record<TrafficKind, (i: number) => Promise<number | null>> {
  // Every two rounds the services shift by one (two, so that what a round locks or fires the
  // next one unlocks or resolves). With `i % 10` alone, a kind's place in the mix of twenty fixed
  // its service: every deploy went to two channels, past Slack's post limit.
  const service = (i: number) =>
    SERVICES[(i + Math.floor(i / (2 * MIX.length))) % SERVICES.length] as string;
  const command = async (i: number, text: string) => {
    const answer = await slack.slashCommand({
      user: DEV,
      channel: channelOfService(service(i)),
      text,
    });
    return answer.status ?? null;
  };
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    await res.arrayBuffer();
    return res.status;
  };
  return {
    deploy: (i) => command(i, `${service(i)} 1.${i}.0 to staging`),
    approval: (i) => command(i, `${service(i)} 2.${i}.0 to production`),
    status: (i) => command(i, i % 2 === 0 ? `status ${service(i)}` : 'status'),
    // Every other one locks for a minute, the next unlocks: locks come and go.
    lock: (i) =>
      command(
        i,
        Math.floor(i / MIX.length) % 2 === 0
          ? `lock staging ${service(i)} for 1m soak`
          : `unlock staging ${service(i)}`,
      ),
    async click() {
      const dm = slack.dmChannel(QA);
      if (!dm) return null;
      // The QA's direct messages only: every message of the workspace, sorted at each click, cost
      // the process that plays Slack more the longer a soak ran, and Slack's answers came slower.
      const ask = slack
        .history(dm)
        .find((m) => !clicked.has(m.ts) && JSON.stringify(m.blocks ?? []).includes('"approve"'));
      if (!ask) return null;
      clicked.add(ask.ts);
      const r = await slack.clickButton({ user: QA, channel: dm, ts: ask.ts, actionId: 'approve' });
      return r.status ?? null;
    },
    build(i) {
      const body = JSON.stringify({
        service: service(i),
        image: `registry.soak/${service(i)}:3.${i}.0`,
        type: 'branch',
        target: 'main',
        commit: randomBytes(20).toString('hex'),
        timestamp: Math.floor(Date.now() / 1000),
      });
      const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
      return post('/hooks/build', body, { 'x-slipway-signature': `sha256=${signature}` });
    },
    alert(i) {
      // Each alert fires, then resolves on its next turn: groups open and close.
      const round = Math.floor(i / MIX.length);
      const a = alert({
        name: 'SoakErrors',
        labels: { service: service(i), environment: 'staging' },
        fingerprint: `soak-${service(i)}-${Math.floor(round / 2)}`,
      });
      const firing = round % 2 === 0;
      const body = notification(
        [firing ? a : { ...a, status: 'resolved', endsAt: new Date().toISOString() }],
        {
          groupKey: `{}:{alertname="SoakErrors", service="${service(i)}"}`,
          groupLabels: { alertname: 'SoakErrors', service: service(i) },
        },
      );
      return post('/hooks/alertmanager', JSON.stringify(body), {
        authorization: `Bearer ${ALERT_TOKEN}`,
      });
    },
  };
}

async function stopServer(
  server: ServerProcess,
  graceMs = 20_000,
): Promise<{ ms: number; forced: boolean }> {
  const t0 = Date.now();
  const alive = () => server.child.exitCode === null && server.child.signalCode === null;
  if (!alive()) return { ms: 0, forced: false };
  const gone = exited(server.child);
  server.child.kill('SIGINT');
  const timer = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.race([gone, timer(graceMs)]);
  const forced = alive();
  if (forced) server.child.kill('SIGINT');
  await Promise.race([gone, timer(10_000)]);
  if (alive()) server.child.kill('SIGKILL');
  await gone;
  return { ms: Date.now() - t0, forced };
}
