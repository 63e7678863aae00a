import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devUsers } from '../../src/cli/dev.js';
import { loadConfig } from '../../src/config/load.js';
import { configuredPeople } from '../../src/config/people.js';
import type { Background, Run } from '../support/newcomer.js';
import { NewcomerShell, readmeShellLines, shellWords } from '../support/newcomer.js';
import { ROOT } from '../support/processes.js';

/**
 * A newcomer's first hour, scripted: README.md's commands in the order it gives them, on a
 * fresh machine (an empty `./.slipway/`), through the real executable. Every suggestion
 * Slipway prints is typed back as printed and must work. The steps share one session, so they
 * run in order and each builds on the one before.
 *
 * The example freezes production on weekends (Berlin time); the session's copy freezes it
 * always, so the freeze refusal and its override are checked on any day. The demo deploy
 * script sleeps DEMO_DELAY seconds per step; the copy sets 0.
 */
const sh = new NewcomerShell();
let server: Background | null = null;

beforeAll(() => {
  sh.editConfig((doc) => {
    doc.setIn(['environments', 2, 'freeze', 0, 'cron'], '0 0 * * *');
    // 48 h from every midnight: covers any moment, 23- and 25-hour days included.
    doc.setIn(['environments', 2, 'freeze', 0, 'duration'], '48h');
    doc.setIn(['services', 0, 'driver', 'options', 'env', 'DEMO_DELAY'], '0');
  });
});
afterAll(() => sh.cleanup());

/** `npx slipway …` lines → argv after `slipway`; other lines are checked by the caller. */
function slipwayArgs(line: string): string[] {
  const words = shellWords(line);
  expect(words.slice(0, 2), line).toEqual(['npx', 'slipway']);
  return words.slice(2);
}

function ok(run: Run, what: string): Run {
  expect({ what, code: run.code, stderr: run.stderr }).toEqual({ what, code: 0, stderr: '' });
  return run;
}

function refused(run: Run, code: number, what: string): string {
  expect({ what, code: run.code }).toEqual({ what, code });
  expect(run.stderr).not.toContain('    at ');
  return run.stdout + run.stderr;
}

