import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverHandle } from '../types.js';
import { supervisorCommand } from './launch.js';
import { identify } from './processes.js';
import { ChildRecordSchema, ClaimSchema, type RunSpec, writeFileAtomic } from './run-dir.js';
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
  await world.cleanup();
});

/** Appends one line per run to runs.txt, so a test can count how often the command ran. */
const COUNTING = 'echo "run $$" >> runs.txt\nsleep 1\necho "deployed $SLIPWAY_VERSION"';

async function runCount(): Promise<number> {
  const text = await world.read('runs.txt').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** The spec Slipway writes before launching, for a run left on disk by a test. */
function specFor(script: string): RunSpec {
  return {
    format: 1,
    runId: 'dep1-deploy',
    phase: 'deploy',
    argv: [script],
    cwd: world.root,
    env: { PATH: process.env.PATH ?? '', SLIPWAY_VERSION: '1.2.3' },
    timeoutMs: 10_000,
    killGraceMs: 1_000,
    outputLimitBytes: 4096,
    createdAt: new Date(Date.now() - 1_000).toISOString(),
  };
}

async function readJsonFile(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** Starts a deploy in a separate "engine" process, reads its handle, then SIGKILLs it. */
async function deployInDoomedProcess(script: string): Promise<DriverHandle> {
  const helper = fileURLToPath(new URL('./test-support/deploy-and-hang.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const engine = spawn(process.execPath, ['--import', tsx, helper, world.dataDir, script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  engine.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const handleLine = await eventually(
    async () => (output.includes('\n') ? output : undefined),
    20_000,
  );
  engine.kill('SIGKILL');
  await new Promise((resolve) => engine.once('exit', resolve));
  return JSON.parse(handleLine) as DriverHandle;
}

describe('command driver: crash safety', () => {
  it('runs the command once however often deploy is called for the same deployment', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    const first = world.driver();
    const second = world.driver();
    const ctx = world.context({ deploy: [script] });
    const handles = await Promise.all([first.deploy(ctx), second.deploy(ctx), first.deploy(ctx)]);
    expect(new Set(handles.map((h) => JSON.stringify(h))).size).toBe(1);
    const [handle] = handles;

    expect(await first.watch(ctx, handle)).toEqual({ ok: true, summary: 'deployed 1.2.3' });
    expect(await second.deploy(ctx)).toEqual(handle);
    expect(await second.watch(ctx, handle)).toEqual({ ok: true, summary: 'deployed 1.2.3' });
    expect(await runCount()).toBe(1);
  });

  it('survives the engine being SIGKILLed: a new process watches and gets the real outcome', async () => {
    const script = await world.script('deploy.sh', `${COUNTING}\nexit 4`);
    const handle = await deployInDoomedProcess(script);

    // The restarted engine may not have stored the handle: deploying again attaches.
    const restarted = world.driver();
    const ctx = world.context({ deploy: [script] });
    expect(await restarted.deploy(ctx)).toEqual(handle);
    const outcome = await restarted.watch(ctx, handle);

    expect(outcome).toEqual({ ok: false, changed: true, reason: 'deployed 1.2.3 (exit 4)' });
    expect(await runCount()).toBe(1);
  });

  it('reports "outcome unknown" when the supervisor is killed, after the orphaned command ends, without re-running it', async () => {
    const script = await world.script('deploy.sh', 'sleep 1\necho ran >> runs.txt\necho done');
    const driver = world.driver();
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);
    const runDir = runDirOfHandle(world, handle);
    const claim = ClaimSchema.parse(
      await eventually(() => readJsonFile(join(runDir, 'supervisor.json'))),
    );
    const child = ChildRecordSchema.parse(
      await eventually(() => readJsonFile(join(runDir, 'child.json'))),
    );
    if (claim.kind !== 'supervisor') throw new Error('expected a supervisor claim');
    process.kill(claim.process.pid, 'SIGKILL');

    const outcome = await driver.watch(ctx, handle);

    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(outcome.ok === false && outcome.reason).toMatch(
      /^outcome unknown: the supervisor \(pid \d+\) stopped without recording how the command ended .* the command was not run again\. Check the target and the log at .*output\.log/,
    );
    expect(await processGone(child.process.pid)).toBe(true);
    expect(await runCount()).toBe(1);
    expect(existsSync(join(runDir, 'result.json'))).toBe(false);
    expect(
      ctx.reported.some((text) => text.startsWith('supervisor gone; waiting for the command')),
    ).toBe(true);
  });

  it('starts a run that Slipway died before launching, once, however many processes take it over', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    // Slipway died right after creating the run directory, before starting anything.
    const runDir = join(world.dataDir, 'runs', 'dep1-deploy');
    await mkdir(runDir, { recursive: true });
    const ctx = world.context({ deploy: [script] });
    const drivers = [world.driver(), world.driver(), world.driver()];
    const handles = await Promise.all(drivers.map((driver) => driver.deploy(ctx)));
    const outcomes = await Promise.all(
      drivers.map((driver, i) => driver.watch(ctx, handles[i] as DriverHandle)),
    );

    for (const outcome of outcomes)
      expect(outcome).toEqual({ ok: true, summary: 'deployed 1.2.3' });
    expect(await runCount()).toBe(1);
    expect(existsSync(join(runDir, 'relaunch-1.json'))).toBe(true);
    expect(existsSync(join(runDir, 'relaunch-2.json'))).toBe(false);

    // A supervisor launched before the crash that wakes up only now finds the run claimed.
    const { file, args } = supervisorCommand(runDir, specFor(script));
    const late = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    late.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await new Promise((resolve) => late.once('exit', resolve))).toBe(0);
    expect(stderr).toContain('is already claimed; not running it again');
    expect(await runCount()).toBe(1);
  });

  it('starts an old unstarted run in deploy itself when taking a deployment over', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    const runDir = join(world.dataDir, 'runs', 'dep1-deploy');
    await mkdir(runDir, { recursive: true });
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(runDir, longAgo, longAgo);
    const driver = world.driver({ relaunchAfterMs: 60 * 60_000 });
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);
    // Launched before deploy returned, not left to the watcher (which would wait an hour here).
    expect(existsSync(join(runDir, 'launched.json'))).toBe(true);
    expect(await driver.watch(ctx, handle)).toEqual({ ok: true, summary: 'deployed 1.2.3' });
    expect(await runCount()).toBe(1);
  });

  it('waits past the grace for a supervisor still starting; once it is gone unclaimed, starts the run', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    // Slipway launched a supervisor that has not claimed the run yet (booting on a busy
    // machine): a sleeping process stands in for it.
    const runDir = join(world.dataDir, 'runs', 'dep1-deploy');
    await mkdir(runDir, { recursive: true });
    await writeFileAtomic(join(runDir, 'spec.json'), JSON.stringify(specFor(script)));
    const booting = spawn('sleep', ['60'], { stdio: 'ignore' });
    if (booting.pid === undefined) throw new Error('sleep did not start');
    await writeFileAtomic(join(runDir, 'launched.json'), JSON.stringify(identify(booting.pid)));
    const driver = world.driver({ launchGraceMs: 200, relaunchAfterMs: 200 });
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);
    let settled = false;
    const watching = driver.watch(ctx, handle).finally(() => {
      settled = true;
    });
    // Five times the grace: a supervisor that is alive is waited for, not replaced.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(settled).toBe(false);
    expect(existsSync(join(runDir, 'supervisor.json'))).toBe(false);

    booting.kill('SIGKILL');
    expect(await watching).toEqual({ ok: true, summary: 'deployed 1.2.3' });
    expect(await runCount()).toBe(1);
  });

  it('gives a run up as never started once it was launched again too often', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    const runDir = join(world.dataDir, 'runs', 'dep1-deploy');
    await mkdir(runDir, { recursive: true });
    await writeFileAtomic(join(runDir, 'spec.json'), JSON.stringify(specFor(script)));
    // Three relaunches by a process long gone, each of whose supervisors died before claiming.
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    const marker = JSON.stringify({
      process: { pid: gone.pid, bootId: null, startTicks: null },
      at: new Date(Date.now() - 60_000).toISOString(),
    });
    for (const n of [1, 2, 3]) await writeFileAtomic(join(runDir, `relaunch-${n}.json`), marker);
    const driver = world.driver({ launchGraceMs: 300, relaunchAfterMs: 100 });
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);

    expect(await driver.watch(ctx, handle)).toEqual({
      ok: false,
      changed: false,
      reason:
        'the command never started: no supervisor claimed the run within 300ms (Slipway probably stopped while starting it)',
    });
    expect(await runCount()).toBe(0);
  });

  it('cancels a running command: the supervisor stops its whole process group and records it', async () => {
    const script = await world.script(
      'deploy.sh',
      'echo started\nsleep 30 &\necho $! > background.pid\nwait',
    );
    const driver = world.driver();
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);
    const runDir = runDirOfHandle(world, handle);
    await eventually(() => readJsonFile(join(runDir, 'child.json')));
    const background = Number(await eventually(() => world.read('background.pid')));

    await driver.cancel?.(ctx, handle);
    const outcome = await driver.watch(ctx, handle);

    expect(outcome).toMatchObject({ ok: false, changed: true });
    expect(outcome.ok === false && outcome.reason).toMatch(
      /^cancelled after \d+m?s; last output: started$/,
    );
    expect(await eventually(async () => ((await processGone(background)) ? true : undefined))).toBe(
      true,
    );
  });

  it('cancels a run before its supervisor claimed it: nothing ever runs', async () => {
    const script = await world.script('deploy.sh', COUNTING);
    await mkdir(join(world.dataDir, 'runs', 'dep1-deploy'), { recursive: true });
    const driver = world.driver();
    const ctx = world.context({ deploy: [script] });
    const handle = await driver.deploy(ctx);

    await driver.cancel?.(ctx, handle);

    expect(await driver.watch(ctx, handle)).toEqual({
      ok: false,
      changed: false,
      reason: 'the command never started: it was cancelled before it started',
    });
    expect(await runCount()).toBe(0);
  });
});
