import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardHarness } from '../../../test/support/dashboard.js';
import { startDashboard } from '../../../test/support/dashboard.js';
import { newDeploymentId } from '../../core/ids.js';
import { deploymentSubject } from '../../core/message-subject.js';
import { newDeployment } from '../../store/test-support/fixtures.js';

/** The form on `page` that posts to `action`: its fields (hidden and given) as posted. */
function formFor(page: string, action: string): Record<string, string> | null {
  const forms = page.match(/<form method="post" action="[^"]*">[\s\S]*?<\/form>/g) ?? [];
  const form = forms.find((f) => f.includes(`action="${action}"`));
  if (!form) return null;
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[m[1] as string] = (m[2] as string).replaceAll('&amp;', '&');
  return fields;
}

function timelineOf(page: string): string {
  return /<ol class="timeline">([\s\S]*?)<\/ol>/.exec(page)?.[1] ?? '';
}

const web = (changes: Record<string, string> = {}) => ({
  actor: 'U-DEV1',
  source: 'chat' as const,
  channel: 'C-WEB',
  kind: 'deploy' as const,
  service: 'web',
  environment: 'staging',
  version: '1.4.2',
  ...changes,
});

describe('the page of one deployment', () => {
  let h: DashboardHarness;
  beforeAll(async () => {
    h = await startDashboard({ ms: 150 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('tells the story of a deployment that went live, with its output, and offers to roll it back', async () => {
    const first = await h.request(web());
    await h.waitFinal(first);
    const id = await h.request(
      web({ version: '1.4.3', reason: 'fixes the <script>alert(1)</script> bug' }),
    );
    const d = await h.waitFinal(id);
    expect(d.state).toBe('succeeded');
    const dev = await h.signIn('U-DEV1');
    const res = await dev.get(`/deployments/${id}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h1>web 1.4.3 → staging <span class="badge ok">succeeded</span></h1>');
    expect(page).toContain(`data-live="deployment:${id}"`);
    expect(page.match(/<h1/g)).toHaveLength(1);
    // Its facts: who, from where, what was live before.
    expect(page).toMatch(/<dt>From<\/dt><dd>chat, in #C-WEB<\/dd>/);
    expect(page).toMatch(/<dt>Previous version<\/dt><dd>1\.4\.2<\/dd>/);
    expect(page).toMatch(
      /<dt>Finished<\/dt><dd><time [^>]+>[^<]+<\/time> \(took a few seconds\)<\/dd>/,
    );
    // A reason is text, never markup.
    expect(page).toContain('fixes the &lt;script&gt;alert(1)&lt;/script&gt; bug');
    expect(page).not.toContain('<script>alert(1)');
    // Every move, in order: the state each one reached.
    const timeline = timelineOf(page);
    const moves = [
      ...timeline.matchAll(/<span class="badge [a-z]+">([a-z ]+)<\/span>(?:<\/li>|<br>)/g),
    ].map((m) => m[1]);
    expect(moves).toEqual(['requested', 'queued', 'running', 'verifying', 'succeeded']);
    expect(timeline).toContain('U-DEV1 asked for it, <span class="badge info">requested</span>');
    // The command driver keeps output: the run's, whole, and no stream once it has ended.
    expect(page).toMatch(
      /<pre id="output" class="output" tabindex="0"[^>]*>\n[\s\S]*web 1\.4\.3 is live in staging/,
    );
    expect(page).not.toContain('data-stream=');
    // Live on its target: it can be rolled back, to the version before it.
    expect(formFor(page, `/deployments/${id}/rollback`)).toMatchObject({
      return: `/deployments/${id}`,
    });
    expect(page).toContain('Roll back to 1.4.2');

    // The first is no longer what is live: nothing to roll back there.
    const older = await (await dev.get(`/deployments/${first}`)).text();
    expect(older).toContain('web 1.4.2 → staging');
    expect(formFor(older, `/deployments/${first}/rollback`)).toBeNull();
  });

  it('shows nobody signed in the same story without a single form that acts', async () => {
    const id = await h.request(web({ version: '1.5.0' }));
    await h.waitFinal(id);
    const page = await (await h.anonymous().get(`/deployments/${id}`)).text();
    expect(page).toContain('web 1.5.0 → staging');
    expect(timelineOf(page)).toContain('succeeded');
    expect(page).not.toMatch(/<form method="post" action="\/deployments\//);
    expect(page).toContain('<a href="/auth/dev">Pick who you are</a> to act on it.');
  });

  it('offers a retry of a deployment that failed, and says why it failed', async () => {
    const id = await h.request(web({ version: '2.0.0-bad' }));
    const d = await h.waitFinal(id);
    expect(['failed', 'rolled_back']).toContain(d.state);
    const page = await (await (await h.signIn('U-DEV1')).get(`/deployments/${id}`)).text();
    expect(formFor(page, `/deployments/${id}/retry`)).not.toBeNull();
    expect(formFor(page, `/deployments/${id}/rollback`)).toBeNull();
    expect(page).toMatch(/<dt>Outcome<\/dt><dd>[^<]+/);
    expect(page).toContain('2.0.0-bad crashed on start');
  });

  it('lets QA approve a production deploy from its page, and shows the verdict', async () => {
    const id = await h.request(web({ environment: 'production', channel: 'C-DEPLOYS' }));
    expect((await h.waitFinal(id)).state).toBe('awaiting_approval');
    const qa = await h.signIn('U-QA1');
    const page = await (await qa.get(`/deployments/${id}`)).text();
    expect(page).toContain('<span class="badge warn">awaiting approval</span>');
    expect(page).toContain('0 approvals of the 1 needed.');
    const form = formFor(page, `/deployments/${id}/approve`);
    expect(form?._csrf).toBe(await qa.csrf());
    expect(page).toContain(`formaction="/deployments/${id}/reject"`);
    expect(formFor(page, `/deployments/${id}/cancel`)).not.toBeNull();

    const res = await qa.post(`/deployments/${id}/approve`, { ...form, reason: 'checked on perf' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/deployments/${id}?done=approve`);
    expect((await h.app.store.getDeployment(id))?.state).not.toBe('awaiting_approval');
    const after = await (await qa.get(`/deployments/${id}?done=approve`)).text();
    expect(after).toContain(
      '<div class="notice ok" role="status">Your approval is recorded.</div>',
    );
    expect(after).toContain('1 approval of the 1 needed.');
    expect(after).toMatch(
      /U-QA1 <strong>approved<\/strong>[^<]*<time[^>]*>[^<]*<\/time>: checked on perf/,
    );
    expect(timelineOf(after)).toMatch(/U-QA1 <strong>approved<\/strong>/);
    expect(formFor(after, `/deployments/${id}/approve`)).toBeNull();
    await h.waitFinal(id);
  }, 20_000);

  it('refuses a forged form token with 403 and changes nothing', async () => {
    const id = await h.request(
      web({ environment: 'production', channel: 'C-DEPLOYS', version: '1.6.0' }),
    );
    expect((await h.waitFinal(id)).state).toBe('awaiting_approval');
    const qa = await h.signIn('U-QA1');
    const res = await qa.post(`/deployments/${id}/approve`, {
      _csrf: 'forged',
      return: `/deployments/${id}`,
    });
    expect(res.status).toBe(403);
    expect((await h.app.store.getDeployment(id))?.state).toBe('awaiting_approval');
    expect(await h.app.store.listApprovals(id)).toEqual([]);

    // Whoever asked may not approve their own: refused by policy, and the page's story says so.
    const dev = await h.signIn('U-DEV1');
    const own = await dev.post(`/deployments/${id}/approve`, { return: `/deployments/${id}` });
    expect(own.status).toBe(403);
    expect(await h.app.store.listApprovals(id)).toEqual([]);
    const page = await (await dev.get(`/deployments/${id}`)).text();
    expect(timelineOf(page)).toMatch(
      /U-DEV1 asked to approve \(dashboard\), <strong>refused<\/strong>: /,
    );
    const cancel = formFor(page, `/deployments/${id}/cancel`);
    expect((await dev.post(`/deployments/${id}/cancel`, { ...cancel })).status).toBe(303);
    expect((await h.app.store.getDeployment(id))?.state).toBe('cancelled');
  });

  it('answers 404 for an id it does not know, pointing to the history', async () => {
    const res = await (await h.signIn('U-DEV1')).get('/deployments/d-nope');
    expect(res.status).toBe(404);
    const page = await res.text();
    expect(page).toContain('<h1>No such deployment</h1>');
    expect(page).toContain('<code>d-nope</code>');
    expect(page).toContain('href="/history?q=d-nope"');
  });
});

describe('the page of a deployment still going out', () => {
  let h: DashboardHarness;
  beforeAll(async () => {
    h = await startDashboard({ ms: 4_000 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('streams its output while it runs and offers to stop it', async () => {
    const id = await h.request(web());
    const dev = await h.signIn('U-DEV1');
    let page = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      page = await (await dev.get(`/deployments/${id}`)).text();
      if (page.includes('ready 1 of 3')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(page).toContain(`data-stream="/deployments/${id}/output"`);
    expect(page).toMatch(/<pre id="output"[^>]*data-length="(\d+)"/);
    expect(page).toContain('Stop and roll back');
    expect(formFor(page, `/deployments/${id}/cancel`)).not.toBeNull();
    // The fragment the page's script asks for is <main> alone, with the same story.
    const fragment = await (
      await dev.get(`/deployments/${id}`, { 'x-slipway-fragment': 'main' })
    ).text();
    expect(fragment.startsWith('<p class="small"><a href="/history">History</a></p>')).toBe(true);
    expect(fragment).toContain('<pre id="output"');
    await h.waitFinal(id);
  }, 20_000);
});

describe('the page of a canary, as the engine stored it', () => {
  let h: DashboardHarness;
  beforeAll(async () => {
    // Nothing runs: the rows are written as the engine would have left them mid-canary.
    h = await startDashboard({ start: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows its step, weight, pause, last metrics, who steered it, and where else to read it', async () => {
    const { store } = h.app;
    const at = new Date(Date.now() - 60_000);
    const { deployment } = await store.createDeployment(
      newDeployment({
        id: newDeploymentId(),
        version: '1.5.0',
        previousVersion: '1.4.2',
        channel: 'C-WEB',
        traceParent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      }),
      'running',
      { actor: 'U-DEV1', at },
    );
    const id = deployment.id;
    const canary = {
      step: 3,
      steps: 6,
      weight: 25,
      waitingSince: at.toISOString(),
      analysis: {
        version: 1,
        checks: 2,
        passes: 1,
        failures: 0,
        inconclusives: 1,
        consecutiveErrors: 0,
        status: 'running',
        reason: null,
        cause: null,
      },
      last: {
        verdict: 'pass',
        message: 'every metric passed',
        at: at.toISOString(),
        metrics: [{ name: 'success-rate', value: 0.99123, threshold: '>= 0.95', verdict: 'pass' }],
      },
      paused: { by: 'U-QA1', asked: false, reason: 'paused by U-QA1' },
      seen: [],
      nextAt: null,
      promoting: false,
    };
    await store.patchDeployment(id, {
      progress: 'canary paused at 25% by U-QA1',
      driverRef: {
        canary,
        url: 'javascript:alert(1)',
        link: { label: 'GitHub run', url: 'https://github.com/acme/web/actions/runs/1' },
      },
    });
    await store.addCanarySignal({ deploymentId: id, action: 'pause', actor: 'U-QA1', at });
    for (const [purpose, address] of [
      ['main', 'C-WEB'],
      ['approver:U-QA1', 'dm:U-QA1'],
    ] as const) {
      const key = { subject: deploymentSubject(id), purpose, address };
      await store.reservePostedMessage({ ...key, channel: address });
      await store.completePostedMessage({ ...key, channel: address, ts: '1700000000.000100' });
    }

    const page = await (await (await h.signIn('U-DEV1')).get(`/deployments/${id}`)).text();
    expect(page).toContain('<h2 id="canary-h">Canary</h2>');
    expect(page).toContain('25% of traffic to 1.5.0, step 4 of 6.');
    expect(page).toContain('Paused by U-QA1: it holds 25% until someone resumes it.');
    expect(page).toContain(
      'Checks so far: 2 (1 passed, 0 failed, 1 inconclusive, 0 errors in a row).',
    );
    expect(page).toMatch(
      /<th scope="row" data-label="Metric">success-rate<\/th><td data-label="Value">0\.991<\/td><td data-label="Threshold">&gt;= 0\.95<\/td><td data-label="Verdict">pass<\/td>/,
    );
    expect(page).toMatch(/<li>U-QA1 paused it · <time/);
    expect(page).toContain('<strong>Now:</strong> canary paused at 25% by U-QA1');
    // Paused: it can be resumed, promoted or aborted, not paused again.
    expect(formFor(page, `/deployments/${id}/resume`)).not.toBeNull();
    expect(formFor(page, `/deployments/${id}/promote-canary`)).not.toBeNull();
    expect(formFor(page, `/deployments/${id}/pause`)).toBeNull();
    expect(page).toContain('Abort the canary');
    // Links: the card (Slack gives none here), the trace by id, the driver's run; never javascript:.
    expect(page).toContain(
      '<li>Chat message in #C-WEB <span class="small muted">(the chat platform gives no link)</span></li>',
    );
    expect(page).not.toContain('dm:U-QA1');
    expect(page).toContain('Trace 4bf92f3577b34da6a3ce929d0e0e4736');
    expect(page).toContain('<a href="https://github.com/acme/web/actions/runs/1">GitHub run</a>');
    expect(page).not.toContain('javascript:');
    // Running, with no run output yet: an empty output the stream fills.
    expect(page).toContain(`data-length="0" data-stream="/deployments/${id}/output"`);
  });
});
