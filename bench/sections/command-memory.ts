import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCommandDriver } from '../../src/drivers/command/index.js';
import { optionsSchema } from '../../src/drivers/command/schema.js';
import { runningDeployment } from '../../src/drivers/test-support/deployment.js';
import type { DriverHandle } from '../../src/drivers/types.js';
import type { BenchContext, Defer } from '../context.js';
import { ROOT } from '../load-spec.js';
import { sleep } from '../processes.js';
import { round } from '../stats.js';

/** Resident and proportional memory of some processes, in MiB. */
export interface Memory {
  rssMiB: number;
  pssMiB: number;
}

/** (k) What the command driver costs per running deployment, beside the command itself. */
export type CommandMemoryFigure =
  | { skipped: string }
  | {
      deployments: number;
      /** Everything Slipway started for one running deployment except the command: the supervisor and its helpers. */
      perDeployment: Memory & { processes: number };
      /** One command (`sleep`), measured among the same runs: the yardstick "a bare sleep". */
      command: Memory;
      /** An idle `node` process: what any Node supervisor costs at least. */
      idleNode: Memory | null;
      /** The Node supervisor this driver had before, from git history, bundled and run by node. */
      nodeSupervisor: (Memory & { commit: string }) | { skipped: string };
      /** A second driver over the same data directory (a restarted Slipway) cancelled and watched every run. */
      reattached: { cancelled: number; other: string[] };
    };

const silent = pino({ level: 'silent' });
const MIB = 1024;

