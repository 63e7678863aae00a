import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { storeReferences } from './store-references.js';

let store: Store;
beforeEach(async () => {
  store = createStore(':memory:');
  await store.migrate();
});
afterEach(() => store.close());

describe('conversation references in the store', () => {
  it('round-trips conversations and people, keeping a 1:1 chat a later sighting does not name', async () => {
    let t = Date.parse('2026-12-06T10:00:00Z');
    const refs = storeReferences(store, () => {
      t += 1000;
      return new Date(t);
    });
    const alice = {
      user: 'teams:aad-alice',
      teamsId: '29:alice',
      aadObjectId: 'aad-alice',
      name: 'Alice',
      tenantId: 't-1',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      personalConversationId: 'a:1alice',
    };
    await refs.saveMember(alice);
    await refs.saveMember({ ...alice, name: null, personalConversationId: null });
    expect(await refs.member(alice.user)).toEqual(alice);
    await refs.saveConversation({
      id: '19:c@thread.tacv2',
      kind: 'channel',
      serviceUrl: alice.serviceUrl,
      tenantId: 't-1',
    });
    expect(await refs.conversation('19:c@thread.tacv2')).toEqual({
      id: '19:c@thread.tacv2',
      kind: 'channel',
      serviceUrl: alice.serviceUrl,
      tenantId: 't-1',
    });
    expect(await refs.conversation('19:unknown@thread.tacv2')).toBeNull();
    expect(await refs.member('teams:aad-nobody')).toBeNull();
  });
});
