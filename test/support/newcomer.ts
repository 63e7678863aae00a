import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { exited, ROOT } from './processes.js';

/**
 * A newcomer's machine: a fresh directory holding a copy of `examples/`, where `slipway` runs
 * from source as `npx slipway` would run the build, with the directory as its working
 * directory so `./.slipway/` (database, run records, the demo's "live" files) starts empty.
 */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Background {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output, or throws with the output. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  stop: () => Promise<number | null>;
}

/** tsx resolved from this repository: the newcomer's directory has no node_modules. */
const TSX = import.meta.resolve('tsx');
const CLI = resolve(ROOT, 'src/cli/index.ts');

/**
 * The variables of the shell running the tests that would turn an integration on or move
 * Slipway's files: a newcomer has none of them.
 */
const UNSET = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_API_URL',
  'SLIPWAY_API_TOKEN',
  'SLIPWAY_WEBHOOK_SECRET',
  'SLIPWAY_ALERTMANAGER_TOKEN',
  'GITHUB_WEBHOOK_SECRET',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'SLIPWAY_DATABASE_URL',
  'SLIPWAY_DATA_DIR',
  'SLIPWAY_CONFIG',
  'SLIPWAY_LOG_FORMAT',
  'SLIPWAY_LOG_LEVEL',
  'PORT',
];

function newcomerEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of UNSET) delete env[name];
  // Tests stop servers at once: the drain is tested elsewhere.
  return { ...env, SLIPWAY_SHUTDOWN_DELAY: '0', ...extra };
}

export class NewcomerShell {
  readonly dir = realpathSync(mkdtempSync(join(tmpdir(), 'slipway-first-hour-')));
  readonly env: NodeJS.ProcessEnv = {};
  private readonly children: Background[] = [];

  constructor() {
    cpSync(resolve(ROOT, 'examples'), join(this.dir, 'examples'), { recursive: true });
  }

  /** Edits the copied example config, e.g. so a freeze window covers now. */
  editConfig(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
    const path = join(this.dir, 'examples/slipway.yaml');
    const doc = parseDocument(readFileSync(path, 'utf8'));
    edit(doc);
    writeFileSync(path, doc.toString());
  }

  /** `slipway <args>`, to the end. */
  slipway(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    const child = this.spawn(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
  }

  /** `slipway <args> &`: a server, stopped by `stop()` or `cleanup()`. */
  background(args: readonly string[], env: NodeJS.ProcessEnv = {}): Background {
    const child = this.spawn(args, env);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const bg: Background = {
      child,
      output: () => output,
      waitFor: async (pattern, timeoutMs = 30_000) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          const match = pattern.exec(output);
          if (match) return match;
          if (child.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`no ${pattern} in the output of slipway ${args.join(' ')}:\n${output}`);
      },
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited(child);
      },
    };
    this.children.push(bg);
    return bg;
  }

  async cleanup(): Promise<void> {
    for (const bg of this.children.splice(0)) await bg.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
    return spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: this.dir,
      env: newcomerEnv({ ...this.env, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/**
 * The shell lines of the first ```sh block under `## <section>` in README.md, comments
 * dropped: what a newcomer copies.
 */
export function readmeShellLines(section: string): string[] {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no section "${section}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block?.[1]) throw new Error(`README.md's "${section}" has no sh block`);
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

/** Splits a command line as a shell would for the simple lines the README and Slipway print. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g))
    words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}
