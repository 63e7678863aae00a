import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createPrometheusClient, prometheusConnection } from './analysis/index.js';
import { handleInbound } from './chat/handler.js';
import {
  createHandlingQueue,
  type HandlingQueue,
  type HandlingQueueOptions,
  POSTGRES_HANDLING_CONCURRENCY,
} from './chat/handling-queue.js';
import { actorOf, configuredPeople, displayName } from './chat/identity.js';
import { createInbound, type Inbound } from './chat/inbound.js';
import { createNotifier, type Notifier, type NotifierOptions } from './chat/notifier.js';
import { createPeopleDirectory, type PeopleDirectory } from './chat/people.js';
import { createChatRouter } from './chat/router.js';
import { createSlackClient } from './chat/slack/client.js';
import { slackTransports } from './chat/slack/transports.js';
import {
  teamsClientFromSettings,
  teamsMessagesUnconfigured,
  teamsReferences,
  teamsRouteFromSettings,
  teamsToken,
} from './chat/teams/index.js';
import type { ChatClient } from './chat/types.js';
import type { Config } from './config/schema.js';
import { durableDedupe } from './core/dedupe.js';
import { newProcessId } from './core/ids.js';
import { redactUrl } from './core/logger.js';
import type { Settings } from './core/settings.js';
import { sleep } from './core/sleep.js';
import { createDashboardAuth } from './dashboard/auth/index.js';
import { createDashboard } from './dashboard/index.js';
import { createDigestSchedule, type DigestSchedule } from './dora/digest-schedule.js';
import { doraGaugeSource } from './dora/gauges.js';
import { workflowRunReceiver } from './drivers/github-actions/index.js';
import { createDrivers } from './drivers/index.js';
import type { DeployDriver } from './drivers/types.js';
import { createEngine, createEventBus, type Engine } from './engine/index.js';
import { apiActionRoutes } from './http/api-actions.js';
import type { Route } from './http/router.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import {
  createGitHubDeployments,
  type GitHubDeploymentReporter,
  type GitHubDeploymentsOptions,
} from './integrations/github-deployments/index.js';
import {
  createGrafanaAnnotations,
  type GrafanaAnnotations,
  type GrafanaAnnotationsOptions,
} from './integrations/grafana/index.js';
import { type AppMetrics, chatCallRecorder, createMetrics } from './observability/metrics.js';
import { tracedChat } from './observability/traced-chat.js';
import type { Tracing } from './observability/tracing.js';
import { createStore, parseDatabaseUrl } from './store/index.js';
import { acquireServerLock, type ServerLock } from './store/sqlite/server-lock.js';
import type { Store } from './store/types.js';
import { DEFAULT_DB_WAIT_MS, waitForDatabase } from './store/wait.js';
import { createAlertmanagerWebhook } from './webhooks/alertmanager/index.js';
import { buildHookRoute } from './webhooks/build/index.js';
import { githubWebhookRoute } from './webhooks/github/index.js';

