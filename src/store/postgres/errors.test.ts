import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../../test/support/postgres.js';
import { DatabaseUnavailableError } from '../errors.js';
import { createStore } from '../index.js';
import type { Store } from '../types.js';
import { waitForDatabase } from '../wait.js';

const realUrl = new URL(await testDatabaseUrl());
// Migrations go into a schema of this file's own: the database's default schema may hold
// migrations of another checkout (a newer branch) that this one does not know.
const schemas = testSchemas(realUrl.toString(), 'slipway_errors');
afterAll(() => schemas.dropAll());
const opened: Store[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  for (const server of servers.splice(0)) server.close();
});

function open(url: string): Store {
  const store = createStore(url);
  opened.push(store);
  return store;
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(schemas.next());
  change(url);
  return url.toString();
}

/** A port nothing listens on: bound, noted and released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(server: Server, port = 0): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

function recorder() {
  const lines: { attempt: number; msg: string }[] = [];
  const log = {
    warn: (obj: { attempt: number }, msg: string) => lines.push({ attempt: obj.attempt, msg }),
    info: (obj: { attempt: number }, msg: string) => lines.push({ attempt: obj.attempt, msg }),
  };
  // Only the two levels waitForDatabase uses.
  return { lines, log: log as unknown as Parameters<typeof waitForDatabase>[1]['log'] };
}

async function failure(promise: Promise<unknown>): Promise<DatabaseUnavailableError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatabaseUnavailableError);
  return err as DatabaseUnavailableError;
}

describe('Postgres at start', () => {
  it('retries an unreachable server with a log line per attempt, then says where and what to do', async () => {
    const port = await closedPort();
    const url = `postgres://slipway:s3cret-pw@127.0.0.1:${port}/test`;
    const { lines, log } = recorder();
    const started = Date.now();
    const err = await failure(waitForDatabase(open(url), { waitMs: 1_200, log }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_100);
    // Tries at 0, 0.5 s and 1.2 s (the wait's end): the last failure is the error itself.
    expect(lines.map((l) => l.attempt)).toEqual([1, 2]);
    expect(lines.every((l) => l.msg === 'database not reachable yet: trying again')).toBe(true);
    expect(err.message).toBe(
      `Postgres at postgres://slipway:***@127.0.0.1:${port}/test is not reachable (connect ECONNREFUSED 127.0.0.1:${port}): start it, or fix the host and port in SLIPWAY_DATABASE_URL, or give it longer to come up with SLIPWAY_DB_WAIT (waited 1s).`,
    );
    expect(err.message).not.toContain('s3cret-pw');
  });

  it('goes on once a server that was down comes up within the wait', async () => {
    const port = await closedPort();
    // A TCP relay to the real server, opened after the first attempts have failed.
    const relay = createServer((client: Socket) => {
      const upstream = connect(Number(realUrl.port || 5432), realUrl.hostname);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop);
      upstream.on('error', drop);
    });
    setTimeout(() => void listen(relay, port), 800);
    const { lines, log } = recorder();
    const store = open(withUrl((u) => (u.port = String(port))));
    await waitForDatabase(store, { waitMs: 10_000, log });
    expect(lines.at(-1)?.msg).toBe('database reachable');
    expect(lines.filter((l) => l.msg.startsWith('database not reachable')).length).toBeGreaterThan(
      0,
    );
    expect(await store.migrate()).toEqual(expect.any(Array));
  });

  it('does not retry an unknown database, and says so', async () => {
    const { lines, log } = recorder();
    const url = withUrl((u) => (u.pathname = '/no_such_database_here'));
    const err = await failure(waitForDatabase(open(url), { waitMs: 30_000, log }));
    expect(lines).toEqual([]);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(
      /^Postgres at postgres:\/\/.*\/no_such_database_here refused the connection \(database "no_such_database_here" does not exist\): create the database \(createdb\) or fix its name in SLIPWAY_DATABASE_URL; not retried, since waiting cannot fix it\.$/,
    );
  });

  it('does not retry an unknown user', async () => {
    const url = withUrl((u) => {
      u.username = 'no_such_role';
      u.password = 'pw';
    });
    const err = await failure(waitForDatabase(open(url), { waitMs: 30_000 }));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('role "no_such_role" does not exist');
    expect(err.message).toContain('postgres://no_such_role:***@');
  });

  it('does not retry a wrong password, and keeps the password out of the message', async () => {
    // The test server trusts local users, so a wrong password is answered by a stand-in that
    // speaks the protocol's first exchange as Postgres does: ask for the password, refuse it.
    const port = await listen(createServer(refusePassword));
    const url = `postgres://deployer:wrong-pw@127.0.0.1:${port}/slipway`;
    const { lines, log } = recorder();
    const err = await failure(waitForDatabase(open(url), { waitMs: 30_000, log }));
    expect(lines).toEqual([]);
    expect(err.message).toBe(
      `Postgres at postgres://deployer:***@127.0.0.1:${port}/slipway refused the connection (password authentication failed for user "deployer"): fix the user or password in SLIPWAY_DATABASE_URL; not retried, since waiting cannot fix it.`,
    );
  });
});

/** AuthenticationCleartextPassword, then ErrorResponse 28P01 (postgresql.org/docs/current/protocol-message-formats.html). */
function refusePassword(socket: Socket): void {
  let stage = 0;
  socket.on('error', () => socket.destroy());
  socket.on('data', () => {
    if (stage++ === 0) {
      socket.write(message('R', int32(3)));
      return;
    }
    const fields = [
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', '28P01'],
      ['M', 'password authentication failed for user "deployer"'],
    ];
    const body = Buffer.concat([
      ...fields.map(([k, v]) => Buffer.from(`${k}${v}\0`)),
      Buffer.from([0]),
    ]);
    socket.end(message('E', body));
  });
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function message(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}
