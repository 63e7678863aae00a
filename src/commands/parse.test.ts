import { describe, expect, it } from 'vitest';
import { formatCommand } from './format.js';
import { parseCommand, parseSlashDeploy } from './parse.js';
import type { Command, CommandName, GrammarContext } from './types.js';
import { OVERVIEW, USAGE, usageFor } from './usage.js';

const ctx: GrammarContext = {
  services: ['web', 'api', 'payments-api', 'worker'],
  environments: ['staging', 'production', 'dev', 'qa'],
};

function deploy(fields: Partial<Extract<Command, { kind: 'deploy' }>>): Command {
  return {
    kind: 'deploy',
    service: 'web',
    version: null,
    environment: null,
    force: false,
    reason: null,
    ...fields,
  };
}
function rollback(fields: Partial<Extract<Command, { kind: 'rollback' }>>): Command {
  return {
    kind: 'rollback',
    service: 'web',
    environment: null,
    version: null,
    reason: null,
    ...fields,
  };
}
function lock(fields: Partial<Extract<Command, { kind: 'lock' }>>): Command {
  return {
    kind: 'lock',
    environment: 'production',
    service: null,
    durationMs: null,
    reason: null,
    force: false,
    ...fields,
  };
}

const H = 3_600_000;
const M = 60_000;

describe('parseCommand: every form', () => {
  it.each<[string, Command]>([
    // deploy
    ['deploy web', deploy({})],
    ['deploy web 1.4.2', deploy({ version: '1.4.2' })],
    ['deploy web 1.4.2 to staging', deploy({ version: '1.4.2', environment: 'staging' })],
    ['deploy web to staging', deploy({ environment: 'staging' })],
    ['deploy web to staging 1.4.2', deploy({ version: '1.4.2', environment: 'staging' })],
    ['deploy web@1.4.2', deploy({ version: '1.4.2' })],
    ['deploy web@1.4.2 to production', deploy({ version: '1.4.2', environment: 'production' })],
    [
      'deploy web release/2024-05 to dev',
      deploy({ version: 'release/2024-05', environment: 'dev' }),
    ],
    [
      'deploy! web 1.4.3 to production',
      deploy({ version: '1.4.3', environment: 'production', force: true }),
    ],
    [
      'deploy! web 1.4.3 to production -- hotfix for INC-42',
      deploy({
        version: '1.4.3',
        environment: 'production',
        force: true,
        reason: 'hotfix for INC-42',
      }),
    ],
    ['deploy web -- because -- why not', deploy({ reason: 'because -- why not' })],
    ['deploy web 1.4.2 --', deploy({ version: '1.4.2' })],
    ['deploy web `to`', deploy({ version: 'to' })],
    ['deploy web `staging` to staging', deploy({ version: 'staging', environment: 'staging' })],
    // rollback
    ['rollback web', rollback({})],
    ['rollback web in production', rollback({ environment: 'production' })],
    ['rollback web to 1.4.1', rollback({ version: '1.4.1' })],
    [
      'rollback web in production to 1.4.1',
      rollback({ environment: 'production', version: '1.4.1' }),
    ],
    [
      'rollback web to 1.4.1 in production',
      rollback({ environment: 'production', version: '1.4.1' }),
    ],
    [
      'rollback web in staging -- error rate doubled',
      rollback({ environment: 'staging', reason: 'error rate doubled' }),
    ],
    // lock
    ['lock production', lock({})],
    ['lock production web', lock({ service: 'web' })],
    ['lock production for 2h', lock({ durationMs: 2 * H })],
    ['lock production web for 30m', lock({ service: 'web', durationMs: 30 * M })],
    ['lock production for 30m web', lock({ service: 'web', durationMs: 30 * M })],
    ['lock production for 1h30m', lock({ durationMs: 90 * M })],
    ['lock production for 1h 30m', lock({ durationMs: 90 * M })],
    ['lock production for 2 hours', lock({ durationMs: 2 * H })],
    ['lock production for 90mins', lock({ durationMs: 90 * M })],
    ['lock production for 1 day', lock({ durationMs: 24 * H })],
    [
      'lock production for 2h database migration',
      lock({ durationMs: 2 * H, reason: 'database migration' }),
    ],
    ['lock production database migration', lock({ reason: 'database migration' })],
    ['lock production -- for the demo', lock({ reason: 'for the demo' })],
    ['lock production -- 2h', lock({ reason: '2h' })],
    [
      'lock production web migration -- see INC-7',
      lock({ service: 'web', reason: 'migration -- see INC-7' }),
    ],
    ['lock! production web', lock({ service: 'web', force: true })],
    // unlock
    [
      'unlock production',
      { kind: 'unlock', environment: 'production', service: null, force: false },
    ],
    [
      'unlock production web',
      { kind: 'unlock', environment: 'production', service: 'web', force: false },
    ],
    ['unlock! staging', { kind: 'unlock', environment: 'staging', service: null, force: true }],
    // status, history, help
    ['status', { kind: 'status', service: null }],
    ['status web', { kind: 'status', service: 'web' }],
    ['history web', { kind: 'history', service: 'web', environment: null, limit: 10 }],
    ['history web 20', { kind: 'history', service: 'web', environment: null, limit: 20 }],
    [
      'history web in staging',
      { kind: 'history', service: 'web', environment: 'staging', limit: 10 },
    ],
    [
      'history web in staging 1',
      { kind: 'history', service: 'web', environment: 'staging', limit: 1 },
    ],
    [
      'history web 100 in staging',
      { kind: 'history', service: 'web', environment: 'staging', limit: 100 },
    ],
    ['help', { kind: 'help', topic: null }],
    ['help lock', { kind: 'help', topic: 'lock' }],
    ['help deploy!', { kind: 'help', topic: 'deploy' }],
    ['', { kind: 'help', topic: null }],
  ])('%j', (text, command) => {
    expect(parseCommand(text, ctx)).toEqual({ ok: true, command });
  });
});

