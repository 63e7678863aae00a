import type { BadVersion, BadVersionClearing, NewBadVersion } from '../core/bad-version.js';
import type {
  Approval,
  Deployment,
  DeploymentState,
  Lock,
  RequestSource,
  Transition,
} from '../core/deployment.js';
import type { MessageSubject } from '../core/message-subject.js';
import type { DoraQuery, DoraRecords } from '../dora/types.js';

/** What a new deployment row holds; the store fills id-independent bookkeeping fields. */
export type NewDeployment = Omit<
  Deployment,
  | 'state'
  | 'driverRef'
  | 'progress'
  | 'outcome'
  | 'leaseOwner'
  | 'leaseExpiresAt'
  | 'createdAt'
  | 'updatedAt'
  | 'startedAt'
  | 'finishedAt'
>;

/** Who moved a deployment, and why. Written with every transition. */
export interface TransitionMeta {
  actor: string;
  reason?: string | null;
  at?: Date;
  /**
   * Only while this process holds the deployment's lease: a process that lost it (stalled past
   * it, another took over) writes nothing, instead of old progress over the new holder's.
   */
  holder?: string;
}

/** What `acceptDeployment` writes besides the new deployment (requests.ts). */
export interface AcceptSteps {
  /** Its first transition, into `requested`. */
  requested: TransitionMeta;
  /** Where it goes next (`queued`, `awaiting_approval`), and why. */
  next: { to: DeploymentState; meta: TransitionMeta };
  /** The target's older requests in `from` that end `superseded`, with this outcome. */
  supersede: { from: readonly DeploymentState[]; meta: TransitionMeta; outcome: string } | null;
  /**
   * Start it in the same transaction, for the process that asks (its lease, from the commit
   * on), when it goes to `queued` and nothing else is active on its target: what is live there
   * is read inside the transaction, as a claim would read it. SQLite only, where one process
   * runs everything; elsewhere it stays queued for the replicas' claims.
   */
  claim?: { owner: string; leaseMs: number; meta: TransitionMeta } | null;
}

/**
 * Lets whoever asked take an accepted request back until its transaction starts (a chat
 * command whose acknowledgement could wait no longer is refused as busy instead of being
 * acknowledged unrecorded).
 */
export interface RecordGate {
  /** The request waits for its transaction (a chat handler frees its slot). */
  waiting(): void;
  /** Its transaction starts: false when it was taken back meanwhile, and nothing is written. */
  begin(): boolean;
}

/** What `acceptDeployment` wrote: each state the new deployment passed and whom it superseded. */
export interface AcceptedRecord {
  /** As it stands after `next`; the existing deployment when its key was used. */
  deployment: Deployment;
  created: boolean;
  /** As it stood in `requested` (null when nothing was created). */
  requested: Deployment | null;
  superseded: Array<{ deployment: Deployment; from: DeploymentState }>;
  /** As it stands once started by `steps.claim` (`running`); null when it was not started. */
  claimed: Deployment | null;
}

/** Fields a transition may change along with the state. */
export type DeploymentPatch = Partial<
  Pick<
    Deployment,
    | 'driverRef'
    | 'progress'
    | 'outcome'
    | 'previousVersion'
    | 'leaseOwner'
    | 'leaseExpiresAt'
    | 'startedAt'
    | 'finishedAt'
  >
>;

export interface DeploymentFilter {
  service?: string;
  environment?: string;
  states?: DeploymentState[];
  /** Requested by this id, or by any of these (a person's key and their platform ids). */
  requestedBy?: string | readonly string[];
  kind?: Deployment['kind'];
  /** Only the deployment with this id (with the other filters, a list of one or none). */
  id?: string;
  /**
   * Searched text: deployments whose id is exactly it, or whose version, reason or outcome
   * contains it in any case (ASCII). No index serves it (src/store/text-search.ts).
   */
  text?: string;
  /** Only deployments created strictly before this time (paging backwards). */
  before?: Date;
  since?: Date;
  /** Newest first; default 50, at most 500. */
  limit?: number;
}

