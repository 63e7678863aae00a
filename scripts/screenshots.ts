/**
 * Refreshes docs/screenshots/*.png: the `slipway dev` page in each flow README.md shows.
 *
 *   npm run screenshots        (or: npx tsx scripts/screenshots.ts)
 *
 * Starts `slipway dev` on free ports in a fresh directory holding a copy of examples/ (so
 * ./.slipway/ starts empty), opens the page in Debian's headless Chromium (/usr/bin/chromium,
 * driven over the DevTools protocol; nothing is downloaded), types commands into the composer,
 * clicks buttons as the people of the example config, and writes one PNG per step.
 *
 * Slipway's messages use emoji: without a colour emoji font they show as boxes. On Debian:
 * `apt-get install fonts-noto-color-emoji`. The example config's freeze is made to cover now
 * (production is frozen on weekends in the example) so the refusal and its override show on
 * any day, and the demo deploy script waits 1 s per step so a deploy is seen moving.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserPage, openPage } from '../test/support/chromium.js';
import { NewcomerShell } from '../test/support/newcomer.js';
import { ROOT } from '../test/support/processes.js';

const OUT = join(ROOT, 'docs/screenshots');

/** The page's controls, as a person uses them. */
function pageActions(page: BrowserPage) {
  const js = JSON.stringify;
  return {
    async as(user: string, channel: string) {
      await page.evaluate(`(() => {
        const users = document.getElementById('users');
        users.value = ${js(user)};
        users.dispatchEvent(new Event('change', { bubbles: true }));
      })()`);
      await page.waitFor(`document.querySelector('[data-channel=${js(channel)}]')`);
      await page.evaluate(`document.querySelector('[data-channel=${js(channel)}]').click()`);
    },
    /** Types into the composer key by key and presses Enter. */
    async type(text: string) {
      await page.evaluate(`document.getElementById('text').focus()`);
      await page.send('Input.insertText', { text });
      for (const type of ['keyDown', 'keyUp'])
        await page.send('Input.dispatchKeyEvent', {
          type,
          key: 'Enter',
          code: 'Enter',
          windowsVirtualKeyCode: 13,
          ...(type === 'keyDown' ? { text: '\r' } : {}),
        });
    },
    /** Clicks the last button labelled `label` (the newest message's). */
    async click(label: string) {
      await page.waitFor(
        `[...document.querySelectorAll('button.btn')].some((b) => b.textContent.trim() === ${js(label)})`,
      );
      await page.evaluate(`(() => {
        const buttons = [...document.querySelectorAll('button.btn')].filter((b) => b.textContent.trim() === ${js(label)});
        buttons[buttons.length - 1].click();
      })()`);
    },
    /** Types into the open modal's text field. */
    async fillModal(text: string) {
      await page.waitFor(`document.querySelector('#modal textarea, #modal input')`);
      await page.evaluate(`document.querySelector('#modal textarea, #modal input').focus()`);
      await page.send('Input.insertText', { text });
    },
    async submitModal() {
      await page.evaluate(`document.querySelector('#modal button.primary').click()`);
      await page.waitFor(`!document.querySelector('#modal')`);
    },
    async see(text: string, timeoutMs = 30_000) {
      try {
        await page.waitFor(
          `document.getElementById('messages').innerText.includes(${js(text)})`,
          timeoutMs,
        );
      } catch {
        const shown = await page.evaluate<string>(`document.getElementById('messages').innerText`);
        throw new Error(`the page does not show "${text}"; it shows:\n${shown}`);
      }
    },
    /** The DM channel of the person acting, as the page lists it. */
    async dmChannel(): Promise<string> {
      await page.waitFor(
        `[...document.querySelectorAll('[data-channel]')].some((li) => li.textContent.startsWith('@'))`,
      );
      return page.evaluate<string>(
        `[...document.querySelectorAll('[data-channel]')].find((li) => li.textContent.startsWith('@')).dataset.channel`,
      );
    },
  };
}

