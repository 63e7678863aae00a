import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { DriverUnsupportedError } from '../errors.js';
import type {
  DeployDriver,
  DriverContext,
  DriverFactoryContext,
  DriverHandle,
  DriverPhase,
} from '../types.js';
import { type CommandPhase, commandEnvironment, inheritedEnvironment } from './environment.js';
import { RELAUNCH_AFTER_MS, relaunchUnclaimed, startRun } from './launch.js';
import { outcomeOf } from './outcome.js';
import { readOutputTail } from './output-log.js';
import { expandArgv, type PlaceholderValues, refSlug, usesPlaceholder } from './placeholders.js';
import { signalGroup, signalProcess } from './processes.js';
import {
  abandonRun,
  RUN_FILES,
  RUN_PHASES,
  RunId,
  readRunSpec,
  readRunState,
  runDirOf,
  runIdFor,
} from './run-dir.js';
import { type CommandOptions, durationMs, optionsSchema, sizeBytes } from './schema.js';
import { runStatus } from './status.js';
import { waitForRun } from './watch.js';

export { type CommandOptions, optionsSchema } from './schema.js';

export const id = 'command';

/** What `watch`/`cancel` need to find a run again, in any process: stored by the engine. */
export const CommandHandle = z.object({ runId: RunId, phase: z.enum(RUN_PHASES) });
export type CommandHandle = z.infer<typeof CommandHandle>;

/** Timings tests shorten; production uses the defaults. */
export interface CommandDriverTuning {
  /** Slow poll behind fs.watch. */
  pollMs: number;
  /** A run no supervisor claimed after this long is declared never started. */
  launchGraceMs: number;
  /** An unclaimed run this old with no supervisor alive is started by whoever watches it. */
  relaunchAfterMs: number;
}
const DEFAULT_TUNING: CommandDriverTuning = {
  pollMs: 1_000,
  launchGraceMs: 30_000,
  relaunchAfterMs: RELAUNCH_AFTER_MS,
};

/**
 * What this driver can do for a given service's options. `status` exists on every command
 * driver (the port's optional members are per driver, not per service), but only works when a
 * `status` argv is configured; without one it throws DriverUnsupportedError. Callers that want
 * to know beforehand (config checks, the engine choosing whether to verify) ask here.
 */
export function capabilities(options: CommandOptions): {
  status: boolean;
  rollback: 'command' | 'redeploy';
} {
  return {
    status: options.status !== undefined,
    rollback: options.rollback !== undefined ? 'command' : 'redeploy',
  };
}

function placeholderValues(run: DriverContext<CommandOptions>, version: string): PlaceholderValues {
  const deployment = run.deployment;
  return {
    service: deployment.service,
    version,
    environment: deployment.environment,
    deploymentId: deployment.id,
    correlationId: deployment.correlationId,
    previousVersion: deployment.previousVersion ?? '',
    image: run.image ?? '',
    ref: deployment.ref?.name ?? '',
    // A deploy typed by a person names no branch: its preview is named after its version, as
    // the kubernetes driver does, rather than sharing one unnamed preview with every other.
    refSlug: refSlug(deployment.ref?.name ?? version),
  };
}

