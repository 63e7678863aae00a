import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_CHAT_LIMITS } from '../chat/slack/client.js';
import { Config } from '../config/schema.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { computeDora } from './compute.js';
import { type DigestReports, digestReports, digestView } from './digest.js';
import { weekBefore, weekOf } from './digest-week.js';
import { seed } from './test-support/story.js';
import type { DoraDeployment } from './types.js';

const binding = { driver: 'command', options: { deploy: ['true'] } };
/** The story's services: web and api, whose production is the last of staging → production. */
const config = Config.parse({
  environments: [
    { name: 'staging', order: 1 },
    { name: 'production', order: 2 },
  ],
  services: [
    { name: 'web', driver: binding },
    { name: 'api', driver: binding },
  ],
});
const options = { timezone: 'UTC', limits: SLACK_CHAT_LIMITS };

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

/** The story (test-support/story.ts) in a store, and the digest of the week holding `day`. */
async function storyDigest(day: string): Promise<DigestReports> {
  store = createStore(':memory:');
  await store.migrate();
  await seed(store);
  const week = weekOf(new Date(`${day}T12:00:00Z`), 'UTC');
  const reports = await digestReports(store, config, { week, previous: weekBefore(week, 'UTC') });
  if (typeof reports === 'string') throw new Error(reports);
  return reports;
}

function lines(body: string | undefined): string[] {
  return (body ?? '').split('\n');
}

describe('the DORA digest of the story', () => {
  /**
   * 2025-W11 (10–16 March) had no deployment in production. The week before, W10 (3–9 March),
   * web had 4 changes: 1.0.0 (live 4 March, no commit or build: lead time unmeasured), 1.1.0
   * (lead 4h from its commit), 1.2.0 (a canary rolled back; failed from its alert at 10:05,
   * restored by its rollback at 10:30: 25m) and 1.3.0 (lead 3h from its build; an alert at
   * 13:00, restored when the rollback went live at 14:00: 1h). So 3 deploys, lead time median
   * (3h + 4h) / 2 = 3h30m, 2 of 4 failed (50%), time to restore median (25m + 60m) / 2 = 42m30s.
   */
  it('a quiet week after a busy one: fewer deploys, and nothing measured, said so', async () => {
    const view = digestView(await storyDigest('2025-03-12'), options);
    expect(view.title).toBe('DORA metrics for 2025-W11');
    expect(lines(view.body)).toEqual([
      'Monday 10 March to Sunday 16 March 2025 (UTC), each service in production (its protected environments, else the last it deploys to), compared with the week before.',
      '*web* in production: 0 deploys (↓ 3 fewer than the week before); lead time not measured (3h30m the week before); change failure rate not measured (50% the week before); time to restore not measured (nothing failed; 42m30s the week before)',
      '*api* in production: 0 deploys (as many as the week before); lead time not measured; change failure rate not measured (no changes); time to restore not measured (nothing failed)',
    ]);
    expect(view.fields).toEqual([
      { label: 'Deploys', value: '0 deploys (↓ 3 fewer than the week before)' },
      { label: 'Lead time', value: 'not measured' },
      { label: 'Change failure rate', value: 'not measured (50% the week before)' },
      {
        label: 'Time to restore',
        value: 'not measured (nothing failed; 42m30s the week before)',
      },
    ]);
    // No public URL: no button to a page that cannot be reached.
    expect(view.links).toBeUndefined();
  });

  /**
   * 2025-W12 (17–23 March): web redeployed 1.3.0 on the 18th (a deploy, but no new change's
   * lead time; 1.6.0 was still running at the week's end, 1.7.0 never started). api's 2.0.0
   * failed on the 20th and nothing went live after it. In all: 1 deploy, 1 of 2 changes failed.
   */
  it('a week after a quiet one: more deploys, a failure not restored', async () => {
    const view = digestView(await storyDigest('2025-03-19'), {
      ...options,
      publicUrl: 'https://slipway.example.com',
    });
    expect(view.title).toBe('DORA metrics for 2025-W12');
    expect(lines(view.body).slice(1)).toEqual([
      '*web* in production: 1 deploy (↑ 1 more than the week before); lead time not measured; change failure rate 0% (0 of 1; no changes the week before); time to restore not measured (nothing failed)',
      "*api* in production: 0 deploys (as many as the week before); lead time not measured; change failure rate 100% (1 of 1; no changes the week before); time to restore not measured, 1 failure not restored by the week's end",
    ]);
    expect(view.fields).toEqual([
      { label: 'Deploys', value: '1 deploy (↑ 1 more than the week before)' },
      { label: 'Lead time', value: 'not measured' },
      { label: 'Change failure rate', value: '50% (1 of 2; no changes the week before)' },
      { label: 'Time to restore', value: "not measured, 1 failure not restored by the week's end" },
    ]);
    expect(view.links).toEqual([
      { label: 'Open the DORA page', url: 'https://slipway.example.com/dora' },
    ]);
  });
});

