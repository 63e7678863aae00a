import { join } from 'node:path';
import type { Logger } from 'pino';
import { type App, createApp } from '../app.js';
import { storeReferences } from '../chat/teams/index.js';
import { configuredPeople } from '../config/people.js';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../core/errors.js';
import { createLogger, type LogFormat, resolveLogFormat } from '../core/logger.js';
import { readSettings, type Settings } from '../core/settings.js';
import { createLocalSlack } from '../local-slack/index.js';
import {
  findPlaygroundCli,
  PLAYGROUND_INSTALL,
  PLAYGROUND_VERSION,
  type PlaygroundCli,
  type PlaygroundProcess,
  runPlayground,
} from '../local-teams/playground/index.js';
import { announceStart, startSummary } from '../observability/banner.js';
import { startTracing } from '../observability/tracing.js';
import { flag, type ParsedArgs, stringValue, UsageError } from './args.js';
import {
  PLAYGROUND_TEAMS,
  rememberPlayground,
  type TeamsDevPlan,
  teamsDevPlan,
} from './dev-teams.js';
import { loadOrExplain } from './load.js';
import { DEFAULT_TEAMS_PORT, DEV } from './specs.js';

interface DevOptions {
  config: string | undefined;
  port: string | undefined;
  slackPort: number;
  socket: boolean;
  /** `--teams`, or either Teams option: there is nothing else they could mean. */
  teams: boolean;
  teamsPort: number;
  teamsUser: string | undefined;
}

/**
 * `slipway dev`: Slipway against the local Slack, so a person can try the whole chat flow
 * without a workspace. The local Slack's page shows the channels and DMs and lets you type
 * /deploy commands and press the buttons as any user from the config. With `--teams`, Microsoft's
 * Agents Playground beside it: a local Teams client, as one person of the config.
 */
