import { type LinkPlaceholder, PLACEHOLDER } from '../config/links.js';
import { findService } from '../config/lookup.js';
import type { Config } from '../config/schema.js';
import type { Deployment } from '../core/deployment.js';

/**
 * The `links:` of slipway.yaml filled for what a message is about (a deployment, an alert
 * group): a Grafana dashboard or logs over the time it happened. The templates were checked at
 * load (src/config/links.ts); here each value is URL-encoded into its place.
 */

export interface FilledLink {
  label: string;
  url: string;
}

/** How far either side of what happened a link's time range reaches. */
export const LINK_MARGIN_MS = 5 * 60_000;

export type LinkValues = Partial<Record<Exclude<LinkPlaceholder, 'from' | 'to'>, string | null>>;

/** What a link shows: from its start; to its end, or `now` while it goes on. */
export interface LinkWindow {
  start: Date | null;
  end: Date | null;
}

/** The templates for a service: the top-level ones, with the service's own by name over them. */
export function templatesFor(config: Config, service: string | null): [string, string][] {
  const own = service ? (findService(config, service)?.links ?? {}) : {};
  return Object.entries({ ...config.links, ...own });
}

/**
 * `grafana` → "Grafana", `error-logs` → "Error logs": a link's name is its label. A link whose
 * template names a value this message does not have (an alert tied to no deployment has no
 * version) is left out rather than shown half filled.
 */
export function fillLinks(
  templates: readonly [string, string][],
  values: LinkValues,
  window: LinkWindow,
): FilledLink[] {
  const links: FilledLink[] = [];
  for (const [name, template] of templates) {
    const url = fillTemplate(template, values, window);
    if (url) links.push({ label: labelOf(name), url });
  }
  return links;
}

/** The template with every placeholder filled, or null when one has no value here. */
export function fillTemplate(
  template: string,
  values: LinkValues,
  window: LinkWindow,
): string | null {
  const times: Record<'from' | 'to', string | null> = {
    from: window.start ? String(window.start.getTime() - LINK_MARGIN_MS) : null,
    to: window.end ? String(window.end.getTime() + LINK_MARGIN_MS) : window.start ? 'now' : null,
  };
  let missing = false;
  const url = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = name === 'from' || name === 'to' ? times[name] : values[name as keyof LinkValues];
    if (value === null || value === undefined || value === '') {
      missing = true;
      return '';
    }
    return encodeURIComponent(value);
  });
  return missing ? null : url;
}

function labelOf(name: string): string {
  const words = name.replaceAll('-', ' ');
  return `${words[0]?.toUpperCase() ?? ''}${words.slice(1)}`;
}

/**
 * A deployment's links: its service's templates over the time it ran, from its start (or its
 * request, before it starts) to its end, or `now` while it runs.
 */
export function deploymentLinks(config: Config, d: Deployment): FilledLink[] {
  return fillLinks(
    templatesFor(config, d.service),
    {
      service: d.service,
      environment: d.environment,
      version: d.version,
      deploymentId: d.id,
    },
    { start: d.startedAt ?? d.createdAt, end: d.finishedAt },
  );
}

/**
 * An alert group's links: the templates of the service its alerts name (the top-level ones when
 * they name none), over the time the alerts fired, to their resolution or `now`. The version
 * and deployment id are those of the deployment the alerts are tied to, when there is one.
 */
export function alertLinks(
  config: Config,
  alert: {
    service: string | null;
    environment: string | null;
    deployment: Deployment | null;
    firedAt: Date | null;
    resolvedAt: Date | null;
  },
): FilledLink[] {
  const d = alert.deployment;
  return fillLinks(
    templatesFor(config, alert.service),
    {
      service: alert.service,
      environment: alert.environment ?? d?.environment ?? null,
      version: d?.version ?? null,
      deploymentId: d?.id ?? null,
    },
    { start: alert.firedAt, end: alert.resolvedAt },
  );
}
