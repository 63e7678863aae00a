/**
 * Row shapes as both dialects store them. Times are epoch milliseconds in BIGINT columns so
 * that SQLite and Postgres round-trip a `Date` exactly and compare them as numbers.
 */
export interface DeploymentsTable {
  id: string;
  service: string;
  environment: string;
  version: string;
  previous_version: string | null;
  /** 'branch' or 'tag', with ref_name; both NULL when the build's ref is unknown. */
  ref_type: string | null;
  ref_name: string | null;
  kind: string;
  state: string;
  requested_by: string;
  source: string;
  channel: string | null;
  reason: string | null;
  correlation_id: string;
  idempotency_key: string | null;
  /** 0 or 1: SQLite has no boolean type. */
  freeze_override: number;
  approvals_required: number;
  driver: string;
  /** JSON text of `driverRef`; NULL when there is none. */
  driver_ref: string | null;
  progress: string | null;
  outcome: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** W3C traceparent of the request that created the deployment; NULL when tracing was off. */
  trace_parent: string | null;
  /** When the build's commit was made, as CI reported it; NULL when unknown. */
  committed_at: number | null;
  /** The commit the build was made from, as CI reported it; NULL when unknown. */
  commit_sha: string | null;
}

export interface TransitionsTable {
  deployment_id: string;
  seq: number;
  from_state: string | null;
  to_state: string;
  actor: string;
  at: number;
  reason: string | null;
  correlation_id: string;
}

export interface ApprovalsTable {
  deployment_id: string;
  approver: string;
  verdict: string;
  comment: string | null;
  at: number;
}

export interface LocksTable {
  environment: string;
  /** '' for a lock on the whole environment: a primary key column cannot be NULL. */
  service: string;
  owner: string;
  reason: string | null;
  created_at: number;
  expires_at: number | null;
}

export interface PostedMessagesTable {
  /** A deployment id, `alert:<group>:<episode>` or `digest:<ISO week>` (see subjectKey). */
  subject: string;
  /** `main`, `origin`, `approver:<user>`, … (see PostedMessageRecord). */
  purpose: string;
  /** Where it was sent, known before posting: the channel, or `dm:<user>`. */
  address: string;
  channel: string;
  /** NULL while the row only reserves the message: it is being posted. */
  ts: string | null;
  /** The subject again as foreign keys, so that its messages go with it. */
  deployment_id: string | null;
  alert_group_id: string | null;
  alert_episode: number | null;
  /** When the reservation was last granted: one this old without `ts` was abandoned. */
  claimed_at: number;
  created_at: number;
  updated_at: number;
}

export interface ReviewDecisionsTable {
  deployment_id: string;
  /** `promoted` or `closed` (see ReviewDecision). */
  decision: string;
  actor: string;
  at: number;
}

