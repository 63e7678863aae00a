import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type ArgoCdDouble, startArgoCdDouble } from '../../../test/support/argocd-double.js';
import { DEFAULT_CLIENT_TUNING } from './client.js';
import { clientFrom, pageOf, serverFrom } from './connect.js';
import { createArgoCdDriver } from './index.js';
import { optionsSchema } from './schema.js';
import { argoWorld, deployAndWatch, IMAGE } from './test-support/fixtures.js';

const log = pino({ level: 'silent' });

describe('argocd connection', () => {
  it('reads the server from ARGOCD_SERVER, and says how to set it', () => {
    expect(serverFrom({ ARGOCD_SERVER: 'https://argocd.example.com/' })).toBe(
      'https://argocd.example.com',
    );
    expect(() => serverFrom({})).toThrow(/^ARGOCD_SERVER is not set: set it where Slipway runs/);
    expect(() => serverFrom({ ARGOCD_SERVER: 'argocd.example.com' })).toThrow(
      /give the URL of the Argo CD API server/,
    );
  });

  it('reads the token from ARGOCD_TOKEN_FILE, and says where to put one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argocd-token-'));
    writeFileSync(join(dir, 'token'), 'secret\n');
    const env = { ARGOCD_SERVER: 'https://argocd', ARGOCD_TOKEN_FILE: join(dir, 'token') };
    expect(clientFrom(env, log, DEFAULT_CLIENT_TUNING).server).toBe('https://argocd');
    expect(() =>
      clientFrom({ ARGOCD_SERVER: 'https://argocd' }, log, DEFAULT_CLIENT_TUNING),
    ).toThrow(/^ARGOCD_TOKEN is not set/);
  });

  it('builds without settings (they are read when a deployment needs them)', () => {
    const driver = createArgoCdDriver({ dataDir: '/tmp', env: {}, log });
    expect(driver.id).toBe('argocd');
    expect(driver.optionsSchema).toBe(optionsSchema);
    expect(driver.capabilities?.(optionsSchema.parse({ application: 'w', kustomize: {} }))).toEqual(
      {
        status: true,
        rollbackToPrevious: true,
      },
    );
  });

  it('links the application page, with its namespace when it has one', () => {
    expect(pageOf('https://argocd', { name: 'web' })).toBe('https://argocd/applications/web');
    expect(pageOf('https://argocd', { name: 'web', appNamespace: 'team-a' })).toBe(
      'https://argocd/applications/team-a/web',
    );
  });
});

describe('argocd refusals, as sentences', () => {
  let double: ArgoCdDouble;
  const withDouble = async (fn: (world: ReturnType<typeof argoWorld>) => Promise<void>) => {
    double = await startArgoCdDouble();
    double.add({ name: 'web', image: IMAGE, version: '1.0.0' });
    try {
      await fn(argoWorld(double));
    } finally {
      await double.close();
    }
  };

  it('a wrong token, a missing right and a missing application', async () => {
    await withDouble(async (world) => {
      const wrong = argoWorld(double, { ARGOCD_TOKEN: 'expired' });
      await expect(wrong.driver().deploy(wrong.context())).rejects.toThrow(
        /rejected Slipway's token \(401: invalid session: token signature is invalid\)/,
      );
      double.deny('update');
      await expect(world.driver().deploy(world.context())).rejects.toThrow(
        /^Slipway's Argo CD account may not update application web \(permission denied: applications, update, default\/web.*"p, role:slipway, applications, update, <project>\/web, allow"/,
      );
      await expect(
        world.driver().status?.(world.context({ application: 'nope', project: 'default' })),
      ).rejects.toThrow(
        'Argo CD has no application nope in project default: fix "application" in the argocd options.',
      );
    });
  });

  it('names the rollback action where Argo CD enforces it instead of sync', async () => {
    await withDouble(async (world) => {
      expect((await deployAndWatch(world, world.context())).outcome.ok).toBe(true);
      // argocd-cm server.rbac.rollback.enforce.enable: Argo CD checks and names "rollback".
      double.enforceRollbackAction();
      double.deny('rollback');
      const ctx = world.context(
        {},
        { deployment: { id: 'rb1', kind: 'rollback', version: '1.0.0' } },
      );
      await expect(world.driver().rollback?.(ctx, '1.0.0')).rejects.toThrow(
        /may not rollback application web \(permission denied: applications, rollback, default\/web.*"p, role:slipway, applications, rollback, <project>\/web, allow"/,
      );
    });
  });
});