describe('parseCommand: casing, spacing and Slack artifacts', () => {
  const expected = deploy({ version: '1.4.2', environment: 'staging' });
  it.each([
    'DEPLOY WEB 1.4.2 TO STAGING',
    'Deploy Web 1.4.2 To Staging',
    '   deploy \t web   1.4.2 \n to   staging  ',
    '<@U024BE7LH> deploy web 1.4.2 to staging',
    '<@U024BE7LH>: deploy web 1.4.2 to staging',
    '<@U024BE7LH|slipway>, deploy web 1.4.2 to staging',
    '*deploy* web 1.4.2 to staging',
    '*deploy web 1.4.2 to staging*',
    '`deploy web 1.4.2 to staging`',
    '```deploy web 1.4.2 to staging```',
    'deploy `web` `1.4.2` to `staging`',
    'deploy web “1.4.2” to ‘staging’',
    'deploy web "1.4.2" to \'staging\'',
    'deploy _web_ 1.4.2 to _staging_',
    '_deploy web 1.4.2 to staging_',
    'deploy ~web~ 1.4.2 to staging',
    'deploy web 1.4.2 to staging.',
    'deploy web\u200b 1.4.2 to staging',
    'deploy\u00a0web 1.4.2 to staging',
    'deploy web@`1.4.2` to staging',
    '/deploy web 1.4.2 to staging',
  ])('%j', (text) => {
    expect(parseCommand(text, ctx)).toEqual({ ok: true, command: expected });
  });

  it('keeps the case of versions, which are case-sensitive refs', () => {
    expect(parseCommand('DEPLOY WEB Feature/ABC-1', ctx)).toEqual({
      ok: true,
      command: deploy({ version: 'Feature/ABC-1' }),
    });
  });

  it('returns names as configured, whatever the case typed', () => {
    const mixed = { services: ['Web'], environments: ['Staging'] };
    expect(parseCommand('deploy WEB to STAGING', mixed)).toMatchObject({
      ok: true,
      command: { service: 'Web', environment: 'Staging' },
    });
  });

  it.each([
    ['an em dash for "--" (macOS smart dashes)', 'deploy web 1.4.2 \u2014 hotfix', 'hotfix'],
    ['an en dash', 'deploy web 1.4.2 \u2013 hotfix', 'hotfix'],
    ["Slack's escaping", 'deploy web 1.4.2 -- fix &lt;div&gt; &amp; css', 'fix <div> & css'],
    ['escaping undone once only', 'deploy web -- write &amp;lt; literally', 'write &lt; literally'],
    ['whitespace and line breaks', 'deploy web --   two\n\nlines\t here ', 'two lines here'],
    ['control characters', 'deploy web -- bell\u0007 here', 'bell here'],
    ['smart quotes', 'deploy web -- “the” fix', '"the" fix'],
    [
      'mentions and links as sent',
      'deploy web -- ask <@U1> see <https://x.io/1|INC-1>',
      'ask <@U1> see <https://x.io/1|INC-1>',
    ],
  ])('reason: %s', (_, text, reason) => {
    expect(parseCommand(text, ctx)).toMatchObject({ ok: true, command: { reason } });
  });

  it('reads a service that Slack turned into a link', () => {
    const dotted = { services: ['api.io'], environments: ['dev'] };
    expect(parseCommand('status <http://api.io|api.io>', dotted)).toEqual({
      ok: true,
      command: { kind: 'status', service: 'api.io' },
    });
  });
});

