import type { Logger } from 'pino';
import type { Auth } from './auth.js';
import type { Directory } from './directory.js';
import type { Activity, State } from './state.js';

export interface DeliverOptions {
  /** The bearer token to send; default a valid channel token; `null` sends none. */
  token?: string | null;
}

export interface DeliveryResult {
  activity: Activity;
  /** What the bot answered; absent when it did not answer (refused connection, timeout). */
  status?: number | undefined;
  body?: unknown;
  timedOut: boolean;
  error?: string | undefined;
}

async function readAnswer(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sends activities to the bot's messaging endpoint as the Bot Connector does: JSON, with
 * `Authorization: Bearer <JWT>` signed by the key in the channel's OpenID metadata.
 */
export function createDelivery(deps: {
  state: State;
  auth: Auth;
  directory: Directory;
  serviceUrl: () => string;
  botEndpoint: () => string | undefined;
  timeoutMs: number;
  clock: () => number;
  log: Logger;
}) {
  const { state, auth } = deps;

  return async function deliver(
    input: Activity,
    options: DeliverOptions = {},
  ): Promise<DeliveryResult> {
    const endpoint = deps.botEndpoint();
    if (!endpoint) {
      throw new Error('local-teams: no bot endpoint; pass botEndpoint or call setBotEndpoint()');
    }
    const activity: Activity = {
      id: state.nextActivityId(),
      timestamp: new Date(deps.clock()).toISOString(),
      channelId: 'msteams',
      serviceUrl: deps.serviceUrl(),
      recipient: deps.directory.bot,
      ...input,
    };
    const token =
      options.token === undefined
        ? auth.mintChannelToken({ serviceUrl: String(activity.serviceUrl) })
        : options.token;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework 3.0)',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    };
    let result: DeliveryResult;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(activity),
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      result = { activity, status: res.status, body: await readAnswer(res), timedOut: false };
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const error =
        err instanceof Error
          ? ((err.cause as Error | undefined)?.message ?? err.message)
          : String(err);
      deps.log.warn({ err, type: activity.type }, 'local-teams delivery failed');
      result = { activity, timedOut, error };
    }
    state.recordDelivery(result);
    return result;
  };
}

export type Deliver = ReturnType<typeof createDelivery>;
