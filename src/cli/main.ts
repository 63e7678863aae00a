import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { manifestYaml } from '../chat/slack/manifest.js';
import { configJsonSchema } from '../config/json-schema.js';
import { SlipwayError } from '../core/errors.js';
import { createLogger, redactUrl, resolveLogFormat } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { announceStart, startSummary } from '../observability/banner.js';
import { startTracing } from '../observability/tracing.js';
import { createStore } from '../store/index.js';
import { DEFAULT_DB_WAIT_MS, waitForDatabase } from '../store/wait.js';
import { dev } from './dev.js';
import { runHistory } from './history.js';
import { loadOrExplain } from './load.js';
import { runOperatorCommand, runVerdict } from './operator.js';

const USAGE = `Usage: slipway <command> [options]

Server
  serve [--host <addr>]       start the server (PORT, SLIPWAY_DATABASE_URL, Slack and webhook secrets from the environment)
  dev [--socket]              start Slipway against a local Slack with a web page to try it (no workspace needed)
  config check                validate slipway.yaml and report every problem with its line and a fix
  config schema               print the JSON Schema of slipway.yaml, for editors
  db migrate                  apply pending database migrations
  slack manifest --url <https://host> | --socket
                              print a Slack app manifest (HTTP or Socket Mode) to paste at api.slack.com/apps

Operator commands (the chat grammar, as the configured operator identity; for when chat is down)
  deploy <service> [<version>] [--to <env>] [--force] [--reason <text>] [--no-wait]
  rollback <service> [--in <env>] [--version <version>] [--no-wait]
  lock <env> [<service>] [--for <duration>] [--reason <text>] [--force]
  unlock <env> [<service>] [--force]
  status [<service>]
  history <service> [--in <env>] [<n>]
  history --all [<service>] [--in <env>] [<n>]   the audit trail: deployments and refused requests
  approve <deployment-id> [--reason <text>]     reject <deployment-id> [--reason <text>]
  cancel <deployment-id> [--reason <text>]      a running one stops and rolls back
  retry <deployment-id> [--reason <text>]       deploy a failed deployment's version again

Common options
  --config, -c <file>   slipway.yaml to use (default: $SLIPWAY_CONFIG or ./slipway.yaml)
  --json                machine-readable output
`;

/** Every IPv4 interface, as before --host existed: a container's port is reached from outside it. */
const DEFAULT_HOST = '0.0.0.0';

const OPERATOR_VERBS = new Set(['deploy', 'rollback', 'lock', 'unlock', 'status', 'history']);
const VERDICT_VERBS = new Set(['approve', 'reject', 'cancel', 'retry']);

/** Runs the CLI; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    if (!verb || verb === 'help' || verb === '--help' || verb === '-h') {
      process.stdout.write(USAGE);
      return verb ? 0 : 2;
    }
    if (verb === 'serve') return await serve(rest, env);
    if (verb === 'dev') return await dev(rest, env);
    if (verb === 'config') return await configCommand(rest, env);
    if (verb === 'db') return await dbCommand(rest, env);
    if (verb === 'slack') return slackCommand(rest);
    if (verb === 'history') return await runHistory(rest, env);
    if (OPERATOR_VERBS.has(verb)) return await runOperatorCommand(verb, rest, env);
    // `deploy!` as in chat (refusals suggest it): the same as --force.
    if (verb.endsWith('!') && OPERATOR_VERBS.has(verb.slice(0, -1))) {
      return await runOperatorCommand(verb.slice(0, -1), [...rest, '--force'], env);
    }
    if (VERDICT_VERBS.has(verb))
      return await runVerdict(verb as 'approve' | 'reject' | 'cancel' | 'retry', rest, env);
    process.stderr.write(`Unknown command "${verb}".\n\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof SlipwayError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

const SERVE_USAGE = `Usage: slipway serve [options]

Starts the server: Slack, webhooks, /metrics, /healthz, /readyz and /api on one port.

Options
  --host <addr>         address to listen on (default ${DEFAULT_HOST}: every IPv4 interface;
                        127.0.0.1 for this machine only, :: for IPv6 too)
  --port, -p <port>     port to listen on (default: $PORT, or 3000)
  --config, -c <file>   slipway.yaml to use (default: $SLIPWAY_CONFIG or ./slipway.yaml)
  --help, -h            this text
`;

async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
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
  const app = await createApp({ config, settings, log, env, server: true, tracing });
  const host = values.host ?? DEFAULT_HOST;
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

async function configCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'schema') {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  }
  if (sub === 'check') {
    const { values } = parseArgs({
      args: rest,
      options: { config: { type: 'string', short: 'c' } },
    });
    const settings = readSettings({
      ...env,
      ...(values.config ? { SLIPWAY_CONFIG: values.config } : {}),
    });
    const config = await loadOrExplain(settings.configPath);
    if (!config) return 1;
    process.stdout.write(
      `${settings.configPath} is valid: ${config.services.length} services, ${config.environments.length} environments.\n`,
    );
    return 0;
  }
  process.stderr.write('Usage: slipway config check [--config <file>] | slipway config schema\n');
  return 2;
}

function slackCommand(args: string[]): number {
  const usage =
    'Usage: slipway slack manifest --url https://slipway.example.com | slipway slack manifest --socket\n';
  if (args[0] !== 'manifest') {
    process.stderr.write(usage);
    return 2;
  }
  const { values } = parseArgs({
    args: args.slice(1),
    options: { url: { type: 'string' }, socket: { type: 'boolean' } },
  });
  if (values.socket === Boolean(values.url)) {
    process.stderr.write(
      `Give either --url (HTTP mode: the public https URL of this server) or --socket.\n${usage}`,
    );
    return 2;
  }
  if (values.url && !/^https:\/\/[^\s/]+/.test(values.url)) {
    process.stderr.write(
      `Slack only sends requests to https URLs; "${values.url}" is not one.\n${usage}`,
    );
    return 2;
  }
  process.stdout.write(
    manifestYaml(values.url ? { socket: false, url: values.url } : { socket: true }),
  );
  return 0;
}

async function dbCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args[0] !== 'migrate') {
    process.stderr.write('Usage: slipway db migrate\n');
    return 2;
  }
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