describe('parseSlashDeploy', () => {
  it.each<[string, Command]>([
    ['web 1.4.2 to staging', deploy({ version: '1.4.2', environment: 'staging' })],
    ['web@1.4.2', deploy({ version: '1.4.2' })],
    ['web -- why', deploy({ reason: 'why' })],
    ['deploy web 1.4.2', deploy({ version: '1.4.2' })],
    [
      'deploy! web 1.4.3 to production',
      deploy({ version: '1.4.3', environment: 'production', force: true }),
    ],
    ['rollback web', rollback({})],
    ['ROLLBACK web in production', rollback({ environment: 'production' })],
    ['lock production for 1h', lock({ durationMs: H })],
    ['lock! production', lock({ force: true })],
    [
      'unlock production',
      { kind: 'unlock', environment: 'production', service: null, force: false },
    ],
    ['status', { kind: 'status', service: null }],
    ['history web', { kind: 'history', service: 'web', environment: null, limit: 10 }],
    ['help', { kind: 'help', topic: null }],
    ['', { kind: 'help', topic: null }],
  ])('/deploy %s', (text, command) => {
    expect(parseSlashDeploy(text, ctx)).toEqual({ ok: true, command });
  });

  it('lets a verb win over a service of the same name', () => {
    const clash = { services: ['status', 'web'], environments: ['dev'] };
    expect(parseSlashDeploy('status', clash)).toEqual({
      ok: true,
      command: { kind: 'status', service: null },
    });
    expect(parseSlashDeploy('deploy status', clash)).toMatchObject({
      ok: true,
      command: { service: 'status' },
    });
  });

  it.each([
    ['rollbak web', 'Unknown command "rollbak".', 'Did you mean `rollback web`?'],
    ['stats', 'Unknown command "stats".', 'Did you mean `status`?'],
    ['wbe 1.4.2', 'Unknown service "wbe".', 'Did you mean `web`?'],
    [
      'staging web',
      '"staging" is an environment, not a service.',
      'Did you mean `deploy web to staging`?',
    ],
  ])('/deploy %s → %s', (text, error, suggestion) => {
    expect(parseSlashDeploy(text, ctx)).toMatchObject({ ok: false, error, suggestion });
  });
});

type ErrorCase = [
  text: string,
  error: string,
  suggestion: string | null,
  usage: CommandName | null,
];