/**
 * A message Slipway posted and keeps in place, after a restart or from another replica.
 * `purpose` says which of its subject's messages it is: `main` (a deployment's card in its
 * service channel, an alert group's message), `origin` (the card in the channel a request came
 * from), `approver:<user>`, `qa:<user>`, `owner:<user>` (direct messages). `address` is where it
 * was sent, known before posting: the channel, or `dm:<user>` for a direct message, whose
 * channel is known only once the conversation is opened. One subject and purpose may be kept in
 * several channels (a card in Slack and in Teams), one message per address.
 */
export interface PostedMessageRecord {
  subject: MessageSubject;
  purpose: string;
  address: string;
  channel: string;
  /** Null while the row only reserves the message: someone is posting it. */
  ts: string | null;
  /** When the reservation was last granted (first made, or taken over). */
  claimedAt: Date;
  /** When the message was first reserved. */
  createdAt: Date;
  updatedAt: Date;
}

/** Which of a subject's messages: its purpose and where it was sent. */
export interface PostedMessageKey {
  subject: MessageSubject;
  purpose: string;
  address: string;
}

/**
 * How the review of a build on a pre-production environment ended (seeds/001): an owner
 * `promoted` it to the next environment, or `closed` it. The first decision stands.
 */
export interface ReviewDecision {
  deploymentId: string;
  decision: 'promoted' | 'closed';
  actor: string;
  at: Date;
}

/**
 * An Alertmanager alert group (POST /hooks/alertmanager), per episode. `groupId` is a hash of
 * Alertmanager's `groupKey`; `episode` counts how often the group fired anew after it was
 * resolved (each episode gets its own message, a PostedMessageRecord with an `alert` subject).
 * `state` is the group as the webhook merged it: JSON the store keeps without reading.
 * `revision` grows with every save (compare-and-set).
 */
