import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import type { z } from 'zod';
import {
  type CardActionInput,
  type CardActionResult,
  type ConversationUpdateInput,
  createActors,
  type InstallationInput,
  type MessageInput,
  type MessageResult,
} from './actors.js';
import {
  type AuthKeys,
  BOT_FRAMEWORK_SCOPE,
  createAuth,
  createAuthKeys,
  type MintOptions,
} from './auth.js';
import { createConnector } from './connector.js';
import { createDelivery, type DeliverOptions, type DeliveryResult } from './delivery.js';
import { createDirectory, type Directory } from './directory.js';
import { createFaults, type Faults } from './faults.js';
import {
  type ActivityView,
  type ConversationView,
  createQueries,
  type Queries,
} from './queries.js';
import { createRateLimiter } from './rate-limit.js';
import { LocalTeamsConfig } from './schema.js';
import { createLocalTeamsServer, SERVICE_PATH } from './server.js';
import {
  type Activity,
  type CallRecord,
  createState,
  type Delivery,
  type StoredActivity,
} from './state.js';
import { createTokenEndpoint } from './token-endpoint.js';

export type { FaultStatus, Faults } from './faults.js';
export { PER_BOT_PER_THREAD } from './rate-limit.js';
export type {
  Activity,
  ActivityView,
  CallRecord,
  CardActionInput,
  CardActionResult,
  ConversationUpdateInput,
  ConversationView,
  DeliverOptions,
  Delivery,
  DeliveryResult,
  InstallationInput,
  MessageInput,
  MessageResult,
  MintOptions,
  StoredActivity,
};
export { type AuthKeys, BOT_FRAMEWORK_SCOPE, createAuthKeys };

export type LocalTeamsOptions = z.input<typeof LocalTeamsConfig> & {
  /** Wall clock (epoch ms) for token times and activity ids. */
  clock?: () => number;
  /** Monotonic clock for rate limits; tests pass a fake one to step time. */
  monotonic?: () => number;
  log?: Logger;
  /** Signing keys from `createAuthKeys()`; generated when omitted (RSA takes a few 100 ms). */
  keys?: AuthKeys;
};

export interface LocalTeams extends Queries {
  /** `http://127.0.0.1:<port>`: the login service (token, OpenID metadata) lives here. */
  readonly url: string;
  /** The Connector API, `<url>/amer/` (trailing slash, as Teams' serviceUrls have). */
  readonly serviceUrl: string;
  /** Give the Teams SDK `cloud.openIdMetadataUrl` this (it derives `/keys` from it). */
  readonly openIdMetadataUrl: string;
  /** Client credentials token endpoint for the configured tenant. */
  readonly tokenUrl: string;
  /** The same as `url`: where `<tenant>/oauth2/v2.0/token` lives, as login.microsoftonline.com. */
  readonly loginEndpoint: string;
  readonly config: Readonly<LocalTeamsConfig>;
  /** Ids of the people, teams, channels and chats. */
  readonly directory: Directory;
  readonly faults: Faults;
  setBotEndpoint(url: string | undefined): void;
  close(): Promise<void>;

  /** POSTs an activity to the bot, signed; missing envelope fields are filled in. */
  deliver(
    activity: Partial<Activity> & { type: string },
    options?: DeliverOptions,
  ): Promise<DeliveryResult>;
  /** A channel token: valid by default; `forged`, `expired`, another audience or issuer on request. */
  mintToken(options?: MintOptions): string;
  /** Client credentials against the token endpoint, for the SDK's `token` option. */
  requestToken(options?: {
    clientId?: string;
    clientSecret?: string;
    scope?: string;
  }): Promise<string>;

  message(input: MessageInput): Promise<MessageResult>;
  /** Presses an `Action.Execute` button on a card the bot posted. */
  pressCard(input: CardActionInput): Promise<CardActionResult>;
  installationUpdate(input: InstallationInput): Promise<DeliveryResult>;
  conversationUpdate(input: ConversationUpdateInput): Promise<DeliveryResult>;
}

/** A local Bot Framework / Teams service for tests and `slipway dev` (see README.md). */
export async function createLocalTeams(options: LocalTeamsOptions): Promise<LocalTeams> {
  const { clock: clockOption, monotonic, log: logOption, keys, ...rest } = options;
  const cfg = LocalTeamsConfig.parse(rest);
  const clock = clockOption ?? Date.now;
  const log = (logOption ?? pino({ enabled: false })).child({ component: 'local-teams' });
  let url = '';
  let botEndpoint = cfg.botEndpoint;
  const serviceUrl = () => `${url}${SERVICE_PATH}/`;

  const directory = createDirectory(cfg);
  const state = createState(directory, clock);
  const auth = createAuth({ ...cfg, serviceUrl, clock, keys: keys ?? (await createAuthKeys()) });
  const faults = createFaults();
  const limiter = createRateLimiter(cfg.rateLimits, monotonic);
  const connector = createConnector({ state, directory, maxMessageBytes: cfg.maxMessageBytes });
  const deliver = createDelivery({
    state,
    auth,
    directory,
    serviceUrl,
    botEndpoint: () => botEndpoint,
    timeoutMs: cfg.deliveryTimeoutMs,
    clock,
    log,
  });
  const actors = createActors({ state, directory, deliver, serviceUrl, clock });
  const token = createTokenEndpoint({
    cfg,
    baseUrl: () => url,
    clock,
    mintAccessToken: (tenant) => auth.mintAccessToken(tenant),
  });
  const server = createLocalTeamsServer({
    baseUrl: () => url,
    auth,
    token,
    connector,
    faults,
    limiter,
    state,
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  url = `http://${cfg.host}:${(server.address() as AddressInfo).port}`;
  log.info({ url }, 'local teams listening');

  const queries = createQueries(state, directory);

  return {
    url,
    serviceUrl: serviceUrl(),
    openIdMetadataUrl: `${url}/v1/.well-known/openidconfiguration`,
    tokenUrl: `${url}/${cfg.tenantId}/oauth2/v2.0/token`,
    loginEndpoint: url,
    config: cfg,
    directory,
    faults,
    setBotEndpoint(next) {
      botEndpoint = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },

    deliver: (activity, opts) => deliver(activity as Activity, opts),
    mintToken: (opts) => auth.mintChannelToken(opts),
    async requestToken(opts = {}) {
      const res = await fetch(`${url}/${cfg.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: opts.clientId ?? cfg.appId,
          client_secret: opts.clientSecret ?? cfg.appPassword,
          scope: opts.scope ?? BOT_FRAMEWORK_SCOPE,
        }),
      });
      const body = (await res.json()) as { access_token?: string; error_description?: string };
      const why = body.error_description ?? JSON.stringify(body);
      if (!res.ok || !body.access_token) {
        throw new Error(`local-teams: token request refused (${res.status}): ${why}`);
      }
      return body.access_token;
    },

    message: (input) => actors.message(input),
    pressCard: (input) => actors.pressCard(input),
    installationUpdate: (input) => actors.installationUpdate(input),
    conversationUpdate: (input) => actors.conversationUpdate(input),

    ...queries,
  };
}
