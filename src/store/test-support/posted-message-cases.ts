import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { alertSubject, deploymentSubject, digestSubject } from '../../core/message-subject.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function postedMessageCases(ctx: SuiteContext): void {
  describe('posted messages', () => {
    async function deployment() {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'queued', { actor: 'a' });
      return deploymentSubject(deployment.id);
    }

    it('reserves before posting, completes once, and lists oldest first', async () => {
      const store = ctx.store();
      const at = timeline();
      const subject = await deployment();
      const main = { subject, purpose: 'main', address: 'C1' };
      const claim = await store.reservePostedMessage({ ...main, channel: 'C1', at: at(0) });
      expect(claim).toEqual({
        reserved: true,
        message: {
          ...main,
          channel: 'C1',
          ts: null,
          claimedAt: at(0),
          createdAt: at(0),
          updatedAt: at(0),
        },
      });
      const second = await store.reservePostedMessage({ ...main, channel: 'C1', at: at(1) });
      expect(second).toMatchObject({ reserved: false, message: { claimedAt: at(0) } });
      const done = await store.completePostedMessage({
        ...main,
        channel: 'C1',
        ts: '10.1',
        at: at(2),
      });
      expect(done).toMatchObject({ ts: '10.1', claimedAt: at(0), updatedAt: at(2) });
      // A second completion (a second post) never replaces the recorded message.
      const again = { ...main, channel: 'C1', ts: '99.9' };
      expect(await store.completePostedMessage(again)).toMatchObject({ ts: '10.1' });
      expect(
        await store.takeOverPostedMessage({ ...main, channel: 'C1', at: at(3) }, 0),
      ).toBeNull();

      // A direct message is reserved by whom it is for; its channel is the opened conversation.
      for (const user of ['U2', 'U1']) {
        await store.reservePostedMessage({
          subject,
          purpose: `approver:${user}`,
          address: `dm:${user}`,
          channel: `D${user}`,
          at: at(4),
        });
      }
      const listed = await store.listPostedMessages(subject);
      expect(listed.map((m) => [m.purpose, m.address, m.channel, m.ts])).toEqual([
        ['main', 'C1', 'C1', '10.1'],
        ['approver:U1', 'dm:U1', 'DU1', null],
        ['approver:U2', 'dm:U2', 'DU2', null],
      ]);
      expect(await store.listPostedMessages(deploymentSubject('other'))).toEqual([]);
      const missing = { ...main, subject: deploymentSubject('other'), channel: 'C', ts: '1' };
      expect(await store.completePostedMessage(missing)).toBeNull();
    });

    it('keeps one subject and purpose in several channels, one message each', async () => {
      const store = ctx.store();
      const subject = await deployment();
      const slack = { subject, purpose: 'main', address: 'C1', channel: 'C1' };
      const teams = { ...slack, address: 'teams:19:abc@thread.tacv2', channel: 'teams:19:abc' };
      expect((await store.reservePostedMessage(slack)).reserved).toBe(true);
      expect((await store.reservePostedMessage(teams)).reserved).toBe(true);
      await store.completePostedMessage({ ...teams, ts: 'activity-1' });
      await store.completePostedMessage({ ...slack, ts: '1.1' });
      const listed = await store.listPostedMessages(subject);
      expect(listed.map((m) => [m.address, m.ts]).sort()).toEqual([
        ['C1', '1.1'],
        ['teams:19:abc@thread.tacv2', 'activity-1'],
      ]);
    });

    it('finds the messages at a channel and ts, newest first', async () => {
      const store = ctx.store();
      const at = timeline();
      const older = await deployment();
      const newer = await deployment();
      const key = { purpose: 'qa:U1', address: 'dm:U1', channel: 'D1' };
      await store.reservePostedMessage({ ...key, subject: older, at: at(0) });
      await store.completePostedMessage({ ...key, subject: older, ts: '5.5', at: at(1) });
      // A newer build takes the review's message over: both rows record the same message.
      await store.reservePostedMessage({ ...key, subject: newer, at: at(10) });
      await store.completePostedMessage({ ...key, subject: newer, ts: '5.5', at: at(11) });
      await store.reservePostedMessage({ ...key, purpose: 'qa:U2', subject: newer, at: at(12) });
      const found = await store.findPostedMessages({ channel: 'D1', ts: '5.5' });
      expect(found.map((m) => m.subject)).toEqual([newer, older]);
      expect(await store.findPostedMessages({ channel: 'D2', ts: '5.5' })).toEqual([]);
      expect(await store.findPostedMessages({ channel: 'D1', ts: '6.6' })).toEqual([]);
    });

    it('takes over a reservation abandoned longer than staleAfterMs, once', async () => {
      const at = timeline();
      const subject = await deployment();
      const main = { subject, purpose: 'main', address: 'C1' };
      await ctx.store().reservePostedMessage({ ...main, channel: 'C1', at: at(0) });
      const early = { ...main, channel: 'C1', at: at(500) };
      expect(await ctx.store().takeOverPostedMessage(early, 1000)).toBeNull();
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        stores.map((s) => s.takeOverPostedMessage({ ...main, channel: 'C2', at: at(2000) }, 1000)),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await ctx.store().listPostedMessages(subject))[0]).toMatchObject({
        channel: 'C2',
        ts: null,
        claimedAt: at(2000),
        createdAt: at(0),
      });
    });

    it('gives a contended reservation to exactly one process', async () => {
      const subject = await deployment();
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.reservePostedMessage({
            subject,
            purpose: 'main',
            address: 'C-WEB',
            channel: `C${i}`,
          }),
        ),
      );
      const winners = results.filter((r) => r?.reserved);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r?.message.channel).toBe(winners[0]?.message.channel);
    });

    it('keeps an alert group episode’s message with the episode', async () => {
      const store = ctx.store();
      const subject = alertSubject('g1', 2);
      const key = { subject, purpose: 'main', address: 'C-WEB', channel: 'C-WEB' };
      await expect(store.reservePostedMessage(key)).rejects.toBeInstanceOf(NotFoundError);
      const group = { groupId: 'g1', groupKey: '{}:{}', state: {}, deploymentId: null };
      await store.saveAlertGroup({ ...group, episode: 1, revision: 0 });
      await store.saveAlertGroup({ ...group, episode: 2, revision: 0 });
      expect((await store.reservePostedMessage(key)).reserved).toBe(true);
      await store.completePostedMessage({ ...key, ts: '7.7' });
      expect(await store.listPostedMessages(subject)).toMatchObject([{ subject, ts: '7.7' }]);
      expect(await store.listPostedMessages(alertSubject('g1', 1))).toEqual([]);
      const found = await store.findPostedMessages({ channel: 'C-WEB', ts: '7.7' });
      expect(found.map((m) => m.subject)).toEqual([subject]);
    });

    it('keeps a weekly digest’s message, which refers to no other row', async () => {
      const store = ctx.store();
      const subject = digestSubject('2025-W12');
      const key = { subject, purpose: 'digest', address: 'C-DORA', channel: 'C-DORA' };
      expect((await store.reservePostedMessage(key)).reserved).toBe(true);
      expect((await store.reservePostedMessage(key)).reserved).toBe(false);
      await store.completePostedMessage({ ...key, ts: '8.8' });
      expect(await store.listPostedMessages(subject)).toMatchObject([{ subject, ts: '8.8' }]);
      expect(await store.listPostedMessages(digestSubject('2025-W11'))).toEqual([]);
      const found = await store.findPostedMessages({ channel: 'C-DORA', ts: '8.8' });
      expect(found.map((m) => m.subject)).toEqual([subject]);
    });

    it('refuses a message for a deployment that does not exist', async () => {
      await expect(
        ctx.store().reservePostedMessage({
          subject: deploymentSubject('missing'),
          purpose: 'main',
          address: 'C1',
          channel: 'C1',
        }),
      ).rejects.toThrow(/deployment missing does not exist/);
    });
  });
}
