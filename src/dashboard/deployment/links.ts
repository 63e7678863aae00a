import type { Config } from '../../config/schema.js';
import type { Deployment } from '../../core/deployment.js';
import { deploymentSubject } from '../../core/message-subject.js';
import { deploymentLinks } from '../../integrations/links.js';
import { channelName } from '../../policy/text.js';
import type { DashboardDeps } from '../types.js';

/**
 * Where else a deployment can be read: its chat card, its trace, the driver's own page. A link
 * is written only for an http(s) address; a place without one is still named, as text.
 */
export interface PlaceLink {
  label: string;
  url: string | null;
  /** Why there is no link, or what the link leads to. */
  note?: string;
}

/** `url` when it is an absolute http(s) address; null for anything else (javascript:, data:…). */
export function httpUrl(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const parsed = URL.parse(url);
  return parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? url : null;
}

/**
 * The trace id of a W3C `traceparent` (`00-<trace id>-<parent id>-<flags>`): its second field,
 * 32 lowercase hex digits and not all zeros (www.w3.org/TR/trace-context/#trace-id).
 */
export function traceIdOf(traceParent: string | null | undefined): string | null {
  const id = traceParent?.split('-')[1];
  return id && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : null;
}

/** The deployment's trace, linked through `SLIPWAY_TRACE_URL` when it is set. */
export function traceLink(traceUrl: string | null, traceParent: string | null | undefined) {
  const traceId = traceIdOf(traceParent);
  if (!traceId) return null;
  const url = traceUrl ? httpUrl(traceUrl.replaceAll('{traceId}', traceId)) : null;
  return url
    ? { label: `Trace ${traceId}`, url }
    : {
        label: `Trace ${traceId}`,
        url: null,
        note: 'set SLIPWAY_TRACE_URL (such as http://jaeger:16686/trace/{traceId}) to link it',
      };
}

/** What the driver reported in `driverRef`: where the version runs, and its page about the work. */
export function driverLinks(d: Deployment): PlaceLink[] {
  const ref = (d.driverRef ?? {}) as { url?: unknown; link?: { label?: unknown; url?: unknown } };
  const links: PlaceLink[] = [];
  const url = httpUrl(ref.url);
  if (url) links.push({ label: `Open ${d.environment}`, url });
  const link = httpUrl(ref.link?.url);
  if (link && typeof ref.link?.label === 'string') links.push({ label: ref.link.label, url: link });
  return links;
}

/** The config's `links:` (a dashboard, logs) over the time it ran, as its chat card shows them. */
export function configuredLinks(config: Config, d: Deployment): PlaceLink[] {
  return deploymentLinks(config, d).map((l) => ({ label: l.label, url: httpUrl(l.url) }));
}

/** A permalink asked of the chat platform should not hold the page up when it is slow. */
const PERMALINK_WAIT_MS = 2_000;

/**
 * The deployment's cards in chat: the one in its service's channel and the one where it was
 * asked for. Direct messages (to approvers, reviewers) are left out: only their reader can
 * open them.
 */
export async function chatLinks(
  deps: Pick<DashboardDeps, 'store' | 'messageLink' | 'log'>,
  d: Deployment,
): Promise<PlaceLink[]> {
  const posted = await deps.store.listPostedMessages(deploymentSubject(d.id));
  const cards = posted.filter(
    (m): m is typeof m & { ts: string } =>
      m.ts !== null && (m.purpose === 'main' || m.purpose === 'origin'),
  );
  return Promise.all(
    cards.map(async (m) => {
      const where = channelName(m.channel);
      const label =
        m.purpose === 'main'
          ? `Chat message in ${where}`
          : `Chat message where it was asked, ${where}`;
      const url = httpUrl(await permalink(deps, m.channel, m.ts));
      return url ? { label, url } : { label, url: null, note: 'the chat platform gives no link' };
    }),
  );
}

async function permalink(
  deps: Pick<DashboardDeps, 'messageLink' | 'log'>,
  channel: string,
  ts: string,
): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), PERMALINK_WAIT_MS);
  });
  try {
    return await Promise.race([deps.messageLink(channel, ts), late]);
  } catch (err) {
    deps.log.warn({ err, channel, ts }, 'message link failed');
    return null;
  } finally {
    clearTimeout(timer);
  }
}