export interface AlertGroupRecord {
  groupId: string;
  episode: number;
  groupKey: string;
  state: unknown;
  revision: number;
  /** The recent deployment the alerts were tied to, if any. */
  deploymentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A request Slipway refused: kept so the audit trail shows what was attempted, not only what ran. */
export interface RefusalRecord {
  /** Made by the caller with `newRefusalId()` (src/core/ids.ts). */
  id: string;
  at: Date;
  actor: string;
  source: RequestSource;
  channel: string | null;
  /** The policy action: deploy, deploy!, rollback, lock, unlock, approve, cancel, promote, … */
  action: string;
  service: string | null;
  environment: string | null;
  version: string | null;
  /** When the request named an existing deployment (a button, approve/cancel). */
  deploymentId: string | null;
  /** The refusal code. */
  code: string;
  /** The sentence the person was shown. */
  reason: string;
  correlationId: string | null;
}

export interface RefusalFilter {
  service?: string;
  environment?: string;
  /** Asked by this id, or by any of these (a person's key and their platform ids). */
  actor?: string | readonly string[];
  /** Only the refusal with this id. */
  id?: string;
  /**
   * Searched text: refusals whose id or deployment id is exactly it, or whose version or
   * reason contains it in any case (ASCII). No index serves it (src/store/text-search.ts).
   */
  text?: string;
  /** Only refusals of requests that named this deployment. */
  deploymentId?: string;
  /** Only refusals strictly before this time (paging backwards). */
  before?: Date;
  since?: Date;
  /** Newest first; default 50, at most 500. */
  limit?: number;
}

/**
 * A person as the chat platform names them (Slack's users.info), kept so the CLI and the API
 * can show names where the core writes ids.
 */
export interface PersonRecord {
  /** The chat id (a Slack member id, `U0…`). */
  id: string;
  name: string;
  /** When the platform was last asked. */
  refreshedAt: Date;
}

/** What a person told a running canary: hold its weight, go on, promote it now, or abort it. */
export type CanarySignalAction = 'pause' | 'resume' | 'promote' | 'abort';

/**
 * A deployment's report to GitHub's Deployments API (src/integrations/github-deployments): the
 * GitHub deployment made for it and how far its statuses got. Saved by compare-and-set on
 * `revision`; `claimedBy` is the process posting to GitHub until `claimedUntil`.
 */
export interface GitHubDeploymentRecord {
  deploymentId: string;
  /** owner/name */
  repository: string;
  service: string;
  environment: string;
  version: string;
  /** What it holds on GitHub once it succeeded: '' (its environment) or its preview's ref. */
  slot: string;
  /** The ref GitHub was asked to deploy. */
  ref: string;
  githubEnvironment: string;
  transient: boolean;
  production: boolean;
  /** GitHub's id; null until it was created. */
  githubId: number | null;
  /** A create was sent once: GitHub may have made it even if no answer came. */
  createTried: boolean;
  /** How many of its planned statuses were posted, in order. */
  statuses: number;
  lastState: string | null;
  /** More may still be posted (it is not over, or it is live and may be retired). */
  open: boolean;
  /** Why it is not reported (GitHub refused for good); null while it is. */
  givenUp: string | null;
  claimedBy: string | null;
  claimedUntil: Date | null;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface GitHubDeploymentFilter {
  repository?: string;
  service?: string;
  environment?: string;
  slot?: string;
  version?: string;
  lastState?: string;
  open?: boolean;
  /** Newest first; default 50, at most 500. */
  limit?: number;
}

export interface CanarySignal {
  id: string;
  deploymentId: string;
  action: CanarySignalAction;
  actor: string;
  at: Date;
}

/** A deployment's annotation in Grafana (src/integrations/grafana). */
export interface GrafanaAnnotationRecord {
  deploymentId: string;
  /** Grafana's id; null while `claimedBy` is creating it. */
  annotationId: number | null;
  claimedBy: string;
  claimedAt: Date;
  /** When the deployment's end was written to it; null while it is open. */
  endedAt: Date | null;
}

/** How many deployments of one target are in one state (`countDeployments`). */
export interface DeploymentCount {
  service: string;
  environment: string;
  state: DeploymentState;
  count: number;
}

export type LockResult =
  | { ok: true; lock: Lock; replaced: Lock | null }
  | { ok: false; heldBy: Lock };

/**
 * The store port. Every method is one atomic unit in the adapter (one transaction), so the
 * engine never sees half a change. Both adapters (SQLite, Postgres) run the same suite.
 */
/** Where a conversation lives (conversation references; migration 012). */
export interface ChatConversationRecord {
  platform: string;
  id: string;
  kind: string;
  serviceUrl: string;
  tenantId: string | null;
  updatedAt: Date;
}

/** A person as a platform without a directory knows them (conversation references). */
export interface ChatMemberRecord {
  /** The core's id for them (`teams:<aadObjectId>`). */
  userId: string;
  platform: string;
  platformUserId: string;
  aadObjectId: string | null;
  name: string | null;
  tenantId: string | null;
  serviceUrl: string;
  personalConversationId: string | null;
  updatedAt: Date;
}

/** Which marks `listBadVersions` returns. */
export interface BadVersionFilter {
  service?: string;
  environment?: string;
  /** Cleared marks too (the audit trail); default: only those that hold. */
  cleared?: boolean;
  /** Newest first; default 50, at most 500. */
  limit?: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; returns the names applied now. */
  migrate(): Promise<string[]>;
  /** Pending migration names (empty when up to date). */
  pendingMigrations(): Promise<string[]>;
  /** Cheap round trip to the database; throws when unreachable. */
  ping(): Promise<void>;
  /**
   * Begins a write and changes nothing; throws when the store cannot write (a read-only SQLite
   * file, a Postgres standby or read-only default, a role without the privilege). For /readyz.
   */
  probeWrite(): Promise<void>;
  close(): Promise<void>;

