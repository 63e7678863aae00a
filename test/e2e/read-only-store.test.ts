import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { scenarioConfigInput, tempDir } from '../support/engine-harness.js';
import { type ServerProcess, startServer, stopServerAndRemove } from '../support/processes.js';

/**
 * A server whose SQLite file it may read but not write starts (no migration is pending, and in
 * WAL mode even BEGIN IMMEDIATE succeeds), so only a write shows it cannot record anything:
 * /readyz must say not ready. Root writes through any file mode unless it lacks the capability
 * to, so as root the server runs without it.
 */
const WITHOUT_OVERRIDE = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];

let server: ServerProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  await stopServerAndRemove(server, dir);
  server = null;
  dir = null;
});

describe('a read-only SQLite file', () => {
  it('makes /readyz answer 503 while /healthz stays up', async () => {
    dir = tempDir('slipway-read-only-');
    const path = join(dir, 'slipway.db');
    const store = createStore(`sqlite://${path}`);
    await store.migrate();
    await store.close();
    chmodSync(path, 0o444);
    const configPath = join(dir, 'slipway.yaml');
    writeFileSync(configPath, JSON.stringify(scenarioConfigInput(join(dir, 'targets'))));
    server = await startServer(
      {
        SLIPWAY_CONFIG: configPath,
        SLIPWAY_DATABASE_URL: `sqlite://${path}`,
        SLIPWAY_DATA_DIR: dir,
      },
      20_000,
      { launcher: process.getuid?.() === 0 ? WITHOUT_OVERRIDE : [] },
    );
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({
      status: 'not ready',
      checks: { store: 'read-only: Slipway cannot write to its database; see the server log' },
    });
    expect(server.output()).toContain('readonly database');
  });
});
