import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import type { Settings } from '../../src/core/settings.js';
import { isAlive, type ProcessIdentity } from '../../src/drivers/command/processes.js';
import { RUN_FILES } from '../../src/drivers/command/run-files.js';
import type { DeployRequest } from '../../src/engine/requests.js';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures');

/** The command driver binding used by engine scenarios: real child processes. */
export function commandBinding(stateDir: string, ms = 300) {
  return {
    driver: 'command',
    options: {
      deploy: [
        process.execPath,
        join(FIXTURES, 'fake-deploy.mjs'),
        stateDir,
        '{service}',
        '{environment}',
        '{version}',
        String(ms),
      ],
      status: [
        process.execPath,
        join(FIXTURES, 'fake-status.mjs'),
        stateDir,
        '{service}',
        '{environment}',
      ],
      timeout: '1m',
    },
  };
}

/**
 * A config exercising every rule: staging queues, perf refuses when busy, production is
 * protected with four-eyes approval from QA and a channel rule, frozen is always frozen.
 */
export interface ScenarioOptions {
  ms?: number;
  lease?: string;
  /** engine.concurrency; Slipway's default when absent. */
  concurrency?: number;
}

export function scenarioConfig(stateDir: string, options: ScenarioOptions = {}) {
  return Config.parse(scenarioConfigInput(stateDir, options));
}

/** The same config as written in slipway.yaml (JSON is YAML), for tests that start `slipway serve`. */
export function scenarioConfigInput(stateDir: string, options: ScenarioOptions = {}) {
  const binding = commandBinding(stateDir, options.ms);
  return {
    operator: 'operator',
    admins: ['@sre'],
    groups: {
      sre: ['U-SRE', 'operator'],
      qa: ['U-QA1', 'U-QA2'],
      devs: ['U-DEV1', 'U-DEV2', 'U-QA1'],
    },
    environments: [
      { name: 'staging', order: 1, deployers: ['@devs', '@qa'] },
      // Builds are reviewed where they land (staging, web's first environment) and, as
      // configured here, again on perf before production.
      { name: 'perf', order: 2, deployers: ['@devs'], whenBusy: 'reject', review: true },
      {
        name: 'production',
        order: 3,
        protected: true,
        deployers: ['service:owners', '@devs'],
        approvals: { required: 1, from: ['@qa'] },
        channels: ['C-DEPLOYS'],
        verifyWindow: '5s',
      },
      {
        name: 'frozen',
        order: 4,
        deployers: ['@devs'],
        freeze: [{ cron: '* * * * *', duration: '2m', timezone: 'UTC', reason: 'release freeze' }],
        freezeOverride: ['U-DEV2'],
      },
    ],
    services: [
      {
        name: 'web',
        image: 'registry.test/web',
        channel: 'C-WEB',
        owners: ['U-DEV1'],
        qa: ['@qa'],
        driver: binding,
        environments: { staging: {}, perf: {}, production: {}, frozen: {} },
      },
      {
        name: 'api',
        image: 'registry.test/api',
        channel: 'C-API',
        owners: ['U-DEV2'],
        // No status command in staging: the deploy's exit status is the whole verdict there.
        environments: {
          staging: {
            driver: 'command',
            options: { deploy: binding.options.deploy, timeout: '1m' },
          },
          production: binding,
        },
      },
    ],
    engine: {
      lease: options.lease ?? '2s',
      pollInterval: '100ms',
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    },
  };
}

export interface Harness {
  app: App;
  dir: string;
  stateDir: string;
  runs(): string[];
  waitFinal(id: string, timeoutMs?: number): Promise<Deployment>;
  close(): Promise<void>;
}

/** A developer's chat request in #web to deploy web 1.4.2 to staging, or what `changes` say. */
export function webRequest(changes: Partial<DeployRequest> = {}): DeployRequest {
  return {
    actor: 'U-DEV1',
    source: 'chat',
    channel: 'C-WEB',
    kind: 'deploy',
    service: 'web',
    environment: 'staging',
    version: '1.4.2',
    ...changes,
  };
}

/** Asks `app`'s engine for `webRequest(changes)`: the deployment recorded; a refusal fails the test. */
export async function requestWeb(
  app: App,
  changes: Partial<DeployRequest> = {},
): Promise<Deployment> {
  const r = await app.engine.request(webRequest(changes));
  if (!r.ok) throw new Error(r.reason);
  return r.deployment;
}

export function tempDir(prefix = 'slipway-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Removes a test's data directory. A deployment still running when the test ends has a
 * detached command supervisor writing into it: each is stopped first (SIGTERM cancels its run;
 * SIGKILL after 10 s), so nothing writes there while it is removed.
 */
export async function removeTestDir(dir: string): Promise<void> {
  const runs = join(dir, 'runs');
  const supervisors: ProcessIdentity[] = [];
  for (const run of existsSync(runs) ? readdirSync(runs) : []) {
    for (const file of [RUN_FILES.launched, RUN_FILES.claim]) {
      try {
        const record = JSON.parse(readFileSync(join(runs, run, file), 'utf8'));
        const id: unknown = file === RUN_FILES.claim ? record.process : record;
        if (id && typeof id === 'object' && 'pid' in id) supervisors.push(id as ProcessIdentity);
      } catch {
        // Not written (yet): nothing to stop.
      }
    }
  }
  const signal = (id: ProcessIdentity, name: NodeJS.Signals) => {
    if (isAlive(id)) process.kill(id.pid, name);
  };
  for (const id of supervisors) signal(id, 'SIGTERM');
  for (const deadline = Date.now() + 10_000; supervisors.some(isAlive); await sleep(50)) {
    if (Date.now() > deadline) for (const id of supervisors) signal(id, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
}

export function settingsFor(dir: string, databaseUrl?: string): Settings {
  return {
    port: 0,
    configPath: join(dir, 'slipway.yaml'),
    databaseUrl: databaseUrl ?? `sqlite://${join(dir, 'slipway.db')}`,
    dataDir: dir,
    apiToken: undefined,
    logLevel: 'silent',
    slack: null,
    integrations: {
      webhookSecret: undefined,
      alertmanagerToken: undefined,
      githubToken: undefined,
      githubApiUrl: 'https://api.github.com',
      githubWebhookSecret: undefined,
      argocdServer: undefined,
      argocdToken: undefined,
    },
  };
}

export async function startHarness(
  options: ScenarioOptions & { databaseUrl?: string; start?: boolean } = {},
): Promise<Harness> {
  const dir = tempDir();
  const stateDir = join(dir, 'targets');
  const config = scenarioConfig(stateDir, options);
  const app = await createApp({
    config,
    settings: settingsFor(dir, options.databaseUrl),
    log: createLogger({ level: 'silent' }),
  });
  if (options.start ?? true) app.engine.start();
  return {
    app,
    dir,
    stateDir,
    runs: () => readRuns(stateDir),
    waitFinal: (id, timeoutMs) => waitFinal(app, id, timeoutMs),
    async close() {
      await app.stop();
      await removeTestDir(dir);
    },
  };
}

/** Resolves once deployment `id` is final or waits on people; fails the test after `timeoutMs`. */
export async function waitFinal(app: App, id: string, timeoutMs = 20_000): Promise<Deployment> {
  const signal = AbortSignal.timeout(timeoutMs);
  const d = await app.engine.waitFor(id, signal, 50);
  if (signal.aborted) throw new Error(`${id} still ${d.state} after ${timeoutMs} ms`);
  return d;
}

export function readRuns(stateDir: string): string[] {
  try {
    return readFileSync(join(stateDir, 'runs.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
