import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import { type Deployment, isFinal } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import { readRuns, scenarioConfigInput, settingsFor, tempDir } from '../support/engine-harness.js';
import { exited, type ServerProcess, startServer } from '../support/processes.js';

/**
 * Kills `slipway serve` with SIGKILL while deployments are running, starts a new server on the
 * same database, and checks that every deployment reaches a recorded outcome and that no
 * deploy command ran twice.
 */
describe('crash recovery', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('brings every deployment to an outcome after SIGKILL, running nothing twice', async () => {
    const dir = tempDir('slipway-crash-');
    const stateDir = join(dir, 'targets');
    const input = scenarioConfigInput(stateDir, { ms: 3_000, lease: '1s' });
    const configPath = join(dir, 'slipway.yaml');
    writeFileSync(configPath, JSON.stringify(input, null, 2));
    const settings = settingsFor(dir);
    const env = {
      SLIPWAY_CONFIG: configPath,
      SLIPWAY_DATABASE_URL: settings.databaseUrl,
      SLIPWAY_DATA_DIR: dir,
    };

    const first: ServerProcess = await startServer(env);
    cleanups.push(async () => {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    });
    // Requests come from another process on the same database (as the CLI would).
    const client: App = await createApp({
      config: Config.parse(input),
      settings,
      log: createLogger({ level: 'silent' }),
    });
    cleanups.push(() => client.stop());
    const dev = { actor: 'U-DEV1', source: 'cli' as const, channel: null };
    const request = async (service: string, environment: string, version: string) => {
      const result = await client.engine.request({
        ...dev,
        kind: 'deploy',
        service,
        environment,
        version,
      });
      if (!result.ok) throw new Error(result.reason);
      return result.deployment.id;
    };
    const webStaging = await request('web', 'staging', '7.0.0');
    const apiStaging = await request('api', 'staging', '7.0.0');
    const webPerf = await request('web', 'perf', '7.0.0');

    // Wait until the first server has started all three (one per target).
    await until(
      async () => {
        const started = readRuns(stateDir).filter((line) => line.startsWith('start'));
        return [webStaging, apiStaging, webPerf].every((id) =>
          started.some((line) => line.includes(id)),
        );
      },
      15_000,
      first.output,
    );
    // Then one more for a busy target: it waits in the queue (a newer request does not
    // supersede one that is already running).
    const webStagingNext = await request('web', 'staging', '7.0.1');
    const ids = [webStaging, apiStaging, webPerf, webStagingNext];
    expect((await client.store.getDeployment(webStaging))?.state).toBe('running');
    expect((await client.store.getDeployment(webStagingNext))?.state).toBe('queued');

    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await startServer(env);
    cleanups.push(async () => {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    });
    const finals = new Map<string, Deployment>();
    await until(
      async () => {
        for (const id of ids) {
          const d = await client.store.getDeployment(id);
          if (d && isFinal(d.state)) finals.set(id, d);
        }
        return finals.size === ids.length;
      },
      30_000,
      second.output,
    );

    for (const id of ids) {
      expect(finals.get(id)?.state, `${id}: ${finals.get(id)?.outcome}`).toBe('succeeded');
      const starts = readRuns(stateDir).filter((line) => line.startsWith(`start ${id} deploy`));
      expect(starts, `${id} deploy command runs`).toHaveLength(1);
      const transitions = await client.store.listTransitions(id);
      // Claimed once; a deployment the first server was running is taken over, and the
      // history says so.
      const resumed = transitions.filter((t) => t.reason?.startsWith('resumed by '));
      expect(transitions.filter((t) => t.to === 'running').length - resumed.length).toBe(1);
      expect(resumed.length, `${id} takeovers`).toBe(id === webStagingNext ? 0 : 1);
      expect(transitions.at(-1)?.to).toBe('succeeded');
    }
    // The queued deployment ran only after the one before it on the same target had finished.
    const runs = readRuns(stateDir);
    const doneFirst = Number(
      runs
        .find((l) => l.startsWith(`done ${webStaging}`))
        ?.split(' ')
        .at(-1),
    );
    const startNext = Number(
      runs
        .find((l) => l.startsWith(`start ${webStagingNext}`))
        ?.split(' ')
        .at(-1),
    );
    expect(startNext).toBeGreaterThanOrEqual(doneFirst);

    // The second server took over the three orphaned deployments (expired leases).
    expect(second.output().match(/resuming deployment left by a stopped process/g)).toHaveLength(3);

    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  }, 90_000);
});

async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms; server output:\n${output().slice(-4000)}`,
  );
}
