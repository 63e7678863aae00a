/**
 * What a message Slipway posted and keeps in place is about: a deployment (its card, its
 * approvers' and reviewers' direct messages), one episode of an Alertmanager alert group (each
 * time a group fires anew after it was resolved, it gets a new message), or the weekly DORA
 * digest of one ISO week (posted once, by one replica, whatever restarts).
 */
export type MessageSubject =
  | { kind: 'deployment'; deploymentId: string }
  | { kind: 'alert'; groupId: string; episode: number }
  | { kind: 'digest'; week: string };

export function deploymentSubject(deploymentId: string): MessageSubject {
  return { kind: 'deployment', deploymentId };
}

export function alertSubject(groupId: string, episode: number): MessageSubject {
  return { kind: 'alert', groupId, episode };
}

/** The DORA digest of `week` (`2025-W11`, src/dora/digest.ts). */
export function digestSubject(week: string): MessageSubject {
  return { kind: 'digest', week };
}

const DIGEST_PREFIX = 'digest:';

/**
 * The subject as one string: the store's key for it, and what a platform keeps with a keyed
 * post so that a post whose outcome was unknown is found again. A deployment's is its id (as
 * Slack message metadata has carried it from the start); deployment ids begin with `d-`, so they
 * never read as an alert's (`alert:…`) or a digest's (`digest:…`).
 */
export function subjectKey(subject: MessageSubject): string {
  switch (subject.kind) {
    case 'deployment':
      return subject.deploymentId;
    case 'alert':
      return `alert:${subject.groupId}:${subject.episode}`;
    case 'digest':
      return `${DIGEST_PREFIX}${subject.week}`;
  }
}

/** The digest subject a store key names, or null for any other key. */
export function digestOfKey(key: string): MessageSubject | null {
  return key.startsWith(DIGEST_PREFIX) ? digestSubject(key.slice(DIGEST_PREFIX.length)) : null;
}