describe('parseCommand: errors', () => {
  it.each<ErrorCase>([
    // unknown verbs: overview, with the verb or the whole command suggested
    [
      'delpoy web 1.4.2 to staging',
      'Unknown command "delpoy".',
      'Did you mean `deploy web 1.4.2 to staging`?',
      null,
    ],
    ['delpoy wbe', 'Unknown command "delpoy".', 'Did you mean `deploy`?', null],
    ['stauts', 'Unknown command "stauts".', 'Did you mean `status`?', null],
    ['lcok! production', 'Unknown command "lcok!".', 'Did you mean `lock! production`?', null],
    [
      'web 1.4.2 to staging',
      'Unknown command "web".',
      'Did you mean `deploy web 1.4.2 to staging`?',
      null,
    ],
    ['frobnicate', 'Unknown command "frobnicate".', null, null],
    ['-- just a reason', 'Missing command before " -- ".', null, null],
    // "!" and reasons where they mean nothing
    [
      'status! web',
      'status has no "!" form; only deploy!, lock! and unlock! do.',
      'Did you mean `status web`?',
      'status',
    ],
    [
      'rollback! web',
      'rollback has no "!" form; only deploy!, lock! and unlock! do.',
      'Did you mean `rollback web`?',
      'rollback',
    ],
    [
      'unlock production -- done',
      'unlock does not take a reason after " -- ".',
      'Did you mean `unlock production`?',
      'unlock',
    ],
    [
      'history web -- x',
      'history does not take a reason after " -- ".',
      'Did you mean `history web`?',
      'history',
    ],
    // deploy
    [
      'deploy',
      'Missing service: say which service to deploy, as in "deploy web 1.4.2 to staging".',
      null,
      'deploy',
    ],
    [
      'deploy to staging',
      'Missing service: say which service to deploy, as in "deploy web 1.4.2 to staging".',
      null,
      'deploy',
    ],
    ['deploy wbe 1.4.2', 'Unknown service "wbe".', 'Did you mean `web`?', 'deploy'],
    [
      'deploy payments 1.4.2',
      'Unknown service "payments".',
      'Did you mean `payments-api`?',
      'deploy',
    ],
    ['deploy zzz', 'Unknown service "zzz".', null, 'deploy'],
    [
      'deploy staging web 1.4.2',
      '"staging" is an environment, not a service.',
      'Did you mean `deploy web 1.4.2 to staging`?',
      'deploy',
    ],
    [
      'deploy web staging',
      '"staging" is an environment: write "to staging" to deploy there.',
      'Did you mean `deploy web to staging`?',
      'deploy',
    ],
    [
      'deploy web 1.4.2 staging',
      '"staging" is an environment: write "to staging" to deploy there.',
      'Did you mean `deploy web 1.4.2 to staging`?',
      'deploy',
    ],
    [
      'deploy web 1.4.2 in staging',
      'Write "to staging", not "in staging", to deploy there.',
      'Did you mean `deploy web 1.4.2 to staging`?',
      'deploy',
    ],
    [
      'deploy web 1.4.2 on prod',
      'Write "to prod", not "on prod", to deploy there.',
      null,
      'deploy',
    ],
    [
      'deploy web 1.4.2 to prod',
      'Unknown environment "prod".',
      'Did you mean `production`?',
      'deploy',
    ],
    [
      'deploy web 1.4.2 to prodution',
      'Unknown environment "prodution".',
      'Did you mean `production`?',
      'deploy',
    ],
    ['deploy web 1.4.2 to web', '"web" is a service, not an environment.', null, 'deploy'],
    ['deploy web to', 'Missing environment after "to".', null, 'deploy'],
    [
      'deploy web to staging to dev',
      'Deploy to one environment at a time: "to" appears twice.',
      null,
      'deploy',
    ],
    [
      'deploy web to staging dev',
      'Deploy to one environment at a time: "dev" is a second one.',
      null,
      'deploy',
    ],
    [
      'deploy web 1.4.2 1.4.3',
      'Deploy one version at a time: "1.4.3" is a second one.',
      null,
      'deploy',
    ],
    [
      'deploy web 1.4.2 to staging hotfix for INC-1',
      'Unexpected "hotfix": to give a reason, put it after " -- ".',
      'Did you mean `deploy web 1.4.2 to staging -- hotfix for INC-1`?',
      'deploy',
    ],
    ['deploy @1.4.2', 'Missing service before "@" in "@1.4.2".', null, 'deploy'],
    ['deploy web@', 'Missing version after "web@".', null, 'deploy'],
    ['deploy wbe@1.4.2', 'Unknown service "wbe".', 'Did you mean `web`?', 'deploy'],
    [
      'deploy web 1.2.3;rm -rf /',
      'Version "1.2.3;rm" contains ";", which is not allowed: a version is an image tag or git ref made of letters, digits and . _ - / +.',
      null,
      'deploy',
    ],
    [
      'deploy web@$(id)',
      'Version "$(id)" contains "$", which is not allowed: a version is an image tag or git ref made of letters, digits and . _ - / +.',
      null,
      'deploy',
    ],
    [
      'deploy web ../../etc/passwd',
      'Version "../../etc/passwd" contains "..", which is not allowed.',
      null,
      'deploy',
    ],
    [
      'deploy web --upload-pack=x',
      'Version "--upload-pack=x" starts with "-", which a command would read as an option.',
      null,
      'deploy',
    ],
    [
      'deploy web &lt;script&gt;',
      'Version "<script>" contains "<", which is not allowed: a version is an image tag or git ref made of letters, digits and . _ - / +.',
      null,
      'deploy',
    ],
    [
      'deploy web 1.4.2\u0000',
      'Version "1.4.2U+0000" contains a control character (U+0000, such as a line break), which is not allowed.',
      null,
      'deploy',
    ],
    [
      `deploy web -- ${'x'.repeat(501)}`,
      'The reason is 501 characters long; the limit is 500.',
      null,
      'deploy',
    ],
    // rollback
    [
      'rollback',
      'Missing service: say which service to roll back, as in "rollback web in production".',
      null,
      'rollback',
    ],
    ['rollback wbe', 'Unknown service "wbe".', 'Did you mean `web`?', 'rollback'],
    [
      'rollback web to staging',
      '"staging" is an environment: write "in staging" to roll back there.',
      'Did you mean `rollback web in staging`?',
      'rollback',
    ],
    [
      'rollback web staging',
      '"staging" is an environment: write "in staging" to roll back there.',
      'Did you mean `rollback web in staging`?',
      'rollback',
    ],
    [
      'rollback web 1.4.1',
      'Write "to 1.4.1" to roll back to that version.',
      'Did you mean `rollback web to 1.4.1`?',
      'rollback',
    ],
    [
      'rollback web@1.4.1',
      'Write "to <version>" to roll back to a version, as in "rollback web to 1.4.1".',
      'Did you mean `rollback web to 1.4.1`?',
      'rollback',
    ],
    ['rollback web in', 'Missing environment after "in".', null, 'rollback'],
    ['rollback web to', 'Missing version after "to".', null, 'rollback'],
    [
      'rollback web in qa in dev',
      'Roll back one environment at a time: "in" appears twice.',
      null,
      'rollback',
    ],
    [
      'rollback web in qa dev',
      'Roll back one environment at a time: "dev" is a second one.',
      null,
      'rollback',
    ],
    [
      'rollback web to 1 to 2',
      'Roll back to one version at a time: "to" appears twice.',
      null,
      'rollback',
    ],
    [
      'rollback web in qa to 1.0;ls',
      'Version "1.0;ls" contains ";", which is not allowed: a version is an image tag or git ref made of letters, digits and . _ - / +.',
      null,
      'rollback',
    ],
    [
      'rollback web bad deploy',
      'Unexpected "bad": to give a reason, put it after " -- ".',
      'Did you mean `rollback web -- bad deploy`?',
      'rollback',
    ],
    // lock
    ['lock', 'Missing environment: say which one to lock, as in "lock production".', null, 'lock'],
    ['lock prodution', 'Unknown environment "prodution".', 'Did you mean `production`?', 'lock'],
    [
      'lock web production',
      '"web" is a service, not an environment.',
      'Did you mean `lock production web`?',
      'lock',
    ],
    ['lock production for', 'Missing duration after "for", such as 30m, 2h or 1d.', null, 'lock'],
    [
      'lock production for lunch',
      '"lunch" is not a duration (such as 30m, 2h or 1d); to give a reason that starts with "for", put it after " -- ".',
      'Did you mean `lock production -- for lunch`?',
      'lock',
    ],
    ['lock production for 0m', '"0m" is not a duration such as 30m, 2h or 1d.', null, 'lock'],
    ['lock production for 2x', '"2x" is not a duration such as 30m, 2h or 1d.', null, 'lock'],
    [
      'lock production for 2h for the demo',
      '"for" appears twice: to give a reason that starts with "for", put it after " -- ".',
      'Did you mean `lock production for 2h -- for the demo`?',
      'lock',
    ],
    [
      'lock production 2h',
      'Write "for 2h" to say how long the lock lasts.',
      'Did you mean `lock production for 2h`?',
      'lock',
    ],
    [
      'lock production web 2 hours',
      'Write "for 2 hours" to say how long the lock lasts.',
      'Did you mean `lock production web for 2 hours`?',
      'lock',
    ],
    [
      'lock production migration for 2h',
      'Put "for 2h" right after the environment to set how long the lock lasts, or the reason after " -- ".',
      'Did you mean `lock production for 2h migration`?',
      'lock',
    ],
    [
      'lock production web db work for 1h',
      'Put "for 1h" right after the service to set how long the lock lasts, or the reason after " -- ".',
      'Did you mean `lock production web for 1h db work`?',
      'lock',
    ],
    [
      'lock production until friday',
      'Say how long the lock lasts with "for", as in "for 2h"; "until" is not understood.',
      null,
      'lock',
    ],
    [
      'lock production wbe',
      'Unknown service "wbe"; a one-word reason goes after " -- ".',
      'Did you mean `web`?',
      'lock',
    ],
    [
      'lock production staging',
      'Lock one environment at a time: "staging" is a second one.',
      null,
      'lock',
    ],
    // unlock
    [
      'unlock',
      'Missing environment: say which one to unlock, as in "unlock production".',
      null,
      'unlock',
    ],
    ['unlock stagign', 'Unknown environment "stagign".', 'Did you mean `staging`?', 'unlock'],
    [
      'unlock web staging',
      '"web" is a service, not an environment.',
      'Did you mean `unlock staging web`?',
      'unlock',
    ],
    ['unlock production wrker', 'Unknown service "wrker".', 'Did you mean `worker`?', 'unlock'],
    [
      'unlock production staging',
      'Unlock one environment at a time: "staging" is a second one.',
      null,
      'unlock',
    ],
    [
      'unlock production web now',
      'Unexpected "now": unlock takes an environment and, optionally, a service.',
      null,
      'unlock',
    ],
    // status
    ['status wbe', 'Unknown service "wbe".', 'Did you mean `web`?', 'status'],
    ['status production', '"production" is an environment, not a service.', null, 'status'],
    ['status web api', 'Unexpected "api": status takes at most one service.', null, 'status'],
    // history
    [
      'history',
      'Missing service: say whose history to show, as in "history web".',
      null,
      'history',
    ],
    ['history apy', 'Unknown service "apy".', 'Did you mean `api`?', 'history'],
    ['history web 0', 'The number of entries must be between 1 and 100, not "0".', null, 'history'],
    [
      'history web 101',
      'The number of entries must be between 1 and 100, not "101".',
      null,
      'history',
    ],
    [
      'history web -5',
      'The number of entries must be between 1 and 100, not "-5".',
      null,
      'history',
    ],
    ['history web 5 6', 'Give one number of entries: "6" is a second one.', null, 'history'],
    [
      'history web staging',
      '"staging" is an environment: write "in staging" to see its history.',
      'Did you mean `history web in staging`?',
      'history',
    ],
    [
      'history web in stging',
      'Unknown environment "stging".',
      'Did you mean `staging`?',
      'history',
    ],
    [
      'history web in qa in dev',
      'Show one environment at a time: "in" appears twice.',
      null,
      'history',
    ],
    [
      'history web lots',
      'Unexpected "lots": history takes a service, "in <env>" and a number of entries.',
      null,
      'history',
    ],
    // help
    ['help delpoy', 'Unknown command "delpoy".', 'Did you mean `help deploy`?', null],
    ['help me', 'Unknown command "me".', null, null],
    ['help lock now', 'Unexpected "now": help takes at most one command.', null, 'help'],
  ])('%j → %s', (text, error, suggestion, usage) => {
    expect(parseCommand(text, ctx)).toEqual({
      ok: false,
      error,
      suggestion,
      usage: usageFor(usage),
    });
  });

  it('says so when nothing is configured to suggest from', () => {
    const empty = { services: [], environments: [] };
    expect(parseCommand('deploy web', empty)).toMatchObject({
      ok: false,
      error: 'Unknown service "web": no services are configured.',
      suggestion: null,
    });
  });

  it('refuses text far longer than any command', () => {
    expect(parseCommand(`deploy web ${'x'.repeat(4000)}`, ctx)).toMatchObject({
      ok: false,
      error: 'The command is 4011 characters long; the limit is 4000.',
      usage: OVERVIEW,
    });
  });

  it('quotes long or invisible input briefly and visibly', () => {
    const long = parseCommand(`deploy ${'w'.repeat(60)}`, ctx);
    expect(long).toMatchObject({ ok: false, error: `Unknown service "${'w'.repeat(40)}…".` });
    const invisible = parseCommand('deploy we\u0007b', ctx);
    expect(invisible).toMatchObject({ ok: false, error: 'Unknown service "weU+0007b".' });
  });
});

