import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  type DashboardHarness,
  startDashboard,
} from '../../../test/support/dashboard.js';
import { webRequest } from '../../../test/support/engine-harness.js';
import type { DeployRequest } from '../../engine/index.js';

/**
 * The inbox of each person in the scenario (test/support/engine-harness.ts): production waits
 * for one approval from @qa (U-QA1, U-QA2), web's owner is U-DEV1, perf reviews builds.
 */

let h: DashboardHarness;
beforeAll(async () => {
  h = await startDashboard({ ms: 150 });
});
afterAll(() => h.close());

const deploy = (changes: Partial<DeployRequest>) =>
  h.request(webRequest({ version: '1.0.0', ...changes }));

async function inboxOf(browser: Browser, path = '/inbox'): Promise<string> {
  const res = await browser.get(path);
  expect(res.status).toBe(200);
  return res.text();
}

/** The form posting to `action`, as its fields, or null when the page has none. */
function formFor(page: string, action: string): Record<string, string> | null {
  for (const m of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    if (attr(m[1] ?? '', 'action') !== action) continue;
    const fields: Record<string, string> = {};
    for (const input of (m[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const name = attr(input[1] ?? '', 'name');
      if (name) fields[name] = attr(input[1] ?? '', 'value') ?? '';
    }
    return fields;
  }
  return null;
}

function attr(tag: string, name: string): string | null {
  const value = new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
  return value === undefined ? null : value.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
}

const path = (id: string, action: string) => `/deployments/${id}/${action}`;

describe('the inbox', () => {
  it('offers a production deploy to the approvers, not its requester, and approving clears it', async () => {
    const id = await deploy({ channel: 'C-DEPLOYS', environment: 'production', version: '2.0.0' });
    expect((await h.waitFinal(id)).state).toBe('awaiting_approval');

    const qa2 = await h.signIn('U-QA2');
    const theirs = await inboxOf(qa2);
    expect(theirs).toContain('<h2 id="inbox-approvals">Approvals (1)</h2>');
    expect(theirs).toContain(`href="/deployments/${id}"`);
    expect(theirs).toContain('0 of 1');
    const approve = formFor(theirs, path(id, 'approve'));
    expect(approve).toMatchObject({ return: '/inbox', reason: '' });
    expect(theirs).toContain(`formaction="${path(id, 'reject')}"`);
    expect(theirs).toMatch(/<label for="reason-[^"]+">Reason/);

    // The requester may not approve their own deployment, but may cancel it.
    const requester = await inboxOf(await h.signIn('U-DEV1'));
    expect(formFor(requester, path(id, 'approve'))).toBeNull();
    expect(requester).toContain('<h2 id="inbox-approvals">Approvals (0)</h2>');
    expect(requester).toContain('<h2 id="inbox-moving">Your deployments in progress (1)</h2>');
    expect(formFor(requester, path(id, 'cancel'))).toMatchObject({ return: '/inbox' });

    // Someone outside @qa gets nothing to approve, and has nothing of their own waiting.
    const other = await inboxOf(await h.signIn('U-DEV2'));
    expect(formFor(other, path(id, 'approve'))).toBeNull();
    expect(other).toContain('No deployment waits for your approval.');
    expect(other).toContain('Nothing waits for you.');

    const res = await qa2.post(path(id, 'approve'), { ...approve, reason: 'looks right' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/inbox?done=approve');
    expect((await h.app.store.getDeployment(id))?.state).not.toBe('awaiting_approval');
    const after = await inboxOf(qa2, '/inbox?done=approve');
    expect(after).toContain(
      '<div class="notice ok" role="status">Your approval is recorded.</div>',
    );
    expect(formFor(after, path(id, 'approve'))).toBeNull();
    expect(after).toContain('<h2 id="inbox-approvals">Approvals (0)</h2>');
    await h.waitFinal(id);
  });

  it('asks QA for a verdict on a build on perf, then lets its owner promote it', async () => {
    const id = await deploy({ environment: 'perf', version: '3.0.0' });
    expect((await h.waitFinal(id)).state).toBe('succeeded');

    const qa1 = await h.signIn('U-QA1');
    const theirs = await inboxOf(qa1);
    expect(theirs).toContain('<h2 id="inbox-reviews">Reviews (1)</h2>');
    expect(theirs).toContain('(next: production)');
    const verdict = formFor(theirs, path(id, 'qa-approve'));
    expect(verdict).toMatchObject({ return: '/inbox' });
    expect(theirs).toContain(`formaction="${path(id, 'qa-reject')}"`);
    // QA do not own web: no promotion from them.
    expect(formFor(theirs, path(id, 'promote'))).toBeNull();

    // The owner deployed it: no verdict of their own, and no promotion before QA approves.
    const owner = await h.signIn('U-DEV1');
    const before = await inboxOf(owner);
    expect(formFor(before, path(id, 'qa-approve'))).toBeNull();
    expect(formFor(before, path(id, 'promote'))).toBeNull();
    expect(formFor(before, path(id, 'close-review'))).not.toBeNull();
    expect(before).toContain('QA has not approved 3.0.0 yet');

    expect(await inboxOf(await h.signIn('U-DEV2'))).toContain(
      '<h2 id="inbox-reviews">Reviews (0)</h2>',
    );

    const res = await qa1.post(path(id, 'qa-approve'), { ...verdict });
    expect(res.headers.get('location')).toBe('/inbox?done=qa-approve');
    expect(formFor(await inboxOf(qa1), path(id, 'qa-approve'))).toBeNull();

    const now = await inboxOf(owner);
    expect(formFor(now, path(id, 'promote'))).not.toBeNull();
    expect(now).toContain('approved by U-QA1');
  });

  it('lists a failed deployment of mine with Retry until it is retried', async () => {
    const id = await deploy({
      actor: 'U-DEV2',
      channel: 'C-API',
      service: 'api',
      version: '1.0.0-bad',
    });
    expect(['failed', 'rolled_back']).toContain((await h.waitFinal(id)).state);
    const dev2 = await h.signIn('U-DEV2');
    const page = await inboxOf(dev2);
    expect(page).toMatch(/Your deployments that failed in the last 7 days \(1\)/);
    const retry = formFor(page, path(id, 'retry'));
    expect(retry).not.toBeNull();

    const res = await dev2.post(path(id, 'retry'), { ...retry });
    expect(res.headers.get('location')).toBe('/inbox?done=retry');
    // Once retried, the failure is followed up: only the retry's own outcome may wait now.
    expect(formFor(await inboxOf(dev2), path(id, 'retry'))).toBeNull();
  });

  it('tells someone not signed in how to, and offers no buttons', async () => {
    const page = await inboxOf(h.anonymous());
    expect(page).toContain('<h1>Inbox</h1>');
    expect(page).toContain('href="/auth/dev?return=%2Finbox"');
    expect(page).not.toContain('<button');
    expect(page).not.toContain('<form');

    const local = await startDashboard({ devLogin: false, start: false });
    try {
      const text = await inboxOf(local.anonymous());
      expect(text).toContain('SLIPWAY_OIDC_ISSUER');
      expect(text).not.toContain('<button');
    } finally {
      await local.close();
    }
  });
});
