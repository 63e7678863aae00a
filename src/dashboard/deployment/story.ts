import { type DeliveryPlan, deliveryOf } from '../../analysis/index.js';
import { findService } from '../../config/lookup.js';
import type { Approval, Deployment, Transition } from '../../core/deployment.js';
import { memberIdsIn, type PeopleNames, withNames } from '../../core/people.js';
import { canaryProgressOf, verifyProgressOf } from '../../engine/index.js';
import type { CanarySignal, RefusalRecord } from '../../store/types.js';
import { type NameOf, namesFor } from '../format.js';
import { type DeploymentOutput, keepsOutput, readOutput } from '../output.js';
import type { DashboardDeps } from '../types.js';
import type { ActionFacts } from './controls.js';
import { chatLinks, configuredLinks, driverLinks, type PlaceLink, traceLink } from './links.js';

/** Everything the page of one deployment shows, read at once. */
export interface DeploymentStory {
  deployment: Deployment;
  transitions: Transition[];
  approvals: Approval[];
  refusals: RefusalRecord[];
  signals: CanarySignal[];
  facts: ActionFacts;
  /** What holds the target while this one waits in the queue. */
  holder: Deployment | null;
  /** The service's plan for the environment, from the config now. */
  plan: DeliveryPlan | null;
  /** `kept: false`: the driver keeps no output Slipway can read. */
  output: { kept: false } | { kept: true; output: DeploymentOutput | null };
  links: {
    chat: PlaceLink[];
    trace: PlaceLink | null;
    driver: PlaceLink[];
    /** The config's `links:`, filled for this deployment. */
    configured: PlaceLink[];
  };
  nameOf: NameOf;
  /** A reason or outcome with the chat ids in it written as names. */
  say: (text: string) => string;
}

/** Refusals beyond this many are old history of one deployment; the audit page has them all. */
const REFUSALS_SHOWN = 200;

export async function readStory(deps: DashboardDeps, id: string): Promise<DeploymentStory | null> {
  const d = await deps.store.getDeployment(id);
  if (!d) return null;
  const { store } = deps;
  const [transitions, approvals, refusals, signals, live, holder, output, chat] = await Promise.all(
    [
      store.listTransitions(d.id),
      store.listApprovals(d.id),
      store.listRefusals({ deploymentId: d.id, limit: REFUSALS_SHOWN }),
      store.listCanarySignals(d.id),
      d.state === 'succeeded' ? store.lastSucceeded(d.service, d.environment) : null,
      d.state === 'queued' ? deps.engine.holder(d.service, d.environment) : null,
      keepsOutput(deps, d) ? readOutput(deps, d) : undefined,
      chatLinks(deps, d),
    ] as const,
  );
  const service = findService(deps.config, d.service);
  const texts = [
    d.reason,
    d.outcome,
    d.progress,
    ...transitions.map((t) => t.reason),
    ...approvals.map((a) => a.comment),
    ...refusals.map((r) => r.reason),
  ].filter((t): t is string => !!t);
  const mentioned = texts.flatMap(memberIdsIn);
  const nameOf = await namesFor(deps, [
    d.requestedBy,
    ...transitions.map((t) => t.actor),
    ...approvals.map((a) => a.approver),
    ...refusals.map((r) => r.actor),
    ...signals.map((s) => s.actor),
    canaryProgressOf(d)?.paused?.by,
    holder?.requestedBy,
    ...mentioned,
  ]);
  const names: PeopleNames = new Map(mentioned.map((m) => [m, nameOf(m)]));
  return {
    deployment: d,
    transitions,
    approvals,
    refusals,
    signals,
    facts: {
      live: live?.id === d.id,
      canary: canaryProgressOf(d),
      verify: verifyProgressOf(d),
    },
    holder: holder && holder.id !== d.id ? holder : null,
    plan: service ? deliveryOf(service, d.environment) : null,
    output: output === undefined ? { kept: false } : { kept: true, output },
    links: {
      chat,
      trace: traceLink(deps.traceUrl, d.traceParent),
      driver: driverLinks(d),
      configured: configuredLinks(deps.config, d),
    },
    nameOf,
    say: (text) => withNames(text, names),
  };
}
