import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { RetryableError } from '../../core/errors.js';
import type { Engine } from '../../engine/index.js';
import type { AlertGroupRecord, Store } from '../../store/types.js';
import { applyNotification, firing, firstStart, isResolved } from './group.js';
import { canaryTieOf, subjectOf, suspectDeployment } from './match.js';
import { GroupState, type Notification } from './schema.js';
import { ALERT_ACTOR } from './view.js';

export interface RecordDeps {
  config: Config;
  store: Store;
  engine: Pick<Engine, 'rollBack' | 'cancel'>;
  log: Logger;
  now: () => Date;
}

/** Saves from a stale read are retried this often before the notification is answered 503. */
const MAX_SAVES = 8;

/** Reads a group's stored state back through its schema. */
export function stateOf(row: AlertGroupRecord): GroupState {
  return GroupState.parse(row.state);
}

/**
 * Merges a notification into its group's current episode (or starts the next one) and ties a
 * firing episode to the recent deployment it may be about, once: later notifications keep that
 * tie, so the message does not change its mind. Compare-and-set, retried on a concurrent save
 * (another replica, or the other Alertmanager of an HA pair).
 */
export async function recordNotification(
  n: Notification,
  groupId: string,
  deps: RecordDeps,
): Promise<AlertGroupRecord> {
  for (let attempt = 0; attempt < MAX_SAVES; attempt++) {
    const row = await deps.store.latestAlertGroup(groupId);
    const { state, fresh } = applyNotification(row ? stateOf(row) : null, n);
    let deploymentId = fresh ? null : (row?.deploymentId ?? null);
    const started = firstStart(state);
    if (deploymentId === null && !isResolved(state) && started) {
      const subject = subjectOf(deps.config, state.alerts);
      deploymentId = (await suspectDeployment(deps, subject, started))?.id ?? null;
    }
    const saved = await deps.store.saveAlertGroup({
      groupId,
      episode: fresh ? (row?.episode ?? 0) + 1 : (row?.episode ?? 1),
      groupKey: n.groupKey,
      state,
      deploymentId,
      revision: fresh ? 0 : (row?.revision ?? 0),
      at: deps.now(),
    });
    if (saved) return saved;
  }
  throw new RetryableError(
    `alert group ${groupId} kept changing while Slipway saved it; Alertmanager will send it again`,
  );
}

/**
 * With `alerts.autoRollback`, undoes the deployment a firing episode is tied to, through the
 * engine and so through policy, as `alertmanager`: a canary still walking is aborted (a cancel,
 * which removes it), a deploy that went live is rolled back. Once: the rollback's idempotency
 * key is the one every Roll back button of that deployment uses, and a cancel happens once. A
 * refusal is kept in the group, for the message.
 */
export async function autoRollBack(
  row: AlertGroupRecord,
  deps: RecordDeps,
): Promise<AlertGroupRecord> {
  const state = stateOf(row);
  if (!deps.config.alerts.autoRollback || !row.deploymentId) return row;
  if (state.autoRollback || isResolved(state)) return row;
  const d = await deps.store.getDeployment(row.deploymentId);
  if (!d) return row;
  const names = [...new Set(firing(state).map((a) => a.labels.alertname ?? 'alert'))].join(', ');
  const caller = {
    actor: ALERT_ACTOR,
    source: 'webhook' as const,
    channel: null,
    deploymentId: d.id,
  };
  const canary = d.state === 'running' ? canaryTieOf(d) : null;
  const abort = canary !== null && !canary.promoting;
  // The engine checks that d is still running (a canary) or live (a deploy), and asks policy,
  // as for a button click.
  const r = abort
    ? await deps.engine.cancel({
        ...caller,
        reason: `Alertmanager: ${names} firing during the canary of ${d.version}`,
      })
    : await deps.engine.rollBack({
        ...caller,
        reason: `Alertmanager: ${names} firing after ${d.version} was deployed`,
      });
  const outcome: GroupState['autoRollback'] = r.ok
    ? { deploymentId: r.deployment.id, refused: null }
    : { deploymentId: null, refused: r.reason };
  deps.log.info(
    {
      deployment: d.id,
      rollback: r.ok ? r.deployment.id : null,
      refused: r.ok ? null : r.reason,
    },
    abort ? 'automatic canary abort on an alert' : 'automatic rollback on an alert',
  );
  return saveOutcome(row, outcome, deps);
}

async function saveOutcome(
  row: AlertGroupRecord,
  outcome: GroupState['autoRollback'],
  deps: RecordDeps,
): Promise<AlertGroupRecord> {
  let current = row;
  for (let attempt = 0; attempt < MAX_SAVES; attempt++) {
    const state = { ...stateOf(current), autoRollback: outcome };
    const saved = await deps.store.saveAlertGroup({ ...current, state, at: deps.now() });
    if (saved) return saved;
    const latest = await deps.store.latestAlertGroup(row.groupId);
    if (!latest || latest.episode !== row.episode) return current;
    current = latest;
  }
  return current;
}