  /**
   * Inserts a deployment in `initial` state with its first transition (from null). When
   * `idempotencyKey` is already used, inserts nothing and returns the existing deployment
   * with `created: false`.
   */
  createDeployment(
    deployment: NewDeployment,
    initial: DeploymentState,
    meta: TransitionMeta,
  ): Promise<{ deployment: Deployment; created: boolean }>;
  /**
   * An accepted request in one transaction: created `requested`, moved to `steps.next`, and the
   * target's older waiting requests superseded. Requests arriving while one is written share
   * the next transaction (group commit); each resolves once its rows are committed. A used
   * idempotency key inserts nothing and returns the existing deployment, as createDeployment.
   * A `gate` lets whoever asked take the request back until its transaction starts; one taken
   * back writes nothing and rejects with WithdrawnError.
   */
  acceptDeployment(
    deployment: NewDeployment,
    steps: AcceptSteps,
    gate?: RecordGate,
  ): Promise<AcceptedRecord>;
  getDeployment(id: string): Promise<Deployment | null>;
  findByIdempotencyKey(key: string): Promise<Deployment | null>;
  listDeployments(filter?: DeploymentFilter): Promise<Deployment[]>;
  /**
   * Compare-and-set: moves `id` from one of `from` to `to`, applies `patch` and appends a
   * transition row, all in one transaction. Returns null (and changes nothing) when the
   * deployment is not in any of `from` — someone else moved it first. Entering a final state
   * stamps `finishedAt` with the transition time unless `patch` sets it. Throws ConflictError
   * when `to` is active and another deployment of the target is already active (the database
   * enforces one active deployment per target).
   */
  transition(
    id: string,
    from: readonly DeploymentState[],
    to: DeploymentState,
    meta: TransitionMeta,
    patch?: DeploymentPatch,
  ): Promise<Deployment | null>;
  /** Updates non-state fields (progress, driverRef) without a transition row. */
  /** `holder`: only while that process holds the lease (see TransitionMeta); false when not. */
  patchDeployment(
    id: string,
    patch: DeploymentPatch,
    guard?: { holder?: string },
  ): Promise<boolean>;
  listTransitions(deploymentId: string): Promise<Transition[]>;
  /**
   * How many deployments are in each of `states`, per target; targets with none are left out.
   * One grouped query, cheap enough to run on every metrics scrape.
   */
  countDeployments(states: readonly DeploymentState[]): Promise<DeploymentCount[]>;

  /**
   * Claims the oldest `queued` deployment whose target (service, environment) has no active
   * deployment (state in ACTIVE_STATES), moving it to `running` with a lease for `owner`.
   * At most one active deployment per target, across every process sharing the database.
   */
  claimNextQueued(owner: string, leaseMs: number, meta: TransitionMeta): Promise<Deployment | null>;
  /** Extends the lease of deployments held by `owner`; returns the ids still held. */
  renewLeases(owner: string, ids: string[], leaseMs: number): Promise<string[]>;
  /**
   * Takes over active deployments whose lease has expired (their process died) or that hold
   * no lease (released): sets `owner` as the new lease holder. Returns the deployments taken.
   */
  takeExpiredLeases(owner: string, leaseMs: number, now?: Date): Promise<Deployment[]>;
  /** Drops the lease on deployments held by `owner` (graceful shutdown). */
  releaseLeases(owner: string): Promise<void>;

  /** The most recent succeeded deployment of a target, if any (what is live). */
  lastSucceeded(service: string, environment: string): Promise<Deployment | null>;
  /** `lastSucceeded` of many targets in one read, in no particular order; none for a target without. */
  lastSucceededOn(
    targets: ReadonlyArray<{ service: string; environment: string }>,
  ): Promise<Deployment[]>;
  /** The newest deployment of each target (any state), in one read; none for a target without. */
  newestOn(targets: ReadonlyArray<{ service: string; environment: string }>): Promise<Deployment[]>;

  /** Records a verdict; a second verdict by the same approver returns `created: false`. */
  addApproval(approval: Omit<Approval, 'at'> & { at?: Date }): Promise<{ created: boolean }>;
  listApprovals(deploymentId: string): Promise<Approval[]>;

  /**
   * Records how a build's review ended. When the deployment already has a decision, keeps it
   * and returns it with `created: false`: of a promotion and a close, the first one wins.
   */
  recordReviewDecision(
    decision: Omit<ReviewDecision, 'at'> & { at?: Date },
  ): Promise<{ created: boolean; decision: ReviewDecision }>;
  getReviewDecision(deploymentId: string): Promise<ReviewDecision | null>;

