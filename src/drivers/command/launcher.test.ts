import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRun, supervisorArgsFile } from './launch.js';
import { LAUNCHER_SCRIPT, launcherFor, SupervisorLauncher } from './launcher.js';
import { ClaimSchema, RUN_FILES, type RunResult, readJson, readRunState } from './run-dir.js';
import { eventually, makeWorld, processGone, type World } from './test-support/fixtures.js';

let world: World;
beforeEach(async () => {
  world = await makeWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const shellEnv = (): Record<string, string> => ({ LC_ALL: 'C', PATH: process.env.PATH ?? '' });

/** A run directory as launch.ts leaves it for the launcher: command.env and supervisor.args. */
async function runDirFor(name: string, argv: string[], timeoutMs = 10_000): Promise<string> {
  const dir = join(world.root, 'runs', name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, RUN_FILES.commandEnv), `export PATH='${process.env.PATH}'\n`);
  await writeFile(
    join(dir, RUN_FILES.supervisorArgs),
    supervisorArgsFile({
      timeoutMs,
      killGraceMs: 1_000,
      outputLimitBytes: 4096,
      cwd: world.root,
      argv,
    }),
  );
  return dir;
}

async function resultOf(dir: string): Promise<RunResult> {
  return eventually(async () => {
    const state = await readRunState(dir);
    return state.kind === 'finished' ? state.result : undefined;
  });
}

/** The pid of the supervisor that claimed the run, once one has. */
async function claimantOf(dir: string): Promise<number> {
  return eventually(async () => {
    const claim = await readJson(join(dir, RUN_FILES.claim), ClaimSchema);
    return claim?.kind === 'supervisor' ? claim.process.pid : undefined;
  });
}

/** The parent pid of a live process (field 4 of /proc/<pid>/stat). */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('supervisor launcher', () => {
  it('is a script the system shell accepts', () => {
    const check = spawnSync('/bin/sh', ['-n', '-c', LAUNCHER_SCRIPT], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('starts every run from one shell, each supervisor its own session and nobody’s child here', async () => {
    const launcher = new SupervisorLauncher(shellEnv());
    try {
      const dirs = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          runDirFor(`run-${n}`, ['/bin/sh', '-c', `sleep 0.3; echo run ${n}`]),
        ),
      );
      const pids = await Promise.all(dirs.map((dir) => launcher.launch(dir)));
      const launcherPid = launcher.pid;
      expect(launcherPid).toBeGreaterThan(0);
      for (const [i, dir] of dirs.entries()) {
        const pid = pids[i] as number;
        // The pid answered is the supervisor's: the one that claimed the run.
        expect(await claimantOf(dir)).toBe(pid);
        if (!(await processGone(pid))) {
          expect(await parentOf(pid)).not.toBe(launcherPid);
          expect(await parentOf(pid)).not.toBe(process.pid);
          // A session leader: its session id (field 6) is its own pid.
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])).toBe(pid);
        }
      }
      for (const [i, dir] of dirs.entries()) {
        const result = await resultOf(dir);
        expect(result.exitCode).toBe(0);
        // Dated by the boot clock Slipway passed, not by date(1): still this clock's time.
        expect(Math.abs(Date.parse(result.finishedAt) - Date.now())).toBeLessThan(10_000);
        expect(
          Date.parse(result.finishedAt) - Date.parse(result.startedAt ?? ''),
        ).toBeGreaterThanOrEqual(250);
        expect(await readFile(join(dir, RUN_FILES.output), 'utf8')).toBe(`run ${i + 1}\n`);
      }
      expect(launcher.pid).toBe(launcherPid);
    } finally {
      launcher.close();
    }
  });

  it('passes every argument on as it was, whatever it holds', async () => {
    const launcher = new SupervisorLauncher(shellEnv());
    try {
      const args = [`it's "quoted" \\ $HOME`, '$(touch pwned) `id`', 'two\nlines', '', '-n'];
      const dir = await runDirFor('args', ['/bin/sh', '-c', 'printf "%s|" "$@"', 'sh', ...args]);
      await launcher.launch(dir);
      expect((await resultOf(dir)).exitCode).toBe(0);
      expect(await readFile(join(dir, RUN_FILES.output), 'utf8')).toBe(`${args.join('|')}|`);
      expect(spawnSync('ls', [world.root]).stdout.toString()).not.toContain('pwned');
    } finally {
      launcher.close();
    }
  });

  it('answers a run it cannot start with an error, and goes on with the next', async () => {
    const launcher = new SupervisorLauncher(shellEnv());
    try {
      const bare = join(world.root, 'runs', 'no-args');
      await mkdir(bare, { recursive: true });
      await expect(launcher.launch(bare)).rejects.toThrow('could not start the supervisor');
      await expect(launcher.launch(join(world.root, 'nowhere'))).rejects.toThrow(
        'could not start the supervisor',
      );
      await expect(launcher.launch('relative/dir')).rejects.toThrow('absolute paths');
      const dir = await runDirFor('after', ['/bin/true']);
      expect(await launcher.launch(dir)).toBeGreaterThan(0);
      expect((await resultOf(dir)).exitCode).toBe(0);
    } finally {
      launcher.close();
    }
  });

  it('leaves running supervisors alone when it dies, and a new launcher takes the next run', async () => {
    const launcher = new SupervisorLauncher(shellEnv());
    try {
      const slow = await runDirFor('slow', ['/bin/sh', '-c', 'sleep 0.5; echo done']);
      await launcher.launch(slow);
      const first = launcher.pid as number;
      process.kill(first, 'SIGKILL');
      await eventually(async () => ((await processGone(first)) ? true : undefined));
      const next = await runDirFor('next', ['/bin/true']);
      await eventually(async () =>
        (await launcher.launch(next).catch(() => 0)) > 0 ? true : undefined,
      );
      expect(launcher.pid).not.toBe(first);
      expect(await resultOf(slow)).toMatchObject({ exitCode: 0, cancelled: false });
      expect(await readFile(join(slow, RUN_FILES.output), 'utf8')).toBe('done\n');
    } finally {
      launcher.close();
    }
  });

  it('fails what waits when no answer comes in time, so the caller can start it itself', async () => {
    const launcher = new SupervisorLauncher(shellEnv(), 200);
    try {
      const dir = await runDirFor('stuck', ['/bin/true']);
      // A launcher stopped mid-way never answers.
      const first = await runDirFor('first', ['/bin/true']);
      await launcher.launch(first);
      const pid = launcher.pid as number;
      process.kill(pid, 'SIGSTOP');
      await expect(launcher.launch(dir)).rejects.toThrow('no answer from the launcher in 200 ms');
      await eventually(async () => ((await processGone(pid)) ? true : undefined));
    } finally {
      launcher.close();
    }
  });
});

describe('starting a run', () => {
  it('goes through the process’s launcher, not a fork of Slipway', async () => {
    const dataDir = join(world.root, 'data');
    const env = { PATH: process.env.PATH ?? '' };
    const { runDir } = await startRun(
      dataDir,
      'dep1-deploy',
      {
        phase: 'deploy',
        argv: ['/bin/sh', '-c', 'sleep 0.3; echo ok'],
        cwd: world.root,
        env,
        timeoutMs: 10_000,
        killGraceMs: 1_000,
        outputLimitBytes: 4096,
      },
      env,
    );
    const supervisor = await claimantOf(runDir);
    const launcher = launcherFor({ LC_ALL: 'C', PATH: env.PATH });
    expect(launcher.pid).toBeGreaterThan(0);
    if (!(await processGone(supervisor))) {
      expect(await parentOf(supervisor)).not.toBe(process.pid);
    }
    expect((await resultOf(runDir)).exitCode).toBe(0);
    // No fallback was needed: it would have said so here.
    expect(await readFile(join(runDir, RUN_FILES.supervisorLog), 'utf8')).toBe('');
  });
});
