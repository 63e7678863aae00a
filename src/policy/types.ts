import type { Environment, Service } from '../config/schema.js';
import type { BadVersion } from '../core/bad-version.js';
import type { Lock, RequestSource } from '../core/deployment.js';

/** The policy's vocabulary, shared by decide.ts and the rule files it dispatches to. */

export type Action =
  | 'deploy'
  | 'rollback'
  | 'lock'
  | 'unlock'
  | 'approve'
  | 'reject'
  | 'cancel'
  | 'steer'
  | 'retry'
  | 'review'
  | 'promote'
  | 'close'
  | 'status'
  | 'history';

export interface PolicyRequest {
  actor: string;
  /** Chat channel id; null for the CLI or the API, which are not chat channels. */
  channel: string | null;
  source: RequestSource;
  action: Action;
  service: string | null;
  environment: string | null;
  /** The version a change puts on the target, for sentences that suggest a command. */
  version?: string | null;
  /**
   * `deploy!` (override a freeze, or a version marked bad) or `lock!` / `unlock!` (take over
   * someone else's lock).
   */
  force?: boolean;
  /** Why, as the person said it (`-- <reason>`); a version marked bad is deployed only with one. */
  reason?: string | null;
  /** The mark on the version this change puts on the target, when a rollback took it off there. */
  badVersion?: BadVersion | null;
  /** For approve/reject/cancel/review: who requested the deployment. */
  requestedBy?: string;
  /** Unexpired locks on this environment, from the store. */
  locks?: Lock[];
  now: Date;
}

export type RefusalCode =
  | 'unknown_service'
  | 'unknown_environment'
  | 'not_deployable_here'
  | 'incomplete_request'
  | 'not_deployer'
  | 'wrong_channel'
  | 'frozen'
  | 'freeze_override_denied'
  | 'locked'
  | 'lock_held'
  | 'lock_override_denied'
  | 'bad_version'
  | 'reason_required'
  | 'self_approval'
  | 'not_approver'
  | 'not_requester'
  | 'not_qa'
  | 'not_owner';

export type Decision =
  | { allowed: true; notes: string[] }
  | { allowed: false; code: RefusalCode; reason: string; suggestion?: string | null };

/** A resolved request: names checked, objects found. */
export interface Target {
  request: PolicyRequest;
  service: Service | null;
  environment: Environment | null;
}

export function allow(notes: string[] = []): Decision {
  return { allowed: true, notes };
}

export function refuse(code: RefusalCode, reason: string, suggestion?: string | null): Decision {
  return suggestion
    ? { allowed: false, code, reason, suggestion }
    : { allowed: false, code, reason };
}
