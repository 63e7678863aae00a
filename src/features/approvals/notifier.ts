import type { Logger } from 'pino';
import {
  createPostedMessage,
  type PostedDeps,
  type PostedMessage,
} from '../../chat/posted/posted-message.js';
import type { ChatClient } from '../../chat/types.js';
import { findEnvironment, findService } from '../../config/index.js';
import type { Config } from '../../config/schema.js';
import type { ApprovalVerdict, Deployment } from '../../core/deployment.js';
import { deploymentSubject } from '../../core/message-subject.js';
import { membersOf } from '../../policy/principals.js';
import type { Store } from '../../store/types.js';
import { approvalRequestView, settledApprovalView, verdictView } from './view.js';

const PREFIX = 'approver:';

/** The approvers' direct messages of one deployment, by user. */
export type ApproverMessages = Map<string, PostedMessage>;

export interface ApprovalDeps {
  config: Config;
  store: Store;
  chat: ChatClient;
  log: Logger;
  posted: PostedDeps;
}

/**
 * Who is asked to approve: everyone `approvals.from` names for the environment (groups and
 * service roles expanded), except the requester, who may not approve (four-eyes), and the CLI
 * identity, which has no chat. `*` (anyone) cannot be messaged one by one.
 */
export function approversOf(config: Config, d: Deployment, log: Logger): string[] {
  const environment = findEnvironment(config, d.environment);
  if (!environment) return [];
  const { users, anyone } = membersOf(
    config,
    environment.approvals.from,
    findService(config, d.service),
  );
  if (anyone)
    log.info(
      { environment: d.environment },
      'anyone may approve here: no direct messages sent for "*"',
    );
  return users.filter((user) => user !== d.requestedBy && user !== config.operator);
}

/** A deployment entered awaiting_approval: ask each approver in a direct message. */
export function askApprovers(deps: ApprovalDeps, d: Deployment, slots: ApproverMessages): void {
  for (const user of approversOf(deps.config, d, deps.log)) {
    slotFor(deps, d, user, slots).show(async () => {
      const current = await deps.store.getDeployment(d.id);
      // Settled before the message went out: nothing to ask any more.
      if (current?.state !== 'awaiting_approval') return null;
      const approvals = await deps.store.listApprovals(d.id);
      if (approvals.some((a) => a.approver === user)) return null;
      return approvalRequestView(current, { role: 'approver', approvals });
    });
  }
}

/**
 * A verdict arrived: the voter's message shows it without buttons; the others show the new
 * count while the deployment still waits.
 */
export async function recordVerdict(
  deps: ApprovalDeps,
  d: Deployment,
  verdict: { approver: string; verdict: ApprovalVerdict },
  slots: ApproverMessages,
): Promise<void> {
  await loadSlots(deps, d, slots);
  slots
    .get(verdict.approver)
    ?.show(async (posted) => (posted ? verdictView(d, verdict, 'message') : null));
  for (const [user, slot] of slots) {
    if (user === verdict.approver) continue;
    slot.show(async (posted) => {
      const current = await deps.store.getDeployment(d.id);
      if (!current || !posted || current.state !== 'awaiting_approval') return null;
      const approvals = await deps.store.listApprovals(d.id);
      return approvalRequestView(current, { role: 'approver', approvals });
    });
  }
}

/** The deployment left awaiting_approval: every request shows who decided, without buttons. */
export async function settleApprovers(
  deps: ApprovalDeps,
  d: Deployment,
  slots: ApproverMessages,
): Promise<void> {
  const { id } = d;
  await loadSlots(deps, d, slots);
  for (const slot of slots.values()) {
    slot.show(async (posted) => {
      const current = await deps.store.getDeployment(id);
      // Never posted: its reader was never asked, so there is nothing to close.
      if (!current || !posted) return null;
      return settledApprovalView(current, await deps.store.listApprovals(id));
    });
  }
}

/** After a restart, the direct messages sent before it, from the store. */
async function loadSlots(
  deps: ApprovalDeps,
  d: Deployment,
  slots: ApproverMessages,
): Promise<void> {
  for (const message of await deps.store.listPostedMessages(deploymentSubject(d.id))) {
    if (!message.purpose.startsWith(PREFIX) || message.ts === null) continue;
    const user = message.purpose.slice(PREFIX.length);
    if (!slots.has(user)) {
      slots.set(user, newSlot(deps, d, user, { channel: message.channel, ts: message.ts }));
    }
  }
}

function slotFor(
  deps: ApprovalDeps,
  d: Deployment,
  user: string,
  slots: ApproverMessages,
): PostedMessage {
  let slot = slots.get(user);
  if (!slot) {
    slot = newSlot(deps, d, user);
    slots.set(user, slot);
  }
  return slot;
}

function newSlot(
  deps: ApprovalDeps,
  d: Deployment,
  user: string,
  known?: { channel: string; ts: string },
): PostedMessage {
  // Log lines about an approver's message carry the deployment's ids, as its main message's do.
  const log = deps.posted.log.child({ deployment: d.id, correlationId: d.correlationId });
  return createPostedMessage(
    { ...deps.posted, log },
    {
      subject: deploymentSubject(d.id),
      purpose: `${PREFIX}${user}`,
      to: { user },
      ...(known ? { known } : {}),
    },
  );
}
