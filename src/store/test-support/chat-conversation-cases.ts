import { describe, expect, it } from 'vitest';
import type { ChatConversationRecord, ChatMemberRecord } from '../types.js';
import type { SuiteContext } from './fixtures.js';

const at = (s: number) => new Date(Date.parse('2026-12-06T10:00:00.000Z') + s * 1000);

const channel: ChatConversationRecord = {
  platform: 'teams',
  id: '19:deploys@thread.tacv2',
  kind: 'channel',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
  tenantId: 'tenant-1',
  updatedAt: at(0),
};

const alice: ChatMemberRecord = {
  userId: 'teams:aad-alice',
  platform: 'teams',
  platformUserId: '29:alice',
  aadObjectId: 'aad-alice',
  name: 'Alice Doe',
  tenantId: 'tenant-1',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
  personalConversationId: 'a:1alice',
  updatedAt: at(0),
};

export function chatConversationCases(ctx: SuiteContext): void {
  describe('chat conversation references', () => {
    it('finds a conversation by platform and id, updated by a newer sighting', async () => {
      const store = ctx.store();
      expect(await store.findChatConversation('teams', channel.id)).toBeNull();
      await store.saveChatConversation(channel);
      expect(await store.findChatConversation('teams', channel.id)).toEqual(channel);
      expect(await store.findChatConversation('slack', channel.id)).toBeNull();
      const moved = {
        ...channel,
        serviceUrl: 'https://smba.trafficmanager.net/amer/',
        tenantId: null,
        updatedAt: at(5),
      };
      await store.saveChatConversation(moved);
      // A sighting without the tenant keeps the known one.
      expect(await store.findChatConversation('teams', channel.id)).toEqual({
        ...moved,
        tenantId: 'tenant-1',
      });
    });

    it('keeps a newer conversation sighting over an older one written after it', async () => {
      const store = ctx.store();
      await store.saveChatConversation({ ...channel, updatedAt: at(10) });
      await store.saveChatConversation({
        ...channel,
        serviceUrl: 'https://old.example/',
        updatedAt: at(1),
      });
      expect((await store.findChatConversation('teams', channel.id))?.serviceUrl).toBe(
        channel.serviceUrl,
      );
    });

    it('keeps what a later sighting of a person does not say: their 1:1 chat, their name', async () => {
      const store = ctx.store();
      await store.saveChatMember(alice);
      const inChannel = {
        ...alice,
        name: null,
        personalConversationId: null,
        aadObjectId: null,
        serviceUrl: 'https://smba.trafficmanager.net/amer/',
        updatedAt: at(3),
      };
      await store.saveChatMember(inChannel);
      expect(await store.findChatMember(alice.userId)).toEqual({
        ...inChannel,
        name: 'Alice Doe',
        aadObjectId: 'aad-alice',
        personalConversationId: 'a:1alice',
      });
      expect(await store.findChatMember('teams:aad-nobody')).toBeNull();
    });

    it('drops an older sighting of a person that arrives after a newer one', async () => {
      const store = ctx.store();
      await store.saveChatMember({ ...alice, name: 'Alice Doe-Smith', updatedAt: at(10) });
      await store.saveChatMember({ ...alice, name: 'Alice', updatedAt: at(2) });
      expect((await store.findChatMember(alice.userId))?.name).toBe('Alice Doe-Smith');
    });

    it('shows one process the references another recorded', async () => {
      if (!ctx.target.shared) return;
      const [first, second] = await ctx.peers(2);
      await first?.saveChatMember(alice);
      await first?.saveChatConversation(channel);
      expect(await second?.findChatMember(alice.userId)).toEqual(alice);
      expect(await second?.findChatConversation('teams', channel.id)).toEqual(channel);
    });
  });
}
