import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverUnsupportedError } from '../errors.js';
import { capabilities } from './index.js';
import { eventually, makeWorld, processGone, type World } from './test-support/fixtures.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('command driver: status', () => {
  it('reads the live version from the first stdout line; exit 0 is healthy', async () => {
    const script = await world.script(
      'status.sh',
      'echo "$SLIPWAY_PHASE $1" > called.txt\necho "1.2.3"\necho "3/3 pods ready"',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'], status: [script, '{service}'] });

    expect(await driver.status?.(ctx)).toEqual({
      version: '1.2.3',
      healthy: true,
      detail: '3/3 pods ready',
    });
    expect(await world.read('called.txt')).toBe('status web\n');
    expect(capabilities(ctx.options).status).toBe(true);
  });

  it('reports a non-zero exit as unhealthy, with what the command said', async () => {
    const script = await world.script(
      'status.sh',
      'echo "1.2.2"\necho "2/3 pods ready" >&2\nexit 1',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'], status: [script] });

    expect(await driver.status?.(ctx)).toEqual({
      version: '1.2.2',
      healthy: false,
      detail: 'exit 1: 2/3 pods ready',
    });
  });

  it('reports no version when the command prints nothing', async () => {
    const script = await world.script('status.sh', 'exit 0');
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'], status: [script] });

    expect(await driver.status?.(ctx)).toEqual({
      version: null,
      healthy: true,
      detail: 'healthy (no version printed)',
    });
  });

  it('counts a status command that hangs past statusTimeout as unhealthy and stops it', async () => {
    const script = await world.script('status.sh', 'echo $$ > pid.txt\nsleep 30');
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'], status: [script], statusTimeout: '300ms' });
    const started = Date.now();

    expect(await driver.status?.(ctx)).toEqual({
      version: null,
      healthy: false,
      detail: 'status command timed out after 300ms',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(await world.read('pid.txt'));
    expect(await eventually(async () => ((await processGone(pid)) ? true : undefined))).toBe(true);
  });

  it('throws a coded error when no status command is configured', async () => {
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'] });

    await expect(driver.status?.(ctx)).rejects.toThrow(DriverUnsupportedError);
    await expect(driver.status?.(ctx)).rejects.toMatchObject({ code: 'driver_unsupported' });
  });

  it('throws when the status command cannot be started (misconfiguration, not ill health)', async () => {
    const driver = world.driver();
    const ctx = world.context({ deploy: ['true'], status: [join(world.root, 'nope')] });

    await expect(driver.status?.(ctx)).rejects.toThrow(
      /could not run the status command .*nope.*ENOENT/,
    );
  });
});
