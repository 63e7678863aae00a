import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTestDir, tempDir } from '../../../test/support/engine-harness.js';
import type { Store } from '../types.js';
import { createSqliteStore } from './index.js';

let dir: string | null = null;
let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  if (dir) await removeTestDir(dir);
  dir = null;
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('SQLite files', () => {
  it('are created for Slipway’s user only: database, -wal and -shm 0600, a new directory 0700', async () => {
    dir = tempDir('slipway-file-mode-');
    const path = join(dir, 'nested', '.slipway', 'slipway.db');
    store = createSqliteStore({ path });
    await store.migrate();
    await store.probeWrite();
    expect(modeOf(path)).toBe(0o600);
    // WAL mode keeps both beside the database while a connection is open.
    expect(modeOf(`${path}-wal`)).toBe(0o600);
    expect(modeOf(`${path}-shm`)).toBe(0o600);
    expect(modeOf(join(dir, 'nested', '.slipway'))).toBe(0o700);
    expect(modeOf(join(dir, 'nested'))).toBe(0o700);
  });

  it('leaves the permissions of an existing directory as they are', async () => {
    dir = tempDir('slipway-file-mode-');
    const shared = join(dir, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    store = createSqliteStore({ path: join(shared, 'slipway.db') });
    await store.migrate();
    expect(modeOf(shared)).toBe(0o755);
    expect(modeOf(join(shared, 'slipway.db'))).toBe(0o600);
  });
});