export interface AlertGroupsTable {
  /** A hash of Alertmanager's groupKey (see AlertGroupRecord). */
  group_id: string;
  episode: number;
  group_key: string;
  /** JSON text of the merged group. */
  state: string;
  revision: number;
  deployment_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SeenDeliveriesTable {
  /** A delivery's id as the transport computes it (`slack:trigger:…`, `slack:event:…`). */
  key: string;
  /** Once past, the delivery can no longer pass verification: the row may go. */
  expires_at: number;
}

export interface RefusalsTable {
  /** Made by the caller (`r-…`), so a retried record keeps one row. */
  id: string;
  at: number;
  actor: string;
  source: string;
  channel: string | null;
  /** The policy action refused: `deploy`, `deploy!`, `approve`, `lock`, … */
  action: string;
  service: string | null;
  environment: string | null;
  version: string | null;
  /** The deployment the request named, if any; not a foreign key (it may not exist). */
  deployment_id: string | null;
  code: string;
  reason: string;
  correlation_id: string | null;
}

export interface PeopleTable {
  /** The person's chat id (a Slack member id). */
  id: string;
  /** As the platform shows them (Slack: display name, else real name). */
  name: string;
  /** When the platform was last asked. */
  refreshed_at: number;
}

export interface CanarySignalsTable {
  id: string;
  deployment_id: string;
  /** `pause`, `resume`, `promote` (now), `abort`. */
  action: string;
  actor: string;
  at: number;
}

/** Where a conversation lives, for a platform without a directory (Teams' serviceUrl, tenant). */
export interface ChatConversationsTable {
  platform: string;
  /** The platform's own conversation id (Teams: without a thread's `;messageid=`). */
  id: string;
  /** `personal`, `groupChat` or `channel`. */
  kind: string;
  service_url: string;
  tenant_id: string | null;
  updated_at: number;
}

/** A person as a platform without a directory knows them, by the core's id for them. */
export interface ChatMembersTable {
  /** `teams:<aadObjectId>` (or `teams:<Teams id>`). */
  user_id: string;
  platform: string;
  /** Their id in the platform's activities (Teams: `29:…`). */
  platform_user_id: string;
  aad_object_id: string | null;
  name: string | null;
  tenant_id: string | null;
  service_url: string;
  /** Their 1:1 chat with the bot, once known. */
  personal_conversation_id: string | null;
  updated_at: number;
}

/** A deployment's annotation in Grafana (src/integrations/grafana). */
export interface GrafanaAnnotationsTable {
  deployment_id: string;
  /** Grafana's id; NULL while the row only reserves it: a process is creating it. */
  annotation_id: number | string | null;
  /** The process creating it, and since when: a reservation this old without an id was left. */
  claimed_by: string;
  claimed_at: number;
  /** When its end (the deployment's outcome) was written to Grafana; NULL while open. */
  ended_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A version a rollback took off a target (src/core/bad-version.ts; migration 015). */
export interface BadVersionsTable {
  id: string;
  service: string;
  environment: string;
  version: string;
  marked_at: number;
  /** The person or identity that rolled it back, or `slipway` after a failed rollout. */
  marked_by: string;
  reason: string;
  /** The rollback, or the deploy that failed and went back; not a foreign key. */
  deployment_id: string | null;
  /** NULL while the mark holds; set by the `deploy!` that overrode it. */
  cleared_at: number | null;
  cleared_by: string | null;
  cleared_reason: string | null;
  cleared_deployment_id: string | null;
}

export interface Tables {
  deployments: DeploymentsTable;
  transitions: TransitionsTable;
  approvals: ApprovalsTable;
  locks: LocksTable;
  posted_messages: PostedMessagesTable;
  review_decisions: ReviewDecisionsTable;
  alert_groups: AlertGroupsTable;
  refusals: RefusalsTable;
  seen_deliveries: SeenDeliveriesTable;
  people: PeopleTable;
  canary_signals: CanarySignalsTable;
  chat_conversations: ChatConversationsTable;
  chat_members: ChatMembersTable;
  bad_versions: BadVersionsTable;
  grafana_annotations: GrafanaAnnotationsTable;
  github_deployments: GitHubDeploymentsTable;
  owed_card_updates: OwedCardUpdatesTable;
}

/** A deployment whose cards a stop left showing an earlier state (migration 018). */
export interface OwedCardUpdatesTable {
  deployment_id: string;
  owed_since: number;
}

/** A deployment's GitHub deployment (src/integrations/github-deployments; migration 016). */
export interface GitHubDeploymentsTable {
  deployment_id: string;
  /** owner/name */
  repository: string;
  service: string;
  environment: string;
  version: string;
  /** What it holds on GitHub once it succeeded: '' (its environment) or a preview's ref. */
  slot: string;
  /** The ref GitHub was asked to deploy: a commit SHA, or the version. */
  ref: string;
  github_environment: string;
  /** 0 or 1. */
  transient: number;
  production: number;
  /** GitHub's id; NULL until it was created (or found). */
  github_id: number | string | null;
  /** 1 once a create was sent: before another, GitHub is asked whether it made one. */
  create_tried: number;
  /** How many of its planned statuses were posted. */
  statuses: number;
  last_state: string | null;
  /** 1 while more may be posted to it. */
  open: number;
  /** Why reporting it was given up; NULL while it is reported. */
  given_up: string | null;
  claimed_by: string | null;
  claimed_until: number | null;
  revision: number;
  created_at: number;
  updated_at: number;
}
