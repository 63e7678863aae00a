import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { newProcessId } from './core/ids.js';
import { redactUrl } from './core/logger.js';
import type { Settings } from './core/settings.js';
import { createDrivers } from './drivers/index.js';
import type { DeployDriver } from './drivers/types.js';
import { createEngine, createEventBus, type Engine } from './engine/index.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import { createStore } from './store/index.js';
import type { Store } from './store/types.js';

export interface App {
  config: Config;
  store: Store;
  engine: Engine;
  http: HttpServer;
  log: Logger;
  processId: string;
  /** Stops taking work, lets go of what is in hand, closes the server and the store. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  settings: Settings;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Replace the drivers (tests use recording drivers); default: the registry. */
  drivers?: ReadonlyMap<string, DeployDriver<unknown>>;
  /** Apply pending migrations at start (serve does; `db migrate` exists for operators who don't). */
  migrate?: boolean;
}

/** Builds the object graph once: config → store → drivers → engine → http (STYLE.md). */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, settings, log } = options;
  const processId = newProcessId(hostname());
  const store = await createStore(settings.databaseUrl, { log: log.child({ component: 'store' }) });
  try {
    if (options.migrate ?? true) {
      const applied = await store.migrate();
      if (applied.length > 0)
        log.info({ applied, database: redactUrl(settings.databaseUrl) }, 'migrations applied');
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  const drivers =
    options.drivers ??
    createDrivers({
      dataDir: settings.dataDir,
      env: options.env ?? process.env,
      log: log.child({ component: 'driver' }),
    });
  const events = createEventBus((err, event) =>
    log.error({ err, event: event.type }, 'event listener failed'),
  );
  const engine = createEngine({ config, store, drivers, events, log, processId });
  const http = createHttpServer({ engine, store, log, apiToken: settings.apiToken });
  let stopping: Promise<void> | null = null;
  return {
    config,
    store,
    engine,
    http,
    log,
    processId,
    stop() {
      stopping ??= (async () => {
        http.setDraining();
        await engine.stop();
        await http.close();
        await store.close();
      })();
      return stopping;
    },
  };
}
