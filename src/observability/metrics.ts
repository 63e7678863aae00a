import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { SlackCall } from '../chat/slack/client.js';
import { driverBinding } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { type DeploymentState, isFinal } from '../core/deployment.js';
import { type DoraGaugeSource, registerDoraGauges } from '../dora/gauges.js';
import type { EngineEvent } from '../engine/events.js';
import type { Store } from '../store/types.js';

/** The inbound webhooks counted by `slipway_webhook_requests_total`. */
export type WebhookName = 'build' | 'github' | 'alertmanager' | 'slack';

/**
 * What the rest of Slipway tells the metrics. Adapters take it as an optional dependency and
 * default to `noMetrics`, so code and tests that keep no metrics need not pass one.
 */
export interface Metrics {
  /** One chat API call: `result` is `ok` or the coded error it ended with. */
  chatCall(method: string, result: string): void;
  /** A chat API call that waited out 429s (Retry-After) for `waitedMs` in all. */
  chatRateLimited(method: string, waitedMs: number): void;
  /** One answered webhook request, by its HTTP status code. */
  webhook(hook: WebhookName, status: number): void;
  /** A slash command refused because too many chat events were waiting to be handled. */
  chatRefusedBusy(): void;
}

export const noMetrics: Metrics = {
  chatCall() {},
  chatRateLimited() {},
  webhook() {},
  chatRefusedBusy() {},
};

/** An app's registry, as `GET /metrics` serves it (Prometheus text exposition format). */
export interface AppMetrics extends Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  scrape(): Promise<string>;
  /** Stops following engine events. */
  close(): void;
}

export interface MetricsSources {
  config: Config;
  /** Queue depth and waiting approvals come from the store at scrape time: right across replicas. */
  store: Pick<Store, 'countDeployments'>;
  /** Finished deployments are counted from the engine's transitions, by the process that made them. */
  events: { on(listener: (event: EngineEvent) => void): () => void };
  /** Deployments this process is running now. */
  inFlight: () => number;
  /** Chat events acknowledged by this process and waiting to be handled. */
  chatWaiting?: () => number;
  /** The DORA report behind the `slipway_dora_*` gauges; without it there are none. */
  dora?: DoraGaugeSource;
  log: Logger;
}

/** Deployments take seconds (a command) to most of an hour (a slow rollout and its verification). */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * One registry per app (never prom-client's global one), so several apps in one process (tests)
 * do not collide, with Node's process metrics (`process_*`, `nodejs_*`) beside Slipway's own.
 */
export function createMetrics(sources: MetricsSources): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const target = ['service', 'environment'] as const;

  const finished = new Counter({
    name: 'slipway_deployments_finished_total',
    help: 'Deployments that reached a final state, by outcome (the final state).',
    labelNames: [...target, 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'slipway_deployment_duration_seconds',
    help: 'From the start of a deployment (claimed by a worker) to its final state.',
    labelNames: [...target, 'outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const byState = (name: string, help: string, state: DeploymentState) => {
    const gauge: Gauge<(typeof target)[number]> = new Gauge({
      name,
      help,
      labelNames: target,
      registers,
      collect: () => countInto(gauge, state, sources),
    });
    return gauge;
  };
  byState(
    'slipway_deployments_queued',
    'Deployments waiting in the queue, per target (from the store: the same on every replica).',
    'queued',
  );
  byState(
    'slipway_deployments_awaiting_approval',
    'Deployments waiting for approval, per target (from the store: the same on every replica).',
    'awaiting_approval',
  );
  new Gauge({
    name: 'slipway_deployments_in_flight',
    help: 'Deployments this process is running now.',
    registers,
    collect() {
      this.set(sources.inFlight());
    },
  });
  const chatCalls = new Counter({
    name: 'slipway_chat_api_calls_total',
    help: 'Chat API calls (Slack Web API methods and response_url), by result: ok or the error code.',
    labelNames: ['method', 'result'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'slipway_chat_rate_limited_calls_total',
    help: 'Chat API calls that waited out a 429 Retry-After before being tried again.',
    labelNames: ['method'],
    registers,
  });
  const rateLimitWait = new Counter({
    name: 'slipway_chat_rate_limit_wait_seconds_total',
    help: 'Seconds chat API calls spent waiting out 429 Retry-After.',
    labelNames: ['method'],
    registers,
  });
  new Gauge({
    name: 'slipway_chat_events_waiting',
    help: 'Chat events (commands, clicks, mentions) this process has acknowledged and not yet begun to handle.',
    registers,
    collect() {
      this.set(sources.chatWaiting?.() ?? 0);
    },
  });
  const refusedBusy = new Counter({
    name: 'slipway_chat_commands_refused_busy_total',
    help: 'Slash commands refused in their acknowledgement because too many chat events were waiting.',
    registers,
  });
  const webhooks = new Counter({
    name: 'slipway_webhook_requests_total',
    help: 'Inbound webhook requests (build, github, alertmanager, slack), by HTTP status code.',
    labelNames: ['hook', 'code'],
    registers,
  });

  if (sources.dora) registerDoraGauges(registers, sources.dora, sources.log);

  const unsubscribe = sources.events.on((event) => {
    if (event.type !== 'transition' || !isFinal(event.transition.to)) return;
    const d = event.deployment;
    const labels = { service: d.service, environment: d.environment, outcome: d.state };
    finished.inc(labels);
    // Cancelled or superseded before it started: it has a fate, not a duration.
    if (d.startedAt) {
      const end = d.finishedAt ?? new Date();
      duration.observe(labels, Math.max(0, end.getTime() - d.startedAt.getTime()) / 1000);
    }
  });

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    close: unsubscribe,
    chatCall: (method, result) => chatCalls.inc({ method, result }),
    chatRateLimited(method, waitedMs) {
      rateLimited.inc({ method });
      rateLimitWait.inc({ method }, waitedMs / 1000);
    },
    webhook: (hook, status) => webhooks.inc({ hook, code: String(status) }),
    chatRefusedBusy: () => refusedBusy.inc(),
  };
}

/**
 * Sets the gauge from the store: every configured target gets a value (0 when idle), so a
 * drained queue reads 0 rather than vanishing. A store that does not answer leaves the gauge
 * empty for this scrape instead of failing the whole scrape.
 */
async function countInto(
  gauge: Gauge<'service' | 'environment'>,
  state: DeploymentState,
  sources: MetricsSources,
): Promise<void> {
  gauge.reset();
  let counts: Awaited<ReturnType<Store['countDeployments']>>;
  try {
    counts = await sources.store.countDeployments([state]);
  } catch (err) {
    sources.log.warn({ err, state }, 'metrics: could not count deployments');
    return;
  }
  const { config } = sources;
  for (const service of config.services) {
    for (const environment of config.environments) {
      if (driverBinding(config, service, environment))
        gauge.set({ service: service.name, environment: environment.name }, 0);
    }
  }
  for (const c of counts) gauge.set({ service: c.service, environment: c.environment }, c.count);
}

/** The Slack client's `onCall`, counting each call and its rate-limit waits. */
export function chatCallRecorder(metrics: Metrics): (call: SlackCall) => void {
  return (call) => {
    metrics.chatCall(call.method, call.ok ? 'ok' : (call.error ?? 'error'));
    if (call.retriedAfterMs > 0) metrics.chatRateLimited(call.method, call.retriedAfterMs);
  };
}
