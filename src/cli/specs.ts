import type { CommandSpec, OptionSpec } from './args.js';

/**
 * What every `slipway` subcommand accepts: its help, its options and examples that work as
 * typed with examples/slipway.yaml. main.ts runs them; the CLI tests run `--help` and a
 * mistyped option for each one listed here.
 */
const CONFIG: OptionSpec = {
  type: 'string',
  short: 'c',
  value: '<file>',
  text: 'slipway.yaml to use (default: $SLIPWAY_CONFIG or ./slipway.yaml)',
};
const JSON_OUT: OptionSpec = { type: 'boolean', text: 'machine-readable output' };
const REASON: OptionSpec = {
  type: 'string',
  short: 'm',
  value: '<text>',
  text: 'why, for the audit trail',
};
const NO_WAIT: OptionSpec = {
  type: 'boolean',
  text: 'return once it is queued; a running `slipway serve` carries it out',
};

/** The Agents Playground's own default port. */
export const DEFAULT_TEAMS_PORT = 56150;

/** Every IPv4 interface, as before --host existed: a container's port is reached from outside it. */
export const DEFAULT_HOST = '0.0.0.0';

export const SERVE: CommandSpec = {
  name: 'serve',
  summary:
    'Starts the server: Slack, webhooks, /metrics, /healthz, /readyz and /api on one port (secrets from the environment).',
  usage: ['serve [--host <addr>] [--port <port>] [--config <file>]'],
  options: {
    host: {
      type: 'string',
      value: '<addr>',
      text: `address to listen on (default ${DEFAULT_HOST}: every IPv4 interface;\n127.0.0.1 for this machine only, :: for IPv6 too)`,
    },
    port: { type: 'string', short: 'p', value: '<port>', text: 'port (default: $PORT, or 3000)' },
    config: CONFIG,
  },
  maxPositionals: 0,
  examples: ['serve --config examples/slipway.yaml', 'serve --host 127.0.0.1 --port 4000'],
};

export const DEV: CommandSpec = {
  name: 'dev',
  summary:
    'Starts Slipway against a local Slack, and with --teams a local Teams, each with a page to try it: no workspace or tenant needed.',
  usage: [
    'dev [--port <port>] [--slack-port <port>] [--socket] [--config <file>]',
    'dev --teams [--teams-port <port>] [--teams-user <person key>] [options]',
  ],
  options: {
    port: {
      type: 'string',
      short: 'p',
      value: '<port>',
      text: 'Slipway’s port (default: $PORT, or 3000)',
    },
    'slack-port': {
      type: 'string',
      value: '<port>',
      text: 'the local Slack’s page and API (default 3001)',
    },
    socket: { type: 'boolean', text: 'deliver chat over Socket Mode instead of HTTP' },
    teams: {
      type: 'boolean',
      text: 'also start Microsoft’s Agents Playground, a local Teams client (the\n@microsoft/m365agentsplayground dev dependency), with the people: that\nhave a Teams id; it listens on every interface, without authentication',
    },
    'teams-port': {
      type: 'string',
      value: '<port>',
      text: `the Playground’s page (default ${DEFAULT_TEAMS_PORT}; another one when that is taken)`,
    },
    'teams-user': {
      type: 'string',
      value: '<person key>',
      text: 'who the Playground’s page acts as: a key of people: with a Teams id\n(default: the first of them)',
    },
    config: CONFIG,
  },
  maxPositionals: 0,
  examples: [
    'dev --config examples/slipway.yaml',
    'dev --port 4110 --slack-port 4111',
    'dev --teams --config examples/slipway.yaml',
    'dev --teams --teams-port 4112 --teams-user ana --config examples/slipway.yaml',
  ],
};

export const CONFIG_CHECK: CommandSpec = {
  name: 'config check',
  summary: 'Validates slipway.yaml and reports every problem with its line and a fix.',
  usage: ['config check [--config <file>]'],
  options: { config: CONFIG },
  maxPositionals: 0,
  examples: ['config check --config examples/slipway.yaml'],
};

