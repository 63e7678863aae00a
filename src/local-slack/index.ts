import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import type { z } from 'zod';
import {
  type Actors,
  type ClickInput,
  type ClickResult,
  type CommandResult,
  createActors,
  type MentionInput,
  type MentionResult,
  type SlashCommandInput,
} from './actors.js';
import { createFaults, type Faults } from './faults.js';
import { createSender, type RecordedDelivery } from './outgoing.js';
import { createRateLimiter } from './rate-limit.js';
import { createResponseUrls } from './response-url.js';
import { LocalSlackConfig } from './schema.js';
import { createLocalSlackServer } from './server.js';
import { createSocketMode } from './socket-mode.js';
import { createState } from './state.js';
import type { CallRecord, Clock, DeliveryMode, Ephemeral, Message } from './types.js';
import { createViewActors, type SubmitResult, type SubmitViewInput } from './view-actors.js';
import { createViews, type OpenView } from './views.js';
import { createWebApi } from './web-api.js';

export type { ChaosOptions, DelayOptions, FaultStatus, Faults } from './faults.js';
export { type Forge, type RecordedDelivery, signature } from './outgoing.js';
export type { LocalSlackConfig } from './schema.js';
export type * from './types.js';
export type {
  ClickInput,
  ClickResult,
  CommandResult,
  MentionInput,
  MentionResult,
  OpenView,
  SlashCommandInput,
  SubmitResult,
  SubmitViewInput,
};

export type LocalSlackOptions = z.input<typeof LocalSlackConfig> & {
  /** Wall clock (epoch ms) for message ts, response_url expiry and request timestamps. */
  clock?: Clock;
  logger?: Logger;
};

export interface LocalSlack {
  /** Listens on 127.0.0.1 (random port unless `port` is set). */
  start(): Promise<{ url: string; apiUrl: string }>;
  stop(): Promise<void>;
  /** `http://127.0.0.1:<port>`; `apiUrl` is `<url>/api/` for SLACK_API_URL / slackApiUrl. */
  readonly url: string;
  readonly apiUrl: string;
  /** The workspace's ids and secrets (botToken, appToken, signingSecret, botUserId, …). */
  readonly config: Readonly<LocalSlackConfig>;
  /** Where people's actions go: the app's Request URL (HTTP) or its Socket Mode link. */
  setDelivery(mode: DeliveryMode | undefined): void;
  readonly faults: Faults;

  history(channel: string): Message[];
  thread(channel: string, ts: string): Message[];
  message(channel: string, ts: string): Message | undefined;
  ephemerals(user: string, channel?: string): Ephemeral[];
  /** The DM channel id between the bot and this user, once opened. */
  dmChannel(user: string): string | undefined;
  /** Every DM opened so far: which user, which channel. */
  dms(): Array<{ user: string; channel: string }>;
  /** Every message in every channel and DM, including deleted ones, oldest first. */
  allMessages(): Message[];
  /** Web API calls, including rejected ones, optionally for one method. */
  calls(method?: string): CallRecord[];
  /** Number of calls per method, including rejected ones. */
  callCounts(): Record<string, number>;
  /** Deliveries to the app (first attempts and retries), oldest first. */
  deliveries(): RecordedDelivery[];
  /** Deliveries the app did not answer within 3 s, by kind. */
  timeouts(): Record<'slash_commands' | 'interactive' | 'events_api', number>;

  slashCommand(input: SlashCommandInput): Promise<CommandResult>;
  clickButton(input: ClickInput): Promise<ClickResult>;
  mention(input: MentionInput): Promise<MentionResult>;
  /** The modals open for this person (views.open), oldest first. */
  openViews(user: string): OpenView[];
  /** The person submits their modal with what they typed; returns what the app answered. */
  submitView(input: SubmitViewInput): Promise<SubmitResult>;
  /** The person cancels their modal. */
  closeView(input: { user: string; viewId?: string }): void;

  readonly socket: {
    /** Sends `{"type":"disconnect","reason":…}` to every Socket Mode client. */
    disconnect(reason?: string): void;
    connections(): number;
    waitForConnection(timeoutMs?: number): Promise<void>;
  };
}

/** A local Slack workspace for tests and `slipway dev` (see README.md beside this file). */
export function createLocalSlack(options: LocalSlackOptions = {}): LocalSlack {
  const { clock: clockOption, logger, ...rest } = options;
  const cfg = LocalSlackConfig.parse(rest);
  const clock: Clock = clockOption ?? Date.now;
  const log = (logger ?? pino({ enabled: false })).child({ component: 'local-slack' });
  let url: string | undefined;
  let delivery: DeliveryMode | undefined = cfg.delivery;
  const baseUrl = () => {
    if (!url) throw new Error('local-slack: call start() first');
    return url;
  };

  const state = createState(cfg, clock);
  const views = createViews(cfg, clock);
  const faults = createFaults();
  const socket = createSocketMode({ cfg, baseUrl, log });
  const webApi = createWebApi({
    cfg,
    state,
    views,
    clock,
    baseUrl,
    socketUrl: () => socket.issueUrl(),
    limiter: createRateLimiter(cfg.rateLimits),
    faults,
    log,
  });
  const responseUrls = createResponseUrls({ cfg, state, clock, baseUrl });
  const sender = createSender({ cfg, clock, socket, responseUrls, delivery: () => delivery, log });
  const actors: Actors = createActors({ cfg, state, clock, sender, responseUrls, views, log });
  const viewActors = createViewActors({ cfg, state, views, sender });
  const server = createLocalSlackServer({
    cfg,
    state,
    views,
    webApi,
    responseUrls,
    socket,
    actors,
    viewActors,
    log,
  });

  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cfg.port, cfg.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      url = `http://${cfg.host}:${port}`;
      log.info({ url }, 'local slack listening');
      return { url, apiUrl: `${url}/api/` };
    },
    async stop() {
      actors.stop();
      sender.abortAll();
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    get url() {
      return baseUrl();
    },
    get apiUrl() {
      return `${baseUrl()}/api/`;
    },
    config: cfg,
    setDelivery(mode) {
      delivery = mode;
    },
    faults,
    history: (channel) => state.history(channel),
    thread: (channel, ts) => state.thread(channel, ts),
    message: (channel, ts) => state.message(channel, ts),
    ephemerals: (user, channel) => state.ephemerals(user, channel),
    dmChannel: (user) => state.channels.get(`D${user.slice(1)}`)?.id,
    dms: () =>
      [...state.channels.values()]
        .filter((c) => c.isIm)
        .map((c) => ({ user: c.user ?? '', channel: c.id })),
    allMessages: () => state.allMessages(),
    calls: (method) => webApi.calls(method),
    callCounts: () => {
      const counts: Record<string, number> = {};
      for (const c of webApi.calls()) counts[c.method] = (counts[c.method] ?? 0) + 1;
      return counts;
    },
    deliveries: () => sender.deliveries(),
    timeouts: () => sender.timeouts(),
    slashCommand: (input) => actors.slashCommand(input),
    clickButton: (input) => actors.clickButton(input),
    mention: (input) => actors.mention(input),
    openViews: (user) => views.of(user),
    submitView: (input) => viewActors.submitView(input),
    closeView: (input) => viewActors.closeView(input),
    socket: {
      disconnect: (reason) => socket.disconnect(reason),
      connections: () => socket.connections(),
      waitForConnection: (ms) => socket.waitForConnection(ms),
    },
  };
}
