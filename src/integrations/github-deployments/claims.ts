import type { Deployment } from '../../core/deployment.js';
import type { GitHubDeploymentRecord, Store } from '../../store/types.js';
import { refFor, slotOf, type Target } from './target.js';

/** Another process is reporting this deployment right now (or saved it first). */
export class Busy extends Error {}

export interface ReportClaims {
  /** Takes the deployment's report for this process, inserting it the first time; else Busy. */
  claim(
    d: Deployment,
    target: Target,
    found: GitHubDeploymentRecord | null,
  ): Promise<GitHubDeploymentRecord>;
  /** Records `changes` while the claim holds (renewing it); Busy when another process saved. */
  save(
    rec: GitHubDeploymentRecord,
    changes: Partial<GitHubDeploymentRecord>,
  ): Promise<GitHubDeploymentRecord>;
  /** Hands the report back; a release that fails lets the claim lapse by itself. */
  release(rec: GitHubDeploymentRecord): Promise<void>;
}

/**
 * One process reports a deployment at a time, across replicas: it claims the report's row
 * (compare-and-set on its revision) for `claimMs`, renewed at each step it records, so two
 * processes never post the same status; one that died holds it at most that long.
 */
export function reportClaims(deps: {
  store: Store;
  processId: string;
  claimMs: number;
  now: () => Date;
}): ReportClaims {
  const { store, processId, claimMs, now } = deps;
  const until = () => new Date(now().getTime() + claimMs);

  async function insert(d: Deployment, target: Target) {
    return store.saveGitHubDeployment(
      {
        deploymentId: d.id,
        repository: target.repository,
        service: d.service,
        environment: d.environment,
        version: d.version,
        slot: slotOf(d, target.transient),
        ref: await refFor(store, d, target.repository),
        githubEnvironment: target.githubEnvironment,
        transient: target.transient,
        production: target.production,
        githubId: null,
        createTried: false,
        statuses: 0,
        lastState: null,
        open: true,
        givenUp: null,
        claimedBy: processId,
        claimedUntil: until(),
        at: now(),
      },
      0,
    );
  }

  async function save(rec: GitHubDeploymentRecord, changes: Partial<GitHubDeploymentRecord>) {
    const renewed =
      rec.claimedBy === processId && !('claimedBy' in changes) ? { claimedUntil: until() } : {};
    const saved = await store.saveGitHubDeployment(
      { ...rec, ...renewed, ...changes, at: now() },
      rec.revision,
    );
    // Only a process whose claim lapsed while it waited on GitHub gets here.
    if (!saved) throw new Busy();
    return saved;
  }

  return {
    async claim(d, target, found) {
      let current = found;
      if (!current) {
        const inserted = await insert(d, target);
        if (inserted) return inserted;
        current = await store.getGitHubDeployment(d.id);
        if (!current) throw new Busy();
      }
      const holder = current.claimedBy;
      const held = (current.claimedUntil?.getTime() ?? 0) > now().getTime();
      if (holder && holder !== processId && held) throw new Busy();
      const claimed = await store.saveGitHubDeployment(
        { ...current, claimedBy: processId, claimedUntil: until(), at: now() },
        current.revision,
      );
      if (!claimed) throw new Busy();
      return claimed;
    },
    save,
    async release(rec) {
      try {
        await save(rec, { claimedBy: null, claimedUntil: null });
      } catch {
        // The claim lapses by itself: another process waits at most claimMs.
      }
    },
  };
}
