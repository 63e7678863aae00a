import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Store and engine suites talk to real SQLite files, Postgres and child processes.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
