import { expect } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import type { Deployment, DeploymentState } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { createLocalSlack, type LocalSlack } from '../../src/local-slack/index.js';
import { newDeployment } from '../../src/store/test-support/fixtures.js';
import type { NewDeployment } from '../../src/store/types.js';
import { watchEngineAnswers, watchedHandling } from './app-probes.js';
import { removeTestDir, settingsFor, tempDir } from './engine-harness.js';
import { createRecordingDriver, type DriverRun, type RecordingDriver } from './recording-driver.js';
import { createSignedSlack, type SignedAnswer, type SignedSlack } from './signed-slack.js';

/** How Slipway answered one request. */
export interface Outcome {
  ok: boolean;
  /** The engine's refusal code; `-` when the chat handler refused before asking the engine. */
  code: string | null;
  reason: string;
  /** Accepted, and what it recorded awaits approval. */
  waits: boolean;
}

export interface PolicyServer {
  app: App;
  slack: LocalSlack;
  signed: SignedSlack;
  driver: RecordingDriver;
  runsOf(deploymentId: string): DriverRun[];
  /** Writes a deployment straight to the store, one second after the previous one, in the past. */
  seed(d: Partial<NewDeployment> & SeedTarget, state: DeploymentState): Promise<Deployment>;
  /** A deployment another Slipway process is running: its lease is live for an hour. */
  seedRunningElsewhere(d: Partial<NewDeployment> & SeedTarget): Promise<Deployment>;
  /** Everything a refused request must leave as it was on these targets, as sorted lines. */
  snapshot(service: string, environments: readonly string[]): Promise<string[]>;
  deploymentsIn(service: string, environments: readonly string[]): Promise<Deployment[]>;
  /** Sends one request and waits until Slipway has handled it, its answer included. */
  send(act: () => Promise<SignedAnswer>): Promise<{ outcome: Outcome; answer: SignedAnswer }>;
  close(): Promise<void>;
}

type SeedTarget = Pick<NewDeployment, 'service' | 'environment' | 'version'>;

/**
 * The whole of Slipway behind its HTTP server (engine, notifier, Slack transport) with the
 * local Slack for what it sends and signed requests (signed-slack.ts) for what people do; a
 * recording driver runs deployments. `seed` writes history before the engine starts, so nothing
 * picks up a seeded deployment half-written.
 */
