import { join } from 'node:path';
import { type App, createApp } from '../../src/app.js';
import type { HandlingQueue } from '../../src/chat/handling-queue.js';
import { createSlackClient } from '../../src/chat/slack/client.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createLocalSlack, type LocalSlack } from '../../src/local-slack/index.js';
import { removeTestDir, scenarioConfigInput, settingsFor, tempDir } from './engine-harness.js';

export const USERS = ['U-DEV1', 'U-DEV2', 'U-QA1', 'U-QA2', 'U-SRE', 'U-OUTSIDER'];
export const CHANNELS = ['C-WEB', 'C-API', 'C-DEPLOYS', 'C-RANDOM'];

export interface SlackHarness {
  app: App;
  slack: LocalSlack;
  stateDir: string;
  /** Slipway's own address (http://127.0.0.1:<port>). */
  url: string;
  /** The newest deployment, once one exists. */
  latest(service: string): Promise<Deployment>;
  waitFinal(id: string, timeoutMs?: number): Promise<Deployment>;
  /** Waits until every chat message of the notifier is delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Slipway (engine, notifier, Slack transport) against the local Slack, in HTTP mode (signed
 * requests to /slack/events) or Socket Mode (a WebSocket from Slipway to the local Slack).
 */
export async function startSlackHarness(options: {
  mode: 'http' | 'socket';
  ms?: number;
  handlingQueue?: HandlingQueue;
  answerWithinMs?: number;
  /** Slipway's Web API timeout, short so a test can make Slack answer after it. */
  chatTimeoutMs?: number;
  /** Changes to the scenario config (autoDeploy rules for the build hook, say). */
  config?: (input: ReturnType<typeof scenarioConfigInput>) => object;
  /** Turns the build hook on (SLIPWAY_WEBHOOK_SECRET). */
  webhookSecret?: string;
}): Promise<SlackHarness> {
  const dir = tempDir('slipway-slack-');
  const stateDir = join(dir, 'targets');
  const slack = createLocalSlack({
    channels: CHANNELS.map((id) => ({ id, name: id.slice(2).toLowerCase(), members: USERS })),
    users: USERS.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'e2e-signing-secret',
    // Events API retries quickly here, so a test can watch one without waiting a minute.
    eventRetryDelaysMs: [0, 200, 400],
  });
  const { apiUrl } = await slack.start();
  const base = settingsFor(dir);
  const settings = {
    ...base,
    integrations: { ...base.integrations, webhookSecret: options.webhookSecret },
    slack: {
      botToken: slack.config.botToken,
      signingSecret: options.mode === 'http' ? slack.config.signingSecret : undefined,
      appToken: options.mode === 'socket' ? slack.config.appToken : undefined,
      apiUrl,
    },
  };
  const app = await createApp({
    config: Config.parse(
      (options.config ?? ((input) => input))(
        scenarioConfigInput(stateDir, { ms: options.ms ?? 1_500 }),
      ),
    ),
    settings,
    log: createLogger({ level: 'silent' }),
    ...(options.handlingQueue ? { handlingQueue: options.handlingQueue } : {}),
    ...(options.answerWithinMs === undefined ? {} : { answerWithinMs: options.answerWithinMs }),
    ...(options.chatTimeoutMs === undefined
      ? {}
      : {
          chatClient: createSlackClient({
            token: slack.config.botToken,
            apiUrl,
            timeoutMs: options.chatTimeoutMs,
            retryConfig: { retries: 3, factor: 1, minTimeout: 50, maxTimeout: 50 },
          }),
        }),
  });
  const port = await app.http.listen(0, '127.0.0.1');
  if (options.mode === 'http')
    slack.setDelivery({ mode: 'http', requestUrl: `http://127.0.0.1:${port}/slack/events` });
  else slack.setDelivery({ mode: 'socket' });
  await app.start();
  if (options.mode === 'socket') await slack.socket.waitForConnection(10_000);

  return {
    app,
    slack,
    stateDir,
    url: `http://127.0.0.1:${port}`,
    async latest(service) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const [d] = await app.engine.history({ service, limit: 1 });
        if (d) return d;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no deployment of ${service} was created`);
    },
    async waitFinal(id, timeoutMs = 30_000) {
      const signal = AbortSignal.timeout(timeoutMs);
      const d = await app.engine.waitFor(id, signal, 50);
      if (signal.aborted) throw new Error(`${id} still ${d.state} after ${timeoutMs} ms`);
      return d;
    },
    async settled() {
      await app.chat?.notifier.idle();
    },
    async close() {
      await app.stop();
      await slack.stop();
      await removeTestDir(dir);
    },
  };
}

/** Waits until `check` holds (chat delivery is asynchronous by design). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw last instanceof Error ? last : new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