/** VmRSS and smaps_rollup's Pss of a process, in KiB; null once it is gone. */
function memoryKiB(pid: number): { rss: number; pss: number } | null {
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return rss && pss ? { rss: Number(rss[1]), pss: Number(pss[1]) } : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** A process and its descendants, leaving out the subtree of `except` (the command's). */
function treeOf(pid: number, except: number): number[] {
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = queue.shift() as number;
    if (next === except) continue;
    found.push(next);
    queue.push(...childrenOf(next));
  }
  return found;
}

function pidIn(file: string): number | null {
  try {
    return (
      (JSON.parse(readFileSync(file, 'utf8')) as { process?: { pid?: number } }).process?.pid ??
      null
    );
  } catch {
    return null;
  }
}

/** Kibibytes summed over `n` things, as MiB each. */
const perUnit = (rssKiB: number, pssKiB: number, n: number): Memory => ({
  rssMiB: round(rssKiB / MIB / n, 2),
  pssMiB: round(pssKiB / MIB / n, 2),
});

/** Measures what the driver's own processes hold for each of the running deployments. */
function measureRuns(runDirs: string[]): {
  perDeployment: Memory & { processes: number };
  command: Memory;
} {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  let commandRss = 0;
  let commandPss = 0;
  for (const runDir of runDirs) {
    const supervisor = pidIn(join(runDir, 'supervisor.json'));
    const command = pidIn(join(runDir, 'child.json'));
    if (supervisor === null || command === null) throw new Error(`${runDir} is not running`);
    for (const pid of treeOf(supervisor, command)) {
      const m = memoryKiB(pid);
      if (!m) continue;
      rss += m.rss;
      pss += m.pss;
      processes += 1;
    }
    const c = memoryKiB(command);
    commandRss += c?.rss ?? 0;
    commandPss += c?.pss ?? 0;
  }
  const n = runDirs.length;
  return {
    perDeployment: { ...perUnit(rss, pss, n), processes: round(processes / n, 1) },
    command: perUnit(commandRss, commandPss, n),
  };
}

async function measureIdleNode(defer: Defer): Promise<Memory | null> {
  const node = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  defer(async () => node.kill('SIGKILL'));
  await sleep(1_000);
  const m = node.pid === undefined ? null : memoryKiB(node.pid);
  node.kill('SIGKILL');
  return m ? perUnit(m.rss, m.pss, 1) : null;
}

const OLD_FILES = [
  'supervisor.ts',
  'supervise.ts',
  'output-log.ts',
  'processes.ts',
  'run-files.ts',
];

/**
 * The Node supervisor this driver used before the shell one, taken from git history (the commit
 * before it was removed), bundled with esbuild as `npm run build` would have compiled it, and
 * run on a run directory of its own with the same `sleep`.
 */
async function measureNodeSupervisor(
  work: string,
  defer: Defer,
): Promise<(Memory & { commit: string }) | { skipped: string }> {
  let commit: string;
  try {
    const removal = execFileSync(
      'git',
      ['rev-list', '-n', '1', 'HEAD', '--', 'src/drivers/command/supervise.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    ).trim();
    commit = execFileSync('git', ['rev-parse', `${removal}^`], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const src = join(work, 'old-supervisor');
    mkdirSync(src, { recursive: true });
    for (const file of OLD_FILES) {
      const text = execFileSync('git', ['show', `${commit}:src/drivers/command/${file}`], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      writeFileSync(join(src, file), text);
    }
    execFileSync(
      join(ROOT, 'node_modules/.bin/esbuild'),
      [
        join(src, 'supervisor.ts'),
        '--bundle',
        '--platform=node',
        '--format=esm',
        `--outfile=${join(src, 'supervisor.mjs')}`,
        '--log-level=error',
      ],
      { cwd: ROOT },
    );
  } catch (err) {
    return {
      skipped: `the old supervisor could not be rebuilt from git history: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  const runDir = join(work, 'old-run');
  mkdirSync(runDir, { recursive: true });
  const spec = {
    format: 1,
    runId: 'old-deploy',
    phase: 'deploy',
    argv: ['sleep', '600'],
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: 600_000,
    killGraceMs: 1_000,
    outputLimitBytes: 65_536,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(runDir, 'spec.json'), JSON.stringify(spec));
  const supervisor = spawn(
    process.execPath,
    [join(work, 'old-supervisor', 'supervisor.mjs'), runDir],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  const stop = async () => {
    supervisor.kill('SIGTERM');
    for (let i = 0; i < 50 && !existsSync(join(runDir, 'result.json')); i++) await sleep(100);
  };
  defer(stop);
  for (let i = 0; i < 100 && !existsSync(join(runDir, 'child.json')); i++) await sleep(100);
  await sleep(500);
  const m = supervisor.pid === undefined ? null : memoryKiB(supervisor.pid);
  await stop();
  if (!m) return { skipped: 'the old supervisor did not start its command' };
  return { ...perUnit(m.rss, m.pss, 1), commit: commit.slice(0, 12) };
}

/** Starts `deployments` long `sleep` deployments through the driver, as Slipway would. */
async function startRuns(
  dataDir: string,
  work: string,
  deployments: number,
): Promise<{
  handles: DriverHandle[];
  runDirs: string[];
  contexts: ReturnType<typeof contextFor>[];
}> {
  const driver = createCommandDriver({
    dataDir,
    env: { PATH: process.env.PATH, HOME: work },
    log: silent,
  });
  const contexts = Array.from({ length: deployments }, (_, i) => contextFor(i, work));
  const handles: DriverHandle[] = [];
  for (const ctx of contexts) handles.push(await driver.deploy(ctx));
  const runDirs = handles.map((h) => join(dataDir, 'runs', String(h.runId)));
  const deadline = Date.now() + 120_000;
  while (!runDirs.every((dir) => existsSync(join(dir, 'child.json')))) {
    if (Date.now() > deadline) throw new Error('the commands did not all start within 120 s');
    await sleep(200);
  }
  return { handles, runDirs, contexts };
}

function contextFor(i: number, work: string) {
  return {
    deployment: runningDeployment({ id: `mem${i}`, correlationId: `mem-${i}`, driver: 'command' }),
    image: null,
    options: optionsSchema.parse({
      deploy: ['sleep', '600'],
      cwd: work,
      timeout: '15m',
      killGrace: '2s',
    }),
    log: silent,
    signal: new AbortController().signal,
    progress: () => undefined,
  };
}

export async function measureCommandMemory(
  ctx: BenchContext,
  deployments: number,
  defer: Defer,
): Promise<CommandMemoryFigure> {
  if (!existsSync('/proc/self/smaps_rollup'))
    return { skipped: 'needs Linux /proc (smaps_rollup)' };
  const work = mkdtempSync(join(tmpdir(), 'slipway-bench-k-'));
  defer(async () => rmSync(work, { recursive: true, force: true }));
  const dataDir = join(work, 'data');
  ctx.log(`(k) starting ${deployments} deployments running sleep 600`);
  const { handles, runDirs, contexts } = await startRuns(dataDir, work, deployments);
  // Whatever happens next, nothing is left running: a restarted driver cancels every run.
  const restarted = createCommandDriver({
    dataDir,
    env: { PATH: process.env.PATH, HOME: work },
    log: silent,
  });
  let cancelled = false;
  const cancelAll = async () => {
    if (cancelled) return;
    cancelled = true;
    await Promise.all(
      handles.map((h, i) => restarted.cancel?.(contexts[i] as ReturnType<typeof contextFor>, h)),
    );
  };
  defer(cancelAll);
  await sleep(1_000);
  const measured = measureRuns(runDirs);
  const idleNode = await measureIdleNode(defer);
  const nodeSupervisor = await measureNodeSupervisor(work, defer);

  ctx.log('(k) a second driver over the same runs (a restarted Slipway) cancels and watches each');
  await cancelAll();
  const outcomes = await Promise.all(
    handles.map((h, i) => restarted.watch(contexts[i] as ReturnType<typeof contextFor>, h)),
  );
  const other = outcomes
    .filter((o) => o.ok || !o.reason.startsWith('cancelled after'))
    .map((o) => (o.ok ? `ok: ${o.summary}` : o.reason));
  return {
    deployments,
    ...measured,
    idleNode,
    nodeSupervisor,
    reattached: { cancelled: outcomes.length - other.length, other: other.slice(0, 3) },
  };
}

const GOAL = '(k) ≤ 5 MiB RSS per running command deployment';

/** The goal of (k): what the driver holds per running deployment beyond the command. */
export function commandMemoryGoal(k: CommandMemoryFigure): {
  goal: string;
  value: string;
  status: 'met' | 'missed' | 'not measured';
} {
  if ('skipped' in k) return { goal: GOAL, value: '—', status: 'not measured' };
  const ok = k.perDeployment.rssMiB <= 5 && k.reattached.cancelled === k.deployments;
  return { goal: GOAL, value: `${k.perDeployment.rssMiB} MiB`, status: ok ? 'met' : 'missed' };
}

export function commandMemoryLines(k: CommandMemoryFigure): string[] {
  if ('skipped' in k) return [`(k) command driver memory SKIPPED: ${k.skipped}`];
  const old = k.nodeSupervisor;
  return [
    `(k) command driver, ${k.deployments} deployments running \`sleep 600\``,
    `  per deployment, beyond the command: ${k.perDeployment.rssMiB} MiB RSS, ${k.perDeployment.pssMiB} MiB PSS (${k.perDeployment.processes} processes: the shell supervisor, dd, sleep)`,
    `    yardstick, the command itself (bare sleep): ${k.command.rssMiB} MiB RSS, ${k.command.pssMiB} MiB PSS`,
    k.idleNode
      ? `    yardstick, an idle node process: ${k.idleNode.rssMiB} MiB RSS, ${k.idleNode.pssMiB} MiB PSS`
      : '    yardstick, an idle node process: not measured',
    'skipped' in old
      ? `    yardstick, the former Node supervisor: SKIPPED (${old.skipped})`
      : `    yardstick, the former Node supervisor (${old.commit}, bundled): ${old.rssMiB} MiB RSS, ${old.pssMiB} MiB PSS`,
    `  re-attached by a second driver (a restarted Slipway): ${k.reattached.cancelled} of ${k.deployments} cancelled and recorded${k.reattached.other.length > 0 ? `; others: ${k.reattached.other.join(' | ')}` : ''}`,
  ];
}
