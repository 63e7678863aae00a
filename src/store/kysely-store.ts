import { sql } from 'kysely';
import { doraRecords } from '../dora/query.js';
import { createAcceptWriter } from './accept.js';
import { latestAlertGroup, listAlertGroups, saveAlertGroup } from './alert-groups.js';
import { addApproval, listApprovals } from './approvals.js';
import {
  clearBadVersion,
  findBadVersion,
  listBadVersions,
  markBadVersion,
} from './bad-versions.js';
import { addCanarySignal, listCanarySignals } from './canary-signals.js';
import {
  findChatConversation,
  findChatMember,
  saveChatConversation,
  saveChatMember,
} from './chat-conversations.js';
import type { StoreContext } from './context.js';
import { createDeliveryLedger } from './deliveries.js';
import {
  countDeployments,
  createDeployment,
  findByIdempotencyKey,
  getDeployment,
  lastSucceeded,
  lastSucceededOn,
  listDeployments,
  listTransitions,
  newestOn,
  patchDeployment,
  transition,
} from './deployments.js';
import {
  getGitHubDeployment,
  listGitHubDeployments,
  saveGitHubDeployment,
} from './github-deployments.js';
import {
  completeGrafanaAnnotation,
  endGrafanaAnnotation,
  getGrafanaAnnotation,
  listOpenGrafanaAnnotations,
  reserveGrafanaAnnotation,
  takeOverGrafanaAnnotation,
} from './grafana-annotations.js';
import { acquireLock, listLocks, releaseLock } from './locks.js';
import { migrate, pendingMigrations } from './migrations/index.js';
import { listOwedCardUpdates, oweCardUpdates, settleCardUpdate } from './owed-card-updates.js';
import { findPeople, rememberPeople } from './people.js';
import {
  completePostedMessage,
  findPostedMessages,
  listPostedMessages,
  reservePostedMessage,
  takeOverPostedMessage,
} from './posted-messages.js';
import { claimNextQueued, releaseLeases, renewLeases, takeExpiredLeases } from './queue.js';
import { createRefusalLedger, listRefusals } from './refusals.js';
import { getReviewDecision, recordReviewDecision } from './review-decisions.js';
import type { Store } from './types.js';

