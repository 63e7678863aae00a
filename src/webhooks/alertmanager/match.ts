import { findEnvironment, findService, serviceEnvironments } from '../../config/index.js';
import type { Config, Service } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { parseDuration } from '../../core/duration.js';
import { canaryProgressOf } from '../../engine/canary.js';
import type { Store } from '../../store/types.js';
import type { StoredAlert } from './schema.js';

/**
 * Which service and environment a group of alerts is about, read from their labels, and which
 * recent deployment they may be about.
 */

/** Labels naming the service, in order of preference (Prometheus' `job` last: it is a scrape job). */
export const SERVICE_LABELS = ['service', 'app', 'job'] as const;
/** Labels naming the environment; without one, the alert may be about any environment. */
export const ENVIRONMENT_LABELS = ['environment', 'env'] as const;

export interface Subject {
  /** The configured service every alert names, or null (none named, unknown, or several). */
  service: Service | null;
  /** The service names the labels give, as written, for the message ('web', 'web, api'). */
  named: string[];
  /** The one environment the alerts name, as written; null when they name none. */
  environment: string | null;
  /** The alerts name several environments: they are tied to no deployment. */
  environments: string[];
  /** Where the message goes: the service's channel, else `alerts.channel`, else nowhere. */
  channel: string | null;
}

export function subjectOf(config: Config, alerts: readonly StoredAlert[]): Subject {
  const named = distinct(alerts.map((a) => serviceLabel(config, a.labels)));
  const environments = distinct(alerts.map((a) => firstLabel(a.labels, ENVIRONMENT_LABELS)));
  const service = named.length === 1 ? findService(config, named[0] as string) : null;
  return {
    service,
    named,
    environment: environments.length === 1 ? (environments[0] as string) : null,
    environments,
    channel: service?.channel ?? config.alerts.channel ?? null,
  };
}

/** The first service label whose value is a configured service, else the first one present. */
function serviceLabel(config: Config, labels: Record<string, string>): string | null {
  const values = SERVICE_LABELS.map((name) => labels[name]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return values.find((value) => findService(config, value)) ?? values[0] ?? null;
}

function firstLabel(labels: Record<string, string>, names: readonly string[]): string | null {
  for (const name of names) {
    const value = labels[name];
    if (value) return value;
  }
  return null;
}

function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].sort();
}

/**
 * The deployment the alerts may be about: a canary of the subject's service walking as they
 * start, since it is the change under way; else the recent deploy that went live before them.
 */
export async function suspectDeployment(
  deps: { config: Config; store: Pick<Store, 'lastSucceeded' | 'listDeployments'> },
  subject: Subject,
  alertsStarted: Date,
): Promise<Deployment | null> {
  return (
    (await runningCanary(deps, subject, alertsStarted)) ??
    (await recentDeployment(deps, subject, alertsStarted))
  );
}

/** Where a deployment's canary stands while it takes traffic beside the live version. */
export interface CanaryTie {
  weight: number;
  paused: boolean;
  /** Its steps are done: the live version is taking the canary's version. */
  promoting: boolean;
}

/** The canary a deployment walks or walked, as the engine stores it; null for a rolling one. */
export function canaryTieOf(d: Deployment): CanaryTie | null {
  const canary = canaryProgressOf(d);
  if (!canary) return null;
  return { weight: canary.weight, paused: canary.paused !== null, promoting: canary.promoting };
}

/**
 * A canary of the subject's service that began before the alerts did and still sends part of
 * the traffic to its version (running, not yet promoting), in the environment the alerts name,
 * or in any when they name none.
 */
async function runningCanary(
  deps: { store: Pick<Store, 'listDeployments'> },
  subject: Subject,
  alertsStarted: Date,
): Promise<Deployment | null> {
  const { service } = subject;
  if (!service || subject.environments.length > 1) return null;
  const running = await deps.store.listDeployments({
    service: service.name,
    kind: 'deploy',
    states: ['running'],
    ...(subject.environment ? { environment: subject.environment } : {}),
  });
  return (
    running.find((d) => {
      const canary = canaryTieOf(d);
      const started = d.startedAt ?? d.createdAt;
      return canary && !canary.promoting && started.getTime() <= alertsStarted.getTime();
    }) ?? null
  );
}

/**
 * The recent deploy the alerts may be about: a deploy of the subject's service, still what is live
 * on its target, that started before the alerts did and went live at most `alerts.recentDeploy`
 * before they started (a rolling update hurts before it finishes, so it may end after). In the
 * environment the alerts name, or, when they name none, in any of the service's. A rollback that
 * is live ties nothing: offering to roll back a rollback would loop.
 */
export async function recentDeployment(
  deps: { config: Config; store: Pick<Store, 'lastSucceeded'> },
  subject: Subject,
  alertsStarted: Date,
): Promise<Deployment | null> {
  const { service } = subject;
  if (!service || subject.environments.length > 1) return null;
  const windowMs = parseDuration(deps.config.alerts.recentDeploy) ?? 30 * 60_000;
  const environments =
    subject.environment === null
      ? serviceEnvironments(deps.config, service)
      : findEnvironment(deps.config, subject.environment)
        ? [subject.environment]
        : [];
  let best: Deployment | null = null;
  for (const environment of environments) {
    const live = await deps.store.lastSucceeded(service.name, environment);
    if (live?.kind !== 'deploy' || !live.finishedAt) continue;
    const started = (live.startedAt ?? live.createdAt).getTime();
    const recent = live.finishedAt.getTime() >= alertsStarted.getTime() - windowMs;
    if (!recent || started > alertsStarted.getTime()) continue;
    if (!best || (best.finishedAt as Date) < live.finishedAt) best = live;
  }
  return best;
}
