import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { connectProblem, findPostgresBin, testDatabaseUrl } from './postgres.js';

const run = promisify(execFile);
const SUPPORT = fileURLToPath(new URL('./postgres.ts', import.meta.url));

describe('testDatabaseUrl', () => {
  it('uses SLIPWAY_TEST_DATABASE_URL and fails loudly when it does not answer', async () => {
    await expect(
      testDatabaseUrl({ SLIPWAY_TEST_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    ).rejects.toThrow(/SLIPWAY_TEST_DATABASE_URL=.* does not answer/);
    const url = await testDatabaseUrl();
    await expect(testDatabaseUrl({ SLIPWAY_TEST_DATABASE_URL: url })).resolves.toBe(url);
  });

  // Runs wherever PostgreSQL is installed (a few seconds); without initdb there is no
  // throwaway server to test, and the store suites already fail loudly in that case.
  it.skipIf(findPostgresBin() === null)(
    'starts a throwaway server when asked, and stops it when the process exits',
    async () => {
      const before = new Set(throwawayDirs());
      // A child process, so that its exit hook is what stops the server.
      const script = `
        const support = await import(${JSON.stringify(SUPPORT)});
        const { createStore } = await import(${JSON.stringify(fileURLToPath(new URL('../../src/store/index.ts', import.meta.url)))});
        const url = await support.testDatabaseUrl({ ...process.env, SLIPWAY_TEST_PG: 'throwaway' });
        const store = createStore(url + '?schema=probe');
        await store.migrate();
        const pending = await store.pendingMigrations();
        await store.close();
        console.log(JSON.stringify({ url, pending }));
      `;
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 30_000 },
      );
      const { url, pending } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(url).not.toContain(':5432/');
      expect(pending).toEqual([]);
      expect(await connectProblem(url, 1_000)).not.toBeNull();
      expect(throwawayDirs().filter((d) => !before.has(d))).toEqual([]);
    },
    30_000,
  );

  it('gives stores a usable database', async () => {
    const store = createStore(await testDatabaseUrl());
    try {
      await store.ping();
    } finally {
      await store.close();
    }
  });
});

function throwawayDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('slipway-pg-'));
}
