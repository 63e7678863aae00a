import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { capabilities } from './index.js';
import { makeWorld, type World } from './test-support/fixtures.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const RECORD = 'echo "$SLIPWAY_PHASE $SLIPWAY_VERSION $*" >> calls.txt\necho "at $SLIPWAY_VERSION"';

describe('command driver: rollback', () => {
  it('runs the rollback argv with {version} set to the version to return to', async () => {
    const script = await world.script('run.sh', RECORD);
    const driver = world.driver();
    const ctx = world.context({
      deploy: [script, 'deploy', '{version}'],
      rollback: [script, 'rollback', '{version}'],
    });
    await driver.watch(ctx, await driver.deploy(ctx));
    const handle = await driver.rollback?.(ctx, '1.2.0');

    expect(handle).toEqual({ runId: 'dep1-rollback', phase: 'rollback' });
    expect(await driver.watch(ctx, handle ?? {})).toEqual({ ok: true, summary: 'at 1.2.0' });
    expect(await world.read('calls.txt')).toBe(
      'deploy 1.2.3 deploy 1.2.3\nrollback 1.2.0 rollback 1.2.0\n',
    );
    expect(existsSync(join(world.dataDir, 'runs', 'dep1-deploy', 'result.json'))).toBe(true);
  });

  it('falls back to the deploy argv with the older version when no rollback argv is configured', async () => {
    const script = await world.script('run.sh', RECORD);
    const driver = world.driver();
    const ctx = world.context({ deploy: [script, '{service}@{version}'] });
    const handle = await driver.rollback?.(ctx, '1.2.2');

    expect(await driver.watch(ctx, handle ?? {})).toEqual({ ok: true, summary: 'at 1.2.2' });
    expect(await world.read('calls.txt')).toBe('rollback 1.2.2 web@1.2.2\n');
    expect(capabilities(ctx.options)).toEqual({ status: false, rollback: 'redeploy' });
  });

  it('refuses to roll back without a version when it would need one', async () => {
    const script = await world.script('run.sh', RECORD);
    const driver = world.driver();
    const noRollback = world.context({ deploy: [script, '{version}'] });
    const usesVersion = world.context({ deploy: [script], rollback: [script, '{version}'] });

    await expect(driver.rollback?.(noRollback, null)).rejects.toThrow(ValidationError);
    await expect(driver.rollback?.(noRollback, null)).rejects.toThrow(
      /cannot roll back web in staging without a version: it has no rollback command.*"rollback web in staging to <version>"/,
    );
    await expect(driver.rollback?.(usesVersion, null)).rejects.toThrow(
      /its rollback command uses \{version\}/,
    );
    expect(existsSync(join(world.dataDir, 'runs', 'dep1-rollback'))).toBe(false);
  });

  it('runs a rollback argv that needs no version when none is known', async () => {
    const script = await world.script('run.sh', RECORD);
    const driver = world.driver();
    const ctx = world.context({
      deploy: [script],
      rollback: [script, 'undo', '{previousVersion}'],
    });
    const handle = await driver.rollback?.(ctx, null);

    expect(await driver.watch(ctx, handle ?? {})).toMatchObject({ ok: true });
    expect(await world.read('calls.txt')).toBe('rollback  undo 1.2.2\n');
    expect(capabilities(ctx.options)).toEqual({ status: false, rollback: 'command' });
  });
});
