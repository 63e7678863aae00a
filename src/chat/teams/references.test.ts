import { describe, expect, it } from 'vitest';
import { createMemoryReferences, referencesOf, splitThread, userIdOf } from './references.js';
import { Activity } from './schema.js';

const SERVICE = 'https://smba.trafficmanager.net/teams/';
const BOT = { id: '28:bot', name: 'Slipway' };

describe('what an activity teaches', () => {
  it('records a personal chat as the person’s 1:1 conversation', () => {
    const activity = Activity.parse({
      type: 'message',
      serviceUrl: SERVICE,
      from: { id: '29:alice', name: 'Alice Doe', aadObjectId: 'aad-alice' },
      recipient: BOT,
      conversation: { id: 'a:1x', conversationType: 'personal', tenantId: 't-1' },
    });
    expect(referencesOf(activity)).toEqual({
      conversation: { id: 'a:1x', kind: 'personal', serviceUrl: SERVICE, tenantId: 't-1' },
      members: [
        {
          user: 'teams:aad-alice',
          teamsId: '29:alice',
          aadObjectId: 'aad-alice',
          name: 'Alice Doe',
          tenantId: 't-1',
          serviceUrl: SERVICE,
          personalConversationId: 'a:1x',
        },
      ],
    });
  });

  it('records a channel without its thread, and the members added, never the bot', () => {
    const activity = Activity.parse({
      type: 'conversationUpdate',
      serviceUrl: SERVICE,
      from: { id: '29:alice', aadObjectId: 'aad-alice' },
      recipient: BOT,
      membersAdded: [
        { id: '29:bob', aadObjectId: 'aad-bob' },
        { id: '28:bot' },
        { id: '29:alice', aadObjectId: 'aad-alice' },
      ],
      conversation: {
        id: '19:deploys@thread.tacv2;messageid=17',
        conversationType: 'channel',
        isGroup: true,
      },
      channelData: { tenant: { id: 't-1' } },
    });
    const { conversation, members } = referencesOf(activity);
    expect(conversation).toEqual({
      id: '19:deploys@thread.tacv2',
      kind: 'channel',
      serviceUrl: SERVICE,
      tenantId: 't-1',
    });
    expect(members.map((m) => [m.user, m.personalConversationId])).toEqual([
      ['teams:aad-alice', null],
      ['teams:aad-bob', null],
    ]);
  });

  it('learns nothing from an activity without a service URL or conversation', () => {
    expect(referencesOf(Activity.parse({ type: 'message', from: { id: '29:x' } }))).toEqual({
      conversation: null,
      members: [],
    });
  });

  it('names a person by aadObjectId, else by their Teams id; splits threads off', () => {
    expect(userIdOf({ id: '29:x', aadObjectId: 'aad' })).toBe('teams:aad');
    expect(userIdOf({ id: '29:x' })).toBe('teams:29:x');
    expect(splitThread('19:a@thread.tacv2;messageid=42')).toEqual({
      id: '19:a@thread.tacv2',
      thread: '42',
    });
    expect(splitThread('a:1x')).toEqual({ id: 'a:1x', thread: null });
  });
});

describe('in-memory references', () => {
  it('keeps what a later sighting does not say: a 1:1 chat is not forgotten in a channel', async () => {
    const refs = createMemoryReferences();
    const base = {
      user: 'teams:aad-alice',
      teamsId: '29:alice',
      aadObjectId: 'aad-alice',
      tenantId: 't-1',
      serviceUrl: SERVICE,
    };
    await refs.saveMember({ ...base, name: 'Alice', personalConversationId: 'a:1x' });
    await refs.saveMember({
      ...base,
      name: null,
      personalConversationId: null,
      serviceUrl: 'https://other/',
    });
    expect(await refs.member('teams:aad-alice')).toEqual({
      ...base,
      name: 'Alice',
      personalConversationId: 'a:1x',
      serviceUrl: 'https://other/',
    });
    expect(await refs.member('teams:nobody')).toBeNull();
  });
});
