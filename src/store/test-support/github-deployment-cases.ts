import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../core/errors.js';
import type { GitHubDeploymentRecord, Store } from '../types.js';
import { newDeployment, type SuiteContext, timeline } from './fixtures.js';

type Fields = Parameters<Store['saveGitHubDeployment']>[0];

function fields(deploymentId: string, changes: Partial<Fields> = {}): Fields {
  return {
    deploymentId,
    repository: 'acme/web',
    service: 'web',
    environment: 'staging',
    version: '1.0.0',
    slot: '',
    ref: '1.0.0',
    githubEnvironment: 'staging',
    transient: false,
    production: false,
    githubId: null,
    createTried: false,
    statuses: 0,
    lastState: null,
    open: true,
    givenUp: null,
    claimedBy: null,
    claimedUntil: null,
    ...changes,
  };
}

function without(record: GitHubDeploymentRecord | null) {
  if (!record) return null;
  const { createdAt: _c, updatedAt: _u, ...rest } = record;
  return rest;
}

export function githubDeploymentCases(ctx: SuiteContext): void {
  describe('github deployments', () => {
    async function deployment(version = '1.0.0') {
      const { deployment } = await ctx
        .store()
        .createDeployment(newDeployment({ version }), 'queued', { actor: 'a' });
      return deployment.id;
    }

    it('inserts a report once, then saves it only at the revision it was read at', async () => {
      const [a, b] = await ctx.peers(2);
      if (!a || !b) throw new Error('two stores expected');
      const at = timeline();
      const id = await deployment();
      const claimed = fields(id, { claimedBy: 'p-a', claimedUntil: at(60_000), at: at(0) });
      const [first, second] = await Promise.all([
        a.saveGitHubDeployment(claimed, 0),
        b.saveGitHubDeployment({ ...claimed, claimedBy: 'p-b' }, 0),
      ]);
      // Of two processes reserving it at once, one row is written and one is told "exists".
      expect([first, second].filter((r) => r === null)).toHaveLength(1);
      const stored = await a.getGitHubDeployment(id);
      expect(stored?.revision).toBe(1);
      expect(stored?.createdAt).toEqual(at(0));
      const next = fields(id, {
        claimedBy: stored?.claimedBy ?? null,
        claimedUntil: at(60_000),
        githubId: 1_500_000_001,
        createTried: true,
        statuses: 2,
        lastState: 'in_progress',
        at: at(5),
      });
      const saved = await a.saveGitHubDeployment(next, 1);
      expect(without(saved)).toEqual({
        ...without({ ...(stored as GitHubDeploymentRecord) }),
        githubId: 1_500_000_001,
        createTried: true,
        statuses: 2,
        lastState: 'in_progress',
        revision: 2,
      });
      expect(saved?.updatedAt).toEqual(at(5));
      expect(saved?.claimedUntil).toEqual(at(60_000));
      // Another process still holding revision 1 changes nothing.
      expect(await b.saveGitHubDeployment({ ...next, statuses: 9 }, 1)).toBeNull();
      expect((await a.getGitHubDeployment(id))?.statuses).toBe(2);
    });

    it('lists reports by target, slot, state, version and openness, newest first', async () => {
      const store = ctx.store();
      const at = timeline();
      const one = await deployment('1.0.0');
      const two = await deployment('1.1.0');
      const preview = await deployment('1.1.0');
      await store.saveGitHubDeployment(
        fields(one, { lastState: 'success', ref: 'a'.repeat(40), at: at(0) }),
        0,
      );
      await store.saveGitHubDeployment(
        fields(two, { version: '1.1.0', lastState: 'failure', open: false, at: at(1) }),
        0,
      );
      await store.saveGitHubDeployment(
        fields(preview, {
          version: '1.1.0',
          environment: 'preview',
          slot: 'branch:fix',
          transient: true,
          lastState: 'success',
          at: at(2),
        }),
        0,
      );
      const ids = (rs: GitHubDeploymentRecord[]) => rs.map((r) => r.deploymentId);
      expect(ids(await store.listGitHubDeployments({}))).toEqual([preview, two, one]);
      expect(
        ids(
          await store.listGitHubDeployments({
            service: 'web',
            environment: 'staging',
            slot: '',
            lastState: 'success',
          }),
        ),
      ).toEqual([one]);
      expect(ids(await store.listGitHubDeployments({ open: true }))).toEqual([preview, one]);
      expect(ids(await store.listGitHubDeployments({ open: false }))).toEqual([two]);
      expect(
        ids(
          await store.listGitHubDeployments({
            repository: 'acme/web',
            service: 'web',
            version: '1.0.0',
          }),
        ),
      ).toEqual([one]);
      expect(ids(await store.listGitHubDeployments({ slot: 'branch:fix' }))).toEqual([preview]);
      expect(await store.listGitHubDeployments({ limit: 1 })).toHaveLength(1);
      const [found] = await store.listGitHubDeployments({ slot: 'branch:fix' });
      expect(found?.transient).toBe(true);
      expect(found?.production).toBe(false);
    });

    it('refuses a report of a deployment that does not exist', async () => {
      await expect(ctx.store().saveGitHubDeployment(fields('dep-none'), 0)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });
}
