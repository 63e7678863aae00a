import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLocalSlack, type LocalSlack } from '../../src/local-slack/index.js';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { exited, type ServerProcess, startServer } from './processes.js';

/**
 * Several `slipway serve` processes on one Postgres, behind a round-robin balancer (as a
 * Kubernetes Service spreads requests over replicas), with the local Slack delivering to the
 * balancer. For the multi-replica tests of issue 6.
 */
export interface Replicas {
  slack: LocalSlack;
  servers: ServerProcess[];
  /** Starts one more replica behind the balancer, on the same database and config. */
  add(): Promise<ServerProcess>;
  /** A connection of the test's own to the shared database. */
  store: Store;
  /** How many requests the balancer sent to each replica, by index. */
  served(): number[];
  /** The replica whose process id this is (from its "slipway is serving" line). */
  byProcessId(processId: string): ServerProcess | undefined;
  processIdOf(server: ServerProcess): string;
  close(): Promise<void>;
}

export async function startReplicas(options: {
  count: number;
  dir: string;
  databaseUrl: string;
  config: unknown;
  channels: string[];
  users: string[];
  env?: NodeJS.ProcessEnv;
  /** The CLI each replica runs (startServer's `entry`). */
  entry?: string;
}): Promise<Replicas> {
  const slack = createLocalSlack({
    channels: options.channels.map((id) => ({
      id,
      name: id.slice(2).toLowerCase(),
      members: options.users,
    })),
    users: options.users.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'replicas-signing-secret',
    // Slack publishes floors for its tiers ("50+ per minute" for chat.update); a workspace
    // with a hundred deployments in a minute needs the headroom real workspaces see. Posting
    // keeps Slack's one message per second per channel.
    rateLimits: { 'chat.update': { perMinute: 600, burst: 100, per: 'method' } },
  });
  const { apiUrl } = await slack.start();
  const configPath = join(options.dir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(options.config, null, 2));
  const env = {
    SLIPWAY_CONFIG: configPath,
    SLIPWAY_DATABASE_URL: options.databaseUrl,
    SLIPWAY_DATA_DIR: options.dir,
    SLACK_SIGNING_SECRET: slack.config.signingSecret,
    SLACK_BOT_TOKEN: slack.config.botToken,
    SLACK_API_URL: apiUrl,
    ...options.env,
  };
  const servers: ServerProcess[] = [];
  try {
    // One after the other: the first applies the migrations, the others find them applied.
    for (let i = 0; i < options.count; i++)
      servers.push(await startServer(env, 60_000, { entry: options.entry }));
  } catch (err) {
    for (const s of servers) s.child.kill('SIGKILL');
    await slack.stop();
    throw err;
  }
  const balancer = roundRobin(servers);
  await new Promise<void>((resolve) => balancer.server.listen(0, '127.0.0.1', resolve));
  const { port } = balancer.server.address() as AddressInfo;
  slack.setDelivery({ mode: 'http', requestUrl: `http://127.0.0.1:${port}/slack/events` });
  const store = createStore(options.databaseUrl);
  const processIdOf = (s: ServerProcess) =>
    /"processId":"([^"]+)"[^\n]*"msg":"slipway is serving"/.exec(s.output())?.[1] ?? '';

  return {
    slack,
    servers,
    store,
    async add() {
      const server = await startServer(env, 60_000, { entry: options.entry });
      servers.push(server);
      return server;
    },
    served: () => [...balancer.counts],
    byProcessId: (id) => servers.find((s) => processIdOf(s) === id),
    processIdOf,
    async close() {
      for (const s of servers)
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => exited(s.child)));
      balancer.server.closeAllConnections();
      await new Promise((resolve) => balancer.server.close(resolve));
      await slack.stop();
      await store.close();
    },
  };
}

/** Forwards each request to the next live replica in turn. */
function roundRobin(servers: ServerProcess[]): { server: Server; counts: number[] } {
  const counts: number[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    // A process killed by a signal keeps exitCode null: it is dead when either is set.
    const live = servers
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.child.exitCode === null && s.child.signalCode === null);
    const pick = live[next++ % Math.max(1, live.length)];
    if (!pick) {
      res.writeHead(502).end('no replica');
      return;
    }
    counts[pick.i] = (counts[pick.i] ?? 0) + 1;
    const upstream = request(
      {
        host: '127.0.0.1',
        port: pick.s.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return { server, counts };
}
