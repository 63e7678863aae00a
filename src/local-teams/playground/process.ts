import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate } from '../../core/terminate.js';
import type { PlaygroundSetup } from './setup.js';
import { tail, waitFor } from './wait.js';

export interface RunPlaygroundOptions {
  /** The package's `cli.js` (`findPlaygroundCli`). */
  cli: string;
  /** The bot's messaging endpoint; it must already answer there. */
  botEndpoint: string;
  setup: PlaygroundSetup;
  /** 0 or absent: one the system picks. When the one asked for is taken it takes another. */
  port?: number | undefined;
  timeoutMs: number;
  /**
   * Its working directory, where its config file and log go; kept on stop. Absent: a temporary
   * one, removed on stop. Never the caller's own: it writes `./devTools/` there.
   */
  workDir?: string | undefined;
}

export interface PlaygroundProcess {
  /** Where it listens, on every interface: it has no host option. */
  port: number;
  pid: number | undefined;
  /** Its log file, where most of what it says goes. */
  logFile: string;
  /** Its stdout and stderr, then its log file. */
  output: () => string;
  /** Its exit code, or the signal that ended it, whenever it ends. */
  exited: Promise<number | string>;
  /** Whether `stop` was called: an exit before that was its own. */
  stopping: () => boolean;
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes a temporary working directory. */
  stop: () => Promise<void>;
}

/**
 * Runs the Playground's CLI (`-e <bot> -c msteams -p <port> --disable-telemetry`) in a working
 * directory holding its config file, for the bot at `botEndpoint`, and waits until it serves
 * that config.
 */
export async function runPlayground(options: RunPlaygroundOptions): Promise<PlaygroundProcess> {
  const { botEndpoint, setup, timeoutMs } = options;
  await botAnswers(botEndpoint, timeoutMs);
  const temporary = options.workDir === undefined;
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), 'slipway-playground-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.m365agentsplayground.yml'), setup.yaml);
  const logFile = join(dir, 'playground.log');
  // A fresh log per run: an earlier run's "Listening on" must not be read as this one's.
  writeFileSync(logFile, '');
  const args = [
    ...['-e', botEndpoint, '-c', 'msteams', '-p', String(options.port ?? 0)],
    '--disable-telemetry',
  ];
  const child = spawn(process.execPath, [options.cli, ...args], {
    cwd: dir,
    env: playgroundEnv(logFile),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let streams = '';
  const collect = (chunk: unknown) => {
    streams = tail(`${streams}${String(chunk)}`, 20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  let stopping = false;
  // Whatever ends this process (an uncaught error, process.exit), the Playground goes with it.
  const orphaned = () => child.kill('SIGTERM');
  process.once('exit', orphaned);
  const output = () => {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return `${streams}${log ? `--- ${logFile}\n${tail(log, 4000)}` : ''}`;
  };
  const stop = async () => {
    stopping = true;
    await terminate(child);
    process.off('exit', orphaned);
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await listening(child, timeoutMs, output);
    await configLoaded(`http://127.0.0.1:${port}`, setup, timeoutMs, output);
    return { port, pid: child.pid, logFile, output, exited, stopping: () => stopping, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The parent's environment without the Playground's own settings, plus ours. */
function playgroundEnv(logFile: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(M365_AGENTS_PLAYGROUND_|TEAMSAPPTESTER_)/.test(name),
    ),
  );
  // No browser of its own (a person opens the printed address, tests drive one); its log file
  // in its working directory, not in ./devTools of wherever it runs.
  return { ...env, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_LOGFILE: logFile };
}

/**
 * The Playground answers its page's config request only after a `HEAD` of the bot endpoint
 * gets an HTTP answer (any status), waiting up to 15 s and then showing "Cannot connect to your
 * app". Checking first turns a bot that is not up into an error here instead of a slow page.
 */
async function botAnswers(endpoint: string, timeoutMs: number): Promise<void> {
  let last = '';
  await waitFor(
    `the bot to answer HEAD ${endpoint} (start it before the Playground)`,
    async () => {
      try {
        await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(2_000) });
        return true;
      } catch (error) {
        last = String((error as { cause?: unknown }).cause ?? error);
        return false;
      }
    },
    { timeoutMs: Math.min(timeoutMs, 10_000), seen: () => last },
  );
}

/** Waits for "Listening on <port>"; it moves to a random port if the asked one is taken. */
async function listening(
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<number> {
  const seen = await waitFor(
    'the Playground to print "Listening on <port>"',
    () => {
      const match = /Listening on (\d+)/.exec(output());
      if (match) return { port: Number(match[1]) };
      // It exits on a bad config file, logging ConfigFileParseError to its log file (it writes
      // console output there when not on a terminal).
      const code = child.exitCode ?? child.signalCode;
      return code === null ? undefined : { exited: code };
    },
    { timeoutMs, seen: output, intervalMs: 100 },
  );
  if ('exited' in seen) {
    throw new Error(`the Playground exited with ${seen.exited}:\n${tail(output())}`);
  }
  return seen.port;
}

/**
 * Confirms it read our config file: without one it runs on its own defaults without a word.
 * This request is also the one that waits for its HEAD probe of the bot, so the page's own
 * load does not.
 */
async function configLoaded(
  url: string,
  setup: PlaygroundSetup,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const res = await fetch(`${url}/_internal/v1/config`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { config?: { bot?: { id?: string } } };
  if (body.config?.bot?.id !== setup.bot.id) {
    throw new Error(
      `the Playground runs with bot ${body.config?.bot?.id}, not ${setup.bot.id}: it did not ` +
        `read .m365agentsplayground.yml\n${tail(output())}`,
    );
  }
}
