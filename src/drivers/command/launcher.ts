import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { SUPERVISOR_SCRIPT } from './supervisor-script.js';

/**
 * A long-lived shell that starts supervisors on Slipway's behalf, so that Slipway forks once
 * instead of once per run. fork(2) copies the page tables of the whole process and libuv's
 * spawn waits for the exec in the event loop's thread: on a 2-vCPU VM a spawn from a Node
 * process of 350 MiB held the event loop 20 ms and cost 8 ms of CPU, where the shell forks in
 * about 1 ms. A busy server starting a run every few requests paid that on every one.
 *
 * The shell reads one absolute run directory per line, sources the supervisor's arguments from
 * the run's `supervisor.args` (written by launch.ts, like command.env), starts the supervisor in
 * a session of its own, and answers `<pid> <run dir>`, or `error <run dir>` when it could not.
 * Answers come in the order of the requests. The supervisor is started from a subshell that
 * exits at once, so it is never the launcher's child: init adopts and reaps it, and the
 * launcher, which only wakes when a line comes, leaves no zombies behind.
 *
 * The launcher lives in its own session (a Ctrl-C to Slipway's group does not reach it) and
 * exits when its stdin closes, that is when Slipway exits, however it exits; the supervisors
 * it started do not depend on it.
 */
export const LAUNCHER_SCRIPT = `# Slipway's supervisor launcher. $1 is the supervisor script.
ln_script=$1
ln_setsid=$(command -v setsid) || ln_setsid=''
while IFS= read -r ln_dir; do
  if (
    # Without setsid, Slipway starts the supervisor itself, which then says what it misses.
    [ -n "$ln_setsid" ] && cd "$ln_dir" && . ./supervisor.args || exit 1
    "$ln_setsid" /bin/sh -c "$ln_script" slipway-supervisor "$ln_dir" "$@" </dev/null >>supervisor.log 2>&1 &
    printf '%s %s\\n' "$!" "$ln_dir"
  ); then :; else printf 'error %s\\n' "$ln_dir"; fi
done
`;

/** How long an answer may take before the launcher is taken for stuck and replaced. */
export const LAUNCH_ANSWER_MS = 10_000;

interface Pending {
  runDir: string;
  settle: (result: number | Error) => void;
  timer: NodeJS.Timeout;
}

type LauncherProcess = ChildProcessByStdio<Writable, Readable, null>;

export class SupervisorLauncher {
  private child: LauncherProcess | null = null;
  private readonly pending: Pending[] = [];

  constructor(
    /** The supervisors' environment (PATH and LC_ALL=C): the launcher's own, which they inherit. */
    private readonly env: Record<string, string>,
    private readonly answerMs = LAUNCH_ANSWER_MS,
  ) {}

  /** The launcher's pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the supervisor of `runDir` (absolute, its supervisor.args written) and gives its pid.
   * Rejects when the launcher cannot: the caller then starts the supervisor itself. A launch
   * that was under way when the launcher failed may still have started a supervisor; a second
   * one is harmless, since the run's exclusive claim lets only one of them run the command.
   */
  launch(runDir: string): Promise<number> {
    if (runDir.includes('\n') || !runDir.startsWith('/')) {
      return Promise.reject(new Error(`the launcher takes absolute paths on one line: ${runDir}`));
    }
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      const settle = (result: number | Error) =>
        typeof result === 'number' ? resolve(result) : reject(result);
      const timer = setTimeout(
        () => this.fail(child, new Error(`no answer from the launcher in ${this.answerMs} ms`)),
        this.answerMs,
      );
      this.pending.push({ runDir, settle, timer });
      // A pending answer keeps Slipway alive; an idle launcher does not.
      (child.stdout as Socket).ref();
      child.stdin.write(`${runDir}\n`);
    });
  }

  /** Stops the launcher; supervisors it started run on. Pending launches fail. */
  close(): void {
    if (this.child) this.fail(this.child, new Error('the launcher was closed'));
  }

  private start(): LauncherProcess {
    const child = spawn('/bin/sh', ['-c', LAUNCHER_SCRIPT, 'slipway-launcher', SUPERVISOR_SCRIPT], {
      cwd: '/',
      env: this.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.child = child;
    child.on('error', (err) => this.fail(child, err));
    child.on('exit', (code, signal) =>
      this.fail(child, new Error(`the launcher exited (${signal ?? `code ${code}`})`)),
    );
    child.stdin.on('error', (err) => this.fail(child, err));
    createInterface({ input: child.stdout }).on('line', (line) => this.answer(child, line));
    // Pipes are sockets here: unref'd, the idle launcher does not keep Slipway running.
    child.unref();
    (child.stdout as Socket).unref();
    return child;
  }

  private answer(child: LauncherProcess, line: string): void {
    const head = this.pending[0];
    const space = line.indexOf(' ');
    const dir = line.slice(space + 1);
    if (!head || dir !== head.runDir) {
      this.fail(child, new Error(`the launcher answered out of turn: ${line}`));
      return;
    }
    this.pending.shift();
    clearTimeout(head.timer);
    if (this.pending.length === 0) (child.stdout as Socket).unref();
    const word = line.slice(0, space);
    const pid = Number(word);
    head.settle(
      word !== 'error' && Number.isSafeInteger(pid) && pid > 0
        ? pid
        : new Error('the launcher could not start the supervisor'),
    );
  }

  /** Gives up on `child`: kills it if it still runs and fails what waits for it. */
  private fail(child: LauncherProcess, error: Error): void {
    if (this.child !== child) return;
    this.child = null;
    child.kill('SIGKILL');
    for (const waiting of this.pending.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.settle(error);
    }
  }
}

const launchers = new Map<string, SupervisorLauncher>();

/** The process's launcher for supervisors with this environment (there is normally one). */
export function launcherFor(env: Record<string, string>): SupervisorLauncher {
  const key = JSON.stringify(env);
  let launcher = launchers.get(key);
  if (!launcher) {
    launcher = new SupervisorLauncher(env);
    launchers.set(key, launcher);
  }
  return launcher;
}