describe('formatCommand', () => {
  it.each<[Command, string]>([
    [deploy({ version: '1.4.2', environment: 'staging' }), 'deploy web 1.4.2 to staging'],
    [
      deploy({ force: true, version: '1.4.3', reason: 'a <b> & c' }),
      'deploy! web 1.4.3 -- a &lt;b&gt; &amp; c',
    ],
    [deploy({ version: 'main' }), 'deploy web `main`'],
    [deploy({ version: 'to' }), 'deploy web `to`'],
    [
      rollback({ environment: 'production', version: '1.4.1', reason: 'why' }),
      'rollback web in production to 1.4.1 -- why',
    ],
    [
      lock({ service: 'web', durationMs: 90 * M, reason: 'db', force: true }),
      'lock! production web for 1h30m -- db',
    ],
    [lock({ durationMs: 1500 }), 'lock production for 1500ms'],
    [{ kind: 'unlock', environment: 'qa', service: 'api', force: true }, 'unlock! qa api'],
    [{ kind: 'status', service: null }, 'status'],
    [{ kind: 'history', service: 'web', environment: 'qa', limit: 10 }, 'history web in qa'],
    [{ kind: 'history', service: 'web', environment: null, limit: 25 }, 'history web 25'],
    [{ kind: 'help', topic: 'lock' }, 'help lock'],
  ])('%j → %s, which parses back', (command, text) => {
    expect(formatCommand(command)).toBe(text);
    expect(parseCommand(text, ctx)).toEqual({ ok: true, command });
  });
});

