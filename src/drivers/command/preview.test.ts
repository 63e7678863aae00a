import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorld, type World } from './test-support/fixtures.js';

/**
 * Previews with the command driver: one target per branch ({ref}), its address offered to the
 * reviewers (`url`), and removed by `teardown` when the review closes or the preview expires.
 */
let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const branch = { deployment: { ref: { type: 'branch' as const, name: 'feature/login' } } };

describe('command driver: previews', () => {
  it('names the target after the branch and offers the preview URL once deployed', async () => {
    const script = await world.script(
      'deploy.sh',
      'printf "%s|%s\\n" "$1" "$SLIPWAY_REF" > ref.txt',
    );
    const driver = world.driver();
    const ctx = world.context(
      { deploy: [script, 'preview-{ref}'], url: 'https://{refSlug}.preview.example.com/' },
      branch,
    );
    const outcome = await driver.watch(ctx, await driver.deploy(ctx));
    expect(outcome).toMatchObject({
      ok: true,
      url: expect.stringMatching(/^https:\/\/feature-login-[0-9a-f]{8}\.preview\.example\.com\/$/),
    });
    expect((await world.read('ref.txt')).trim()).toBe('preview-feature/login|feature/login');
  });

  it('names the preview of a deploy without a branch after its version', async () => {
    const driver = world.driver();
    const ctx = world.context(
      { deploy: ['true'], url: 'https://{refSlug}.preview.example.com/' },
      { deployment: { ref: null, version: '1.3.0-rc.1' } },
    );
    const outcome = await driver.watch(ctx, await driver.deploy(ctx));
    expect(outcome).toMatchObject({
      ok: true,
      url: expect.stringMatching(/^https:\/\/1-3-0-rc-1-[0-9a-f]{8}\.preview\.example\.com\/$/),
    });
  });

  it('runs teardown with the same placeholders, and says when it fails', async () => {
    const remove = await world.script('teardown.sh', 'echo "$1" > removed.txt');
    const driver = world.driver();
    await driver.teardown?.(
      world.context({ deploy: ['true'], teardown: [remove, 'preview-{ref}'] }, branch),
    );
    expect((await world.read('removed.txt')).trim()).toBe('preview-feature/login');

    const failing = await world.script('fail.sh', 'echo "no such preview" >&2\nexit 3');
    await expect(
      driver.teardown?.(world.context({ deploy: ['true'], teardown: [failing] }, branch)),
    ).rejects.toThrow('the teardown command failed: exit 3: no such preview');
  });

  it('does nothing on teardown when none is configured', async () => {
    const driver = world.driver();
    await expect(driver.teardown?.(world.context({ deploy: ['true'] }, branch))).resolves.toBe(
      undefined,
    );
  });
});
