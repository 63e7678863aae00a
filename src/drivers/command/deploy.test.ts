import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  eventually,
  makeWorld,
  processGone,
  runDirOfHandle,
  type World,
} from './test-support/fixtures.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await world.cleanup();
});

const ENV_DUMP = 'printf "%s\\n" "$@" > args.txt\nenv | sort > env.txt';

function envOf(dump: string): Map<string, string> {
  return new Map(
    dump
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('command driver: deploy and watch', () => {
  it('runs the argv with placeholders substituted and SLIPWAY_* variables set', async () => {
    const script = await world.script(
      'deploy.sh',
      `${ENV_DUMP}\necho "deploying $SLIPWAY_SERVICE"\nsleep 1\necho "live: $SLIPWAY_VERSION"`,
    );
    const driver = world.driver();
    const ctx = world.context({
      deploy: [
        script,
        '{service}',
        'v={version}-{environment}',
        '{image}:{version}',
        '{deploymentId}',
        '{correlationId}',
        '{previousVersion}',
        '',
      ],
      env: { FOO: 'bar baz' },
    });
    const handle = await driver.deploy(ctx);
    expect(handle).toEqual({ runId: 'dep1-deploy', phase: 'deploy' });

    const outcome = await driver.watch(ctx, handle);

    expect(outcome).toEqual({ ok: true, summary: 'live: 1.2.3' });
    expect(ctx.reported).toContain('deploying web');
    expect((await world.read('args.txt')).split('\n')).toEqual([
      'web',
      'v=1.2.3-staging',
      'registry.example.com/web:1.2.3',
      'dep1',
      'corr-1',
      '1.2.2',
      '',
      '',
    ]);
    const env = envOf(await world.read('env.txt'));
    expect(env.get('FOO')).toBe('bar baz');
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect(Object.fromEntries([...env].filter(([name]) => name.startsWith('SLIPWAY_')))).toEqual({
      SLIPWAY_SERVICE: 'web',
      SLIPWAY_VERSION: '1.2.3',
      SLIPWAY_ENVIRONMENT: 'staging',
      SLIPWAY_DEPLOYMENT_ID: 'dep1',
      SLIPWAY_CORRELATION_ID: 'corr-1',
      SLIPWAY_PREVIOUS_VERSION: '1.2.2',
      SLIPWAY_IMAGE: 'registry.example.com/web',
      SLIPWAY_REF: '',
      // No branch: the version names the preview.
      SLIPWAY_REF_SLUG: expect.stringMatching(/^1-2-3-[0-9a-f]{8}$/),
      SLIPWAY_PHASE: 'deploy',
    });
  });

  it("passes only PATH, HOME, LANG and TZ from Slipway's environment: no secrets", async () => {
    vi.stubEnv('SLIPWAY_TEST_SECRET', 'from-process-env');
    const script = await world.script('deploy.sh', ENV_DUMP);
    const driver = world.driver();
    const ctx = world.context({ deploy: [script], env: { EXTRA: '1' } });
    await driver.watch(ctx, await driver.deploy(ctx));

    const dump = await world.read('env.txt');
    expect(dump).not.toContain('xoxb-must-not-leak');
    expect(dump).not.toContain('postgres://');
    expect(dump).not.toContain('from-process-env');
    const shellOwn = new Set(['PWD', 'SHLVL', '_', 'OLDPWD']);
    const names = [...envOf(dump).keys()].filter((name) => !shellOwn.has(name));
    expect(names.filter((name) => !name.startsWith('SLIPWAY_')).sort()).toEqual(
      ['EXTRA', 'HOME', 'LANG', 'PATH', 'TZ'].sort(),
    );
  });

  it('passes shell syntax through literally: no shell ever runs', async () => {
    const marker = join(world.root, 'pwned');
    const script = await world.script('deploy.sh', ENV_DUMP);
    const tricky = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      '*',
      '$HOME',
      "'quoted'",
    ];
    const driver = world.driver();
    const ctx = world.context({ deploy: [script, ...tricky] });
    expect(await driver.watch(ctx, await driver.deploy(ctx))).toMatchObject({ ok: true });

    expect(existsSync(marker)).toBe(false);
    expect((await world.read('args.txt')).trimEnd().split('\n')).toEqual(tricky);
  });

  it('reports a non-zero exit with its last line of output first, on one line', async () => {
    const script = await world.script(
      'deploy.sh',
      'for i in 1 2 3 4 5 6 7; do echo "step $i"; done\necho "error: image not found" >&2\nexit 3',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: [script] });
    const outcome = await driver.watch(ctx, await driver.deploy(ctx));

    expect(outcome).toEqual({
      ok: false,
      changed: true,
      reason: 'error: image not found (exit 3)',
    });
  });

  it('tells a command killed by a signal from one that exits with a high status', async () => {
    const driver = world.driver();
    const killed = world.context({
      deploy: [await world.script('segv.sh', 'echo crashing\nkill -SEGV $$')],
    });
    expect(await driver.watch(killed, await driver.deploy(killed))).toEqual({
      ok: false,
      changed: true,
      reason: 'crashing (killed by SIGSEGV)',
    });
    const high = world.context(
      { deploy: [await world.script('high.sh', 'echo odd\nexit 255')] },
      { deployment: { id: 'dep2' } },
    );
    expect(await driver.watch(high, await driver.deploy(high))).toEqual({
      ok: false,
      changed: true,
      reason: 'odd (exit 255)',
    });
  });

  it('stops a command that runs past its timeout, children included', async () => {
    const script = await world.script(
      'deploy.sh',
      'echo "waiting for rollout"\nsleep 30 &\necho $! > background.pid\necho $$ > leader.pid\nsleep 30',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: [script], timeout: '1s' });
    const started = Date.now();
    const outcome = await driver.watch(ctx, await driver.deploy(ctx));

    expect(outcome).toEqual({
      ok: false,
      changed: true,
      reason: 'timed out after 1s and was stopped; last output: waiting for rollout',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const file of ['leader.pid', 'background.pid']) {
      const pid = Number(await world.read(file));
      expect(await eventually(async () => ((await processGone(pid)) ? true : undefined))).toBe(
        true,
      );
    }
  });

  it('kills a command that ignores SIGTERM after the kill grace', async () => {
    const script = await world.script('deploy.sh', "trap '' TERM\necho stubborn\nsleep 30");
    const driver = world.driver();
    const ctx = world.context({ deploy: [script], timeout: '500ms', killGrace: '500ms' });
    const handle = await driver.deploy(ctx);
    const outcome = await driver.watch(ctx, handle);

    expect(outcome).toMatchObject({
      ok: false,
      reason: 'timed out after 500ms and was stopped; last output: stubborn',
    });
    const result = JSON.parse(
      await readFile(join(runDirOfHandle(world, handle), 'result.json'), 'utf8'),
    );
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
  });

  it('keeps only the last outputLimit bytes of output, with a note', async () => {
    const script = await world.script(
      'deploy.sh',
      'seq 1 3000\necho "to stderr" >&2\nsleep 0.3\necho last-line',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: [script], outputLimit: '1KiB' });
    const handle = await driver.deploy(ctx);
    const outcome = await driver.watch(ctx, handle);

    expect(outcome).toEqual({ ok: true, summary: 'last-line' });
    const runDir = runDirOfHandle(world, handle);
    const log = await readFile(join(runDir, 'output.log'), 'utf8');
    expect((await stat(join(runDir, 'output.log'))).size).toBeLessThanOrEqual(1024);
    expect(log).toMatch(/^\[slipway\] output truncated: the first \d+ bytes were dropped/);
    expect(log.endsWith('2999\n3000\nto stderr\nlast-line\n')).toBe(true);
    expect(existsSync(join(runDir, 'output.log.1'))).toBe(false);
    const total = Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join('').length + 20;
    const result = JSON.parse(await readFile(join(runDir, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ exitCode: 0, outputBytes: total, outputTruncated: true });
  });

  it('never holds more than outputLimit bytes on disk while the command runs', async () => {
    // Bursts of output, then a pause in which the test reads the files: 3,000 lines in all.
    const script = await world.script(
      'deploy.sh',
      'for i in 1 2 3 4 5 6; do seq 1 500; touch burst-$i; sleep 0.3; done\necho end',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: [script], outputLimit: '1KiB' });
    const handle = await driver.deploy(ctx);
    const runDir = runDirOfHandle(world, handle);
    const onDisk = async () => {
      const sizes = await Promise.all(
        ['output.log', 'output.log.1'].map((name) =>
          stat(join(runDir, name)).then(
            (s) => s.size,
            () => 0,
          ),
        ),
      );
      return sizes.reduce((sum, size) => sum + size, 0);
    };
    const seen: number[] = [];
    for (const burst of [1, 2, 3, 4, 5]) {
      await eventually(async () =>
        existsSync(join(world.root, `burst-${burst}`)) ? true : undefined,
      );
      seen.push(await onDisk());
    }

    expect(await driver.watch(ctx, handle)).toEqual({ ok: true, summary: 'end' });
    // Sampled after each burst of 1,892 bytes: never more than the limit.
    expect(seen).toHaveLength(5);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1024);
    expect(await onDisk()).toBeLessThanOrEqual(1024);
  });

  it('reports a program that is not executable as a failure that changed nothing', async () => {
    const driver = world.driver();
    const file = join(world.root, 'not-executable.sh');
    await writeFile(file, 'echo never\n');
    const ctx = world.context({ deploy: [file] });

    expect(await driver.watch(ctx, await driver.deploy(ctx))).toEqual({
      ok: false,
      changed: false,
      reason: `could not start the command: spawn ${file} EACCES`,
    });
  });

  it('reports a program that cannot be started as a failure that changed nothing', async () => {
    const driver = world.driver();
    const ctx = world.context({ deploy: [join(world.root, 'missing.sh')] });
    const outcome = await driver.watch(ctx, await driver.deploy(ctx));

    expect(outcome).toEqual({
      ok: false,
      changed: false,
      reason: `could not start the command: spawn ${join(world.root, 'missing.sh')} ENOENT`,
    });
  });

  it('says what is missing when the machine has no setsid, and runs nothing', async () => {
    // A PATH with every tool the supervisor uses but setsid.
    const bin = join(world.root, 'bin');
    await mkdir(bin);
    for (const tool of [
      'dd',
      'sleep',
      'wc',
      'mkfifo',
      'date',
      'mv',
      'rm',
      'ln',
      'cat',
      'tail',
      'head',
      'tr',
      'sed',
      'touch',
    ]) {
      const found = (process.env.PATH ?? '')
        .split(':')
        .map((dir) => join(dir, tool))
        .find((file) => existsSync(file));
      if (found) await symlink(found, join(bin, tool));
    }
    world.env.PATH = bin;
    const driver = world.driver();
    const ctx = world.context({ deploy: ['touch', join(world.root, 'ran')] });

    expect(await driver.watch(ctx, await driver.deploy(ctx))).toEqual({
      ok: false,
      changed: false,
      reason:
        "could not start the command: the command supervisor needs setsid on Slipway's PATH (util-linux and coreutils, or busybox)",
    });
    expect(existsSync(join(world.root, 'ran'))).toBe(false);
  });

  it('says so when the working directory is missing, instead of blaming the program', async () => {
    const script = await world.script('deploy.sh', 'echo hi');
    const driver = world.driver();
    const missing = join(world.root, 'no-such-dir');
    const ctx = world.context({ deploy: [script], cwd: missing });

    expect(await driver.watch(ctx, await driver.deploy(ctx))).toEqual({
      ok: false,
      changed: false,
      reason: `could not start the command: the working directory ${missing} does not exist`,
    });
  });

  it('stops waiting when the signal aborts, and the run carries on for the next watch', async () => {
    const script = await world.script('deploy.sh', 'sleep 1\necho finished');
    const driver = world.driver();
    const aborter = new AbortController();
    const ctx = world.context({ deploy: [script] }, { signal: aborter.signal });
    const handle = await driver.deploy(ctx);
    const watching = driver.watch(ctx, handle);
    aborter.abort(new Error('shutting down'));

    await expect(watching).rejects.toThrow('shutting down');
    const again = world.context({ deploy: [script] });
    expect(await driver.watch(again, handle)).toEqual({ ok: true, summary: 'finished' });
  });
});
