import { createApp } from '../app.js';
import { manifestYaml } from '../chat/slack/manifest.js';
import { configJsonSchema } from '../config/json-schema.js';
import { SlipwayError } from '../core/errors.js';
import { createLogger, redactUrl, resolveLogFormat } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { suggest } from '../core/suggest.js';
import { announceStart, startSummary } from '../observability/banner.js';
import { startTracing } from '../observability/tracing.js';
import { createStore } from '../store/index.js';
import { DEFAULT_DB_WAIT_MS, waitForDatabase } from '../store/wait.js';
import {
  type CommandSpec,
  helpText,
  type ParsedArgs,
  readArgs,
  stringValue,
  UsageError,
  usageText,
} from './args.js';
import { dev } from './dev.js';
import { runHistory } from './history.js';
import { loadOrExplain } from './load.js';
import { runLogs } from './logs.js';
import { runOperatorCommand, runVerdict } from './operator.js';
import { COMMAND_SPECS, DEFAULT_HOST, overviewText } from './specs.js';

type Runner = (parsed: ParsedArgs, env: NodeJS.ProcessEnv) => Promise<number> | number;

/** What runs each subcommand of specs.ts, once its arguments are read. */
const RUNNERS: Record<string, Runner> = {
  serve: (parsed, env) => serve(parsed, env),
  dev: (parsed, env) => dev(parsed, env),
  'config check': (parsed, env) => configCheck(parsed, env),
  'config schema': () => configSchema(),
  'db migrate': (_parsed, env) => dbMigrate(env),
  'slack manifest': (parsed) => slackManifest(parsed),
  deploy: (parsed, env) => runOperatorCommand('deploy', parsed, env),
  rollback: (parsed, env) => runOperatorCommand('rollback', parsed, env),
  lock: (parsed, env) => runOperatorCommand('lock', parsed, env),
  unlock: (parsed, env) => runOperatorCommand('unlock', parsed, env),
  status: (parsed, env) => runOperatorCommand('status', parsed, env),
  history: (parsed, env) => runHistory(parsed, env),
  approve: (parsed, env) => runVerdict('approve', parsed, env),
  reject: (parsed, env) => runVerdict('reject', parsed, env),
  cancel: (parsed, env) => runVerdict('cancel', parsed, env),
  retry: (parsed, env) => runVerdict('retry', parsed, env),
  logs: (parsed, env) => runLogs(parsed, env),
};

/** `deploy!`, `lock!`, `unlock!` as in chat (refusals suggest them): the same as --force. */
const BANG_VERBS = new Set(['deploy', 'lock', 'unlock']);

/** Runs the CLI; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await dispatch(argv, env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `${err.message}\n\n${err.spec ? usageText(err.spec) : overviewText()}\n`,
      );
      return 2;
    }
    if (err instanceof SlipwayError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function dispatch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || (first === 'help' && !rest[0])) {
    process.stdout.write(overviewText());
    return first ? 0 : 2;
  }
  if (first === 'help') return dispatch([...rest, '--help'], env);
  const bang = first.endsWith('!') && BANG_VERBS.has(first.slice(0, -1));
  const { spec, args } = findCommand(bang ? first.slice(0, -1) : first, rest);
  if (!spec) {
    process.stdout.write(overviewText());
    return 0;
  }
  const parsed = readArgs(spec, bang ? [...args, '--force'] : args);
  if (parsed.help) {
    process.stdout.write(helpText(spec));
    return 0;
  }
  const run = RUNNERS[spec.name];
  if (!run) throw new Error(`no runner for "slipway ${spec.name}"`);
  return run(parsed, env);
}

/**
 * The spec for `verb` (and its subcommand: `config check`), with the arguments after it. No
 * spec: help on a group (`slipway config --help`), answered with the overview.
 */
function findCommand(verb: string, rest: string[]): { spec: CommandSpec | null; args: string[] } {
  const single = COMMAND_SPECS.find((s) => s.name === verb);
  if (single) return { spec: single, args: rest };
  const group = COMMAND_SPECS.filter((s) => s.name.startsWith(`${verb} `));
  const names = group.map((s) => s.name.slice(verb.length + 1));
  if (group.length > 0) {
    const [sub, ...args] = rest;
    const spec = group.find((s) => s.name === `${verb} ${sub}`);
    if (spec) return { spec, args };
    if (sub === '--help' || sub === '-h') return { spec: null, args };
    const near = sub ? suggest(sub, names) : null;
    throw new UsageError(
      `${sub ? `Unknown command "slipway ${verb} ${sub}".` : `slipway ${verb} needs a subcommand:`} ${near ? `Did you mean "slipway ${verb} ${near}"?` : `Use ${names.map((n) => `"slipway ${verb} ${n}"`).join(' or ')}.`}`,
      null,
    );
  }
  const verbs = [...new Set(COMMAND_SPECS.map((s) => s.name.split(' ')[0] ?? ''))];
  const near = suggest(verb, verbs);
  throw new UsageError(
    `Unknown command "${verb}".${near ? ` Did you mean "slipway ${near}"?` : ''}`,
    null,
  );
}

async function serve(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
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

async function configCheck(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const configPath = stringValue(parsed, 'config');
  const settings = readSettings({ ...env, ...(configPath ? { SLIPWAY_CONFIG: configPath } : {}) });
  const config = await loadOrExplain(settings.configPath);
  if (!config) return 1;
  process.stdout.write(
    `${settings.configPath} is valid: ${config.services.length} services, ${config.environments.length} environments.\n`,
  );
  return 0;
}

function configSchema(): number {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}

function slackManifest(parsed: ParsedArgs): number {
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

async function dbMigrate(env: NodeJS.ProcessEnv): Promise<number> {
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