  /**
   * Takes a lock on (environment, service|null). If another owner holds an unexpired lock on
   * the same key, refuses unless `force`; the same owner re-locking refreshes it.
   */
  acquireLock(
    lock: Omit<Lock, 'createdAt'> & { createdAt?: Date },
    force: boolean,
  ): Promise<LockResult>;
  /** Removes the lock; returns the removed lock or null when there was none (or it had expired). */
  releaseLock(environment: string, service: string | null): Promise<Lock | null>;
  /** Unexpired locks, optionally for one environment. */
  listLocks(environment?: string, now?: Date): Promise<Lock[]>;

  /**
   * Reserves a message before posting it, so that of several processes exactly one posts:
   * inserts a row without `ts` and returns `reserved: true`, or returns the existing row with
   * `reserved: false`. Throws NotFoundError when the subject (a deployment, an alert group's
   * episode) does not exist.
   */
  reservePostedMessage(
    key: PostedMessageKey & { channel: string; at?: Date },
  ): Promise<{ reserved: boolean; message: PostedMessageRecord }>;
  /**
   * Takes over a reservation abandoned by a process that died while posting: one still without
   * `ts`, granted `staleAfterMs` or longer ago. Returns the row, granted anew to the caller, or
   * null when there is nothing to take over (posted, fresh, or another caller took it first).
   */
  takeOverPostedMessage(
    key: PostedMessageKey & { channel: string; at?: Date },
    staleAfterMs: number,
  ): Promise<PostedMessageRecord | null>;
  /**
   * Completes a reservation with the posted message's channel and ts. A row that already has a
   * ts keeps it: the first message recorded stays the one. Returns the row as stored, or null
   * when there is none.
   */
  completePostedMessage(
    key: PostedMessageKey & { channel: string; ts: string; at?: Date },
  ): Promise<PostedMessageRecord | null>;
  /** A subject's messages (reservations too), oldest first. */
  listPostedMessages(subject: MessageSubject): Promise<PostedMessageRecord[]>;
  /**
   * The messages recorded at a message's place (Slack's channel and ts, Teams' conversation and
   * activity id), newest first: an action arriving on it says which message it is. Several when
   * a newer build took over a review's message.
   */
  findPostedMessages(ref: { channel: string; ts: string }): Promise<PostedMessageRecord[]>;

  /** The newest episode of an alert group, or null when the group was never seen. */
  latestAlertGroup(groupId: string): Promise<AlertGroupRecord | null>;
  /**
   * Compare-and-set on an alert group. With `revision` 0, inserts the episode (revision 1) and
   * returns null when it exists already. Otherwise updates `state` and `deploymentId` when the
   * stored revision is still `revision`, adding one to it, and returns null when another process
   * saved first. Throws NotFoundError when `deploymentId` names no deployment.
   */
  saveAlertGroup(group: {
    groupId: string;
    episode: number;
    groupKey: string;
    state: unknown;
    deploymentId: string | null;
    revision: number;
    at?: Date;
  }): Promise<AlertGroupRecord | null>;
  /** Alert groups tied to a deployment, oldest first. */
  listAlertGroups(filter: { deploymentId: string }): Promise<AlertGroupRecord[]>;

  /** Keeps a refused request in the audit trail. Recording an id again changes nothing. */
  recordRefusal(refusal: RefusalRecord): Promise<void>;
  /** Refused requests, newest first (ties by id). */
  listRefusals(filter?: RefusalFilter): Promise<RefusalRecord[]>;

  /**
   * Records that a signed delivery was acted on, until `expiresAt`: true the first time, false
   * while an earlier record of `key` is unexpired (a replay or a retry, across restarts and
   * replicas). One insert; expired records are pruned along the way.
   */
  markDelivered(key: string, expiresAt: Date): Promise<boolean>;

