import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../errors.js';
import { createStore } from '../index.js';
import { newDeployment, queue, timeline } from '../test-support/fixtures.js';
import { storeSuite } from '../test-support/store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeSuite({
  name: 'sqlite file',
  shared: true,
  freshUrl: () => `sqlite://${join(dir, `${randomUUID()}.db`)}`,
});
storeSuite({ name: 'sqlite :memory:', shared: false, freshUrl: () => ':memory:' });

describe('SQLite setup', () => {
  it('creates the parent directory, and the file in WAL mode', async () => {
    const path = join(dir, 'nested', 'deeper', 'slipway.db');
    const store = createStore(path);
    try {
      await store.migrate();
      expect(existsSync(path)).toBe(true);
      const raw = new Sqlite(path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      await store.close();
    }
  });

  it('enforces foreign keys', async () => {
    const store = createStore(':memory:');
    try {
      await store.migrate();
      await expect(
        store.addApproval({ deploymentId: 'x', approver: 'a', verdict: 'approve', comment: null }),
      ).rejects.toThrow(/does not exist/);
    } finally {
      await store.close();
    }
  });

  // The cap is plain JS shared by both dialects; 500 rows are cheapest to make here.
  it('lists at most 500 deployments at once', async () => {
    const store = createStore(':memory:');
    try {
      await store.migrate();
      const at = timeline();
      for (let i = 0; i < 505; i++) {
        await store.createDeployment(newDeployment(), 'succeeded', { actor: 'a', at: at(i) });
      }
      const all = await store.listDeployments({ limit: 10_000 });
      expect(all).toHaveLength(500);
      expect(all[0]?.createdAt).toEqual(at(504));
    } finally {
      await store.close();
    }
  });

  // The prune is one query for both dialects; the row count is easiest to read here.
  it('prunes expired deliveries on the way through a later write', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const t = Date.now();
    const store = createStore(path);
    const later = createStore(path, { now: () => new Date(t + 5_000) });
    const raw = new Sqlite(path);
    try {
      await store.migrate();
      for (let i = 0; i < 5; i++) await store.markDelivered(`old-${i}`, new Date(t + 1_000));
      await store.markDelivered('live', new Date(t + 60_000));
      const count = () => raw.prepare('select count(*) as n from seen_deliveries').get();
      expect(count()).toEqual({ n: 6 });
      expect(await later.markDelivered('new', new Date(t + 60_000))).toBe(true);
      expect(count()).toEqual({ n: 2 });
    } finally {
      raw.close();
      await store.close();
      await later.close();
    }
  });

  it('waits for a writer in another connection instead of failing', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const store = createStore(path);
    await store.migrate();
    const blocker = new Sqlite(path);
    try {
      blocker.exec('begin immediate');
      const pending = store.createDeployment(newDeployment(), 'queued', { actor: 'a' });
      await new Promise((resolve) => setTimeout(resolve, 150));
      blocker.exec('commit');
      expect((await pending).created).toBe(true);
    } finally {
      blocker.close();
      await store.close();
    }
  });
});

describe('SQLite shared by several processes', () => {
  it('keeps one active deployment per target while processes claim together', async () => {
    const url = `sqlite://${join(dir, `${randomUUID()}.db`)}`;
    const store = createStore(url);
    try {
      await store.migrate();
      const at = timeline();
      const created: string[] = [];
      for (const [i, service] of ['web', 'api', 'db'].entries()) {
        const target = { service, environment: 'staging' };
        const rows = await queue(store, at, target, 6, 1, i * 6);
        created.push(...rows.map((d) => d.id));
      }
      const reports = await runClaimWorkers(url, ['proc-a', 'proc-b']);
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      // Not one process doing everything while the others were still starting.
      expect(reports.every((r) => r.claimed.length > 0)).toBe(true);
      const claimed = reports.flatMap((r) => r.claimed);
      expect([...claimed].sort()).toEqual([...created].sort());
      for (const id of created) {
        const history = await store.listTransitions(id);
        expect(history.map((t) => t.to)).toEqual(['queued', 'running', 'succeeded']);
      }
    } finally {
      await store.close();
    }
  });
});

const WORKER = fileURLToPath(new URL('../test-support/claim-worker.ts', import.meta.url));

interface WorkerReport {
  owner: string;
  claimed: string[];
  errors: string[];
}

/** Starts the workers, waits until each has its store open, then lets them all go at once. */
async function runClaimWorkers(url: string, owners: string[]): Promise<WorkerReport[]> {
  const workers = owners.map((owner) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, url, owner], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        if (stdout.includes('ready\n')) resolve();
      });
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const report = new Promise<WorkerReport>((resolve, reject) => {
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`${owner} exited with ${code}: ${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'));
      });
    });
    return { child, ready, report };
  });
  await Promise.race([
    Promise.all(workers.map((w) => w.ready)),
    Promise.all(workers.map((w) => w.report)),
  ]);
  for (const w of workers) w.child.stdin.end('go\n');
  return Promise.all(workers.map((w) => w.report));
}

describe('SQLite files that cannot be used', () => {
  async function refusal(path: string) {
    let err: unknown;
    try {
      const store = createStore(path);
      await store.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    return err as DatabaseUnavailableError;
  }

  // Tests run as root, for whom a chmod'ed directory is still writable: these paths cannot be
  // created by anyone.
  it('names the path and the fix when the directory cannot be created', async () => {
    const err = await refusal('/dev/null/x/slipway.db');
    expect(err.message).toBe(
      'cannot create the SQLite database /dev/null/x/slipway.db: /dev/null/x or a folder above it is a file, not a directory; set SLIPWAY_DATABASE_URL (or SLIPWAY_DATA_DIR) to a file in a writable directory.',
    );
    const file = join(dir, `${randomUUID()}.txt`);
    writeFileSync(file, 'not a directory');
    expect((await refusal(join(file, 'slipway.db'))).message).toContain(
      `cannot create the SQLite database ${join(file, 'slipway.db')}: ${file} or a folder above it is a file`,
    );
  });

  it('says a damaged file is not a database, and how to get going again', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    writeFileSync(path, 'these bytes were never a SQLite database '.repeat(100));
    const err = await refusal(path);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      `${path} is not a SQLite database or is damaged (file is not a database): restore it from a backup, or move it away to start with an empty database, or point SLIPWAY_DATABASE_URL at the right file.`,
    );
  });

  it('says a file damaged inside is not usable when migrating it', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    const healthy = createStore(path);
    await healthy.migrate();
    await healthy.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 4096);
    closeSync(fd);
    const damaged = createStore(path);
    try {
      const err = await damaged.migrate().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DatabaseUnavailableError);
      expect((err as Error).message).toBe(
        `${path} is not a SQLite database or is damaged (database disk image is malformed): restore it from a backup, or move it away to start with an empty database, or point SLIPWAY_DATABASE_URL at the right file.`,
      );
    } finally {
      await damaged.close();
    }
  });

  it('says when the database path is a directory', async () => {
    const path = join(dir, `${randomUUID()}.db`);
    mkdirSync(path);
    expect((await refusal(path)).message).toBe(
      `cannot open the SQLite database ${path} (unable to open database file): check that it is a file, not a directory, and that its directory is writable, or set SLIPWAY_DATABASE_URL (or SLIPWAY_DATA_DIR) to a file in a writable directory.`,
    );
  });
});
