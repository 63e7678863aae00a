import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Deployment } from '../../../core/deployment.js';
import { runningDeployment } from '../../test-support/deployment.js';
import type { DriverContext, DriverHandle } from '../../types.js';
import { type CommandDriverTuning, createCommandDriver } from '../index.js';
import { type CommandOptions, optionsSchema } from '../schema.js';

export const silent = pino({ level: 'silent' });

/** Short timings so tests of the launch grace and polling do not wait for production values. */
export const FAST: CommandDriverTuning = {
  pollMs: 200,
  launchGraceMs: 5_000,
  relaunchAfterMs: 300,
};

export function makeDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return runningDeployment({ id: 'dep1', correlationId: 'corr-1', driver: 'command' }, overrides);
}

/** A temp directory holding a data dir and test scripts; `cleanup` removes it all. */
export interface World {
  root: string;
  dataDir: string;
  /** The parent environment handed to the driver factory (with secrets that must not leak). */
  env: NodeJS.ProcessEnv;
  driver(tuning?: Partial<CommandDriverTuning>): ReturnType<typeof createCommandDriver>;
  context(
    options: Record<string, unknown>,
    extra?: { deployment?: Partial<Deployment>; signal?: AbortSignal; image?: string | null },
  ): DriverContext<CommandOptions> & { reported: string[] };
  /** Writes an executable `#!/bin/sh` script and returns its path. */
  script(name: string, body: string): Promise<string>;
  read(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeWorld(): Promise<World> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-command-'));
  const dataDir = join(root, 'data');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    SLACK_BOT_TOKEN: 'xoxb-must-not-leak',
    SLIPWAY_DATABASE_URL: 'postgres://secret@db/slipway',
  };
  return {
    root,
    dataDir,
    env,
    driver: (tuning = {}) =>
      createCommandDriver({ dataDir, env, log: silent }, { ...FAST, ...tuning }),
    context(options, extra = {}) {
      const reported: string[] = [];
      return {
        deployment: makeDeployment(extra.deployment),
        image: extra.image === undefined ? 'registry.example.com/web' : extra.image,
        options: optionsSchema.parse({ cwd: root, ...options }),
        log: silent,
        signal: extra.signal ?? new AbortController().signal,
        progress: (text: string) => reported.push(text),
        reported,
      };
    },
    async script(name, body) {
      const file = join(root, name);
      await writeFile(file, `#!/bin/sh\n${body}\n`);
      await chmod(file, 0o755);
      return file;
    },
    read: (name) => readFile(join(root, name), 'utf8'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export function runDirOfHandle(world: World, handle: DriverHandle): string {
  return join(world.dataDir, 'runs', String(handle.runId));
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms}ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True when no live process has this pid (zombies count as gone: nobody may have reaped them). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}