/** The text between the backticks after "Did you mean", as Slipway prints it. */
function suggestion(text: string): string {
  const m = /Did you mean `([^`]+)`\?/.exec(text);
  if (!m?.[1]) throw new Error(`no suggestion in:\n${text}`);
  return m[1];
}

describe('the first hour with Slipway, as README.md tells it', () => {
  it('starts like `npm start`: the banner says where it serves and what is off', async () => {
    // `npm start` runs `node bin/slipway.js serve --config examples/slipway.yaml`; PORT=0
    // picks a free port, and pretty logs are what a terminal shows.
    server = sh.background(['serve', '--config', 'examples/slipway.yaml'], {
      PORT: '0',
      SLIPWAY_LOG_FORMAT: 'pretty',
    });
    const [, url] = await server.waitFor(/Slipway is serving on (http:\/\/localhost:\d+)/);
    await server.waitFor(/always +\/healthz, \/readyz, \/metrics/);
    const banner = server.output();
    expect(banner).toContain(`config     ${join(sh.dir, 'examples/slipway.yaml')}`);
    expect(banner).toContain(`database   ${join(sh.dir, '.slipway/slipway.db')} (SQLite)`);
    expect(banner).toContain('drivers    command (web, api)');
    expect(banner).toMatch(/Slack +off +set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
    expect(banner).toMatch(/\/hooks\/build +off +set SLIPWAY_WEBHOOK_SECRET/);
    expect(banner).not.toMatch(/^\{"level"/m);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const slack = await fetch(`${url}/slack/events`, { method: 'POST', body: 'x' });
    expect(slack.status).toBe(503);
    expect(await slack.text()).toContain('SLACK_SIGNING_SECRET');
  }, 40_000);

  it('runs "Trying it from a terminal" line by line, the server running', async () => {
    const all = readmeShellLines('Trying it from a terminal');
    // The second terminal's Node: this test already runs on the one scripts/node.sh gives.
    expect(all[0]).toBe('source scripts/node.sh');
    const lines = all.slice(1);
    expect(lines[0]).toBe('export SLIPWAY_CONFIG=examples/slipway.yaml');
    sh.env.SLIPWAY_CONFIG = 'examples/slipway.yaml';
    const commands = lines.slice(1).map(slipwayArgs);
    expect(commands.map((argv) => argv[0])).toEqual([
      'deploy',
      'deploy',
      'history',
      'status',
      'lock',
      'unlock',
      'rollback',
    ]);
    const [first, second, history, status, lock, unlock, rollback] = commands as string[][];

    const deployed = ok(await sh.slipway(first as string[]), 'first deploy').stdout;
    expect(deployed).toContain('web 1.2.2 → staging');
    expect(deployed).toMatch(/d-\w+: succeeded: 1\.2\.2 is live and healthy/);
    // Its run record and the demo's "live" file are in the fresh ./.slipway/.
    expect(existsSync(join(sh.dir, '.slipway/demo/web-staging.version'))).toBe(true);

    const again = ok(await sh.slipway(second as string[]), 'second deploy').stdout;
    expect(again).toMatch(/succeeded: 1\.2\.3 is live and healthy/);

    const table = ok(await sh.slipway(history as string[]), 'history').stdout;
    expect(table.split('\n')[0]).toMatch(/^ID +WHEN +SERVICE +VERSION +ENV +STATE +BY +OUTCOME$/);
    expect(table).toMatch(/web +1\.2\.3 +staging +succeeded +operator/);
    expect(table).toMatch(/web +1\.2\.2 +staging +succeeded +operator/);

    const now = ok(await sh.slipway(status as string[]), 'status').stdout;
    expect(now).toMatch(/web +staging +1\.2\.3 \(/);
    expect(now).toMatch(/web +production +- /);

    const locked = ok(await sh.slipway(lock as string[]), 'lock').stdout;
    expect(locked).toMatch(/^Locked: staging is locked by operator \("db migration"\)/);
    expect(ok(await sh.slipway(['status']), 'status while locked').stdout).toMatch(
      /web +staging +1\.2\.3 .*operator/,
    );
    expect(ok(await sh.slipway(unlock as string[]), 'unlock').stdout).toBe('Unlocked staging.\n');

    const back = ok(await sh.slipway(rollback as string[]), 'rollback').stdout;
    expect(back).toMatch(/web 1\.2\.2 → staging/);
    expect(back).toMatch(/succeeded: 1\.2\.2 is live and healthy/);
  }, 60_000);

  it('types back the suggestion for a mistyped service, option and version', async () => {
    const wbe = refused(await sh.slipway(['deploy', 'wbe', '1.2.4', '--to', 'staging']), 2, 'wbe');
    expect(wbe).toContain('Unknown service "wbe". Did you mean `web`?');
    const name = suggestion(wbe);
    ok(await sh.slipway(['deploy', name, '1.2.4', '--to', 'staging']), 'the suggested service');

    const env = refused(
      await sh.slipway(['deploy', 'web', '1.2.5', '--env', 'staging']),
      2,
      '--env',
    );
    const option = /Unknown option --env\. Did you mean (--\w+)\?/.exec(env)?.[1];
    expect(option).toBe('--to');
    const typed = ok(
      await sh.slipway(['deploy', 'web', '1.2.5', option as string, 'staging']),
      'the suggested option',
    );
    expect(typed.stdout).toMatch(/web 1\.2\.5 → staging/);

    const spaced = refused(
      await sh.slipway(['deploy', 'web', '1.2 .6', '--to', 'staging']),
      2,
      'spaced',
    );
    const line = suggestion(spaced);
    expect(line).toBe('deploy web 1.2.6 to staging');
    const fixed = ok(await sh.slipway(shellWords(line)), 'the suggested command').stdout;
    expect(fixed).toMatch(/succeeded: 1\.2\.6 is live and healthy/);
  }, 60_000);

  it('refuses a redeploy and a rollback to a version never live, and --force goes ahead', async () => {
    const redeploy = refused(
      await sh.slipway(['deploy', 'web', '1.2.6', '--to', 'staging']),
      1,
      'redeploy',
    );
    expect(redeploy).toContain('web 1.2.6 is already live in staging');
    expect(redeploy).toContain('Add --force to deploy 1.2.6 again');
    ok(
      await sh.slipway(['deploy', 'web', '1.2.6', '--to', 'staging', '--force']),
      'redeploy --force',
    );

    const never = ['rollback', 'web', '--in', 'staging', '--version', '9.9.9'];
    const refusal = refused(await sh.slipway(never), 1, 'rollback to 9.9.9');
    expect(refusal).toContain('web 9.9.9 was never live in staging (1.2.6 is live there now)');
    const lookup = /name a version that was live: slipway (.+)$/m.exec(refusal)?.[1];
    expect(lookup).toBe('history web --in staging');
    const history = ok(await sh.slipway(shellWords(lookup as string)), 'the suggested history');
    expect(history.stdout).toMatch(/web +1\.2\.2 +staging +succeeded/);
    const forced = ok(await sh.slipway([...never, '--force']), 'rollback --force').stdout;
    expect(forced).toMatch(/succeeded: 9\.9\.9 is live and healthy/);
  }, 60_000);

  it('refuses production during the freeze and the suggested override works for the operator', async () => {
    const frozen = refused(
      await sh.slipway(['deploy', 'web', '1.2.7', '--to', 'production']),
      1,
      'frozen',
    );
    expect(frozen).toMatch(/^Refused: production is frozen until .* \(weekend\)\./);
    const override = /override the freeze with (.+?)\.?$/m.exec(frozen)?.[1];
    expect(override).toBe('deploy! web 1.2.7 to production');
    const run = ok(await sh.slipway(shellWords(override as string)), 'the suggested override');
    expect(run.stdout).toContain('web 1.2.7 → production (awaiting approval: needs 1 approval)');
    expect(run.stdout).toContain('Freeze "weekend" overridden by operator');
    // The README's words for it: --force, as chat's deploy!.
    const forced = ok(
      await sh.slipway(['deploy', 'web', '1.2.8', '--to', 'production', '--force']),
      '--force',
    );
    expect(forced.stdout).toContain('(awaiting approval: needs 1 approval)');
    expect(ok(await sh.slipway(['status', 'web']), 'status').stdout).toMatch(
      /web +production +- +- +1\.2\.8 awaiting_approval/,
    );
  }, 60_000);

  it('shows a failure by its cause, rolls back, and `slipway logs` prints the run', async () => {
    const bad = await sh.slipway(['deploy', 'web', '1.2.3-bad', '--to', 'staging']);
    expect(bad.code).toBe(1);
    const out = bad.stdout + bad.stderr;
    expect(out).toContain('health check failed: web 1.2.3-bad answers 500 on /healthz');
    expect(out).toMatch(/rolled_back/);
    const id = /(d-\w+): /.exec(out)?.[1] as string;
    expect(ok(await sh.slipway(['status', 'web']), 'status').stdout).toMatch(
      /web +staging +9\.9\.9 /,
    );
    const logs = ok(await sh.slipway(['logs', id]), 'logs').stdout;
    expect(logs).toContain(`.slipway/runs/${id}-deploy/output.log`);
    expect(logs).toContain('rolling out: 3 of 3 replicas updated');
    const table = ok(
      await sh.slipway(['history', 'web', '--in', 'staging', '1']),
      'history',
    ).stdout;
    expect(table.trim().split('\n')).toHaveLength(2);
  }, 60_000);

  it('hands a --no-wait deploy to the running server', async () => {
    const queued = ok(
      await sh.slipway(['deploy', 'web', '1.3.0', '--to', 'staging', '--no-wait']),
      '--no-wait',
    );
    expect(queued.stdout).toMatch(/web 1\.3\.0 → staging \(queued\)/);
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await sh.slipway(['status', 'web'])).stdout;
      if (/web +staging +1\.3\.0 /.test(status)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(status).toMatch(/web +staging +1\.3\.0 /);
  }, 30_000);

  it('checks the config and prints the Slack manifests', async () => {
    // Independent of each other: run side by side, the executable takes a second to start.
    const [check, http, socket, neither] = await Promise.all([
      sh.slipway(['config', 'check']),
      sh.slipway(['slack', 'manifest', '--url', 'https://slipway.example.com']),
      sh.slipway(['slack', 'manifest', '--socket']),
      sh.slipway(['slack', 'manifest']),
    ]);
    expect(ok(check as Run, 'config check').stdout).toContain('examples/slipway.yaml');
    expect(ok(http as Run, 'manifest --url').stdout).toContain(
      'https://slipway.example.com/slack/events',
    );
    expect(ok(socket as Run, 'manifest --socket').stdout).toMatch(/socket_mode_enabled"?: true/);
    expect(refused(neither as Run, 2, 'manifest alone')).toContain('--url');
  }, 30_000);

  it('answers --help for every command the README names, and a mistyped command', async () => {
    const commands = [
      ['serve'],
      ['dev'],
      ['deploy'],
      ['history'],
      ['status'],
      ['lock'],
      ['unlock'],
      ['rollback'],
      ['config', 'check'],
      ['config', 'schema'],
      ['db', 'migrate'],
      ['slack', 'manifest'],
      ['approve'],
      ['reject'],
      ['cancel'],
      ['retry'],
      ['logs'],
    ];
    const runs = await Promise.all(commands.map((words) => sh.slipway([...words, '--help'])));
    commands.forEach((words, i) => {
      const run = runs[i] as Run;
      ok(run, `${words.join(' ')} --help`);
      expect(run.stdout).toMatch(new RegExp(`^Usage: slipway ${words.join(' ')}`));
      expect(run.stdout).toContain('Example');
    });
    const overview = ok(await sh.slipway(['--help']), '--help');
    for (const words of commands) expect(overview.stdout).toContain(`  ${words.join(' ')} `);

    const typo = refused(await sh.slipway(['stauts']), 2, 'stauts');
    const command = /Did you mean "slipway ([^"]+)"\?/.exec(typo)?.[1];
    expect(command).toBe('status');
    ok(await sh.slipway([command as string]), 'the suggested command');
  }, 60_000);

  it('stops the server, then `slipway dev` on the same directory: the page deploys, suggestions typed back', async () => {
    // The README: stop `npm start` first, both use the database in ./.slipway/.
    if (server) expect(await server.stop()).toBe(0);
    const mistyped = refused(await sh.slipway(['dev', '--prot', '0']), 2, 'dev --prot');
    expect(mistyped).toContain('Unknown option --prot. Did you mean --port?');
    const [line] = readmeShellLines('Trying it in Slack without a workspace');
    const argv = slipwayArgs(line as string);
    expect(argv).toEqual(['dev', '--config', 'examples/slipway.yaml']);
    // Free ports instead of 3000 and 3001, which the machine running the tests may use.
    const dev = sh.background([...argv, '--port', '0', '--slack-port', '0'], {
      SLIPWAY_LOG_FORMAT: 'pretty',
    });
    const [, page] = await dev.waitFor(/Local Slack: +(http:\/\/127\.0\.0\.1:\d+)/);
    await dev.waitFor(/Slack +on/);
    const chat = localSlack(page as string);

    // "type /deploy web 1.2.3 to staging, and watch the deployment's message update in place"
    await chat.type('U0WEB0001', 'C0WEB', '/deploy web 1.4.0 to staging');
    await chat.shows('U0WEB0001', 'web 1.4.0 → staging: deployed');

    const wbe = await chat.type('U0WEB0001', 'C0WEB', '/deploy wbe 1.4.1 to staging');
    expect(wbe).toContain('Did you mean `web`?');
    await chat.type('U0WEB0001', 'C0WEB', `/deploy ${suggestion(wbe)} 1.4.1 to staging`);
    await chat.shows('U0WEB0001', 'web 1.4.1 → staging: deployed');

    // Someone else's lock: the refusal names who may lift it and how; an admin types it.
    await chat.type('U0WEB0001', 'C0WEB', '/deploy lock staging for 1h db migration');
    const locked = await chat.type('U0WEB0002', 'C0WEB', '/deploy web 1.4.2 to staging');
    const unlock = /an admin can remove it with (\S+ staging)/.exec(locked)?.[1];
    expect(unlock).toBe('unlock! staging');
    await chat.type('U0ADMIN01', 'C0WEB', `/deploy ${unlock}`);
    await chat.type('U0WEB0002', 'C0WEB', '/deploy web 1.4.2 to staging');
    await chat.shows('U0WEB0002', 'web 1.4.2 → staging: deployed');

    // The freeze in chat, and the README's override typed as it gives it.
    const frozen = await chat.type('U0WEB0001', 'C0DEPLOYS', '/deploy web 1.2.4 to production');
    const override = /override the freeze with (deploy! \S+ \S+ to production)/.exec(frozen)?.[1];
    expect(override).toBe('deploy! web 1.2.4 to production');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`a freeze override is typed \`/deploy ${override}\``);
    await chat.type('U0WEB0001', 'C0DEPLOYS', `/deploy ${override}`);
    await chat.shows('U0WEB0001', 'web 1.2.4 → production: waiting for approval');
    expect(await dev.stop()).toBe(0);

    // The same database: the page's deploys are in the terminal's history.
    const history = ok(
      await sh.slipway(['history', 'web', '3', '--config', 'examples/slipway.yaml']),
      'history',
    );
    // The CLI names people as Slack does (the local Slack's made-up names), not by id.
    const people = await devPeople();
    expect(history.stdout).toMatch(
      new RegExp(`web +1\\.2\\.4 +production +awaiting_approval +${people.get('U0WEB0001')}`),
    );
    expect(history.stdout).toMatch(
      new RegExp(`web +1\\.4\\.2 +staging +succeeded +${people.get('U0WEB0002')}`),
    );
    expect(history.stdout).not.toContain('U0WEB000');
  }, 90_000);
});

