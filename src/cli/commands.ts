import { readFile } from 'node:fs/promises';
import { checkAnalysisQueries } from '../analysis/config-check.js';
import { createApp } from '../app.js';
import { manifestYaml } from '../chat/slack/manifest.js';
import { configJsonSchema } from '../config/json-schema.js';
import { formatIssues, placeIssues } from '../config/load.js';
import { createLogger, redactUrl, resolveLogFormat } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { announceStart, startSummary } from '../observability/banner.js';
import { startTracing } from '../observability/tracing.js';
import { createStore } from '../store/index.js';
import { DEFAULT_DB_WAIT_MS, waitForDatabase } from '../store/wait.js';
import { type ParsedArgs, stringValue, UsageError } from './args.js';
import { loadOrExplain } from './load.js';
import { COMMAND_SPECS, DEFAULT_HOST } from './specs.js';

/** The server and housekeeping commands; loaded only when one of them runs (see main.ts). */

export async function serve(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const values = {
    config: stringValue(parsed, 'config'),
    port: stringValue(parsed, 'port'),
    host: stringValue(parsed, 'host'),
  };
  const settings = readSettings({
    ...env,
    ...(values.config ? { SLIPWAY_CONFIG: values.config } : {}),
    ...(values.port ? { PORT: values.port } : {}),
  });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  const format = resolveLogFormat(settings.logFormat);
  const log = createLogger({ level: settings.logLevel ?? config.log.level, format });
  // OTEL_* variables (README.md, "Observability"); app.stop() flushes the spans.
  const tracing = startTracing(env, { log });
  const host = values.host ?? DEFAULT_HOST;
  const app = await createApp({ config, settings, log, env, server: true, tracing, host });
  const port = await app.http.listen(settings.port, host);
  await app.start();
  const summary = startSummary({ settings, config, env, host, port, tracing: tracing.enabled });
  announceStart(log, summary, { format, fields: { host, port, processId: app.processId } });

  return new Promise<number>((resolve) => {
    let signals = 0;
    const shutdown = (signal: string) => {
      signals += 1;
      if (signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      log.info({ signal }, 'shutting down: finishing requests and handing back deployments');
      // Ctrl-C at a terminal stops at once; SIGTERM (Kubernetes, systemd) drains first.
      const drainMs = signal === 'SIGTERM' ? (settings.shutdownDelayMs ?? 0) : 0;
      const started = Date.now();
      app.stop({ drainMs }).then(
        () => {
          // The last line of a clean stop, so an operator can tell it from a killed process.
          log.info(
            { signal, ms: Date.now() - started },
            'stopped: requests answered, deployments handed back',
          );
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}

export async function configCheck(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const configPath = stringValue(parsed, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  // Analysis queries are sent to Prometheus: a query it cannot parse is refused here.
  const queries = await checkAnalysisQueries(config, { env });
  if (queries.errors.length + queries.warnings.length > 0) {
    const text = await readFile(settings.configPath, 'utf8');
    const warnings = placeIssues(text, queries.warnings);
    for (const line of formatIssues(warnings, settings.configPath).split('\n').filter(Boolean)) {
      process.stderr.write(`warning: ${line}\n`);
    }
    if (queries.errors.length > 0) {
      const errors = placeIssues(text, queries.errors);
      process.stderr.write(`${formatIssues(errors, settings.configPath)}\n`);
      process.stderr.write(`\n${errors.length} problem(s) in ${settings.configPath}.\n`);
      return 1;
    }
  }
  process.stdout.write(
    `${settings.configPath} is valid: ${config.services.length} services, ${config.environments.length} environments.\n`,
  );
  return 0;
}

export function configSchema(): number {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}

export function slackManifest(parsed: ParsedArgs): number {
  const spec = COMMAND_SPECS.find((s) => s.name === 'slack manifest') ?? null;
  const url = stringValue(parsed, 'url');
  const socket = parsed.values.socket === true;
  if (socket === Boolean(url)) {
    throw new UsageError(
      'Give either --url (HTTP mode: the public https URL of this server) or --socket.',
      spec,
    );
  }
  if (url && !/^https:\/\/[^\s/]+/.test(url)) {
    throw new UsageError(`Slack only sends requests to https URLs; "${url}" is not one.`, spec);
  }
  process.stdout.write(manifestYaml(url ? { socket: false, url } : { socket: true }));
  return 0;
}

export async function dbMigrate(env: NodeJS.ProcessEnv): Promise<number> {
  const settings = readSettings(env);
  const store = await createStore(settings.databaseUrl);
  try {
    await waitForDatabase(store, {
      waitMs: settings.dbWaitMs ?? DEFAULT_DB_WAIT_MS,
      log: createLogger({ level: settings.logLevel ?? 'info' }),
    });
    const applied = await store.migrate();
    process.stdout.write(
      applied.length > 0
        ? `Applied ${applied.length} migration(s) to ${redactUrl(settings.databaseUrl)}: ${applied.join(', ')}\n`
        : `${redactUrl(settings.databaseUrl)} is up to date.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
