import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The Postgres this machine runs for tests (trust auth). */
export const LOCAL_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A Postgres URL for tests, in order of preference:
 * 1. `SLIPWAY_TEST_DATABASE_URL`, when set;
 * 2. the local server at `LOCAL_TEST_DATABASE_URL`, when it answers;
 * 3. a throwaway server started with initdb/pg_ctl, stopped when the process exits.
 * `SLIPWAY_TEST_PG=throwaway` skips straight to 3. Throws, saying what was tried, when no
 * server can be found or started: the Postgres suites must fail, never skip quietly.
 *
 * Each call may start its own throwaway server: call it once per test file.
 */
export async function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const tried: string[] = [];
  if (env.SLIPWAY_TEST_PG !== 'throwaway') {
    const configured = env.SLIPWAY_TEST_DATABASE_URL;
    if (configured) {
      const problem = await connectProblem(configured);
      if (problem === null) return configured;
      // The URL was chosen on purpose: falling back to another server would hide the mistake.
      throw new Error(`SLIPWAY_TEST_DATABASE_URL=${configured} does not answer: ${problem}`);
    }
    const problem = await connectProblem(LOCAL_TEST_DATABASE_URL);
    if (problem === null) return LOCAL_TEST_DATABASE_URL;
    tried.push(`${LOCAL_TEST_DATABASE_URL}: ${problem}`);
  }
  try {
    const server = await startThrowawayPostgres(env);
    process.once('exit', server.stopSync);
    return server.url;
  } catch (err) {
    tried.push(`a throwaway server: ${err instanceof Error ? err.message : String(err)}`);
    throw new Error(
      `No Postgres server for the tests. Tried ${tried.join('; ')}. Set SLIPWAY_TEST_DATABASE_URL=postgres://user@host:port/db, or install PostgreSQL so that initdb and pg_ctl are on PATH (or under /usr/lib/postgresql/*/bin).`,
    );
  }
}

/** Why a connection to `url` fails, or null when it works. */
export async function connectProblem(url: string, timeoutMs = 3_000): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection dropped later would otherwise be an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface ThrowawayPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
  /** For `process.on('exit')`, where nothing asynchronous runs any more. */
  stopSync(): void;
}

/**
 * initdb into a temp dir and start a server on a free port, listening on 127.0.0.1 and a
 * socket in the same dir. Durability is switched off: the data dies with the test run.
 */
export async function startThrowawayPostgres(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin(env);
  if (!bin)
    throw new Error('initdb and pg_ctl were not found on PATH or under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  const dataDir = join(dir, 'data');
  const asUser = osUserFor();
  if (asUser) {
    // initdb refuses to run as root; the server's files must belong to the user it runs as.
    chownSync(dir, asUser.uid, asUser.gid);
    chmodSync(dir, 0o700);
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    asUser
      ? ['runuser', ['-u', asUser.name, '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
  const stopArgs = ['stop', '-D', dataDir, '-m', 'immediate', '-w'];
  const stopSync = () => {
    spawnSync(...command('pg_ctl', stopArgs), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  // Test runners often end their workers with a signal, which skips 'exit' handlers; a
  // detached watcher stops the server once this process is gone, however it went.
  stopWhenGone(process.pid, command('pg_ctl', stopArgs), dir);
  try {
    await run(
      ...command('initdb', [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ]),
    );
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const logFile = join(dir, 'server.log');
    await run(
      ...command('pg_ctl', [
        'start',
        '-D',
        dataDir,
        '-o',
        options,
        '-l',
        logFile,
        '-w',
        '-t',
        '30',
      ]),
    ).catch((err: unknown) => {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      throw new Error(`pg_ctl start failed: ${String(err)}\n${log}`);
    });
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      dataDir,
      stopSync,
      stop: async () => {
        await run(...command('pg_ctl', stopArgs)).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    stopSync();
    throw err;
  }
}

function stopWhenGone(pid: number, [file, args]: [string, string[]], dir: string): void {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const stop = [file, ...args].map(quote).join(' ');
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 0.5; done; ${stop}; rm -rf ${quote(dir)}`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

/** The directory holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (fromPath) return fromPath;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const found = versions
    .map((v) => join(root, v, 'bin'))
    .find((dir) => existsSync(join(dir, 'initdb')));
  return found ?? null;
}

/** As root, the server runs as the `postgres` OS user (initdb and postgres refuse root). */
function osUserFor(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { name: 'postgres', uid, gid };
  } catch {
    throw new Error(
      'running as root and there is no "postgres" OS user to run initdb as: create one (useradd postgres) or run the tests as another user',
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Hands out empty schemas on one database and drops them all at the end of a test file. */
export interface TestSchemas {
  /** A URL with `?schema=` naming a new schema (created by the store's `migrate()`). */
  next(): string;
  /** Deletes every row in the schema of `url` (one from `next()`), keeping its migrations. */
  empty(url: string): Promise<void>;
  dropAll(): Promise<void>;
}

export function testSchemas(baseUrl: string, prefix = 'slipway_test'): TestSchemas {
  const fileId = randomBytes(4).toString('hex');
  const names: string[] = [];
  return {
    next() {
      const name = `${prefix}_${fileId}_${names.length}`;
      names.push(name);
      const url = new URL(baseUrl);
      url.searchParams.set('schema', name);
      return url.toString();
    },
    async empty(url) {
      const schema = new URL(url).searchParams.get('schema');
      if (!schema || !names.includes(schema)) throw new Error(`${url} is not a test schema`);
      await withClient(baseUrl, async (client) => {
        const { rows } = await client.query<{ name: string }>(
          `select tablename as name from pg_tables where schemaname = $1 and tablename not like 'slipway_migrations%'`,
          [schema],
        );
        if (rows.length === 0) return;
        const tables = rows.map((row) => `"${schema}"."${row.name}"`).join(', ');
        await client.query(`truncate ${tables} cascade`);
      });
    },
    async dropAll() {
      if (names.length === 0) return;
      await withClient(baseUrl, async (client) => {
        for (const name of names.splice(0)) {
          await client.query(`drop schema if exists "${name}" cascade`);
        }
      });
    },
  };
}

async function withClient(url: string, use: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await use(client);
  } finally {
    await client.end();
  }
}
