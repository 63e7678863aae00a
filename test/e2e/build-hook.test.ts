import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/deployment.js';
import {
  buildBody,
  type HookAnswer,
  type HookServer,
  startHookServer,
} from '../../src/webhooks/build/test-support/hook-server.js';
import { readRuns } from '../support/engine-harness.js';

/**
 * CI → POST /hooks/build → engine → the command driver running test/fixtures/fake-deploy.mjs,
 * over a real HTTP server and SQLite. What ran is read from the runs the fake deploy records.
 */
let s: HookServer | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

const NOT_FINAL = [
  'requested',
  'awaiting_approval',
  'queued',
  'running',
  'verifying',
  'rolling_back',
] as const;

function ids(answer: HookAnswer): string[] {
  return (answer.body.deployments as { id: string }[]).map((d) => d.id);
}

function live(server: HookServer, service: string, environment: string): string {
  return readFileSync(join(server.stateDir, `${service}-${environment}.version`), 'utf8').trim();
}

async function waitFinal(server: HookServer, id: string): Promise<Deployment> {
  const signal = AbortSignal.timeout(20_000);
  const d = await server.app.engine.waitFor(id, signal, 50);
  if (signal.aborted) throw new Error(`${id} still ${d.state} after 20 s`);
  return d;
}

/** Waits until nothing is left to run (or fails after a minute, saying what is still open). */
async function settle(server: HookServer): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await server.app.store.listDeployments({ states: [...NOT_FINAL], limit: 5 });
    if (open.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`still open: ${open.map((d) => `${d.id} ${d.state}`).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('build hook end to end', () => {
  it('deploys a branch build to preview and a tag build to staging, as the rules say', async () => {
    s = await startHookServer({ start: true });
    const branch = await s.post(
      buildBody({
        service: 'web',
        image: 'registry.test/web:3f2a9c1',
        type: 'branch',
        target: 'feature/checkout/v2',
        commit: '3f2a9c1d',
        url: 'https://ci.test/runs/1',
      }),
    );
    expect(branch.status).toBe(202);
    const [previewId] = ids(branch);
    const preview = await waitFinal(s, previewId ?? '');
    expect(preview).toMatchObject({
      environment: 'preview',
      state: 'succeeded',
      version: '3f2a9c1',
      ref: { type: 'branch', name: 'feature/checkout/v2' },
      requestedBy: 'ci',
      reason: 'build 3f2a9c1d from https://ci.test/runs/1',
    });
    expect(live(s, 'web', 'preview')).toBe('3f2a9c1');

    const tag = await s.post(
      buildBody({
        project: 'web',
        image: 'registry.test/web:v1.2.0',
        type: 'tag',
        target: 'v1.2.0',
      }),
    );
    expect(tag.status).toBe(202);
    const [stagingId] = ids(tag);
    expect(await waitFinal(s, stagingId ?? '')).toMatchObject({
      environment: 'staging',
      state: 'succeeded',
      version: 'v1.2.0',
    });
    expect(live(s, 'web', 'staging')).toBe('v1.2.0');
    // Each build ran once, where its rule sent it, and nowhere else.
    const starts = readRuns(s.stateDir).filter((r) => r.startsWith('start'));
    expect(starts.map((r) => r.split(' ').slice(1, 6).join(' '))).toEqual([
      `${previewId} deploy web preview 3f2a9c1`,
      `${stagingId} deploy web staging v1.2.0`,
    ]);
  });

  it('takes 500 signed builds at once: records each, queues per target, loses none', async () => {
    // One service, so the runs stay few (each is a real process) while the requests race: four
    // feature branches to preview and tags to staging, every body different.
    s = await startHookServer({ start: true, services: ['shop'] });
    const server = s;
    const builds = Array.from({ length: 500 }, (_, n) => {
      const tag = n % 5 === 4;
      return buildBody({
        service: 'shop',
        image: `registry.test/shop:b${n}`,
        type: tag ? 'tag' : 'branch',
        target: tag ? `v1.0.${n}` : `feature/part-${n % 4}`,
        commit: (0xabc0000 + n).toString(16),
      });
    });
    const answers = await Promise.all(builds.map((body) => server.post(body)));
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const accepted = answers.flatMap(ids);
    expect(new Set(accepted).size).toBe(500);

    await settle(server);
    const recorded = await server.app.store.listDeployments({ service: 'shop', limit: 500 });
    expect(recorded).toHaveLength(500);
    expect(new Set(recorded.map((d) => d.id))).toEqual(new Set(accepted));
    expect(recorded.filter((d) => d.environment === 'preview')).toHaveLength(400);
    expect(recorded.filter((d) => !['succeeded', 'superseded'].includes(d.state))).toEqual([]);

    const runs = readRuns(server.stateDir);
    expect(runs.filter((r) => r.startsWith('fail'))).toEqual([]);
    const byId = new Map(recorded.map((d) => [d.id, d]));
    const spans = runSpans(runs);
    for (const d of recorded) {
      const ran = spans.get(d.id) ?? [];
      if (d.state === 'superseded') {
        // Superseded before it started, by a newer build for the same target.
        expect(ran).toEqual([]);
        const by = byId.get(/superseded by (\S+)/.exec(d.outcome ?? '')?.[1] ?? '');
        expect(by && [by.service, by.environment]).toEqual([d.service, d.environment]);
        expect(by && newer(by, d)).toBe(true);
      } else {
        expect(ran).toHaveLength(1);
      }
    }

    for (const environment of ['preview', 'staging']) {
      const target = recorded.filter((d) => d.environment === environment);
      // Never two runs at once on one target: each starts after the previous one ended.
      const ordered = target
        .flatMap((d) => spans.get(d.id) ?? [])
        .sort((a, b) => a.start - b.start);
      expect(ordered.length).toBeGreaterThan(0);
      for (let i = 1; i < ordered.length; i++) {
        expect(ordered[i]?.start).toBeGreaterThanOrEqual(ordered[i - 1]?.end ?? Number.NaN);
      }
      // The newest build of a target is never superseded; what is live is the last to finish.
      const newest = target.reduce((a, b) => (newer(b, a) ? b : a));
      expect(newest.state).toBe('succeeded');
      const last = target
        .filter((d) => d.state === 'succeeded')
        .reduce((a, b) =>
          (b.finishedAt?.getTime() ?? 0) > (a.finishedAt?.getTime() ?? 0) ? b : a,
        );
      expect(live(server, 'shop', environment)).toBe(last.version);
    }
  }, 120_000);
});

/**
 * Each run of the fake deploy as [start, end], per deployment id, from its `start <id> … <started>`
 * and `done <id> <started> <ended>` lines; a run that never said done ends at NaN.
 */
function runSpans(runs: string[]): Map<string, { start: number; end: number }[]> {
  const spans = new Map<string, { start: number; end: number }[]>();
  for (const line of runs) {
    const words = line.split(' ');
    const [kind, id] = words;
    if (kind !== 'start' || !id) continue;
    spans.set(id, [...(spans.get(id) ?? []), { start: Number(words.at(-1)), end: Number.NaN }]);
  }
  for (const line of runs) {
    const [kind, id, started, ended] = line.split(' ');
    const span = spans.get(id ?? '')?.find((s) => s.start === Number(started));
    if (kind === 'done' && span) span.end = Number(ended);
  }
  return spans;
}

/** The order the engine supersedes in: later request first, then the larger id. */
function newer(a: Deployment, b: Deployment): boolean {
  const at = a.createdAt.getTime() - b.createdAt.getTime();
  return at > 0 || (at === 0 && a.id > b.id);
}
