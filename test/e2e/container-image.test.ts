import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  all,
  copiesOf,
  type Dockerfile,
  envOf,
  execForm,
  parseDockerfile,
  type Stage,
} from '../support/dockerfile.js';

/**
 * There is no Docker engine on the machines that run these tests, so this rehearses the image
 * instead of building it: it reads the Dockerfile, lays out the runtime stage's filesystem
 * under a temporary root exactly as its COPY lines say (dist/ compiled by the build stage's
 * `npm run build`, production dependencies installed from the lockfile with
 * `npm ci --omit=dev`), and starts the ENTRYPOINT + CMD from there as the image's numeric user,
 * with the image's environment and nothing else. That proves the runtime stage's contents are
 * enough (no tsx, TypeScript or other dev dependency at run time) and that the server needs
 * to write nowhere but its volume.
 *
 * Not covered (it needs Docker): the base images themselves, apt-get in the build stage, and
 * compiling better-sqlite3 with the image's own Node headers. The build stage's full `npm ci`
 * is replaced by this checkout's node_modules, which only serves the TypeScript compiler.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const SETUP_MS = 15 * 60_000;

const dockerfile: Dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime: Stage = dockerfile.stages.at(-1) as Stage;
const build = dockerfile.stage('build');

function userOf(stage: Stage): { uid: number; gid: number } {
  const [uid = '', gid = uid] = (all(stage, 'USER').at(-1) ?? '').split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

describe('the Dockerfile', () => {
  it('builds on node:24-bookworm-slim and runs there too', () => {
    expect(dockerfile.stages.map((s) => s.from)).toEqual([
      'node:24-bookworm-slim',
      'node:24-bookworm-slim',
    ]);
  });

  it('runs `node bin/slipway.js serve` under tini as a numeric non-root user, on port 3000', () => {
    const { uid, gid } = userOf(runtime);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(execForm(runtime, 'ENTRYPOINT')).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      'bin/slipway.js',
    ]);
    // Debian's tini, installed in the runtime stage itself.
    expect(all(runtime, 'RUN').some((r) => /apt-get install [^&]*\btini\b/.test(r))).toBe(true);
    expect(execForm(runtime, 'CMD')).toEqual(['serve']);
    expect(all(runtime, 'EXPOSE')).toEqual(['3000']);
    expect(all(runtime, 'WORKDIR')).toEqual(['/app']);
  });

  it('gives the runtime stage only dist, bin, package.json and node_modules, from the build stage', () => {
    const copies = copiesOf(runtime);
    expect(copies.every((c) => c.from === 'build')).toBe(true);
    expect(copies.map((c) => c.dest).sort()).toEqual([
      './bin',
      './dist',
      './node_modules',
      './package.json',
    ]);
  });

  it('keeps the database on the volume by default and reads the config from SLIPWAY_CONFIG', () => {
    const env = envOf(runtime);
    const [volume] = JSON.parse(all(runtime, 'VOLUME')[0] ?? '[]') as string[];
    expect(volume).toBe('/var/lib/slipway');
    expect(env.SLIPWAY_DATABASE_URL).toBe(`sqlite://${volume}/slipway.db`);
    expect(env.SLIPWAY_DATA_DIR).toBe(volume);
    expect(env.SLIPWAY_CONFIG).toBe('/etc/slipway/slipway.yaml');
  });

  it("compiles native addons with the image's Node headers, not this machine's .npmrc", () => {
    expect(envOf(build).npm_config_nodedir).toBe('/usr/local');
    const sources = copiesOf(build).flatMap((c) => c.sources);
    expect(sources).not.toContain('.npmrc');
    // Everything the build stage copies gets past .dockerignore (which excludes the rest).
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toContain('**');
    for (const source of sources) {
      expect(ignore.some((l) => l === `!${source}` || l === `!${source}/**`)).toBe(true);
    }
  });
});

describe('the runtime stage, rehearsed without Docker', () => {
  const { uid, gid } = userOf(runtime);
  const asRoot = process.getuid?.() === 0;
  let fsRoot = '';
  /** Where a path of the image lands under the rehearsal's root. */
  const at = (imagePath: string) => join(fsRoot, imagePath);
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    fsRoot = mkdtempSync(join(tmpdir(), 'slipway-image-'));
    chmodSync(fsRoot, 0o755);
    const buildDir = at(all(build, 'WORKDIR').at(-1) ?? '/src');
    mkdirSync(buildDir, { recursive: true });
    for (const copy of copiesOf(build)) {
      for (const source of copy.sources) {
        const target = copy.sources.length > 1 ? join(buildDir, source) : join(buildDir, copy.dest);
        cpSync(join(ROOT, source), target, {
          recursive: true,
          filter: (path) => !/\.test\.ts$|\/test-support(\/|$)/.test(path),
        });
      }
    }
    // `npm ci && npm run build`: the compiler comes from this checkout's dev dependencies.
    symlinkSync(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'));
    await run('npm', ['run', 'build'], { cwd: buildDir, env: npmEnv() });
    rmSync(join(buildDir, 'node_modules'));
    // `npm prune --omit=dev` leaves what `npm ci --omit=dev` installs from the same lockfile.
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: buildDir,
      env: npmEnv(),
      maxBuffer: 16 << 20,
      timeout: SETUP_MS,
    });

    const workdir = at(all(runtime, 'WORKDIR').at(-1) ?? '/app');
    mkdirSync(workdir, { recursive: true });
    for (const copy of copiesOf(runtime)) {
      const source = copy.sources[0] ?? '';
      cpSync(at(source), join(workdir, copy.dest), { recursive: true });
    }
    for (const volume of JSON.parse(all(runtime, 'VOLUME')[0] ?? '[]') as string[]) {
      mkdirSync(at(volume), { recursive: true });
      if (asRoot) chownSync(at(volume), uid, gid);
    }
    mkdirSync(dirname(at(envOf(runtime).SLIPWAY_CONFIG ?? '')), { recursive: true });
    writeFileSync(
      at(envOf(runtime).SLIPWAY_CONFIG ?? ''),
      [
        'environments: [{ name: staging, order: 1 }]',
        'services:',
        '  - name: web',
        // The deploy command leaves a process behind that outlives it: an orphan, which the
        // image's PID 1 must reap when it ends.
        '    driver:',
        '      driver: command',
        '      options: { deploy: ["sh", "-c", "sleep 1 >/dev/null 2>&1 &"] }',
        'autoDeploy: [{ type: branch, pattern: main, environment: staging }]',
        '',
      ].join('\n'),
    );
    // The node images keep Node in /usr/local/bin. This machine's Node may sit where the
    // image's user cannot reach it: scripts/node.sh caches Node 24 under the home directory.
    const node = at('/usr/local/bin/node');
    mkdirSync(dirname(node), { recursive: true });
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    // Every directory on the way must be readable by the image's user, as in an image.
    for (const top of [workdir, dirname(node)]) {
      for (let d = top; d !== fsRoot; d = dirname(d)) chmodSync(d, 0o755);
    }
  }, SETUP_MS);

  afterAll(() => {
    // After a failure: the namespace's PID 1 outlives a killed `unshare`; killing it ends
    // everything in the namespace.
    const pid = server?.pid;
    if (pid !== undefined && existsSync(`/proc/${pid}`)) {
      for (const init of childrenOf(pid)) process.kill(init, 'SIGKILL');
    }
    server?.kill('SIGKILL');
    if (fsRoot) rmSync(fsRoot, { recursive: true, force: true });
  });

  it('installs no dev-only package, and every production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const app = at('/app');
    // What the lockfile marks dev-only (tsx, typescript, vitest, biome and what only they
    // need). Some @types packages are not among them: production dependencies depend on them.
    const devOnly = Object.entries(lock.packages).flatMap(([path, p]) => (p.dev ? [path] : []));
    expect(devOnly).toContain('node_modules/tsx');
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
    for (const name of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(app, 'node_modules', name, 'package.json')), name).toBe(true);
    }
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    expect(existsSync(join(app, addon))).toBe(true);
  });

  it('serves /healthz and /readyz as the image user from a read-only /app, reaps orphans as PID 1, and stops on SIGTERM', async () => {
    if (!asRoot)
      console.warn(`not root: the rehearsal runs as uid ${process.getuid?.()}, not ${uid}`);
    // The image's environment, paths moved under the rehearsal's root, and nothing else
    // from this process (no NODE_OPTIONS, no tsx loader).
    const env: Record<string, string> = { PATH: `${at('/usr/local/bin')}:/usr/bin:/bin` };
    for (const [key, value] of Object.entries(envOf(runtime))) {
      env[key] = value.replace(
        /^(sqlite:\/\/)?(\/.*)$/,
        (_, scheme = '', path: string) => `${scheme}${at(path)}`,
      );
    }
    env.PORT = '0';
    env.HOME = at('/app');
    // As `docker run -e SLIPWAY_WEBHOOK_SECRET`: a build is how this test starts a deployment.
    const secret = 'rehearsal-webhook-secret';
    env.SLIPWAY_WEBHOOK_SECRET = secret;
    const argv = [...execForm(runtime, 'ENTRYPOINT'), ...execForm(runtime, 'CMD')];
    const asUser = asRoot
      ? ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...argv]
      : argv;
    // A PID namespace of its own, as in a container: the ENTRYPOINT's first process is PID 1,
    // and orphans are reparented to it (without root, in a user namespace of its own too).
    const ns = ['--pid', '--fork', '--mount-proc', ...(asRoot ? [] : ['--map-root-user'])];
    server = spawn('unshare', [...ns, ...asUser], {
      cwd: at('/app'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    server.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<number | null>((done) => server?.once('exit', done));

    const port = await waitFor(() => /"port":(\d+).*"msg":"slipway is serving"/.exec(output)?.[1], {
      what: 'slipway is serving',
      output: () => output,
      exited,
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });

    const database = at('/var/lib/slipway/slipway.db');
    expect(statSync(database).uid).toBe(asRoot ? uid : process.getuid?.());

    // A build of main deploys web to staging; its command's orphan ends a second later.
    const hook = await fetch(`http://127.0.0.1:${port}/hooks/build`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'web', version: '1.0.0', type: 'branch', target: 'main' }),
    });
    expect(hook.status, await hook.text()).toBe(202);
    let states: string[] = [];
    for (const deadline = Date.now() + 30_000; !states.includes('succeeded'); ) {
      if (Date.now() > deadline) throw new Error(`web is ${states.join(', ')} after 30 s`);
      await new Promise((resolveLater) => setTimeout(resolveLater, 200));
      const list = await fetch(`http://127.0.0.1:${port}/api/deployments?service=web`);
      const body = (await list.json()) as { deployments: { state: string }[] };
      states = body.deployments.map((d) => d.state);
    }
    const init = childrenOf(server.pid ?? 0)[0] ?? 0;
    expect(processName(init), 'PID 1 in the namespace').toBe(basename(argv[0] ?? ''));
    const orphans = () => descendantsOf(init).filter((pid) => processName(pid) === 'sleep');
    await waitFor(() => (orphans().length > 0 ? 'orphaned' : undefined), {
      what: 'the orphaned sleep',
      output: () => output,
      exited,
    });
    await new Promise((resolveLater) => setTimeout(resolveLater, 2_500));
    const zombies = descendantsOf(init).filter((pid) => processState(pid) === 'Z');
    expect(zombies.map((pid) => `${pid} ${processName(pid)}`)).toEqual([]);
    expect(orphans()).toEqual([]);

    // SIGTERM reaches the image's PID 1, as `docker stop` sends it.
    process.kill(init, 'SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolveLater) => setTimeout(() => resolveLater('still running'), 30_000)),
    ]);
    expect(code, output).toBe(0);
  }, 60_000);
});

/** The pids a process started that are still its children (zombies included). */
function childrenOf(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number),
  );
}

function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = queue.shift() as number;
    const children = existsSync(`/proc/${next}`) ? childrenOf(next) : [];
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/** The state letter of /proc/<pid>/stat, after the parenthesized command name: Z, a zombie. */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
  } catch {
    return '';
  }
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** npm in the rehearsal: no .npmrc from the checkout, so name the Node headers here. */
function npmEnv(): NodeJS.ProcessEnv {
  const nodeDir = dirname(dirname(process.execPath));
  return {
    ...process.env,
    npm_config_nodedir: nodeDir,
    // Tests reach no host but the npm registry: better-sqlite3 compiles from source rather
    // than downloading its prebuilt binary from GitHub.
    npm_config_build_from_source: 'true',
  };
}

async function waitFor(
  probe: () => string | undefined,
  options: { what: string; output: () => string; exited: Promise<number | null> },
): Promise<string> {
  let exitCode: number | null | undefined;
  void options.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (exitCode !== undefined)
      throw new Error(`exited with ${exitCode} before ${options.what}:\n${options.output()}`);
    if (Date.now() > deadline)
      throw new Error(`no "${options.what}" after 30 s:\n${options.output()}`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}
