import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function messageCases(ctx: SuiteContext): void {
  describe('chat messages', () => {
    async function deployment() {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'queued', { actor: 'a' });
      return deployment.id;
    }

    it('saves a message once and keeps the first when saved again', async () => {
      const store = ctx.store();
      const at = timeline();
      const id = await deployment();
      const message = { deploymentId: id, purpose: 'main', channel: 'C1', ts: '1.1' };
      const expected = { ...message, createdAt: at(0), updatedAt: at(0) };
      const first = { ...message, at: at(0) };
      expect(await store.saveMessage(first)).toEqual({ created: true, message: expected });
      expect(await store.saveMessage({ ...first, ts: '2.2', at: at(5) })).toEqual({
        created: false,
        message: expected,
      });
      expect(await store.listMessages(id)).toEqual([expected]);
    });

    it('reserves before posting, completes once, and lists oldest first', async () => {
      const store = ctx.store();
      const at = timeline();
      const id = await deployment();
      const main = { deploymentId: id, purpose: 'main', channel: 'C1' };
      const claim = await store.claimMessage({ ...main, at: at(0) });
      expect(claim).toMatchObject({ claimed: true, message: { ts: null, channel: 'C1' } });
      expect((await store.claimMessage({ ...main, at: at(1) })).claimed).toBe(false);
      const done = await store.setMessageTs({ ...main, ts: '10.1', at: at(2) });
      expect(done).toMatchObject({ ts: '10.1', createdAt: at(0), updatedAt: at(2) });
      // A second completion (a second post) never replaces the recorded message.
      expect(await store.setMessageTs({ ...main, ts: '99.9' })).toMatchObject({ ts: '10.1' });
      const again = await store.claimMessage({ ...main, at: at(3) }, 0);
      expect(again).toMatchObject({ claimed: false, message: { ts: '10.1' } });

      await store.claimMessage({
        deploymentId: id,
        purpose: 'approver:U2',
        channel: 'D2',
        at: at(4),
      });
      await store.claimMessage({
        deploymentId: id,
        purpose: 'approver:U1',
        channel: 'D1',
        at: at(4),
      });
      const listed = await store.listMessages(id);
      expect(listed.map((m) => [m.purpose, m.ts])).toEqual([
        ['main', '10.1'],
        ['approver:U1', null],
        ['approver:U2', null],
      ]);
      expect(await store.listMessages('other')).toEqual([]);
      expect(
        await store.setMessageTs({ deploymentId: 'other', purpose: 'main', channel: 'C', ts: '1' }),
      ).toBeNull();
    });

    it('takes over a reservation abandoned longer than staleAfterMs, once', async () => {
      const at = timeline();
      const id = await deployment();
      const main = { deploymentId: id, purpose: 'main', channel: 'C1' };
      await ctx.store().claimMessage({ ...main, at: at(0) });
      expect((await ctx.store().claimMessage({ ...main, at: at(500) }, 1000)).claimed).toBe(false);
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        stores.map((s) => s.claimMessage({ ...main, channel: 'C2', at: at(2000) }, 1000)),
      );
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      expect((await ctx.store().listMessages(id))[0]).toMatchObject({
        channel: 'C2',
        ts: null,
        updatedAt: at(2000),
      });
    });

    it('gives a contended reservation to exactly one process', async () => {
      const id = await deployment();
      const stores = await ctx.peers(3);
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length]?.claimMessage({
            deploymentId: id,
            purpose: 'main',
            channel: `C${i}`,
          }),
        ),
      );
      const winners = results.filter((r) => r?.claimed);
      expect(winners).toHaveLength(1);
      for (const r of results) expect(r?.message.channel).toBe(winners[0]?.message.channel);
    });

    it('refuses a message for a deployment that does not exist', async () => {
      await expect(
        ctx.store().claimMessage({ deploymentId: 'missing', purpose: 'main', channel: 'C1' }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        ctx
          .store()
          .saveMessage({ deploymentId: 'missing', purpose: 'main', channel: 'C1', ts: '1' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
