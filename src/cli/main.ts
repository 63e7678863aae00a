import { SlipwayError } from '../core/errors.js';
import { suggest } from '../core/suggest.js';
import {
  type CommandSpec,
  helpText,
  type ParsedArgs,
  readArgs,
  UsageError,
  usageText,
} from './args.js';
import { COMMAND_SPECS, overviewText } from './specs.js';

type Runner = (parsed: ParsedArgs, env: NodeJS.ProcessEnv) => Promise<number> | number;

/**
 * What runs each subcommand of specs.ts, once its arguments are read. Each is imported when it
 * runs: `--help`, a usage error or `config schema` then start in a fraction of the time that
 * loading the server (drivers, SDKs, database clients) takes.
 */
const RUNNERS: Record<string, Runner> = {
  serve: async (parsed, env) => (await import('./commands.js')).serve(parsed, env),
  dev: async (parsed, env) => (await import('./dev.js')).dev(parsed, env),
  'config check': async (parsed, env) => (await import('./commands.js')).configCheck(parsed, env),
  'config schema': async () => (await import('./commands.js')).configSchema(),
  'db migrate': async (_parsed, env) => (await import('./commands.js')).dbMigrate(env),
  'slack manifest': async (parsed) => (await import('./commands.js')).slackManifest(parsed),
  'teams manifest': async (parsed, env) =>
    (await import('./teams-manifest.js')).teamsManifest(parsed, env),
  deploy: operator('deploy'),
  rollback: operator('rollback'),
  lock: operator('lock'),
  unlock: operator('unlock'),
  status: operator('status'),
  history: async (parsed, env) => (await import('./history.js')).runHistory(parsed, env),
  approve: verdict('approve'),
  reject: verdict('reject'),
  cancel: verdict('cancel'),
  retry: verdict('retry'),
  logs: async (parsed, env) => (await import('./logs.js')).runLogs(parsed, env),
  'report dora': async (parsed, env) => (await import('./report.js')).runDoraReport(parsed, env),
};

function operator(verb: 'deploy' | 'rollback' | 'lock' | 'unlock' | 'status'): Runner {
  return async (parsed, env) =>
    (await import('./operator.js')).runOperatorCommand(verb, parsed, env);
}

function verdict(verb: 'approve' | 'reject' | 'cancel' | 'retry'): Runner {
  return async (parsed, env) => (await import('./operator.js')).runVerdict(verb, parsed, env);
}

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