  /**
   * Records people's names, by id. A name refreshed later than the one given is kept, so of two
   * replicas asking at once the newer answer stands.
   */
  rememberPeople(people: readonly PersonRecord[]): Promise<void>;
  /** The people known among `ids`, by id; unknown ids are left out. */
  findPeople(ids: readonly string[]): Promise<Map<string, PersonRecord>>;
  /** Records a person's signal to a running canary, for whichever process runs it. */
  addCanarySignal(signal: Omit<CanarySignal, 'id'>): Promise<CanarySignal>;
  /** A deployment's canary signals, oldest first. */
  listCanarySignals(deploymentId: string): Promise<CanarySignal[]>;
  /** Records where a conversation lives; an older sighting than the stored one is dropped. */
  saveChatConversation(conversation: ChatConversationRecord): Promise<void>;
  findChatConversation(platform: string, id: string): Promise<ChatConversationRecord | null>;
  /** Records a person; null fields keep what was known, an older sighting is dropped. */
  saveChatMember(member: ChatMemberRecord): Promise<void>;
  findChatMember(userId: string): Promise<ChatMemberRecord | null>;
  /** What the DORA metrics of some targets over a window are computed from (src/dora). */
  doraRecords(query: DoraQuery): Promise<DoraRecords>;

  /**
   * Marks a version bad on a target (a rollback took it off). When it already has an uncleared
   * mark, changes nothing and returns that one with `created: false`.
   */
  markBadVersion(mark: NewBadVersion): Promise<{ mark: BadVersion; created: boolean }>;
  /** The uncleared mark of a version on a target, or null. */
  findBadVersion(service: string, environment: string, version: string): Promise<BadVersion | null>;
  /** Clears a version's uncleared mark (a `deploy!` overrode it); null when it had none. */
  clearBadVersion(clearing: BadVersionClearing): Promise<BadVersion | null>;
  /** Marks, newest first (see BadVersionFilter). */
  listBadVersions(filter?: BadVersionFilter): Promise<BadVersion[]>;

  /**
   * Reserves a deployment's Grafana annotation before it is created: `reserved` for the one
   * process whose reservation was recorded, else the row as another process left it. Throws
   * NotFoundError when the deployment does not exist.
   */
  reserveGrafanaAnnotation(key: {
    deploymentId: string;
    owner: string;
    at?: Date;
  }): Promise<{ reserved: boolean; annotation: GrafanaAnnotationRecord }>;
  /** Takes over a reservation without an id claimed at least `staleAfterMs` ago; one process wins. */
  takeOverGrafanaAnnotation(
    key: { deploymentId: string; owner: string; at?: Date },
    staleAfterMs: number,
  ): Promise<GrafanaAnnotationRecord | null>;
  /** Records Grafana's id while `owner` still holds the reservation; null when it does not. */
  completeGrafanaAnnotation(key: {
    deploymentId: string;
    owner: string;
    annotationId: number;
    endedAt: Date | null;
    at?: Date;
  }): Promise<GrafanaAnnotationRecord | null>;
  /** Records that the annotation's end was written; a second record changes nothing. */
  endGrafanaAnnotation(key: { deploymentId: string; endedAt: Date }): Promise<void>;
  getGrafanaAnnotation(deploymentId: string): Promise<GrafanaAnnotationRecord | null>;
  /** Annotations not ended (or not created) yet, oldest claim first. */
  listOpenGrafanaAnnotations(limit: number): Promise<GrafanaAnnotationRecord[]>;

  /**
   * Records that these deployments' chat cards show an earlier state than the store: a stop
   * gave up on their updates. The first date is kept; unknown deployments are skipped.
   */
  oweCardUpdates(deploymentIds: string[], at?: Date): Promise<void>;
  /** Deployments whose cards are owed an update, longest owed first. */
  listOwedCardUpdates(limit: number): Promise<string[]>;
  /** The deployment's cards were brought up to date. */
  settleCardUpdate(deploymentId: string): Promise<void>;

  getGitHubDeployment(deploymentId: string): Promise<GitHubDeploymentRecord | null>;
  /**
   * Compare-and-set: with `revision` 0 inserts the report (null when it exists already), else
   * updates it when the stored revision is still `revision` (null when another process saved
   * first). Throws NotFoundError when the deployment does not exist.
   */
  saveGitHubDeployment(
    report: Omit<GitHubDeploymentRecord, 'revision' | 'createdAt' | 'updatedAt'> & { at?: Date },
    revision: number,
  ): Promise<GitHubDeploymentRecord | null>;
  listGitHubDeployments(filter: GitHubDeploymentFilter): Promise<GitHubDeploymentRecord[]>;
}
