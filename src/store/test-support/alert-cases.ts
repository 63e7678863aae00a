import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function alertCases(ctx: SuiteContext): void {
  describe('alert groups', () => {
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
      expect(first).toEqual({
        groupId: 'g1',
        episode: 1,
        groupKey: '{}:{alertname="HighErrorRate"}',
        revision: 1,
        state: { alerts: [{ fingerprint: 'f1', status: 'firing' }] },
        deploymentId: null,
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
      expect((await store.latestAlertGroup('g1'))?.state).toEqual({ resolved: true });
      expect(await store.listAlertGroups({ deploymentId: deployment.id })).toHaveLength(1);
      expect(await store.listAlertGroups({ deploymentId: 'other' })).toEqual([]);
    });

    it('lets exactly one of several processes save from the same revision', async () => {
      await ctx.store().saveAlertGroup(group());
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        stores.map((s, i) => s.saveAlertGroup(group({ revision: 1, state: { by: i } }))),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await ctx.store().latestAlertGroup('g1'))?.revision).toBe(2);
    });

    it('finds the newest episode of a group', async () => {
      const store = ctx.store();
      expect(await store.latestAlertGroup('g1')).toBeNull();
      await store.saveAlertGroup(group());
      await store.saveAlertGroup(group({ episode: 2, state: { second: true } }));
      await store.saveAlertGroup(group({ groupId: 'g2', episode: 7 }));
      expect(await store.latestAlertGroup('g1')).toMatchObject({
        episode: 2,
        state: { second: true },
      });
    });

    it('refuses a tie to a deployment that does not exist', async () => {
      await expect(
        ctx.store().saveAlertGroup(group({ deploymentId: 'missing' })),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
