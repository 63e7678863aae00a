import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type FollowRequest, followRollout } from './follow.js';
import type { NamespaceWatcher, WatchNews } from './watcher.js';

/** A namespace watch the test speaks for: what it tells every subscriber of `web`. */
function fakeWatch() {
  const listeners: ((news: WatchNews) => void)[] = [];
  const watcher = {
    subscribe(_name: string, listener: (news: WatchNews) => void) {
      listeners.push(listener);
      return () => {};
    },
  } as unknown as NamespaceWatcher;
  const tell = (deployment: V1Deployment | null) => {
    for (const l of listeners) l({ kind: 'object', deployment });
  };
  return { watcher, tell };
}

const complete: V1Deployment = {
  metadata: { name: 'web', generation: 2 },
  spec: { replicas: 1, selector: {}, template: {} },
  status: {
    observedGeneration: 2,
    replicas: 1,
    updatedReplicas: 1,
    availableReplicas: 1,
    readyReplicas: 1,
  },
};
const progressing: V1Deployment = {
  ...complete,
  status: { observedGeneration: 2, replicas: 1, updatedReplicas: 0, availableReplicas: 0 },
};

function follow(watcher: NamespaceWatcher) {
  const request: FollowRequest = {
    watcher,
    namespace: 'shop',
    targets: [{ name: 'web', generation: 2 }],
    deadline: Date.now() + 60_000,
    timeoutText: '1m',
    signal: new AbortController().signal,
    progress: () => {},
  };
  return followRollout(request);
}

describe('followRollout', () => {
  it('waits for a Deployment the open watch has not seen yet: it was just written, so it exists', async () => {
    const { watcher, tell } = fakeWatch();
    const outcome = follow(watcher);
    tell(null);
    tell(complete);
    await expect(outcome).resolves.toMatchObject({ ok: true });
  });

  it('fails a rollout whose Deployment was seen and then deleted', async () => {
    const { watcher, tell } = fakeWatch();
    const outcome = follow(watcher);
    tell(progressing);
    tell(null);
    await expect(outcome).resolves.toMatchObject({
      ok: false,
      reason: 'Deployment web was deleted from namespace shop during the rollout',
    });
  });
});