/** The `slipway dev` page's own endpoints: what its composer posts and what it polls. */
function localSlack(url: string) {
  const state = async (user: string) => (await fetch(`${url}/_state?user=${user}`)).text();
  return {
    /** Sends a command as `user` in `channel`; resolves with what the page then shows them new. */
    async type(user: string, channel: string, text: string): Promise<string> {
      const before = await state(user);
      const sent = await fetch(`${url}/_page/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, channel, text }),
      });
      expect(sent.status, text).toBe(200);
      const deadline = Date.now() + 10_000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        after = await state(user);
      }
      const answer = JSON.stringify(await sent.json());
      return `${answer}\n${after}`;
    },
    async shows(user: string, text: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      let shown = '';
      while (Date.now() < deadline && !shown.includes(text)) {
        shown = await state(user);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(shown).toContain(text);
    },
  };
}

/** The names `slipway dev` gives the example config's people, by id. */
async function devPeople(): Promise<Map<string, string>> {
  const loaded = await loadConfig(join(ROOT, 'examples/slipway.yaml'));
  if (!loaded.ok) throw new Error(`examples/slipway.yaml: ${loaded.errors[0]?.message}`);
  return new Map(devUsers(configuredPeople(loaded.config)).map((u) => [u.id, u.name]));
}
