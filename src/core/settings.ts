import { resolve } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Process settings from the environment (ARCHITECTURE.md, "The external contract"). Secrets
 * live here, never in slipway.yaml. Takes `env` as a parameter so tests pass their own.
 */
export interface Settings {
  port: number;
  configPath: string;
  databaseUrl: string;
  /** Where the embedded database and driver state live by default (`./.slipway`). */
  dataDir: string;
  apiToken: string | undefined;
  logLevel: string | undefined;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const dataDir = resolve(cwd, env.SLIPWAY_DATA_DIR ?? '.slipway');
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(
      `PORT is "${env.PORT}": set it to a port number between 1 and 65535, or unset it for 3000.`,
    );
  }
  const databaseUrl = env.SLIPWAY_DATABASE_URL || `sqlite://${resolve(dataDir, 'slipway.db')}`;
  if (!/^(sqlite:|postgres:|postgresql:|\/|\.|:memory:)/.test(databaseUrl)) {
    throw new ConfigError(
      'SLIPWAY_DATABASE_URL must be postgres://user@host/db for Postgres, or sqlite:///path/to/file.db (the default is a SQLite file under ./.slipway/).',
    );
  }
  return {
    port,
    configPath: resolve(cwd, env.SLIPWAY_CONFIG || 'slipway.yaml'),
    databaseUrl,
    dataDir,
    apiToken: env.SLIPWAY_API_TOKEN || undefined,
    logLevel: env.SLIPWAY_LOG_LEVEL || undefined,
  };
}