export interface App {
  config: Config;
  store: Store;
  engine: Engine;
  http: HttpServer;
  log: Logger;
  processId: string;
  /** This app's Prometheus registry, served at GET /metrics. */
  metrics: AppMetrics;
  /** The chat side, when Slack or Teams is configured. */
  chat: {
    client: ChatClient;
    notifier: Notifier;
    /** Learns the names of the people who use chat, for the CLI and the API. */
    people: PeopleDirectory;
    /** Admission: every transport hands its verified events here (chat/inbound.ts). */
    inbound: Inbound;
  } | null;
  /** Deployment annotations in Grafana, when GRAFANA_URL and GRAFANA_TOKEN are set. */
  grafana: GrafanaAnnotations | null;
  /** Reports to GitHub's Deployments API, when a service has `github:` and credentials are set. */
  githubDeployments: GitHubDeploymentReporter | null;
  /** Starts the engine's workers and the chat side (Socket Mode connects here). */
  start(): Promise<void>;
  /**
   * Graceful shutdown: /readyz goes unready and no new work is claimed; after `drainMs` (time
   * for load balancers to notice) the server stops accepting, answers what is in flight,
   * finishes handling acknowledged chat requests, hands the leases of running deployments
   * back (another replica resumes them at once), delivers the last chat updates and closes.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
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
  /** Replace Slack's client (tests); default: Slack's Web API when SLACK_BOT_TOKEN is set. */
  chatClient?: ChatClient;
  /**
   * The address the server will listen on (`serve --host`): Teams without credentials is only
   * allowed on loopback. Default: 127.0.0.1.
   */
  host?: string;
  notifier?: NotifierOptions;
  /** Retries and sweeps of Grafana annotations (tests shorten them). */
  grafana?: GrafanaAnnotationsOptions;
  /** Retries of GitHub Deployments reports (tests shorten them). */
  githubDeployments?: GitHubDeploymentsOptions;
  /** How many chat events are handled at once and how many commands may wait (handling-queue.ts). */
  handling?: HandlingQueueOptions;
  /** The queue itself, instead of `handling` (tests hold its slots to fill it). */
  handlingQueue?: HandlingQueue;
  /** How long a slash command's acknowledgement waits to carry its answer; 0 never waits. */
  answerWithinMs?: number;
  /** Tracing as `serve` started it (src/observability/tracing.ts); `stop()` flushes it last. */
  tracing?: Tracing;
  /**
   * This app is a server (`serve`, `dev`): on SQLite it takes the file's server lock, so a
   * second server on the same file is refused. Operator commands and tests leave it off.
   */
  server?: boolean;
}

