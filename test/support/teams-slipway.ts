import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, createApp } from '../../src/app.js';
import { formatIssues, loadConfig } from '../../src/config/index.js';
import type { Deployment, DeploymentState } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { readSettings } from '../../src/core/settings.js';
import { driverCanarySupport, driverOptionSchemas } from '../../src/drivers/index.js';
import type { DeployDriver } from '../../src/drivers/types.js';
import { FIXTURES, removeTestDir, tempDir } from './engine-harness.js';

/**
 * Slipway as `slipway serve` builds it (src/cli/commands.ts): settings read from environment
 * variables, slipway.yaml written to disk and loaded with every check, the server lock on its
 * SQLite file, listening on loopback. In this process, so a test can wait on the engine and the
 * notifier, and restart it on the same database.
 */
export interface SlipwayServer {
  app: App;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The Bot Framework messaging endpoint, `<url>/api/messages`. */
  endpoint: string;
  dir: string;
  /** The newest deployment of `service`, waiting up to 10 s for one. */
  latest(service: string): Promise<Deployment>;
  /** Every deployment of `service`, newest first. */
  history(service: string): Promise<Deployment[]>;
  /** Waits until deployment `id` is in `state`; the error says where it stayed. */
  waitState(id: string, state: DeploymentState, timeoutMs?: number): Promise<Deployment>;
  /** Waits until every chat message the notifier has to deliver is delivered. */
  settled(): Promise<void>;
  /** Slipway's log lines (JSON) since it started, for failure messages. */
  logs(): string;
  /** Stops Slipway as SIGTERM does and starts it again on the same database and port. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export interface SlipwayServerOptions {
  /** slipway.yaml's content (JSON is YAML). */
  config: object;
  /** TEAMS_*, SLACK_* and other variables, as `serve` reads them. */
  env: Record<string, string>;
  /** Replace the drivers the config names (the recording driver). */
  drivers?: ReadonlyMap<string, DeployDriver<unknown>>;
  /** A directory to use; a new temporary one when not given. */
  dir?: string;
}

export async function startSlipwayServer(options: SlipwayServerOptions): Promise<SlipwayServer> {
  const dir = options.dir ?? tempDir('slipway-teams-');
  const configPath = join(dir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(options.config, null, 2));
  const env = {
    SLIPWAY_CONFIG: configPath,
    SLIPWAY_DATA_DIR: dir,
    ...options.env,
  };
  const settings = readSettings(env, dir);
  const loaded = await loadConfig(configPath, {
    driverSchemas: driverOptionSchemas(),
    canarySupport: driverCanarySupport(),
  });
  if (!loaded.ok) throw new Error(`slipway.yaml refused:\n${formatIssues(loaded.errors)}`);
  const config = loaded.config;
  let lines = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines += String(chunk);
      done();
    },
  });
  const log = createLogger({ level: 'debug' }, sink);
  const host = '127.0.0.1';

  let port = 0;
  const build = async () => {
    const app = await createApp({
      config,
      settings,
      log,
      env,
      server: true,
      host,
      ...(options.drivers ? { drivers: options.drivers } : {}),
    });
    port = await app.http.listen(port, host);
    await app.start();
    return app;
  };
  let app = await build();
  const url = `http://${host}:${port}`;

  const server: SlipwayServer = {
    get app() {
      return app;
    },
    url,
    endpoint: `${url}/api/messages`,
    dir,
    async latest(service) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const [d] = await app.engine.history({ service, limit: 1 });
        if (d) return d;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`expected a deployment of ${service}, none was created\n${tail(lines)}`);
    },
    history: (service) => app.engine.history({ service, limit: 50 }),
    async waitState(id, state, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let seen: Deployment | null = null;
      while (Date.now() < deadline) {
        seen = await app.store.getDeployment(id);
        if (seen?.state === state) return seen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(
        `expected deployment ${id} to be ${state} within ${timeoutMs} ms; it is ${seen?.state ?? 'missing'}\n${tail(lines)}`,
      );
    },
    async settled() {
      await app.chat?.notifier.idle();
    },
    logs: () => lines,
    async restart() {
      await app.stop();
      app = await build();
    },
    async close() {
      await app.stop();
      if (!options.dir) await removeTestDir(dir);
    },
  };
  return server;
}

/** The last `chars` characters of `text`, for failure messages. */
export function tail(text: string, chars = 4000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

/**
 * A command driver binding whose deploy waits until the test lets it finish, so that a test can
 * look at a card while its deployment runs, however slow the machine. The deploy writes the
 * version live (for fake-status.mjs) once `release` is called for it.
 */
export interface GatedDeploy {
  binding: { driver: 'command'; options: Record<string, unknown> };
  /** Lets the deploy of `service` `version` to `environment` finish (before or after it starts). */
  release(service: string, environment: string, version: string): void;
}

const GATED_DEPLOY = `import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const [stateDir, service, environment, version] = process.argv.slice(2);
mkdirSync(stateDir, { recursive: true });
const gate = join(stateDir, service + '-' + environment + '-' + version + '.go');
console.log('waiting to be released');
while (!existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 50));
writeFileSync(join(stateDir, service + '-' + environment + '.version'), version);
console.log(service + ' ' + version + ' is live in ' + environment);
`;

export function gatedDeploy(dir: string): GatedDeploy {
  const stateDir = join(dir, 'targets');
  mkdirSync(stateDir, { recursive: true });
  const script = join(dir, 'gated-deploy.mjs');
  writeFileSync(script, GATED_DEPLOY);
  return {
    binding: {
      driver: 'command',
      options: {
        deploy: [process.execPath, script, stateDir, '{service}', '{environment}', '{version}'],
        status: [
          process.execPath,
          join(FIXTURES, 'fake-status.mjs'),
          stateDir,
          '{service}',
          '{environment}',
        ],
        timeout: '2m',
      },
    },
    release(service, environment, version) {
      writeFileSync(join(stateDir, `${service}-${environment}-${version}.go`), '');
    },
  };
}