export const CONFIG_SCHEMA: CommandSpec = {
  name: 'config schema',
  summary: 'Prints the JSON Schema of slipway.yaml, for editors.',
  usage: ['config schema'],
  options: {},
  maxPositionals: 0,
  examples: ['config schema > slipway.schema.json'],
};

export const DB_MIGRATE: CommandSpec = {
  name: 'db migrate',
  summary:
    'Applies pending database migrations to SLIPWAY_DATABASE_URL (serve applies them at start too).',
  usage: ['db migrate'],
  options: {},
  maxPositionals: 0,
  examples: ['db migrate', 'SLIPWAY_DATABASE_URL=postgres://slipway@db/slipway slipway db migrate'],
};

export const SLACK_MANIFEST: CommandSpec = {
  name: 'slack manifest',
  summary: 'Prints a Slack app manifest (HTTP or Socket Mode) to paste at api.slack.com/apps.',
  usage: ['slack manifest --url <https://host>', 'slack manifest --socket'],
  options: {
    url: {
      type: 'string',
      value: '<https://host>',
      text: 'HTTP mode: the public https URL of this server',
    },
    socket: { type: 'boolean', text: 'Socket Mode: no public URL needed (SLACK_APP_TOKEN)' },
  },
  maxPositionals: 0,
  examples: ['slack manifest --url https://slipway.example.com', 'slack manifest --socket'],
};

export const TEAMS_MANIFEST: CommandSpec = {
  name: 'teams manifest',
  summary:
    'Builds the Microsoft Teams app package (manifest and icons, zipped) to upload in Teams for the Azure Bot.',
  usage: ['teams manifest --url <https://host> [--app-id <id>] [--out <file>]'],
  options: {
    url: {
      type: 'string',
      value: '<https://host>',
      text: 'the public https URL of this server (the bot’s endpoint is <url>/api/messages)',
    },
    'app-id': {
      type: 'string',
      value: '<id>',
      text: 'the Azure Bot’s Microsoft App ID (default: $TEAMS_APP_ID)',
    },
    out: {
      type: 'string',
      short: 'o',
      value: '<file>',
      text: 'where to write the package (default slipway-teams.zip)',
    },
  },
  maxPositionals: 0,
  examples: [
    'teams manifest --url https://slipway.example.com --app-id 00000000-0000-0000-0000-000000000000',
    'TEAMS_APP_ID=00000000-0000-0000-0000-000000000000 slipway teams manifest --url https://slipway.example.com --out /tmp/slipway-teams.zip',
  ],
};

const ENV_ALIASES_TO = { '--env': '--to', '--environment': '--to' };
const ENV_ALIASES_IN = { '--env': '--in', '--environment': '--in' };

