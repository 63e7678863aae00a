/**
 * Microsoft's Agents Playground (`@microsoft/m365agentsplayground`), the local Teams client:
 * its config (people, bot, team, chats) and its process, shared by `slipway dev --teams` and
 * the end-to-end tests (test/support/playground.ts drives its page). README.md beside this.
 */
export {
  findPlaygroundCli,
  PLAYGROUND_INSTALL,
  PLAYGROUND_PACKAGE,
  PLAYGROUND_VERSION,
  type PlaygroundCli,
} from './cli.js';
export { type PlaygroundProcess, type RunPlaygroundOptions, runPlayground } from './process.js';
export {
  guidFor,
  type PersonInput,
  type PlaygroundChannel,
  type PlaygroundPerson,
  type PlaygroundSetup,
  type PlaygroundSetupOptions,
  playgroundSetup,
} from './setup.js';
export { tail, type WaitOptions, waitFor } from './wait.js';