export function createCommandDriver(
  factory: DriverFactoryContext,
  tuning: Partial<CommandDriverTuning> = {},
): DeployDriver<CommandOptions> {
  const settings = { ...DEFAULT_TUNING, ...tuning };

  function environmentFor(
    run: DriverContext<CommandOptions>,
    version: string,
    phase: CommandPhase,
  ) {
    return commandEnvironment(factory.env, run.options.env, placeholderValues(run, version), phase);
  }

  async function start(
    run: DriverContext<CommandOptions>,
    phase: DriverPhase,
    argv: readonly string[],
    version: string,
  ): Promise<DriverHandle> {
    const runId = runIdFor(run.deployment.id, phase);
    const { runDir, attached } = await startRun(
      factory.dataDir,
      runId,
      {
        phase,
        argv: expandArgv(argv, placeholderValues(run, version)),
        // Relative to where Slipway was started, like the config file's other relative paths.
        cwd: resolve(run.options.cwd ?? '.'),
        env: environmentFor(run, version, phase),
        timeoutMs: durationMs(run.options.timeout),
        killGraceMs: durationMs(run.options.killGrace),
        outputLimitBytes: sizeBytes(run.options.outputLimit),
      },
      inheritedEnvironment(factory.env),
    );
    run.log.info(
      { runId, runDir, attached },
      attached ? 'command run exists, attaching' : 'command run started',
    );
    const handle: CommandHandle = { runId, phase };
    return handle;
  }

  function runDirFor(handle: DriverHandle): string {
    return runDirOf(factory.dataDir, CommandHandle.parse(handle).runId);
  }

  const driver = {
    id,
    optionsSchema,

    deploy(run) {
      return start(run, 'deploy', run.options.deploy, run.deployment.version);
    },

    async rollback(run, toVersion) {
      const argv = run.options.rollback ?? run.options.deploy;
      if (toVersion === null && (!run.options.rollback || usesPlaceholder(argv, 'version'))) {
        const why = run.options.rollback
          ? 'its rollback command uses {version}'
          : 'it has no rollback command, so Slipway re-runs the deploy command with the older version';
        throw new ValidationError(
          `cannot roll back ${run.deployment.service} in ${run.deployment.environment} without a version: ${why}, and no earlier version is known. Name one: "rollback ${run.deployment.service} in ${run.deployment.environment} to <version>"`,
        );
      }
      return start(run, 'rollback', argv, toVersion ?? '');
    },

    async watch(run, handle) {
      const runDir = runDirFor(handle);
      const state = await waitForRun(runDir, {
        signal: run.signal,
        progress: (text) => run.progress(text),
        log: run.log,
        relaunch: () =>
          relaunchUnclaimed(runDir, inheritedEnvironment(factory.env), settings.relaunchAfterMs),
        ...settings,
      });
      const spec = await readRunSpec(runDir).catch(() => null);
      const outcome = outcomeOf(state, {
        output: await readOutputTail(runDir),
        logFile: join(runDir, RUN_FILES.output),
        timeoutMs: spec?.timeoutMs ?? null,
      });
      run.log.info({ runDir, state: state.kind, ok: outcome.ok }, 'command run ended');
      const url = run.options.url;
      if (!outcome.ok || !url || spec?.phase === 'rollback') return outcome;
      return {
        ...outcome,
        url: expandArgv([url], placeholderValues(run, run.deployment.version))[0] ?? url,
      };
    },

    capabilities(options) {
      const can = capabilities(options);
      return {
        status: can.status,
        // Without a rollback command the driver re-deploys a named version; it cannot guess one.
        rollbackToPrevious:
          can.rollback === 'command' &&
          !(options.rollback ?? []).some((arg) => arg.includes('{version}')),
      };
    },

    async status(run) {
      if (!run.options.status) {
        throw new DriverUnsupportedError(
          `${run.deployment.service} has no status command: add "status" (a command that prints the live version and exits 0 when healthy) to its command driver options`,
        );
      }
      const values = placeholderValues(run, run.deployment.version);
      return runStatus({
        argv: expandArgv(run.options.status, values),
        cwd: resolve(run.options.cwd ?? '.'),
        env: environmentFor(run, run.deployment.version, 'status'),
        timeoutMs: durationMs(run.options.statusTimeout),
        killGraceMs: durationMs(run.options.killGrace),
        limitBytes: sizeBytes(run.options.outputLimit),
        signal: run.signal,
      });
    },

    async teardown(run) {
      const argv = run.options.teardown;
      if (!argv) return;
      const values = placeholderValues(run, run.deployment.version);
      const result = await runStatus({
        argv: expandArgv(argv, values),
        cwd: resolve(run.options.cwd ?? '.'),
        env: environmentFor(run, run.deployment.version, 'teardown'),
        timeoutMs: durationMs(run.options.statusTimeout),
        killGraceMs: durationMs(run.options.killGrace),
        limitBytes: sizeBytes(run.options.outputLimit),
        signal: run.signal,
      });
      // The status runner's verdict: exit 0 within the time allowed.
      if (!result.healthy) throw new Error(`the teardown command failed: ${result.detail}`);
      run.log.info({ argv: argv[0] }, 'teardown command ran');
    },

    async cancel(run, handle) {
      const runDir = runDirFor(handle);
      let state = await readRunState(runDir);
      if (state.kind === 'pending') {
        if (await abandonRun(runDir, 'it was cancelled before it started')) return;
        state = await readRunState(runDir);
      }
      if (state.kind === 'running') {
        // The supervisor forwards SIGTERM to the command's process group and records the result.
        signalProcess(state.supervisor, 'SIGTERM');
      } else if (state.kind === 'lost' && state.child && state.childAlive) {
        signalGroup(state.child.process.pid, 'SIGTERM');
      }
      run.log.info({ runDir, state: state.kind }, 'command run cancel requested');
    },

    async logs(run, handle) {
      const runDir = runDirFor(handle);
      const state = await readRunState(runDir);
      if (state.kind === 'missing') return null;
      const spec = await readRunSpec(runDir).catch(() => null);
      return {
        // The run never keeps more than its limit: reading that much reads all of it.
        text: await readOutputTail(
          runDir,
          spec?.outputLimitBytes ?? sizeBytes(run.options.outputLimit),
        ),
        running:
          state.kind === 'pending' ||
          state.kind === 'running' ||
          (state.kind === 'lost' && state.childAlive),
        location: join(runDir, RUN_FILES.output),
      };
    },
  } satisfies DeployDriver<CommandOptions>;
  return driver;
}
