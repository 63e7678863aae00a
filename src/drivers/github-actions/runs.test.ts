import { describe, expect, it } from 'vitest';
import { carriesKey, createInbox, createRunBoard, pickRun, runKey } from './runs.js';
import type { WorkflowRun } from './schema.js';
import { makeDeployment } from './test-support/world.js';

function run(id: number, title: string, status = 'queued'): WorkflowRun {
  return {
    id,
    name: 'Deploy',
    display_title: title,
    event: 'workflow_dispatch',
    status,
    conclusion: null,
    html_url: `https://github.com/acme/web/actions/runs/${id}`,
    created_at: '2026-03-01T10:00:00Z',
  };
}

describe('runs of a deployment', () => {
  const d = makeDeployment({ correlationId: 'c0ffee-42' });

  it('has one correlation id per phase', () => {
    expect(runKey(d, 'deploy')).toBe('c0ffee-42');
    expect(runKey(d, 'rollback')).toBe('c0ffee-42-rollback');
  });

  it('finds the id only as a whole word of the run name', () => {
    expect(carriesKey(run(1, 'deploy 1.2 to staging [c0ffee-42]'), 'c0ffee-42')).toBe(true);
    expect(carriesKey(run(1, 'Deploy (c0ffee-42)'), 'c0ffee-42')).toBe(true);
    expect(carriesKey(run(1, 'deploy [c0ffee-42-rollback]'), 'c0ffee-42')).toBe(false);
    expect(carriesKey(run(1, 'deploy [xc0ffee-42]'), 'c0ffee-42')).toBe(false);
    expect(carriesKey({ display_title: null, name: 'Deploy' }, 'c0ffee-42')).toBe(false);
  });

  it('picks the first run when one id was dispatched twice', () => {
    const runs = [run(12, 'deploy [k]'), run(9, 'other'), run(11, 'deploy [k]')];
    expect(pickRun(runs, 'k')?.id).toBe(11);
    expect(pickRun(runs, 'nope')).toBeNull();
  });
});

describe('run board', () => {
  const event = (r: WorkflowRun, repo = 'acme/web') => ({
    action: 'in_progress',
    workflow_run: r,
    repository: { full_name: repo },
  });

  it('wakes the watch of a run by id, and a waiting dispatch by correlation id in its repository', () => {
    const board = createRunBoard();
    const byId: number[] = [];
    const byKey: number[] = [];
    const stopId = board.follow(7, (r) => byId.push(r.id));
    const stopKey = board.discover('Acme/Web', 'k-1', (r) => byKey.push(r.id));
    board.publish(event(run(7, 'x')));
    board.publish(event(run(8, 'deploy [k-1]')));
    board.publish(event(run(9, 'deploy [k-1]'), 'acme/other'));
    stopId();
    stopKey();
    board.publish(event(run(7, 'deploy [k-1]')));
    expect(byId).toEqual([7]);
    expect(byKey).toEqual([8]);
  });

  it('keeps the most advanced news when webhooks arrive out of order', async () => {
    const inbox = createInbox();
    inbox.push(run(1, 't', 'completed'));
    inbox.push(run(1, 't', 'in_progress'));
    expect((await inbox.wait(10, new AbortController().signal))?.status).toBe('completed');
    expect(await inbox.wait(10, new AbortController().signal)).toBeNull();
  });
});