export async function startPolicyServer(options: {
  config: Config;
  users: readonly string[];
  channels: readonly string[];
  seed(server: PolicyServer): Promise<void>;
}): Promise<PolicyServer> {
  const dir = tempDir('slipway-policy-');
  const slack = createLocalSlack({
    channels: options.channels.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    users: options.users.map((id) => ({ id, name: id.slice(2).toLowerCase() })),
    signingSecret: 'policy-signing-secret',
    // Hundreds of cards and answers in seconds: Slack's tiers would only make the test wait;
    // rate limits have tests of their own.
    rateLimits: Object.fromEntries(
      ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'conversations.open'].map((m) => [
        m,
        { perMinute: 1_000_000, burst: 100_000 },
      ]),
    ),
  });
  const { apiUrl } = await slack.start();
  const driver = createRecordingDriver();
  const handling = watchedHandling();
  const app = await createApp({
    config: options.config,
    settings: {
      ...settingsFor(dir),
      slack: {
        botToken: slack.config.botToken,
        signingSecret: slack.config.signingSecret,
        appToken: undefined,
        apiUrl,
      },
    },
    log: createLogger({ level: 'silent' }),
    drivers: new Map([[driver.id, driver]]),
    handlingQueue: handling.queue,
    notifier: { minUpdateIntervalMs: 50 },
  });
  const port = await app.http.listen(0, '127.0.0.1');
  const signed = await createSignedSlack({
    cfg: slack.config,
    requestUrl: `http://127.0.0.1:${port}/slack/events`,
  });
  const answers = watchEngineAnswers(app.engine);
  const { store } = app;
  let clock = Date.now() - 3 * 3_600_000;

  const server: PolicyServer = {
    app,
    slack,
    signed,
    driver,
    runsOf: (id) => driver.runs().filter((r) => r.deploymentId === id),
    async seed(d, state) {
      clock += 1_000;
      const requestedBy = d.requestedBy ?? 'U-SEED';
      const { deployment } = await store.createDeployment(
        newDeployment({
          driver: driver.id,
          approvalsRequired: state === 'awaiting_approval' ? 1 : 0,
          ...d,
          requestedBy,
        }),
        state,
        { actor: requestedBy, at: new Date(clock) },
      );
      return deployment;
    },
    async seedRunningElsewhere(d) {
      const running = await server.seed(d, 'running');
      await store.patchDeployment(running.id, {
        leaseOwner: 'another-slipway',
        leaseExpiresAt: new Date(Date.now() + 3_600_000),
        startedAt: new Date(clock),
      });
      return running;
    },
    async snapshot(service, environments) {
      const lines: string[] = [];
      for (const env of environments) {
        for (const d of await store.listDeployments({ service, environment: env, limit: 500 })) {
          const approvals = (await store.listApprovals(d.id)).map(
            (a) => `${a.approver}:${a.verdict}`,
          );
          const decision = (await store.getReviewDecision(d.id))?.decision ?? '-';
          lines.push(`${env} ${d.id} ${d.kind} ${d.version} ${d.state} [${approvals}] ${decision}`);
        }
        for (const l of await store.listLocks(env)) {
          if (l.service === service)
            lines.push(`${env} lock ${l.owner} ${l.createdAt.getTime()} ${l.expiresAt?.getTime()}`);
        }
        for (const r of driver.runs()) {
          if (r.service === service && r.environment === env)
            lines.push(`${env} run ${r.deploymentId} ${r.phase}`);
        }
      }
      return lines.sort();
    },
    async deploymentsIn(service, environments) {
      const lists = await Promise.all(
        environments.map((env) => store.listDeployments({ service, environment: env, limit: 500 })),
      );
      return lists.flat();
    },
    async send(act) {
      const mark = answers.answers().length;
      const handled = handling.next();
      const answer = await act();
      expect(answer.status, `Slipway refused the signed request: ${answer.ack}`).toBe(200);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        handled,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('the request was not handled within 10 s')),
            10_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      const decided = answers.answers().slice(mark).at(-1);
      if (!decided) {
        // No engine answer: the handler itself refused (an unknown button, a parse error, …).
        const text = privateAnswers(answer)
          .map((r) => String(r.text ?? ''))
          .join(' | ');
        return { outcome: { ok: false, code: '-', reason: text, waits: false }, answer };
      }
      const made = decided.result as { deployment?: Deployment; promoted?: Deployment };
      const outcome = {
        ok: decided.ok,
        code: decided.code,
        reason: decided.reason ?? '',
        waits: decided.ok && (made.promoted ?? made.deployment)?.state === 'awaiting_approval',
      };
      return { outcome, answer };
    },
    async close() {
      await app.stop();
      await signed.close();
      await slack.stop();
      await removeTestDir(dir);
    },
  };
  await options.seed(server);
  await app.start();
  return server;
}

/** Answers only the requester saw: in the acknowledgement, or ephemeral through the response_url. */
export function privateAnswers(answer: SignedAnswer): Record<string, unknown>[] {
  const inAck = answer.ack.trim().startsWith('{')
    ? [JSON.parse(answer.ack) as Record<string, unknown>]
    : [];
  return [...inAck, ...answer.responses()].filter((r) => r.response_type === 'ephemeral');
}

/**
 * Refused (with `code`, unless null), told privately, and nothing changed: `unchanged.after()`
 * is the same snapshot as `unchanged.before`.
 */
export async function expectRefused(
  outcome: Outcome,
  answer: SignedAnswer,
  code: string | null,
  unchanged: { before: string[]; after: () => Promise<string[]> },
): Promise<void> {
  expect(outcome.ok, 'accepted, but the spec refuses it').toBe(false);
  if (code) expect(outcome.code, outcome.reason).toBe(code);
  expect(privateAnswers(answer).length, 'the refusal reached the person privately').toBeGreaterThan(
    0,
  );
  expect(await unchanged.after(), 'a refused request changed nothing').toEqual(unchanged.before);
}