const HOUR = 3_600_000;

/** web went live `n` times, each change `leadHours` after its commit; the last one failed. */
function week(
  since: Date,
  leadHours: number[],
  failed: { afterHours: number; restoreHours: number } | null,
) {
  const deployments: DoraDeployment[] = leadHours.map((lead, i) => {
    const live = new Date(since.getTime() + (i + 1) * 10 * HOUR);
    return {
      id: `${since.toISOString()}-${i}`,
      service: 'web',
      environment: 'production',
      version: `${since.getTime()}.${i}`,
      kind: 'deploy',
      state: 'succeeded',
      requestedAt: new Date(live.getTime() - HOUR),
      startedAt: new Date(live.getTime() - HOUR),
      finishedAt: live,
      failedAt: null,
      committedAt: new Date(live.getTime() - lead * HOUR),
      reportedAt: null,
      liveBefore: false,
    };
  });
  const last = deployments[deployments.length - 1] as DoraDeployment;
  const firedAt = new Date((last.finishedAt as Date).getTime() + (failed?.afterHours ?? 0) * HOUR);
  return computeDora({
    window: { since, until: new Date(since.getTime() + 7 * 24 * HOUR) },
    targets: [{ service: 'web', environment: 'production' }],
    deployments,
    alerts: failed
      ? [
          {
            deploymentId: last.id,
            firedAt,
            resolvedAt: new Date(firedAt.getTime() + failed.restoreHours * HOUR),
          },
        ]
      : [],
  });
}

describe('the digest compares each figure in words', () => {
  const w12 = weekOf(new Date('2025-03-19T00:00:00Z'), 'UTC');
  const w11 = weekBefore(w12, 'UTC');

  it('faster, slower, up and down', () => {
    // The week before: 2 deploys, lead times 5h and 7h (median 6h), the second failed, 2h to restore.
    const previous = week(w11.since, [5, 7], { afterHours: 1, restoreHours: 2 });
    // This week: 3 deploys, lead 1h, 2h, 3h (median 2h), the last failed and took 3h to restore.
    const current = week(w12.since, [1, 2, 3], { afterHours: 1, restoreHours: 3 });
    const view = digestView({ week: w12, current, previous }, options);
    expect(lines(view.body)[1]).toBe(
      '*web* in production: 3 deploys (↑ 1 more than the week before); lead time 2h (↓ 4h faster than the week before); change failure rate 33% (1 of 3; ↓ down from 50% the week before); time to restore 3h (↑ 1h slower than the week before)',
    );
    expect(view.fields?.[1]).toEqual({ label: 'Lead time', value: '2h (web)' });
    const back = digestView({ week: w12, current: previous, previous: current }, options);
    expect(lines(back.body)[1]).toBe(
      '*web* in production: 2 deploys (↓ 1 fewer than the week before); lead time 6h (↑ 4h slower than the week before); change failure rate 50% (1 of 2; ↑ up from 33% the week before); time to restore 2h (↓ 1h faster than the week before)',
    );
  });

  it('lists as many services as the message holds, and says where the rest are', () => {
    const current = week(w12.since, [1], null);
    const many = {
      ...current,
      targets: Array.from({ length: 40 }, (_, i) => ({
        ...(current.targets[0] as (typeof current.targets)[number]),
        service: `service-${i}`,
      })),
    };
    const view = digestView(
      { week: w12, current: many, previous: many },
      { ...options, publicUrl: 'https://slipway.example.com' },
    );
    const body = lines(view.body);
    expect((view.body ?? '').length).toBeLessThanOrEqual(SLACK_CHAT_LIMITS.messageText);
    const shown = body.filter((l) => l.startsWith('*service-')).length;
    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(40);
    expect(body[body.length - 1]).toBe(
      `…and ${40 - shown} more services: see them on the DORA page.`,
    );
  });
});
