import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

export function grafanaAnnotationCases(ctx: SuiteContext): void {
  describe('grafana annotations', () => {
    async function deployment() {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment(), 'queued', { actor: 'a' });
      return deployment.id;
    }

    it('lets one process reserve an annotation, records its id, then its end', async () => {
      const [a, b] = await ctx.peers(2);
      if (!a || !b) throw new Error('two stores expected');
      const at = timeline();
      const id = await deployment();
      const [first, second] = await Promise.all([
        a.reserveGrafanaAnnotation({ deploymentId: id, owner: 'p-a', at: at(0) }),
        b.reserveGrafanaAnnotation({ deploymentId: id, owner: 'p-b', at: at(0) }),
      ]);
      expect([first.reserved, second.reserved].sort()).toEqual([false, true]);
      const owner = first.reserved ? 'p-a' : 'p-b';
      const other = first.reserved ? 'p-b' : 'p-a';
      // The loser learns who holds it; only the holder's id is recorded.
      expect((first.reserved ? second : first).annotation).toEqual({
        deploymentId: id,
        annotationId: null,
        claimedBy: owner,
        claimedAt: at(0),
        endedAt: null,
      });
      expect(
        await a.completeGrafanaAnnotation({
          deploymentId: id,
          owner: other,
          annotationId: 7,
          endedAt: null,
        }),
      ).toBeNull();
      const done = await a.completeGrafanaAnnotation({
        deploymentId: id,
        owner,
        annotationId: 2 ** 40,
        endedAt: null,
        at: at(5),
      });
      expect(done).toMatchObject({ annotationId: 2 ** 40, endedAt: null });
      expect((await a.listOpenGrafanaAnnotations(10)).map((r) => r.deploymentId)).toEqual([id]);

      await b.endGrafanaAnnotation({ deploymentId: id, endedAt: at(10) });
      await a.endGrafanaAnnotation({ deploymentId: id, endedAt: at(20) });
      expect(await a.getGrafanaAnnotation(id)).toMatchObject({
        annotationId: 2 ** 40,
        endedAt: at(10),
      });
      expect(await a.listOpenGrafanaAnnotations(10)).toEqual([]);
    });

    it('hands a stale reservation without an id to one other process', async () => {
      const store = ctx.store();
      const at = timeline();
      const id = await deployment();
      await store.reserveGrafanaAnnotation({ deploymentId: id, owner: 'dead', at: at(0) });
      expect(
        await store.takeOverGrafanaAnnotation({ deploymentId: id, owner: 'p', at: at(999) }, 1_000),
      ).toBeNull();
      const taken = await store.takeOverGrafanaAnnotation(
        { deploymentId: id, owner: 'p', at: at(1_000) },
        1_000,
      );
      expect(taken).toMatchObject({ claimedBy: 'p', claimedAt: at(1_000), annotationId: null });
      // The first taker moved the claim past the cut-off: a second one finds nothing stale.
      expect(
        await store.takeOverGrafanaAnnotation(
          { deploymentId: id, owner: 'q', at: at(1_000) },
          1_000,
        ),
      ).toBeNull();
      // The process that died cannot record an id over the one that took over.
      expect(
        await store.completeGrafanaAnnotation({
          deploymentId: id,
          owner: 'dead',
          annotationId: 1,
          endedAt: null,
        }),
      ).toBeNull();
      const completed = await store.completeGrafanaAnnotation({
        deploymentId: id,
        owner: 'p',
        annotationId: 2,
        endedAt: at(1_500),
      });
      expect(completed).toMatchObject({ annotationId: 2, endedAt: at(1_500) });
      // An annotation with an id is never taken over.
      expect(
        await store.takeOverGrafanaAnnotation({ deploymentId: id, owner: 'q', at: at(9e6) }, 0),
      ).toBeNull();
    });

    it('lists open annotations oldest claim first, and refuses an unknown deployment', async () => {
      const store = ctx.store();
      const at = timeline();
      const ids = [await deployment(), await deployment()];
      await store.reserveGrafanaAnnotation({
        deploymentId: ids[1] as string,
        owner: 'p',
        at: at(0),
      });
      await store.reserveGrafanaAnnotation({
        deploymentId: ids[0] as string,
        owner: 'p',
        at: at(1),
      });
      expect((await store.listOpenGrafanaAnnotations(10)).map((r) => r.deploymentId)).toEqual([
        ids[1],
        ids[0],
      ]);
      expect(await store.listOpenGrafanaAnnotations(1)).toHaveLength(1);
      await expect(
        store.reserveGrafanaAnnotation({ deploymentId: 'd-none', owner: 'p' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
