import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'slipway-storage-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `slipway serve` from source until it exits; what it wrote, apart. */
function serve(env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), 'serve'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        SLIPWAY_CONFIG: resolve(ROOT, 'examples/slipway.yaml'),
        SLIPWAY_LOG_LEVEL: 'info',
        SLACK_BOT_TOKEN: '',
        SLACK_SIGNING_SECRET: '',
        SLACK_APP_TOKEN: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    child.once('exit', (code) => done({ code, stdout, stderr })),
  );
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

describe('slipway serve with a database it cannot use', () => {
  it('prints one sentence with the path and the fix, no stack, and exits 1', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const run = await serve({ SLIPWAY_DATABASE_URL: `sqlite://${join(file, 'slipway.db')}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `cannot create the SQLite database ${join(file, 'slipway.db')}: ${file} or a folder above it is a file, not a directory; set SLIPWAY_DATABASE_URL (or SLIPWAY_DATA_DIR) to a file in a writable directory.\n`,
    );
  }, 30_000);

  it('waits SLIPWAY_DB_WAIT for an unreachable Postgres, logging each attempt, then exits 1', async () => {
    const port = await closedPort();
    const run = await serve({
      SLIPWAY_DATABASE_URL: `postgres://slipway:hunter2@127.0.0.1:${port}/slipway`,
      SLIPWAY_DB_WAIT: '2',
    });
    expect(run.code).toBe(1);
    const attempts = run.stdout
      .split('\n')
      .filter((line) => line.includes('database not reachable yet: trying again'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(run.stdout).not.toContain('hunter2');
    expect(run.stderr).toBe(
      `Postgres at postgres://slipway:***@127.0.0.1:${port}/slipway is not reachable (connect ECONNREFUSED 127.0.0.1:${port}): start it, or fix the host and port in SLIPWAY_DATABASE_URL, or give it longer to come up with SLIPWAY_DB_WAIT (waited 2s).\n`,
    );
  }, 30_000);
});
