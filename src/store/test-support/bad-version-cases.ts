import { describe, expect, it } from 'vitest';
import type { NewBadVersion } from '../../core/bad-version.js';
import { type SuiteContext, timeline } from './fixtures.js';

function mark(overrides: Partial<NewBadVersion> = {}): NewBadVersion {
  return {
    service: 'web',
    environment: 'production',
    version: '1.5.0',
    markedBy: 'slipway',
    reason: 'not healthy within 30s: 1 of 3 ready',
    deploymentId: 'd-failed',
    ...overrides,
  };
}

export function badVersionCases(ctx: SuiteContext): void {
  describe('bad versions', () => {
    it('marks a version bad on one target, with who, when, why and which deployment', async () => {
      const store = ctx.store();
      const at = timeline();
      const { mark: made, created } = await store.markBadVersion(mark({ at: at(0) }));
      expect(created).toBe(true);
      expect(made).toEqual({
        id: expect.stringMatching(/^b-/),
        service: 'web',
        environment: 'production',
        version: '1.5.0',
        markedAt: at(0),
        markedBy: 'slipway',
        reason: 'not healthy within 30s: 1 of 3 ready',
        deploymentId: 'd-failed',
        clearedAt: null,
        clearedBy: null,
        clearedReason: null,
        clearedDeploymentId: null,
      });
      expect(await store.findBadVersion('web', 'production', '1.5.0')).toEqual(made);
      // Another version, environment or service is not marked.
      expect(await store.findBadVersion('web', 'production', '1.4.0')).toBeNull();
      expect(await store.findBadVersion('web', 'staging', '1.5.0')).toBeNull();
      expect(await store.findBadVersion('api', 'production', '1.5.0')).toBeNull();
    });

    it('keeps the first mark when the version is marked again, whoever marks it', async () => {
      const store = ctx.store();
      const at = timeline();
      const first = await store.markBadVersion(mark({ at: at(0) }));
      const again = await store.markBadVersion(
        mark({ markedBy: 'U-DEV1', reason: 'rolled back by hand', at: at(5_000) }),
      );
      expect(again).toEqual({ mark: first.mark, created: false });
      expect(await store.listBadVersions({ cleared: true })).toHaveLength(1);
    });

    it('gives one mark to several processes marking the same version at once', async () => {
      const peers = await ctx.peers(4);
      const results = await Promise.all(
        peers.map((store, i) => store.markBadVersion(mark({ markedBy: `replica-${i}` }))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.mark.id)).size).toBe(1);
    });

    it('clears a mark once, recording who overrode it, why and with which deployment', async () => {
      const store = ctx.store();
      const at = timeline();
      const { mark: made } = await store.markBadVersion(mark({ at: at(0) }));
      const clearing = {
        service: 'web',
        environment: 'production',
        version: '1.5.0',
        by: 'U-DEV1',
        reason: 'the failure was the database, fixed in INC-7',
        deploymentId: 'd-forced',
        at: at(60_000),
      };
      const cleared = await store.clearBadVersion(clearing);
      expect(cleared).toEqual({
        ...made,
        clearedAt: at(60_000),
        clearedBy: 'U-DEV1',
        clearedReason: 'the failure was the database, fixed in INC-7',
        clearedDeploymentId: 'd-forced',
      });
      expect(await store.findBadVersion('web', 'production', '1.5.0')).toBeNull();
      // Nothing left to clear: a second deploy! finds no mark.
      expect(await store.clearBadVersion({ ...clearing, by: 'U-DEV2' })).toBeNull();
      // The cleared mark stays for the audit; only marks that hold are listed by default.
      expect(await store.listBadVersions()).toEqual([]);
      expect(await store.listBadVersions({ cleared: true })).toEqual([cleared]);
    });

    it('marks a cleared version anew when it is rolled back again', async () => {
      const store = ctx.store();
      const at = timeline();
      const first = await store.markBadVersion(mark({ at: at(0) }));
      await store.clearBadVersion({
        service: 'web',
        environment: 'production',
        version: '1.5.0',
        by: 'U-DEV1',
        reason: 'try again',
        deploymentId: 'd-forced',
        at: at(1_000),
      });
      const second = await store.markBadVersion(
        mark({ deploymentId: 'd-forced', reason: 'failed again', at: at(2_000) }),
      );
      expect(second.created).toBe(true);
      expect(second.mark.id).not.toBe(first.mark.id);
      expect(await store.findBadVersion('web', 'production', '1.5.0')).toEqual(second.mark);
      const all = await store.listBadVersions({ cleared: true });
      expect(all.map((m) => [m.reason, m.clearedBy])).toEqual([
        ['failed again', null],
        ['not healthy within 30s: 1 of 3 ready', 'U-DEV1'],
      ]);
    });

    it('lists a target’s marks newest first, by service and environment, up to a limit', async () => {
      const store = ctx.store();
      const at = timeline();
      const rows: Partial<NewBadVersion>[] = [
        { version: '1.1.0' },
        { version: '1.2.0', environment: 'staging' },
        { version: '2.0.0', service: 'api' },
        { version: '1.3.0' },
      ];
      for (const [i, row] of rows.entries())
        await store.markBadVersion(mark({ ...row, at: at(i) }));
      const versions = async (filter: Parameters<typeof store.listBadVersions>[0]) =>
        (await store.listBadVersions(filter)).map((m) => m.version);
      expect(await versions({})).toEqual(['1.3.0', '2.0.0', '1.2.0', '1.1.0']);
      expect(await versions({ service: 'web', environment: 'production' })).toEqual([
        '1.3.0',
        '1.1.0',
      ]);
      expect(await versions({ service: 'api' })).toEqual(['2.0.0']);
      expect(await versions({ environment: 'staging' })).toEqual(['1.2.0']);
      expect(await versions({ limit: 2 })).toEqual(['1.3.0', '2.0.0']);
    });
  });
}