describe('usage', () => {
  it('has a block for every command, each opening with its own syntax line', () => {
    for (const [name, block] of Object.entries(USAGE)) expect(block.startsWith(name)).toBe(true);
    expect(usageFor(null)).toBe(OVERVIEW);
    expect(usageFor('lock')).toBe(USAGE.lock);
  });

  it('has examples that parse', () => {
    const examples = Object.values(USAGE).flatMap((block) =>
      block.split('\n').flatMap((l) => /^(?: {4}|\s+Example: )(\S.*)$/.exec(l)?.slice(1) ?? []),
    );
    expect(examples.length).toBeGreaterThan(10);
    for (const example of examples)
      expect(parseCommand(example, ctx), example).toMatchObject({ ok: true });
  });
});

describe('parseCommand: suggestions work as typed', () => {
  // Each mistake's suggestion, typed back, is the command that was meant.
  it.each<[string, string, Command]>([
    [
      'deploy web 1.2.3 --env staging',
      'deploy web 1.2.3 to staging',
      deploy({ version: '1.2.3', environment: 'staging' }),
    ],
    [
      'deploy web 1.2.3 --to staging',
      'deploy web 1.2.3 to staging',
      deploy({ version: '1.2.3', environment: 'staging' }),
    ],
    [
      "deploy web '1.2 .3' --to staging",
      'deploy web 1.2.3 to staging',
      deploy({ version: '1.2.3', environment: 'staging' }),
    ],
    [
      'deploy web --version 1.2.3 -e staging',
      'deploy web 1.2.3 to staging',
      deploy({ version: '1.2.3', environment: 'staging' }),
    ],
    [
      'rollback web --in staging --to 1.2.2',
      'rollback web in staging to 1.2.2',
      rollback({ environment: 'staging', version: '1.2.2' }),
    ],
    [
      'lock staging --for 2h',
      'lock staging for 2h',
      lock({ environment: 'staging', durationMs: 2 * H }),
    ],
  ])('%s → %s', (typed, suggested, meant) => {
    const first = parseCommand(typed, ctx);
    expect(first.ok).toBe(false);
    expect(first.ok ? null : first.suggestion).toBe(`Did you mean \`${suggested}\`?`);
    expect(parseCommand(suggested, ctx)).toEqual({ ok: true, command: meant });
  });
});
