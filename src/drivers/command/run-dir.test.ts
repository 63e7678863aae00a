import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FinalRunState, outcomeOf } from './outcome.js';
import {
  abandonRun,
  createExclusive,
  RunId,
  type RunResult,
  readRunState,
  runDirOf,
  runIdFor,
  writeFileAtomic,
} from './run-dir.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const me = { pid: 4242, bootId: 'boot', startTicks: '1' };
const alive = () => true;
const dead = () => false;

function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    format: 1,
    started: true,
    exitCode: 0,
    signal: null,
    timedOut: false,
    cancelled: false,
    error: null,
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:01:30.000Z',
    durationMs: 90_000,
    outputBytes: 10,
    outputTruncated: false,
    ...overrides,
  };
}

describe('reading a run directory', () => {
  it('goes from missing to pending to running to finished', async () => {
    const runDir = join(dir, 'd1-deploy');
    expect(await readRunState(runDir, alive)).toEqual({ kind: 'missing' });
    await mkdir(runDir);
    expect((await readRunState(runDir, alive)).kind).toBe('pending');
    const claim = { kind: 'supervisor', process: me, at: new Date().toISOString() };
    expect(await createExclusive(join(runDir, 'supervisor.json'), JSON.stringify(claim))).toBe(
      true,
    );
    expect(await readRunState(runDir, alive)).toEqual({ kind: 'running', supervisor: me });
    await writeFileAtomic(join(runDir, 'result.json'), JSON.stringify(result()));
    expect(await readRunState(runDir, alive)).toEqual({ kind: 'finished', result: result() });
    // A dead supervisor that left a result is simply finished.
    expect((await readRunState(runDir, dead)).kind).toBe('finished');
  });

  it('tells a lost supervisor apart, with whether its command still runs', async () => {
    const runDir = join(dir, 'd1-deploy');
    await mkdir(runDir);
    await writeFile(
      join(runDir, 'supervisor.json'),
      JSON.stringify({ kind: 'supervisor', process: me, at: new Date().toISOString() }),
    );
    expect(await readRunState(runDir, dead)).toEqual({
      kind: 'lost',
      supervisor: me,
      child: null,
      childAlive: false,
    });
    const child = { process: { ...me, pid: 4343 }, startedAt: new Date().toISOString() };
    await writeFile(join(runDir, 'child.json'), JSON.stringify(child));
    expect(await readRunState(runDir, (id) => id.pid === 4343)).toEqual({
      kind: 'lost',
      supervisor: me,
      child,
      childAlive: true,
    });
  });

  it('lets exactly one of the supervisor and an abandoning watcher claim a run', async () => {
    const runDir = join(dir, 'd1-deploy');
    await mkdir(runDir);
    const claims = await Promise.all([
      abandonRun(runDir, 'gave up'),
      createExclusive(
        join(runDir, 'supervisor.json'),
        JSON.stringify({ kind: 'supervisor', process: me, at: new Date().toISOString() }),
      ),
      abandonRun(runDir, 'gave up too'),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await abandonRun(runDir, 'later')).toBe(false);
  });

  it('names runs safely and refuses handles that point elsewhere', () => {
    expect(runIdFor('01HX-abc_1.2', 'deploy')).toBe('01HX-abc_1.2-deploy');
    expect(runIdFor('../etc/x', 'rollback')).toBe('%2e.%2fetc%2fx-rollback');
    expect(() => runDirOf(dir, '../outside')).toThrow();
    expect(RunId.safeParse('a/b').success).toBe(false);
  });
});

describe('outcome of a run', () => {
  const context = {
    output: 'pulling\nmigrating\nswitching traffic\n',
    logFile: '/data/runs/d1-deploy/output.log',
    timeoutMs: 600_000,
  };
  const finished = (overrides: Partial<RunResult>): FinalRunState => ({
    kind: 'finished',
    result: result(overrides),
  });

  it('maps exit status, signals, timeouts and cancellation', () => {
    expect(outcomeOf(finished({}), context)).toEqual({ ok: true, summary: 'switching traffic' });
    expect(outcomeOf(finished({}), { ...context, output: '' })).toEqual({
      ok: true,
      summary: 'finished in 1m30s with no output',
    });
    expect(outcomeOf(finished({ exitCode: 3 }), context)).toEqual({
      ok: false,
      changed: true,
      reason: 'switching traffic (exit 3)',
    });
    expect(outcomeOf(finished({ exitCode: null, signal: 'SIGSEGV' }), context)).toMatchObject({
      reason: 'switching traffic (killed by SIGSEGV)',
    });
    expect(
      outcomeOf(finished({ exitCode: null, signal: 'SIGTERM', timedOut: true }), context),
    ).toMatchObject({
      reason: 'timed out after 10m and was stopped; last output: switching traffic',
      changed: true,
    });
    expect(
      outcomeOf(finished({ exitCode: null, signal: 'SIGTERM', cancelled: true }), {
        ...context,
        output: '',
      }),
    ).toEqual({
      ok: false,
      changed: true,
      reason: 'cancelled after 1m30s',
    });
  });

  it('says changed: false only when the command certainly never ran', () => {
    expect(
      outcomeOf(finished({ started: false, exitCode: null, error: 'spawn ./x ENOENT' }), context),
    ).toEqual({
      ok: false,
      changed: false,
      reason: 'could not start the command: spawn ./x ENOENT',
    });
    expect(
      outcomeOf({ kind: 'abandoned', reason: 'it was cancelled before it started' }, context),
    ).toMatchObject({ changed: false });
    expect(
      outcomeOf({ kind: 'lost', supervisor: me, child: null, childAlive: false }, context),
    ).toMatchObject({ changed: true });
    expect(outcomeOf({ kind: 'missing' }, context)).toMatchObject({ changed: true });
  });

  it('says an unknown outcome is unknown, and where the log is', () => {
    const outcome = outcomeOf(
      { kind: 'lost', supervisor: me, child: null, childAlive: false },
      context,
    );
    expect(outcome.ok === false && outcome.reason).toMatch(
      /^outcome unknown: the supervisor \(pid 4242\).*not run again.*\/data\/runs\/d1-deploy\/output\.log/,
    );
  });
});