/** The one implementation of the Store port; the dialect only changes `ctx.dialect`. */
export function createKyselyStore(ctx: StoreContext): Store {
  let closing: Promise<void> | undefined;
  const deliveries = createDeliveryLedger(ctx);
  const accepts = createAcceptWriter(ctx);
  const recordRefusal = createRefusalLedger(ctx);
  return {
    kind: ctx.dialect.kind,
    migrate: () => migrate(ctx),
    pendingMigrations: () => pendingMigrations(ctx),
    ping: async () => {
      await sql`select 1`.execute(ctx.db);
    },
    // An UPDATE that matches no row changes nothing, yet both databases refuse it when they
    // cannot write: SQLite on a read-only file (where BEGIN IMMEDIATE still succeeds in WAL
    // mode), Postgres in a read-only transaction or without the privilege.
    probeWrite: () =>
      ctx.db.transaction().execute(async (trx) => {
        await sql`update deployments set id = id where 1 = 0`.execute(trx);
      }),
    // Closing twice is harmless (shutdown paths often overlap); pg's pool throws otherwise.
    close: () => {
      closing ??= ctx.db.destroy();
      return closing;
    },

    createDeployment: (deployment, initial, meta) =>
      createDeployment(ctx, deployment, initial, meta),
    acceptDeployment: (deployment, steps, gate) => accepts.accept(deployment, steps, gate),
    getDeployment: (id) => getDeployment(ctx, id),
    findByIdempotencyKey: (key) => findByIdempotencyKey(ctx, key),
    listDeployments: (filter) => listDeployments(ctx, filter),
    transition: (id, from, to, meta, patch) => transition(ctx, id, from, to, meta, patch),
    patchDeployment: (id, patch, guard) => patchDeployment(ctx, id, patch, guard),
    listTransitions: (id) => listTransitions(ctx, id),
    countDeployments: (states) => countDeployments(ctx, states),

    claimNextQueued: (owner, leaseMs, meta) => claimNextQueued(ctx, owner, leaseMs, meta),
    renewLeases: (owner, ids, leaseMs) => renewLeases(ctx, owner, ids, leaseMs),
    takeExpiredLeases: (owner, leaseMs, now) => takeExpiredLeases(ctx, owner, leaseMs, now),
    releaseLeases: (owner) => releaseLeases(ctx, owner),

    lastSucceeded: (service, environment) => lastSucceeded(ctx, service, environment),
    lastSucceededOn: (targets) => lastSucceededOn(ctx, targets),
    newestOn: (targets) => newestOn(ctx, targets),

    addApproval: (approval) => addApproval(ctx, approval),
    listApprovals: (id) => listApprovals(ctx, id),
    recordReviewDecision: (decision) => recordReviewDecision(ctx, decision),
    getReviewDecision: (id) => getReviewDecision(ctx, id),

    acquireLock: (lock, force) => acquireLock(ctx, lock, force),
    releaseLock: (environment, service) => releaseLock(ctx, environment, service),
    listLocks: (environment, now) => listLocks(ctx, environment, now),

    reservePostedMessage: (key) => reservePostedMessage(ctx, key),
    takeOverPostedMessage: (key, staleAfterMs) => takeOverPostedMessage(ctx, key, staleAfterMs),
    completePostedMessage: (key) => completePostedMessage(ctx, key),
    listPostedMessages: (subject) => listPostedMessages(ctx, subject),
    findPostedMessages: (ref) => findPostedMessages(ctx, ref),

    latestAlertGroup: (groupId) => latestAlertGroup(ctx, groupId),
    saveAlertGroup: (group) => saveAlertGroup(ctx, group),
    listAlertGroups: (filter) => listAlertGroups(ctx, filter),

    recordRefusal,
    listRefusals: (filter) => listRefusals(ctx, filter),

    markDelivered: (key, expiresAt) => deliveries.markDelivered(key, expiresAt),

    rememberPeople: (people) => rememberPeople(ctx, people),
    findPeople: (ids) => findPeople(ctx, ids),
    addCanarySignal: (signal) => addCanarySignal(ctx, signal),
    listCanarySignals: (deploymentId) => listCanarySignals(ctx, deploymentId),
    saveChatConversation: (conversation) => saveChatConversation(ctx, conversation),
    findChatConversation: (platform, id) => findChatConversation(ctx, platform, id),
    saveChatMember: (member) => saveChatMember(ctx, member),
    findChatMember: (userId) => findChatMember(ctx, userId),
    doraRecords: (query) => doraRecords(ctx, query),

    markBadVersion: (mark) => markBadVersion(ctx, mark),
    findBadVersion: (service, environment, version) =>
      findBadVersion(ctx, service, environment, version),
    clearBadVersion: (clearing) => clearBadVersion(ctx, clearing),
    listBadVersions: (filter) => listBadVersions(ctx, filter),

    reserveGrafanaAnnotation: (key) => reserveGrafanaAnnotation(ctx, key),
    takeOverGrafanaAnnotation: (key, staleAfterMs) =>
      takeOverGrafanaAnnotation(ctx, key, staleAfterMs),
    completeGrafanaAnnotation: (key) => completeGrafanaAnnotation(ctx, key),
    endGrafanaAnnotation: (key) => endGrafanaAnnotation(ctx, key),
    getGrafanaAnnotation: (deploymentId) => getGrafanaAnnotation(ctx, deploymentId),
    listOpenGrafanaAnnotations: (limit) => listOpenGrafanaAnnotations(ctx, limit),
    oweCardUpdates: (ids, at) => oweCardUpdates(ctx, ids, at),
    listOwedCardUpdates: (limit) => listOwedCardUpdates(ctx, limit),
    settleCardUpdate: (id) => settleCardUpdate(ctx, id),

    getGitHubDeployment: (deploymentId) => getGitHubDeployment(ctx, deploymentId),
    saveGitHubDeployment: (report, revision) => saveGitHubDeployment(ctx, report, revision),
    listGitHubDeployments: (filter) => listGitHubDeployments(ctx, filter),
  };
}