export const DEPLOY: CommandSpec = {
  name: 'deploy',
  summary:
    'Deploys a version of a service through the same policy as chat, as the config’s operator, and follows it to the end.',
  usage: ['deploy <service> [<version>] [--to <env>] [options]'],
  options: {
    to: {
      type: 'string',
      value: '<env>',
      text: 'environment (default: the first the service deploys to)',
    },
    version: {
      type: 'string',
      value: '<version>',
      text: 'the version, instead of the second argument',
    },
    force: {
      type: 'boolean',
      short: 'f',
      text: 'deploy! as in chat: override a freeze (for those allowed);\nalso confirms redeploying the version that is live',
    },
    reason: REASON,
    'no-wait': NO_WAIT,
    json: JSON_OUT,
    config: CONFIG,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  aliases: ENV_ALIASES_TO,
  examples: [
    'deploy web 1.2.3 --to staging',
    'deploy web@1.2.3 to production --force --reason "hotfix"',
  ],
};

export const ROLLBACK: CommandSpec = {
  name: 'rollback',
  summary:
    'Returns a service to the version before the live one (or a named one), through the same policy as chat.',
  usage: ['rollback <service> [--in <env>] [--version <version>] [options]'],
  options: {
    in: {
      type: 'string',
      value: '<env>',
      text: 'environment (needed when the service deploys to several)',
    },
    version: {
      type: 'string',
      value: '<version>',
      text: 'go back to this version (default: the one before the live one)',
    },
    force: {
      type: 'boolean',
      short: 'f',
      text: 'confirms rolling back to a version never live there (a deploy of it)',
    },
    reason: REASON,
    'no-wait': NO_WAIT,
    json: JSON_OUT,
    config: CONFIG,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  aliases: { ...ENV_ALIASES_IN, '--to': '--version' },
  examples: ['rollback web --in staging', 'rollback web --in staging --version 1.2.2'],
};

export const LOCK: CommandSpec = {
  name: 'lock',
  summary: 'Locks an environment (or one service in it) so nobody else deploys there.',
  usage: ['lock <env> [<service>] [--for <duration>] [--reason <text>] [--force]'],
  options: {
    for: {
      type: 'string',
      value: '<duration>',
      text: 'how long (30m, 2h, 1d; default: until unlocked)',
    },
    reason: REASON,
    force: { type: 'boolean', short: 'f', text: 'lock! as in chat: take over someone else’s lock' },
    json: JSON_OUT,
    config: CONFIG,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  examples: ['lock staging --for 2h --reason "db migration"', 'lock production web'],
};

export const UNLOCK: CommandSpec = {
  name: 'unlock',
  summary: 'Removes a lock on an environment (or on one service in it).',
  usage: ['unlock <env> [<service>] [--force]'],
  options: {
    force: { type: 'boolean', short: 'f', text: 'unlock! as in chat: remove someone else’s lock' },
    json: JSON_OUT,
    config: CONFIG,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  examples: ['unlock staging', 'unlock production web --force'],
};

export const STATUS: CommandSpec = {
  name: 'status',
  summary: 'Shows what is live where, what is moving, and what is locked.',
  usage: ['status [<service>]'],
  options: { json: JSON_OUT, config: CONFIG },
  maxPositionals: Number.POSITIVE_INFINITY,
  examples: ['status', 'status web --json'],
};

export const HISTORY: CommandSpec = {
  name: 'history',
  summary: 'Lists a service’s deployments, newest first; with --all, the whole audit trail.',
  usage: ['history <service> [--in <env>] [<n>]', 'history --all [<service>] [--in <env>] [<n>]'],
  options: {
    in: { type: 'string', value: '<env>', text: 'one environment only' },
    all: {
      type: 'boolean',
      text: 'the whole audit trail: the requests Slipway refused (not a deployer, frozen,\nlocked, self-approval, …) between the deployments, each as a row in state\n"refused" with who asked, the action and the reason; every service unless one\nis named',
    },
    json: JSON_OUT,
    config: CONFIG,
  },
  maxPositionals: Number.POSITIVE_INFINITY,
  aliases: ENV_ALIASES_IN,
  notes: '  <n>  how many entries, newest first (default 10, at most 100)',
  examples: ['history web --in staging 20', 'history --all'],
};

function verdictSpec(verb: string, summary: string, example: string): CommandSpec {
  return {
    name: verb,
    summary,
    usage: [`${verb} <deployment-id> [--reason <text>]`],
    options: { reason: REASON, json: JSON_OUT, config: CONFIG },
    maxPositionals: 1,
    examples: [example],
  };
}

export const APPROVE = verdictSpec(
  'approve',
  'Approves a deployment that waits for approval, as the config’s operator.',
  'approve d-01J9Z3 --reason "checked the migration"',
);
export const REJECT = verdictSpec(
  'reject',
  'Rejects a deployment that waits for approval.',
  'reject d-01J9Z3 --reason "not this week"',
);
export const CANCEL = verdictSpec(
  'cancel',
  'Cancels a deployment; a running one stops and rolls back.',
  'cancel d-01J9Z3 --reason "wrong build"',
);
export const RETRY = verdictSpec(
  'retry',
  'Deploys a failed deployment’s version again.',
  'retry d-01J9Z3',
);

export const LOGS: CommandSpec = {
  name: 'logs',
  summary:
    'Prints the output of a deployment’s run (deploy, then rollback), as the driver kept it.',
  usage: ['logs <deployment-id> [--phase deploy|rollback] [--follow]'],
  options: {
    phase: { type: 'string', value: 'deploy|rollback', text: 'one phase only (default: both)' },
    follow: {
      type: 'boolean',
      short: 'f',
      text: 'keep printing new output until the deployment ends',
    },
    config: CONFIG,
  },
  maxPositionals: 1,
  examples: ['logs d-01J9Z3', 'logs d-01J9Z3 --phase rollback', 'logs d-01J9Z3 --follow'],
};

export const REPORT_DORA: CommandSpec = {
  name: 'report dora',
  summary:
    'DORA metrics from Slipway’s own records: deploys per week, lead time, change failure rate and time to restore, per service in production.',
  usage: [
    'report dora [--since <30d|date>] [--service <service>] [--environment <env>] [--weeks] [--json]',
  ],
  options: {
    since: {
      type: 'string',
      value: '<30d|date>',
      text: 'how far back: a duration (30d, 12w) or a day (2025-01-06, UTC);\nthe window ends now (default 30d)',
    },
    service: { type: 'string', value: '<service>', text: 'one service only' },
    environment: {
      type: 'string',
      value: '<env>',
      text: 'this environment instead of production (default: each service’s\nprotected environments, else the last of its promotion chain)',
    },
    weeks: { type: 'boolean', text: 'also a table per service by ISO week' },
    json: { type: 'boolean', text: 'the same numbers, and every week and failure, as JSON' },
    config: CONFIG,
  },
  maxPositionals: 0,
  aliases: { '--env': '--environment', '--in': '--environment' },
  notes: '  What each metric counts, exactly: the "DORA metrics" section of the README.',
  examples: [
    'report dora --since 30d',
    'report dora --since 90d --service web --weeks',
    'report dora --since 2025-01-06 --environment staging --json',
  ],
};

/** Every subcommand, in the order `slipway --help` lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  SERVE,
  DEV,
  CONFIG_CHECK,
  CONFIG_SCHEMA,
  DB_MIGRATE,
  SLACK_MANIFEST,
  TEAMS_MANIFEST,
  DEPLOY,
  ROLLBACK,
  LOCK,
  UNLOCK,
  STATUS,
  HISTORY,
  APPROVE,
  REJECT,
  CANCEL,
  RETRY,
  LOGS,
  REPORT_DORA,
];

/** `slipway --help`: every command with its one line. */
export function overviewText(): string {
  const width = Math.max(...COMMAND_SPECS.map((s) => s.name.length)) + 2;
  const line = (s: CommandSpec) => `  ${s.name.padEnd(width)}${s.summary}`;
  const firstOperator = COMMAND_SPECS.indexOf(DEPLOY);
  const server = COMMAND_SPECS.slice(0, firstOperator);
  const operator = COMMAND_SPECS.slice(firstOperator);
  return [
    'Usage: slipway <command> [options]',
    '',
    'Server',
    ...server.map(line),
    '',
    'Operator commands (the chat grammar, as the configured operator identity; for when chat is down)',
    ...operator.map(line),
    '',
    'Common options',
    '  --config, -c <file>   slipway.yaml to use (default: $SLIPWAY_CONFIG or ./slipway.yaml)',
    '  --json                machine-readable output',
    '  --help, -h            a command’s options and examples: slipway deploy --help',
    '',
    'Examples',
    '  slipway dev --config examples/slipway.yaml',
    '  slipway deploy web 1.2.3 --to staging --config examples/slipway.yaml',
    '',
  ].join('\n');
}
