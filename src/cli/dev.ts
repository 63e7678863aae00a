import { createApp } from '../app.js';
import { configuredPeople } from '../config/people.js';
import type { Config } from '../config/schema.js';
import { createLogger, resolveLogFormat } from '../core/logger.js';
import { readSettings } from '../core/settings.js';
import { createLocalSlack } from '../local-slack/index.js';
import { announceStart, startSummary } from '../observability/banner.js';
import { startTracing } from '../observability/tracing.js';
import { flag, type ParsedArgs, stringValue } from './args.js';
import { loadOrExplain } from './load.js';

/**
 * `slipway dev`: Slipway against the local Slack, so a person can try the whole chat flow
 * without a workspace. The local Slack's page shows the channels and DMs and lets you type
 * /deploy commands and press the buttons as any user from the config.
 */
export async function dev(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const values = {
    config: stringValue(parsed, 'config'),
    port: stringValue(parsed, 'port'),
    'slack-port': stringValue(parsed, 'slack-port'),
    socket: flag(parsed, 'socket'),
  };
  const base = readSettings({
    ...env,
    ...(values.config ? { SLIPWAY_CONFIG: values.config } : {}),
    ...(values.port ? { PORT: values.port } : {}),
  });
  const config = await loadOrExplain(base.configPath);
  if (!config) return 1;
  const format = resolveLogFormat(base.logFormat);
  const log = createLogger({ level: base.logLevel ?? config.log.level, format });
  const people = devUsers(configuredPeople(config));
  const slack = createLocalSlack({
    port: values['slack-port'] ? Number(values['slack-port']) : 3001,
    channels: chatChannels(config).map((id) => ({
      id,
      name: id.replace(/^C0?/, '').toLowerCase(),
    })),
    users: people,
    logger: log.child({ component: 'local-slack' }),
  });
  const { url, apiUrl } = await slack.start();
  const settings = {
    ...base,
    slack: {
      botToken: slack.config.botToken,
      signingSecret: values.socket ? undefined : slack.config.signingSecret,
      appToken: values.socket ? slack.config.appToken : undefined,
      apiUrl,
    },
  };
  // The same OTEL_* variables as serve: try a trace exporter against the local Slack too.
  const tracing = startTracing(env, { log });
  const app = await createApp({ config, settings, log, env, server: true, tracing });
  const port = await app.http.listen(settings.port, '127.0.0.1');
  slack.setDelivery(
    values.socket
      ? { mode: 'socket' }
      : { mode: 'http', requestUrl: `http://127.0.0.1:${port}/slack/events` },
  );
  await app.start();
  const summary = startSummary({
    settings,
    config,
    env,
    host: '127.0.0.1',
    port,
    tracing: tracing.enabled,
  });
  announceStart(log, summary, { format, fields: { host: '127.0.0.1', port } });
  process.stdout.write(
    [
      '',
      `  Local Slack:  ${url}   (open it: pick a user and a channel, type "/deploy web 1.2.3 to staging")`,
      `  Slipway:      http://127.0.0.1:${port}   (${values.socket ? 'Socket Mode' : 'HTTP: /slack/events'})`,
      `  People:       ${people.map((p) => `${p.name} (${p.id})`).join(', ')}`,
      '',
      '',
    ].join('\n'),
  );
  return new Promise<number>((resolve) => {
    const stop = () => {
      app
        .stop()
        .then(() => slack.stop())
        .then(
          () => resolve(0),
          () => resolve(1),
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
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

/**
 * The local Slack's users: the local Slack shows `name` where Slack shows the display name
 * (its users.info answers it as `display_name`), so that is the person's name here.
 */
export function devUsers(ids: readonly string[]): { id: string; name: string; realName: string }[] {
  return ids.map((id, i) => {
    const name = DEV_NAMES[i] ?? `Dev Person ${i + 1}`;
    return { id, name, realName: name };
  });
}
