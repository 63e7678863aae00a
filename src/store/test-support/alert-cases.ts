import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function alertCases(ctx: SuiteContext): void {
  describe('alert messages', () => {
    const group = (overrides: Record<string, unknown> = {}) => ({
      groupId: 'g1',
      episode: 1,
      groupKey: '{}:{alertname="HighErrorRate"}',
      state: { alerts: [{ fingerprint: 'f1', status: 'firing' }] },
      deploymentId: null,
      revision: 0,
      ...overrides,
    });

    it('inserts an episode once, then saves by compare-and-set on the revision', async () => {
      const store = ctx.store();
      const at = timeline();
      const first = await store.saveAlertGroup({ ...group(), at: at(0) });
      expect(first).toMatchObject({
        groupId: 'g1',
        episode: 1,
        revision: 1,
        state: { alerts: [{ fingerprint: 'f1', status: 'firing' }] },
        channel: null,
        ts: null,
        claimedAt: null,
        createdAt: at(0),
        updatedAt: at(0),
      });
      // A second insert of the same episode changes nothing.
      expect(await store.saveAlertGroup(group({ state: { other: true } }))).toBeNull();
      const { deployment } = await store.createDeployment(newDeployment(), 'succeeded', {
        actor: 'a',
      });
      const saved = await store.saveAlertGroup({
        ...group({ revision: 1, state: { resolved: true }, deploymentId: deployment.id }),
        at: at(5),
      });
      expect(saved).toMatchObject({
        revision: 2,
        state: { resolved: true },
        deploymentId: deployment.id,
        updatedAt: at(5),
      });
      // A save from a stale read loses.
      expect(await store.saveAlertGroup(group({ revision: 1, state: { stale: true } }))).toBeNull();
      expect((await store.latestAlertMessage('g1'))?.state).toEqual({ resolved: true });
      expect(await store.listAlertMessages({ deploymentId: deployment.id })).toHaveLength(1);
      expect(await store.listAlertMessages({ deploymentId: 'other' })).toEqual([]);
    });

    it('lets exactly one of several processes save from the same revision', async () => {
      await ctx.store().saveAlertGroup(group());
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        stores.map((s, i) => s.saveAlertGroup(group({ revision: 1, state: { by: i } }))),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await ctx.store().latestAlertMessage('g1'))?.revision).toBe(2);
    });

    it('finds the newest episode of a group', async () => {
      const store = ctx.store();
      expect(await store.latestAlertMessage('g1')).toBeNull();
      await store.saveAlertGroup(group());
      await store.saveAlertGroup(group({ episode: 2, state: { second: true } }));
      await store.saveAlertGroup(group({ groupId: 'g2', episode: 7 }));
      expect(await store.latestAlertMessage('g1')).toMatchObject({
        episode: 2,
        state: { second: true },
      });
    });

    it('reserves the message once, completes it once, and takes over an abandoned reservation', async () => {
      const store = ctx.store();
      const at = timeline();
      await store.saveAlertGroup(group());
      const key = { groupId: 'g1', episode: 1, channel: 'C-WEB' };
      const claim = await store.claimAlertMessage({ ...key, at: at(0) }, 1000);
      expect(claim).toMatchObject({ claimed: true, message: { channel: 'C-WEB', ts: null } });
      expect(claim.message.claimedAt).toEqual(at(0));
      expect((await store.claimAlertMessage({ ...key, at: at(500) }, 1000)).claimed).toBe(false);
      // The poster died: after staleAfterMs another process may post.
      const taken = await store.claimAlertMessage(
        { ...key, channel: 'C-ALERTS', at: at(1500) },
        1000,
      );
      expect(taken).toMatchObject({ claimed: true, message: { channel: 'C-ALERTS' } });
      const done = await store.setAlertMessageTs({ ...key, ts: '10.1', at: at(1600) });
      expect(done).toMatchObject({ ts: '10.1', channel: 'C-WEB', updatedAt: at(1600) });
      expect(await store.setAlertMessageTs({ ...key, ts: '99.9' })).toMatchObject({ ts: '10.1' });
      const again = await store.claimAlertMessage({ ...key, at: at(99_999) }, 0);
      expect(again).toMatchObject({ claimed: false, message: { ts: '10.1' } });
      expect(
        await store.setAlertMessageTs({ groupId: 'nope', episode: 1, channel: 'C', ts: '1' }),
      ).toBeNull();
    });

    it('gives a contended reservation to exactly one process', async () => {
      await ctx.store().saveAlertGroup(group());
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.claimAlertMessage({
            groupId: 'g1',
            episode: 1,
            channel: `C${i}`,
          }),
        ),
      );
      const winners = results.filter((r) => r?.claimed);
      expect(winners).toHaveLength(1);
      const stored = await ctx.store().latestAlertMessage('g1');
      expect(stored?.channel).toBe(winners[0]?.message.channel);
    });

    it('refuses unknown episodes and deployments', async () => {
      const store = ctx.store();
      await expect(
        store.claimAlertMessage({ groupId: 'g1', episode: 1, channel: 'C' }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.saveAlertGroup(group({ deploymentId: 'missing' }))).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });
}
