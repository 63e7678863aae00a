import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardHarness, startDashboard } from '../../../test/support/dashboard.js';

/** The overview's matrix after real deployments, a rollback, a lock and a change behind Slipway's back. */

let h: DashboardHarness;
beforeAll(async () => {
  h = await startDashboard({ ms: 150 });
});
afterAll(() => h.close());

const deploy = (service: string, environment: string, version: string) =>
  h.request({
    actor: 'U-DEV1',
    source: 'chat',
    channel: environment === 'production' ? 'C-DEPLOYS' : 'C-WEB',
    kind: 'deploy',
    service,
    environment,
    version,
  });

/** The matrix cell of `service` in `environment`, as text without tags. */
function cell(page: string, service: string, environment: string): string {
  const row =
    new RegExp(`<tr><th scope="row">${service}</th>(.*?)</tr>`, 's').exec(page)?.[1] ?? '';
  const td = new RegExp(`<td data-label="${environment}">(.*?)</td>`, 's').exec(row)?.[1] ?? '';
  return td
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the overview', () => {
  it('shows what is live, rolled back, waiting and locked, per target', async () => {
    await h.waitFinal(await deploy('web', 'staging', '1.4.1'));
    await h.waitFinal(await deploy('web', 'staging', '1.4.2'));
    const second = (await h.app.engine.history({ service: 'web', limit: 1 }))[0];
    expect(second?.version).toBe('1.4.2');
    // Rolled back by hand: 1.4.1 is live again.
    const back = await h.app.engine.rollBack({
      actor: 'U-DEV1',
      source: 'chat',
      channel: 'C-WEB',
      deploymentId: second?.id ?? '',
    });
    if (!back.ok) throw new Error(back.reason);
    expect((await h.waitFinal(back.deployment.id)).state).toBe('succeeded');
    await h.waitFinal(await deploy('api', 'staging', '2.0.0'));
    // Production waits for QA's approval.
    const waiting = await deploy('web', 'production', '1.4.1');
    expect((await h.waitFinal(waiting)).state).toBe('awaiting_approval');
    const locked = await h.app.engine.lock({
      actor: 'U-DEV2',
      source: 'chat',
      channel: 'C-DEPLOYS',
      service: 'api',
      environment: 'production',
      reason: 'db migration <tonight>',
      durationMs: null,
      force: false,
    });
    expect(locked.ok).toBe(true);

    const page = await (await h.anonymous().get('/')).text();
    expect(cell(page, 'web', 'staging')).toMatch(/^1\.4\.1 since .* by U-DEV1$/);
    expect(cell(page, 'api', 'staging')).toMatch(/^2\.0\.0 since/);
    expect(cell(page, 'web', 'production')).toBe(
      'nothing deployed yet awaiting approval 1.4.1 by U-DEV1',
    );
    expect(cell(page, 'api', 'production')).toContain(
      'locked by U-DEV2: db migration &lt;tonight&gt;',
    );
    expect(cell(page, 'api', 'perf')).toBe('not deployed here');
    // The frozen environment says so in its heading, with the freeze's reason.
    expect(page).toMatch(/frozen<\/span> <span class="small">release freeze, until/);
    expect(page).toContain('<strong>1</strong> awaiting approval');
    expect(page).toContain('<strong>1</strong> target locked');
    expect(page).toContain('data-live="all"');
  });

  it('shows drift once the target runs something Slipway did not deploy', async () => {
    await h.waitFinal(await deploy('web', 'perf', '1.5.0'));
    // Someone changes the target by hand after Slipway deployed it.
    writeFileSync(join(h.stateDir, 'web-perf.version'), '1.5.0-hotfix');
    const cellNow = async () => cell(await (await h.anonymous().get('/')).text(), 'web', 'perf');
    // The page never waits on a driver: the first look starts a reading in the background,
    // a later one shows it.
    await expect
      .poll(cellNow, { timeout: 10_000, interval: 200 })
      .toContain('drift The target runs 1.5.0-hotfix; Slipway last deployed 1.5.0 there.');
    // Where the target agrees with the record, nothing is said.
    expect(cell(await (await h.anonymous().get('/')).text(), 'web', 'staging')).not.toContain(
      'drift',
    );
  });

  it('answers only this machine when nobody can sign in, and only <main> for the live script', async () => {
    const fragment = await h.anonymous().get('/', { 'x-slipway-fragment': 'main' });
    expect(fragment.headers.get('x-slipway-fragment')).toBe('main');
    const text = await fragment.text();
    expect(text.startsWith('<h1>What is live where</h1>')).toBe(true);
    expect(text).not.toContain('<html');
    const other = await h.anonymous().get('/', { 'x-forwarded-for': '203.0.113.9' });
    expect(other.status).toBe(403);
  });
});
