import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { Config } from '../../src/config/schema.js';
import type { Deployment } from '../../src/core/deployment.js';
import { createLogger } from '../../src/core/logger.js';
import {
  createGitHubActionsDriver,
  type GitHubActionsDriver,
  id as githubActions,
} from '../../src/drivers/github-actions/index.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLocalSlack, type LocalSlack, type Message } from '../../src/local-slack/index.js';
import { githubWebhookRoute } from '../../src/webhooks/github/index.js';
import { settingsFor, tempDir } from '../support/engine-harness.js';
import {
  type DoubleOptions,
  type GitHubDouble,
  slipwayWorkflow,
  startGitHubDouble,
} from '../support/github-double.js';

const TOKEN = 'ghp_e2eToken0123456789abcdefghijkl';
const HOOK_SECRET = 'e2e-webhook-secret';
const CHANNEL = 'C-WEB';

/**
 * A real Slipway (store, engine, driver, HTTP server with /hooks/github, the chat notifier)
 * against the GitHub double and the local Slack: the double's webhooks reach Slipway over HTTP,
 * signed as GitHub signs them, and each deployment's card and thread land in #web.
 */
interface World {
  gh: GitHubDouble;
  slack: LocalSlack;
  app: App;
  http: HttpServer;
  driver: GitHubActionsDriver;
  deploy(version: string): Promise<Deployment>;
  waitFinal(id: string): Promise<Deployment>;
  /** The deployment's card in #web and its thread replies, once the notifier has sent them. */
  chat(d: Deployment): Promise<{ card: Message; thread: Message[] }>;
  close(): Promise<void>;
}