async function shoot(page: BrowserPage, name: string): Promise<void> {
  // The page polls once a second: let the newest state render and scroll into view.
  await new Promise((r) => setTimeout(r, 1200));
  writeFileSync(join(OUT, name), await page.screenshot());
  console.log(`docs/screenshots/${name}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const sh = new NewcomerShell();
  let page: BrowserPage | null = null;
  try {
    sh.editConfig((doc) => {
      doc.setIn(['environments', 2, 'freeze', 0, 'cron'], '0 0 * * *');
      doc.setIn(['environments', 2, 'freeze', 0, 'duration'], '48h');
    });
    const dev = sh.background(
      ['dev', '--config', 'examples/slipway.yaml', '--port', '0', '--slack-port', '0'],
      { SLIPWAY_LOG_LEVEL: 'warn' },
    );
    const [, url] = await dev.waitFor(/Local Slack: +(http:\/\/127\.0\.0\.1:\d+)/);
    page = await openPage(`${url}/?user=U0WEB0001&channel=C0WEB`);
    const on = pageActions(page);
    await page.waitFor(`document.querySelector('[data-channel]')`);

    // "type /deploy web 1.2.3 to staging, and watch the deployment's message update in place"
    await on.as('U0WEB0001', 'C0WEB');
    await on.type('/deploy web 1.2.3 to staging');
    await on.see('rolling out');
    await shoot(page, 'deploy-staging-running.png');
    await on.see('web 1.2.3 → staging: deployed');
    await shoot(page, 'deploy-staging-deployed.png');

    // A failure rolls back to what was live (the demo script fails versions with "bad").
    await on.type('/deploy web 1.2.3-bad to staging');
    await on.see('rolled back', 60_000);
    await shoot(page, 'failure-rolled-back.png');

    // A lock keeps others out, with who and why.
    await on.type('/deploy lock staging for 2h db migration');
    await on.see('locked');
    await on.as('U0WEB0002', 'C0WEB');
    await on.type('/deploy web 1.2.4 to staging');
    await on.see('is locked');
    await shoot(page, 'lock.png');
    await on.as('U0WEB0001', 'C0WEB');
    await on.type('/deploy unlock staging');

    // A build on its preview: QA try it, and a rejection asks why before it is recorded.
    await on.type('/deploy web 1.3.0-rc.1 to preview');
    await on.see('web 1.3.0-rc.1 → preview: deployed', 60_000);
    await on.as('U0QA00002', 'C0WEB');
    await on.as('U0QA00002', await on.dmChannel());
    await on.see('try it, then approve or reject it');
    await shoot(page, 'qa-review-dm.png');
    await on.click('Reject');
    await on.fillModal('The login button overlaps the banner on small screens.');
    await shoot(page, 'qa-reject-reason.png');
    await on.submitModal();
    await on.see('The login button overlaps the banner');
    await shoot(page, 'qa-rejected.png');
    await on.as('U0WEB0001', 'C0WEB');

    // Production from #deploys: frozen, the refusal names the override; an owner overrides.
    await on.as('U0WEB0001', 'C0DEPLOYS');
    await on.type('/deploy web 1.2.3 to production');
    await on.see('deploy! web 1.2.3 to production');
    await shoot(page, 'freeze-refused.png');
    await on.type('/deploy deploy! web 1.2.3 to production');
    await on.see('overridden');
    await shoot(page, 'freeze-override.png');
    // The deployment's message is in the service's channel.
    await on.as('U0WEB0001', 'C0WEB');
    await on.see('waiting for approval');
    await shoot(page, 'production-awaiting-approval.png');

    // The approver's DM, and what Approve does.
    await on.as('U0QA00001', 'C0DEPLOYS');
    await on.as('U0QA00001', await on.dmChannel());
    await on.see('Approve');
    await shoot(page, 'approver-dm.png');
    await on.click('Approve');
    await on.see('deployed', 60_000);
    await shoot(page, 'approver-dm-approved.png');
    await on.as('U0WEB0001', 'C0WEB');
    await on.see('web 1.2.3 → production: deployed', 60_000);
    await shoot(page, 'production-deployed.png');
  } finally {
    await page?.close();
    await sh.cleanup();
  }
}

await main();