/** Builds the object graph once: config → store → drivers → engine → http (STYLE.md). */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, settings, log } = options;
  const processId = newProcessId(hostname());
  const store = await createStore(settings.databaseUrl, { log: log.child({ component: 'store' }) });
  let serverLock: ServerLock | null = null;
  try {
    await waitForDatabase(store, {
      waitMs: settings.dbWaitMs ?? DEFAULT_DB_WAIT_MS,
      log: log.child({ component: 'store', database: redactUrl(settings.databaseUrl) }),
    });
    const location = parseDatabaseUrl(settings.databaseUrl);
    if (options.server && location.kind === 'sqlite' && location.path !== ':memory:')
      serverLock = acquireServerLock(location.path, { processId });
    if (options.migrate ?? true) {
      const applied = await store.migrate();
      if (applied.length > 0)
        log.info({ applied, database: redactUrl(settings.databaseUrl) }, 'migrations applied');
    }
  } catch (err) {
    await store.close();
    serverLock?.release();
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
  const env = options.env ?? process.env;
  const engine = createEngine({
    config,
    store,
    drivers,
    events,
    log,
    processId,
    // An analysis asks its configured Prometheus, else PROMETHEUS_URL, with PROMETHEUS_TOKEN.
    prometheus: (url) => createPrometheusClient(prometheusConnection(url, env)),
  });
  const handling =
    options.handlingQueue ??
    createHandlingQueue({
      ...(store.kind === 'postgres' ? { concurrency: POSTGRES_HANDLING_CONCURRENCY } : {}),
      ...options.handling,
    });
  // One registry per app (README.md, "Observability"): several apps share a test process.
  const metrics = createMetrics({
    config,
    store,
    events,
    inFlight: () => engine.inFlight().length,
    chatWaiting: () => handling.waiting(),
    dora: doraGaugeSource({ store, config }),
    log: log.child({ component: 'metrics' }),
  });
  const grafana = grafanaAnnotations(options, { events, store, processId });
  const githubDeployments = createGitHubDeployments({
    config,
    integrations: settings.integrations,
    env,
    store,
    events,
    processId,
    log: log.child({ component: 'github-deployments' }),
    publicUrl: settings.dashboard?.publicUrl,
    // Without a dashboard address, a status links to the deployment's chat card.
    permalink: async (ref) => (await chat?.client.permalink?.(ref)) ?? null,
    registry: metrics.registry,
    ...(options.githubDeployments ? { options: options.githubDeployments } : {}),
  });
  const routes: Route[] = [];
  let chat: App['chat'] = null;
  let digest: DigestSchedule | null = null;
  const slack = settings.slack;
  const teams = settings.teams ?? null;
  const chatLog = log.child({ component: 'chat' });
  // Aborted at a stop once the last chat updates have had their time: Slack calls still under
  // way or waiting out a rate limit are given up, so they cannot hold the process.
  const abandonChat = new AbortController();
  const onCall = chatCallRecorder(metrics);
  // Conversation references are shared by Teams' client (where to write) and its transport
  // (which learns them from every activity).
  const teamsRefs = teams ? teamsReferences(store) : null;
  const teamsBotToken = teams ? teamsToken(teams) : undefined;
  if (slack || teams) {
    const platforms = {
      ...(slack
        ? {
            slack:
              options.chatClient ??
              createSlackClient({
                token: slack.botToken,
                apiUrl: slack.apiUrl,
                log: chatLog,
                onCall,
                signal: abandonChat.signal,
              }),
          }
        : {}),
      ...(teams && teamsRefs
        ? {
            teams: teamsClientFromSettings(teams, {
              references: teamsRefs,
              token: teamsBotToken,
              // Names Teams never gave (someone mentioned before they wrote to the bot): the
              // config's, else the one learned on another platform, kept by actor id.
              names: async (id) => {
                const actor = actorOf(config, id);
                return (
                  displayName(config, actor) ??
                  (await store.findPeople([actor])).get(actor)?.name ??
                  null
                );
              },
              onCall,
              log: chatLog,
            }),
          }
        : {}),
    };
    // One client for the core: calls go to the platform an id belongs to, and people are
    // written as each platform knows them (chat/router.ts).
    const client = tracedChat(createChatRouter(config, platforms));
    const notifier = createNotifier(
      {
        events,
        store,
        chat: client,
        config,
        log: chatLog,
        keepsOutput: (driver) => drivers.get(driver)?.logs !== undefined,
      },
      options.notifier,
    );
    const people = createPeopleDirectory({
      chat: client,
      config,
      store,
      log: log.child({ component: 'people' }),
    });
    const inbound = createInbound({
      chat: client,
      handle: (event, context) =>
        handleInbound(event, { engine, config, log: chatLog, ...context }),
      queue: handling,
      // A person listed under people: is one actor whichever platform they act from.
      identify: (event) => ({ ...event, user: actorOf(config, event.user) }),
      learn: (users) => people.learn(users),
      onRefused: metrics.chatRefusedBusy,
      durable: durableDedupe(store),
      ...(options.answerWithinMs === undefined ? {} : { answerWithinMs: options.answerWithinMs }),
      log: chatLog,
    });
    chat = { client, notifier, people, inbound };
    // The weekly DORA digest (dora.digest in the config), posted once a week by one replica.
    const digestConfig = config.dora.digest;
    if (digestConfig) {
      digest = createDigestSchedule({
        store,
        chat: client,
        config,
        digest: digestConfig,
        publicUrl: settings.dashboard?.publicUrl,
        log: log.child({ component: 'dora-digest' }),
      });
    }
  }
  if (config.dora.digest && !chat) {
    log.warn(
      { channel: config.dora.digest.channel },
      'dora.digest is configured without Slack or Teams: the DORA digest is not posted',
    );
  }
  if (teams && teamsRefs && chat) {
    const { notifier } = chat;
    routes.push(
      await teamsRouteFromSettings(teams, {
        admission: chat.inbound,
        references: teamsRefs,
        token: teamsBotToken,
        // What a card shows now, for a Teams client that asks to refresh it.
        cardFor: (ref) => notifier.currentView(ref),
        listenHost: options.host ?? '127.0.0.1',
        log: chatLog,
      }),
    );
  } else {
    routes.push(teamsMessagesUnconfigured());
  }
  const slackIn = slackTransports(slack, chat?.inbound ?? null, chatLog);
  routes.push(slackIn.route);
  // Always mounted: without GITHUB_WEBHOOK_SECRET it refuses deliveries saying so, not 404.
  routes.push(
    githubWebhookRoute({
      secret: settings.integrations.githubWebhookSecret,
      onWorkflowRun: workflowRunReceiver(drivers),
      log: log.child({ component: 'github' }),
    }),
  );
  // Always mounted: without SLIPWAY_ALERTMANAGER_TOKEN it answers 503 saying so, not 404.
  const alertmanager = createAlertmanagerWebhook({
    token: settings.integrations.alertmanagerToken,
    config,
    store,
    engine,
    chat: chat?.client ?? null,
    log,
  });
  routes.push(alertmanager.route);
  // Always mounted: without SLIPWAY_WEBHOOK_SECRET it answers 503 saying so, not 404.
  routes.push(buildHookRoute({ engine, config, secret: settings.integrations.webhookSecret, log }));
  routes.push(
    ...apiActionRoutes({
      engine,
      operator: config.operator,
      apiToken: settings.apiToken,
      people: store,
    }),
  );
  // The dashboard, on the same port: what is live where, each deployment, the inbox, history and
  // DORA (src/dashboard). Its actions are the engine's, as chat's are.
  const dashboard = createDashboard({
    auth: createDashboardAuth({ settings: settings.dashboard, config, log }),
    engine,
    store,
    config,
    drivers,
    messageLink: async (channel, ts) => (await chat?.client.permalink?.({ channel, ts })) ?? null,
    traceUrl: settings.dashboard?.traceUrl ?? null,
    log: log.child({ component: 'dashboard' }),
    now: () => new Date(),
  });
  routes.push(...dashboard.routes);
  const http = createHttpServer({
    engine,
    store,
    log,
    apiToken: settings.apiToken,
    routes,
    metrics,
  });
  let stopping: Promise<void> | null = null;
  return {
    config,
    store,
    engine,
    http,
    log,
    processId,
    metrics,
    chat,
    grafana,
    githubDeployments,
    async start() {
      chat?.notifier.start();
      grafana?.start();
      await githubDeployments?.start();
      digest?.start();
      // The people the config names, so that names show before they first act in chat.
      chat?.people.learn(configuredPeople(config).map((person) => person.id));
      alertmanager.start();
      engine.start();
      await slackIn.socket?.start();
    },
    stop(stopOptions = {}) {
      stopping ??= (async () => {
        http.setDraining();
        engine.pause();
        if (stopOptions.drainMs) await sleep(stopOptions.drainMs);
        await slackIn.socket?.stop();
        // Open pages' live streams would hold the server open; their browsers reconnect.
        dashboard.close();
        await http.close();
        await chat?.inbound.settle();
        await engine.stop();
        // Watches drivers keep open between deployments would hold the process open.
        for (const driver of drivers.values()) await driver.close?.();
        await digest?.stop();
        // After the engine: the final states of what it was running still reach chat, within
        // their time (SLIPWAY_SHUTDOWN_CHAT_TIMEOUT), the alerts' included; then the calls left
        // are abandoned. The states are in the store whatever chat shows.
        const chatUntil = Date.now() + (settings.shutdownChatMs ?? Number.POSITIVE_INFINITY);
        await chat?.notifier.stop({ withinMs: chatUntil - Date.now() });
        // After the engine too: the final state of a rollback an alert asked for reaches it.
        await alertmanager.stop({ withinMs: Math.max(0, chatUntil - Date.now()) });
        abandonChat.abort();
        // After the engine too: the ends of the deployments it finished are written.
        await grafana?.stop();
        // After the engine too: the final statuses of what it was running reach GitHub.
        await githubDeployments?.stop();
        chat?.people.stop();
        await store.close();
        // Last, so the spans of the shutdown itself are exported too.
        metrics.close();
        await options.tracing?.shutdown();
        serverLock?.release();
      })();
      return stopping;
    },
  };
}

/**
 * Annotations in Grafana when GRAFANA_URL and GRAFANA_TOKEN are set; a dashboard named in the
 * config without them is said at start, instead of annotations never appearing there.
 */
function grafanaAnnotations(
  options: AppOptions,
  deps: Pick<Parameters<typeof createGrafanaAnnotations>[0], 'events' | 'store' | 'processId'>,
): GrafanaAnnotations | null {
  const { config, settings, log } = options;
  const { grafanaUrl: url, grafanaToken: token } = settings.integrations;
  if (!url || !token) {
    const named = [config.grafana, ...config.services.map((s) => s.grafana)].some(
      (g) => g?.dashboardUID,
    );
    if (named)
      log.warn(
        'grafana.dashboardUID is configured without GRAFANA_URL and GRAFANA_TOKEN: deployments are not annotated',
      );
    return null;
  }
  return createGrafanaAnnotations(
    {
      ...deps,
      config,
      grafana: { url, token },
      publicUrl: settings.dashboard?.publicUrl,
      log,
    },
    options.grafana,
  );
}