async function startWorld(
  options: Record<string, unknown> = {},
  double: Partial<DoubleOptions> = {},
): Promise<World> {
  const dir = tempDir('slipway-gha-');
  const log = createLogger({ level: process.env.SLIPWAY_TEST_LOG ?? 'silent' });
  const gh = await startGitHubDouble({
    owner: 'acme',
    repo: 'web',
    token: TOKEN,
    workflows: [slipwayWorkflow()],
    ...double,
  });
  const slack = createLocalSlack({
    channels: [{ id: CHANNEL, name: 'web', members: ['U-OWNER'] }],
    users: [{ id: 'U-OWNER', name: 'owner' }],
  });
  const { apiUrl } = await slack.start();
  const env = { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url };
  const driver = createGitHubActionsDriver(
    { dataDir: dir, env, log },
    { retry: { attempts: 5, baseMs: 100, maxWaitMs: 5_000 }, discoverMs: 100 },
  );
  const config = Config.parse({
    operator: 'operator',
    admins: ['operator'],
    environments: [{ name: 'staging', order: 1 }],
    services: [
      {
        name: 'web',
        owners: ['U-OWNER'],
        channel: CHANNEL,
        driver: {
          driver: githubActions,
          options: {
            owner: 'acme',
            repo: 'web',
            workflow: '.github/workflows/deploy.yml',
            timeout: '30s',
            // Only webhooks can end a run in time, unless a test polls on purpose.
            pollInterval: '1m',
            startTimeout: '1s',
            ...options,
          },
        },
      },
    ],
    engine: { lease: '5s', pollInterval: '100ms' },
  });
  const app = await createApp({
    config,
    settings: {
      ...settingsFor(dir),
      slack: {
        botToken: slack.config.botToken,
        apiUrl,
        signingSecret: undefined,
        appToken: undefined,
      },
    },
    log,
    env,
    drivers: new Map([[githubActions, driver]]),
  });
  const http = createHttpServer({
    engine: app.engine,
    store: app.store,
    log,
    routes: [
      githubWebhookRoute({
        secret: HOOK_SECRET,
        onWorkflowRun: (event) => driver.workflowRun(event),
        log,
      }),
    ],
  });
  const port = await http.listen(0, '127.0.0.1');
  gh.setWebhook({ url: `http://127.0.0.1:${port}/hooks/github`, secret: HOOK_SECRET });
  await app.start();
  return {
    gh,
    slack,
    app,
    http,
    driver,
    async deploy(version) {
      const r = await app.engine.request({
        actor: 'operator',
        source: 'cli',
        channel: null,
        service: 'web',
        environment: 'staging',
        version,
        kind: 'deploy',
      });
      if (!r.ok) throw new Error(`refused: ${r.reason}`);
      return r.deployment;
    },
    async waitFinal(id) {
      const signal = AbortSignal.timeout(20_000);
      const d = await app.engine.waitFor(id, signal, 50);
      if (signal.aborted) throw new Error(`${id} still ${d.state}: ${d.progress ?? ''}`);
      return d;
    },
    async chat(d) {
      await app.chat?.notifier.idle();
      const card = slack
        .history(CHANNEL)
        .find((m) => (!m.threadTs || m.threadTs === m.ts) && m.text.includes(d.version));
      if (!card)
        throw new Error(
          `no card for ${d.version} in ${CHANNEL}: ${JSON.stringify(slack.history(CHANNEL).map((m) => m.text))}`,
        );
      const thread = slack.thread(CHANNEL, card.ts).filter((m) => m.ts !== card.ts);
      return { card, thread };
    },
    async close() {
      await http.close();
      await app.stop();
      await slack.stop();
      await gh.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const dispatched = (gh: GitHubDouble) =>
  gh.called('POST', /\/dispatches$/).map((c) => c.body as { inputs: Record<string, string> });
const runReads = (gh: GitHubDouble) => gh.called('GET', /\/actions\/runs\/\d+$/);

const RETURNED = '(GitHub returned the run)';
const BY_NAME = '(found by its correlation id in the run name)';
const isRunList = (c: { method: string; path: string }) =>
  c.method === 'GET' && /\/workflows\/[^/]+\/runs$/.test(c.path);
const said = (m: Message) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`;

describe('github-actions driver in a running Slipway', () => {
  let world: World;
  afterEach(() => world?.close());

  it('dispatches the workflow, follows the run GitHub returned, and succeeds when its webhook says so', async () => {
    world = await startWorld();
    world.gh.planNext({ queuedMs: 100, jobs: [{ name: 'build' }, { name: 'deploy', ms: 200 }] });
    const d = await world.deploy('1.4.2');
    const done = await world.waitFinal(d.id);

    const run = world.gh.runs()[0];
    expect(done.state).toBe('succeeded');
    expect(done.outcome).toBe(`run #1 of deploy.yml succeeded ${RETURNED}`);
    expect(done.driverRef).toMatchObject({
      link: { label: 'GitHub run', url: run?.html_url },
      deploy: { phase: 'deploy', workflow: 'deploy.yml', key: d.correlationId, runId: run?.id },
    });
    expect(dispatched(world.gh)).toEqual([
      {
        ref: 'main',
        inputs: { version: '1.4.2', environment: 'staging', correlation_id: d.correlationId },
        return_run_details: true,
      },
    ]);
    expect(run?.display_title).toBe(`deploy 1.4.2 to staging [${d.correlationId}]`);
    // No run-list search after the dispatch: GitHub named the run.
    const at = world.gh.calls.findIndex((c) => c.path.endsWith('/dispatches'));
    expect(world.gh.calls.slice(at).filter(isRunList)).toEqual([]);
    // Polling is a minute apart: one read of the returned run, then webhooks alone.
    expect(runReads(world.gh)).toHaveLength(1);
    expect(world.gh.deliveries.filter((x) => x.status === 200).length).toBeGreaterThanOrEqual(2);
    // The timeline (and the dashboard, which reads it) says how the run was found.
    const timeline = await world.app.store.listTransitions(d.id);
    expect(timeline.map((t) => t.reason)).toContain(
      `github-actions: run #1 of deploy.yml succeeded ${RETURNED}`,
    );
    const { card } = await world.chat(done);
    expect(said(card)).toContain(RETURNED);
  });

  it.each([
    ['returned', RETURNED],
    ['ignored', BY_NAME],
  ] as const)(
    'reports a failed run (run details %s) with the failed job and how the run was found, in the thread, and rolls back',
    async (runDetails, how) => {
      world = await startWorld({}, { runDetails });
      const first = await world.waitFinal((await world.deploy('1.0.0')).id);
      expect(first.state).toBe('succeeded');

      world.gh.planNext({
        jobs: [
          { name: 'migrate' },
          { name: 'deploy', conclusion: 'failure', failedStep: 'kubectl apply' },
        ],
      });
      const bad = await world.deploy('2.0.0');
      const done = await world.waitFinal(bad.id);
      const failedRun = world.gh.runs().find((r) => r.run_number === 2);

      expect(done.state).toBe('rolled_back');
      const failure = `run #2 of deploy.yml failed: job "deploy" failed at step "kubectl apply" (${failedRun?.html_url}) ${how}`;
      expect(done.outcome).toBe(`rolled back to 1.0.0 after: ${failure}`);
      expect(dispatched(world.gh).map((b) => [b.inputs.version, b.inputs.correlation_id])).toEqual([
        ['1.0.0', first.correlationId],
        ['2.0.0', bad.correlationId],
        ['1.0.0', `${bad.correlationId}-rollback`],
      ]);
      const { thread } = await world.chat(done);
      expect(thread.map(said).join('\n')).toContain(failure);
    },
  );

  it('recovers a run whose webhooks never arrive by polling it', async () => {
    world = await startWorld({ pollInterval: '200ms' });
    world.gh.planNext({ withholdWebhooks: true, jobs: [{ name: 'deploy', ms: 600 }] });
    const d = await world.deploy('1.5.0');
    const done = await world.waitFinal(d.id);

    expect(done.state).toBe('succeeded');
    expect(world.gh.deliveries).toHaveLength(0);
    expect(runReads(world.gh).length).toBeGreaterThanOrEqual(2);
    expect(done.driverRef).toMatchObject({
      link: { label: 'GitHub run', url: world.gh.runs()[0]?.html_url },
    });
  });

  it('fails without rolling back when the dispatch (answered 204) never starts a run', async () => {
    world = await startWorld({}, { runDetails: 'ignored' });
    await world.waitFinal((await world.deploy('1.0.0')).id);
    world.gh.planNext({ neverStarts: true });
    const d = await world.deploy('1.1.0');
    const done = await world.waitFinal(d.id);

    expect(done.state).toBe('failed');
    expect(done.outcome).toMatch(
      new RegExp(
        `^the workflow was dispatched but no run with correlation id ${d.correlationId} appeared within 1s: `,
      ),
    );
    expect(done.outcome).toContain('run-name');
    // Nothing changed, so nothing was rolled back: two dispatches, no third.
    expect(dispatched(world.gh)).toHaveLength(2);
  });

  it('gets through 5xx and 429 from GitHub by retrying as it is told', async () => {
    world = await startWorld();
    world.gh.inject({ method: 'POST', path: /\/dispatches$/, status: 503 });
    world.gh.inject({
      method: 'GET',
      path: /\/workflows\/deploy\.yml\/runs$/,
      status: 429,
      retryAfter: 1,
    });
    const d = await world.deploy('1.6.0');
    const done = await world.waitFinal(d.id);

    expect(done.state).toBe('succeeded');
    expect(world.gh.unusedFaults()).toEqual([]);
    expect(world.gh.called('POST', /\/dispatches$/).map((c) => c.status)).toEqual([503, 200]);
    expect(world.gh.runs()).toHaveLength(1);
  });
});
