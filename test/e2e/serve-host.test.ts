import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTestDir, scenarioConfigInput, tempDir } from '../support/engine-harness.js';
import {
  exited,
  ROOT,
  type ServerProcess,
  startServer,
  stopServerAndRemove,
} from '../support/processes.js';

/** `slipway serve --host`: where the server listens; by default every IPv4 interface. */
let server: ServerProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  await stopServerAndRemove(server, dir);
  server = null;
  dir = null;
});

/** An address of this machine that is not loopback, when it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

async function serveWith(args: string[]): Promise<ServerProcess> {
  dir = tempDir('slipway-host-');
  const configPath = join(dir, 'slipway.yaml');
  writeFileSync(configPath, JSON.stringify(scenarioConfigInput(join(dir, 'targets'))));
  const env = { SLIPWAY_CONFIG: configPath, SLIPWAY_DATA_DIR: dir };
  server = await startServer(
    { ...env, SLIPWAY_DATABASE_URL: `sqlite://${join(dir, 'slipway.db')}` },
    20_000,
    { args },
  );
  return server;
}

async function healthz(host: string, port: number): Promise<number | string> {
  try {
    return (await fetch(`http://${host}:${port}/healthz`)).status;
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code);
  }
}

describe('slipway serve --host', () => {
  it('lists --host in its help', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), 'serve', '--help'],
      { cwd: ROOT },
    );
    expect(stdout).toContain('--host <addr>');
    expect(stdout).toContain('default 0.0.0.0');
  });

  // Reaching a non-loopback address of this machine is how a listener on loopback only shows.
  it.skipIf(!outside)(
    'listens on the address given, and on every interface without it',
    async () => {
      const local = await serveWith(['--host', '127.0.0.1']);
      expect(await healthz('127.0.0.1', local.port)).toBe(200);
      expect(await healthz(outside as string, local.port)).toBe('ECONNREFUSED');
      expect(local.output()).toContain('"host":"127.0.0.1"');
      local.child.kill('SIGTERM');
      await exited(local.child);
      if (dir) await removeTestDir(dir);

      const everywhere = await serveWith([]);
      expect(await healthz(outside as string, everywhere.port)).toBe(200);
      expect(await healthz('127.0.0.1', everywhere.port)).toBe(200);
    },
  );
});