export async function dev(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const options = devOptions(parsed);
  const playgroundCli = options.teams ? findPlaygroundCli() : null;
  if (options.teams && !playgroundCli) {
    process.stderr.write(PLAYGROUND_MISSING);
    return 1;
  }
  const base = readSettings({
    ...env,
    ...(options.config ? { SLIPWAY_CONFIG: options.config } : {}),
    ...(options.port ? { PORT: options.port } : {}),
  });
  const loaded = await loadOrExplain(base.configPath);
  if (!loaded) return 1;
  const format = resolveLogFormat(base.logFormat);
  const log = createLogger({ level: base.logLevel ?? loaded.log.level, format });
  const people = devUsers(configuredPeople(loaded));
  // Before anything starts: a --teams-user nobody is refused with nothing to stop.
  const plan = options.teams ? teamsDevPlan(loaded, people, options.teamsUser) : null;
  const running = new Running(log);
  try {
    const started = { options, base, env, log, format, people, running };
    await startAll({ ...started, config: plan?.config ?? loaded, plan, playgroundCli });
  } catch (err) {
    // Nothing that started may outlive a start that failed: the Playground above all, which
    // would keep its port open on every interface.
    await running.stopAll();
    throw err;
  }
  return new Promise<number>((resolve) => {
    const stop = () => {
      running.stopAll().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function devOptions(parsed: ParsedArgs): DevOptions {
  const teamsPort = stringValue(parsed, 'teams-port');
  const teamsUser = stringValue(parsed, 'teams-user');
  return {
    config: stringValue(parsed, 'config'),
    port: stringValue(parsed, 'port'),
    slackPort: portOption('slack-port', stringValue(parsed, 'slack-port'), 3001),
    socket: flag(parsed, 'socket'),
    teams: flag(parsed, 'teams') || teamsPort !== undefined || teamsUser !== undefined,
    teamsPort: portOption('teams-port', teamsPort, DEFAULT_TEAMS_PORT),
    teamsUser,
  };
}

/** What an installed Slipway (no devDependencies) says to `dev --teams`. */
const PLAYGROUND_MISSING = [
  "slipway dev --teams runs Microsoft's Agents Playground (@microsoft/m365agentsplayground), a development dependency this installation of Slipway does not have.",
  'Add it in this directory, then run the same command again:',
  '',
  `  ${PLAYGROUND_INSTALL}`,
  '',
  '',
].join('\n');

interface StartParts {
  options: DevOptions;
  base: Settings;
  config: Config;
  env: NodeJS.ProcessEnv;
  log: Logger;
  format: LogFormat;
  people: DevUser[];
  plan: TeamsDevPlan | null;
  playgroundCli: PlaygroundCli | null;
  running: Running;
}

/** The local Slack, Slipway, then the Playground (it probes Slipway); each added to `running`. */
async function startAll(parts: StartParts): Promise<void> {
  const { options, base, config, env, log, people, plan, playgroundCli, running } = parts;
  const slack = createLocalSlack({
    port: options.slackPort,
    channels: chatChannels(config).map((id) => ({
      id,
      name: id.replace(/^C0?/, '').toLowerCase(),
    })),
    users: people,
    logger: log.child({ component: 'local-slack' }),
  });
  const { url, apiUrl } = await slack.start();
  running.add('the local Slack', () => slack.stop());
  const settings: Settings = {
    ...base,
    slack: {
      botToken: slack.config.botToken,
      signingSecret: options.socket ? undefined : slack.config.signingSecret,
      appToken: options.socket ? slack.config.appToken : undefined,
      apiUrl,
    },
    ...(plan ? { teams: PLAYGROUND_TEAMS } : {}),
    // The dashboard lets whoever uses this machine pick who to be (/auth/dev), unless a provider
    // is configured: then people sign in with it, as under serve.
    ...(base.dashboard ? { dashboard: { ...base.dashboard, devLogin: true } } : {}),
  };
  // The same OTEL_* variables as serve: try a trace exporter against the local Slack too.
  const tracing = startTracing(env, { log });
  const app = await createApp({ config, settings, log, env, server: true, tracing });
  running.add('Slipway', () => app.stop());
  const port = await app.http.listen(settings.port, '127.0.0.1');
  slack.setDelivery(
    options.socket
      ? { mode: 'socket' }
      : { mode: 'http', requestUrl: `http://127.0.0.1:${port}/slack/events` },
  );
  const playground =
    plan && playgroundCli
      ? await startDevPlayground(app, plan, playgroundCli, {
          port: options.teamsPort,
          slipwayPort: port,
          dataDir: settings.dataDir,
          log,
        })
      : null;
  if (playground) running.add('the Agents Playground', () => playground.stop());
  await app.start();
  const summary = startSummary({
    settings,
    config,
    env,
    host: '127.0.0.1',
    port,
    tracing: tracing.enabled,
  });
  announceStart(log, summary, { format: parts.format, fields: { host: '127.0.0.1', port } });
  const teams = plan && playground ? { plan, playground } : null;
  process.stdout.write(
    summaryLines({ slackUrl: url, port, socket: options.socket, people, teams }),
  );
}

function summaryLines(facts: {
  slackUrl: string;
  port: number;
  socket: boolean;
  people: DevUser[];
  teams: { plan: TeamsDevPlan; playground: PlaygroundProcess } | null;
}): string {
  const { teams } = facts;
  const via = `${facts.socket ? 'Socket Mode' : 'HTTP: /slack/events'}${teams ? ', Teams: /api/messages' : ''}`;
  return [
    '',
    `  Local Slack:  ${facts.slackUrl}   (open it: pick a user and a channel, type "/deploy web 1.2.3 to staging")`,
    ...(teams ? [teamsLine(teams.plan, teams.playground)] : []),
    `  Slipway:      http://127.0.0.1:${facts.port}   (${via})`,
    `  Dashboard:    http://127.0.0.1:${facts.port}/   (pick who you are at /auth/dev: policy still decides what they may do)`,
    `  People:       ${facts.people.map((p) => `${p.name} (${p.id})`).join(', ')}`,
    ...(teams ? teamsNotes(teams.plan, teams.playground) : []),
    '',
    '',
  ].join('\n');
}

/** What is running, stopped newest first; each stops even when an earlier one fails to. */
class Running {
  private readonly parts: { name: string; stop: () => Promise<unknown> }[] = [];
  private stopping: Promise<number> | null = null;
  constructor(private readonly log: Logger) {}

  add(name: string, stop: () => Promise<unknown>): void {
    this.parts.push({ name, stop });
  }

  /** 0 when everything stopped, 1 when something failed to. */
  stopAll(): Promise<number> {
    this.stopping ??= (async () => {
      let code = 0;
      for (const part of this.parts.splice(0).reverse()) {
        try {
          await part.stop();
        } catch (err) {
          code = 1;
          this.log.error({ err, part: part.name }, 'could not stop');
        }
      }
      return code;
    })();
    return this.stopping;
  }
}

interface DevPlaygroundOptions {
  port: number;
  slipwayPort: number;
  dataDir: string;
  log: Logger;
}

/** The Playground for `plan`, its log under the data directory, known to Slipway's Teams side. */
async function startDevPlayground(
  app: App,
  plan: TeamsDevPlan,
  cli: PlaygroundCli,
  options: DevPlaygroundOptions,
): Promise<PlaygroundProcess> {
  const log = options.log.child({ component: 'playground' });
  if (cli.version !== PLAYGROUND_VERSION) {
    log.warn(
      { version: cli.version, tested: PLAYGROUND_VERSION },
      'this Agents Playground version is not the one Slipway was tried with',
    );
  }
  const workDir = join(options.dataDir, 'playground');
  let playground: PlaygroundProcess;
  try {
    playground = await runPlayground({
      cli: cli.path,
      botEndpoint: `http://127.0.0.1:${options.slipwayPort}/api/messages`,
      setup: plan.setup,
      port: options.port,
      timeoutMs: 30_000,
      workDir,
    });
  } catch (err) {
    throw new SlipwayError(
      `The Agents Playground did not start in ${workDir}, so Slipway stopped too: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    await rememberPlayground(storeReferences(app.store), plan.setup, playground.port);
  } catch (err) {
    await playground.stop();
    throw err;
  }
  if (options.port !== 0 && playground.port !== options.port) {
    log.warn(
      { asked: options.port, port: playground.port },
      'the port asked for the Agents Playground is taken: it listens on another',
    );
  }
  log.warn(
    { port: playground.port },
    'the Agents Playground listens on every interface and takes messages without authentication',
  );
  playground.exited.then((code) => {
    if (!playground.stopping())
      log.error({ code, log: playground.logFile }, 'the Agents Playground stopped by itself');
  });
  return playground;
}

function teamsLine(plan: TeamsDevPlan, playground: PlaygroundProcess): string {
  const current = plan.setup.currentUser;
  return `  Teams:        http://127.0.0.1:${playground.port}   (Microsoft's Agents Playground, as ${current.name}: in ${plan.hint.where} type "${plan.hint.text}")`;
}

function teamsNotes(plan: TeamsDevPlan, playground: PlaygroundProcess): string[] {
  const people = Object.values(plan.setup.people).map(
    (p) => `${p.name} (${plan.config.people[p.key] ? p.key : 'made up'})`,
  );
  return [
    `  Teams people: ${people.join(', ')}; the page acts as the first (--teams-user <person key> for another)`,
    `  Teams log:    ${playground.logFile}`,
    ...plan.notes.map((note) => `  Assumed:      ${note}`),
    `  Warning:      the Playground listens on every interface (port ${playground.port}), not only 127.0.0.1, and takes anyone's messages without authentication: use it on a machine whose ports others cannot reach.`,
  ];
}

/** A port option: 0 to 65535 (0: one the system picks). */
function portOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(`--${name} "${value}" is not a port: give a number from 0 to 65535.`, DEV);
  }
  return port;
}

/** Every channel the config names: services' channels and environments' allowed channels. */
export function chatChannels(config: Config): string[] {
  const ids = new Set<string>();
  for (const service of config.services) if (service.channel) ids.add(service.channel);
  for (const environment of config.environments)
    for (const channel of environment.channels) ids.add(channel);
  ids.add('C0GENERAL');
  return [...ids].filter((id) => /^[CG]/.test(id)).sort();
}

// Made-up people for the local Slack, in the order of the config's ids: the CLI, the API and the
// page then show names, as they do with a real workspace, instead of ids.
const DEV_NAMES = [
  'Ana Lima',
  'Ben Okafor',
  'Chen Wei',
  'Dara Nolan',
  'Emil Sørensen',
  'Fatima Zahra',
  'Gus Moreno',
  'Hana Sato',
  'Ivo Petrov',
  'Jun Park',
  'Kofi Mensah',
  'Lena Vogel',
];

export interface DevUser {
  id: string;
  name: string;
  realName: string;
}

/**
 * The local Slack's users: the local Slack shows `name` where Slack shows the display name
 * (its users.info answers it as `display_name`), so that is the person's name here.
 */
export function devUsers(ids: readonly string[]): DevUser[] {
  return ids.map((id, i) => {
    const name = DEV_NAMES[i] ?? `Dev Person ${i + 1}`;
    return { id, name, realName: name };
  });
}
