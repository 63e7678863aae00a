/**
 * What a message Slipway posted and keeps in place is about: a deployment (its card, its
 * approvers' and reviewers' direct messages), or one episode of an Alertmanager alert group
 * (each time a group fires anew after it was resolved, it gets a new message).
 */
export type MessageSubject =
  | { kind: 'deployment'; deploymentId: string }
  | { kind: 'alert'; groupId: string; episode: number };

export function deploymentSubject(deploymentId: string): MessageSubject {
  return { kind: 'deployment', deploymentId };
}

export function alertSubject(groupId: string, episode: number): MessageSubject {
  return { kind: 'alert', groupId, episode };
}

/**
 * The subject as one string: the store's key for it, and what a platform keeps with a keyed
 * post so that a post whose outcome was unknown is found again. A deployment's is its id (as
 * Slack message metadata has carried it from the start); deployment ids begin with `d-`, so they
 * never read as an alert's.
 */
export function subjectKey(subject: MessageSubject): string {
  return subject.kind === 'deployment'
    ? subject.deploymentId
    : `alert:${subject.groupId}:${subject.episode}`;
}
