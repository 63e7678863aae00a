import type { Logger } from 'pino';
import type { TeamsSettings } from '../../core/settings.js';
import type { Route } from '../../http/router.js';
import type { Admission } from '../inbound.js';
import type { ChatClient, MessageRef, MessageView } from '../types.js';
import { createTeamsClient, type TeamsCall } from './client.js';
import { type ConversationReferences, createMemoryReferences } from './references.js';
import { type ReferenceStore, storeReferences } from './store-references.js';
import { type BotTokenSource, createBotTokenSource } from './token.js';
import { createTeamsTransport } from './transport.js';

export { createTeamsClient, DEFAULT_SERVICE_URL, type TeamsCall } from './client.js';
export { TEAMS_CHAT_LIMITS } from './limits.js';
export { teamsAppPackage, teamsManifest } from './manifest.js';
export {
  type ConversationReferences,
  createMemoryReferences,
  TEAMS_PREFIX,
} from './references.js';
export { storeReferences } from './store-references.js';
export { createBotTokenSource } from './token.js';
export {
  createTeamsTransport,
  inboundAuth,
  TEAMS_MESSAGES_PATH,
  teamsMessagesUnconfigured,
} from './transport.js';

/**
 * The factories the server wires (README.md): references first, shared by the client and the
 * transport; the client, which admission needs; then the transport, which needs admission.
 */

/** Where conversation references live: the store when there is one, else this process. */
export function teamsReferences(store?: ReferenceStore): ConversationReferences {
  return store ? storeReferences(store) : createMemoryReferences();
}

/** The bot's token source from the settings; none in anonymous local use. */
export function teamsToken(settings: TeamsSettings): BotTokenSource | undefined {
  if (!settings.appId || !settings.tenantId) return undefined;
  return createBotTokenSource({
    appId: settings.appId,
    tenantId: settings.tenantId,
    password: settings.appPassword,
    certificate: settings.certificate,
    loginUrl: settings.loginUrl,
  });
}

export interface TeamsClientDeps {
  references: ConversationReferences;
  token: BotTokenSource | undefined;
  /** More names for mentions than Teams gave, e.g. the store's people. */
  names?: (id: string) => Promise<string | null>;
  onCall?: (call: TeamsCall) => void;
  log: Logger;
}

export function teamsClientFromSettings(
  settings: TeamsSettings,
  deps: TeamsClientDeps,
): ChatClient {
  return createTeamsClient({
    references: deps.references,
    token: deps.token,
    appId: settings.appId,
    tenantId: settings.tenantId,
    ...(deps.names ? { names: deps.names } : {}),
    ...(deps.onCall ? { onCall: deps.onCall } : {}),
    log: deps.log,
  });
}

export interface TeamsTransportDeps {
  admission: Admission;
  references: ConversationReferences;
  token: BotTokenSource | undefined;
  /** The current view of a message Slipway keeps (posted messages), for refreshes and clicks. */
  cardFor?: (ref: MessageRef) => Promise<MessageView | null>;
  /** The address `slipway serve` listens on: anonymous use requires loopback. */
  listenHost: string;
  log: Logger;
}

/** `POST /api/messages`; throws a ConfigError when anonymous use is asked for off loopback. */
export function teamsRouteFromSettings(
  settings: TeamsSettings,
  deps: TeamsTransportDeps,
): Promise<Route> {
  return createTeamsTransport({
    admission: deps.admission,
    references: deps.references,
    token: deps.token,
    ...(deps.cardFor ? { cardFor: deps.cardFor } : {}),
    appId: settings.appId,
    anonymous: settings.anonymous,
    listenHost: deps.listenHost,
    openIdMetadataUrl: settings.openIdMetadataUrl,
    log: deps.log,
  });
}
