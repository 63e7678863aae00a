import type { CommandName } from './types.js';

/** Every verb, in the order help lists them. */
export const COMMAND_NAMES: readonly CommandName[] = [
  'deploy',
  'rollback',
  'lock',
  'unlock',
  'status',
  'history',
  'help',
];

/**
 * Help text, one block per command, written for the person in the channel. Plain text: the
 * renderer for each chat platform decides how to show it (and escapes it).
 */
export const USAGE: Readonly<Record<CommandName, string>> = {
  deploy: [
    'deploy <service> [<version>] [to <env>] [-- <reason>]',
    'deploy <service>@<version> [to <env>] [-- <reason>]',
    '  Deploys a version (an image tag or git ref) of a service. Leave out the version or the',
    '  environment and Slipway uses the configured default, or asks for it.',
    '  deploy! … also deploys during a freeze window, for those allowed to.',
    '  A version that reads like a word of the grammar (to, in) goes in backticks: `to`.',
    '  Examples:',
    '    deploy web 1.4.2 to staging',
    '    deploy web@1.4.2',
    '    deploy! web 1.4.3 to production -- hotfix for INC-42',
  ].join('\n'),
  rollback: [
    'rollback <service> [in <env>] [to <version>] [-- <reason>]',
    '  Rolls a service back to the version live before the current one, or to the one named.',
    '  Examples:',
    '    rollback web in production',
    '    rollback web in staging to 1.4.1 -- error rate doubled',
  ].join('\n'),
  lock: [
    'lock <env> [<service>] [for <duration>] [<reason…>]',
    '  Stops deployments to an environment (or to one service in it) until unlocked, or for a',
    '  while: 30m, 2h, 1d, 1h30m, "2 hours". Everything after that is the reason; put it after',
    '  " -- " when it starts with "for", a duration or a service name.',
    '  lock! … takes over a lock someone else holds, for those allowed to.',
    '  Examples:',
    '    lock production for 2h database migration',
    '    lock staging web -- for the demo at 3pm',
  ].join('\n'),
  unlock: [
    'unlock <env> [<service>]',
    "  Releases your lock. unlock! … releases someone else's, for those allowed to.",
    '  Examples:',
    '    unlock production',
    '    unlock staging web',
  ].join('\n'),
  status: [
    'status [<service>]',
    '  What runs where: the live version of every service, or of one, in each environment,',
    '  with deployments in progress and locks.',
    '  Examples:',
    '    status',
    '    status web',
  ].join('\n'),
  history: [
    'history <service> [in <env>] [<n>]',
    '  The last n deployments of a service (10 unless you say, at most 100).',
    '  Examples:',
    '    history web',
    '    history web in production 20',
  ].join('\n'),
  help: [
    'help [<command>]',
    '  The list of commands, or how to use one.',
    '  Example: help lock',
  ].join('\n'),
};

export const OVERVIEW = [
  'Type a command after /deploy or after mentioning the bot:',
  '  deploy <service> [<version>] [to <env>] [-- <reason>]',
  '  rollback <service> [in <env>] [to <version>] [-- <reason>]',
  '  lock <env> [<service>] [for <duration>] [<reason…>]',
  '  unlock <env> [<service>]',
  '  status [<service>]',
  '  history <service> [in <env>] [<n>]',
  '  help [<command>]',
  "deploy!, lock! and unlock! override a freeze window or someone else's lock, for those allowed to.",
  'With /deploy, the word deploy can be left out: /deploy web 1.4.2 to staging.',
  'help <command> shows more, e.g. help lock.',
].join('\n');

/** The usage block for one command, or the overview when there is no topic. */
export function usageFor(topic: CommandName | null): string {
  return topic === null ? OVERVIEW : USAGE[topic];
}
