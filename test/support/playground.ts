/**
 * Microsoft 365 Agents Playground (`@microsoft/m365agentsplayground`, a devDependency) for
 * end-to-end tests of a Teams bot: a local stand-in for Teams' client and Bot Connector, started
 * anonymous and headless, with its page driven in Debian's Chromium by playwright-core.
 * docs/teams-probe.md has what it does and does not do here.
 *
 *   const pg = await startPlayground({ botEndpoint: 'http://127.0.0.1:3978/api/messages' });
 *   await pg.page.open();
 *   await pg.page.openChat('channel:deploys');
 *   await pg.page.mentionBot('deploy api to prod');
 *   await pg.page.clickCardButton('Approve');
 *   await pg.page.waitForCardText(/Approved by Alice/);
 *   await pg.close();
 *
 * The page acts as one person (`currentUser`). Others act through the Playground's own APIs:
 * `injectMessage` (their messages) and `invokeAs` (their button presses).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  findPlaygroundCli,
  PLAYGROUND_INSTALL,
  type PlaygroundChannel,
  type PlaygroundPerson,
  type PlaygroundSetup,
  type PlaygroundSetupOptions,
  playgroundSetup,
  runPlayground,
  tail,
} from '../../src/local-teams/playground/index.js';
import {
  type Activity,
  type InjectMessageOptions,
  messageActivity,
} from './playground/activities.js';
import { channelOf, type PlaygroundPage, playgroundPage } from './playground/page.js';
import { ROOT } from './processes.js';

export type {
  PersonInput,
  PlaygroundPerson,
  PlaygroundSetupOptions,
} from '../../src/local-teams/playground/index.js';
export { playgroundSetup } from '../../src/local-teams/playground/index.js';
export type { Activity, InjectMessageOptions } from './playground/activities.js';
export type { Card, ChatTarget, PlaygroundPage, PostedMessage } from './playground/page.js';

export const DEFAULT_OUT_DIR = resolve(ROOT, 'test-output/playground');

export interface StartPlaygroundOptions extends PlaygroundSetupOptions {
  /** The bot's messaging endpoint, e.g. `http://127.0.0.1:3978/api/messages`. It must be up. */
  botEndpoint: string;
  /** A free one when not given. */
  port?: number;
  /** Where `page.screenshot` writes; `test-output/playground/` when not given. */
  outDir?: string;
  /** Default for every wait (start, page steps), in ms; 30 s when not given. */
  timeoutMs?: number;
}

export interface InvokeOptions {
  /** The bot's message holding the card (`Card.messageId`, or the id the bot's reply got). */
  replyToId: string;
  /** Where that message is: a channel thread's id, or the chat's. */
  conversationId: string;
  verb: string;
  data?: Record<string, unknown>;
}

export interface Playground {
  /** The Playground's connector, which the bot posts to: `http://localhost:<port>/_connector`. */
  serviceUrl: string;
  /** The page: `http://127.0.0.1:<port>/`. */
  url: string;
  port: number;
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundPerson;
  people: Record<string, PlaygroundPerson>;
  team: PlaygroundSetup['team'];
  /** The team's channels by name: `General` (its id is the team's) and the other one. */
  channels: Record<string, PlaygroundChannel>;
  groupChat: { id: string; name: string };
  personalChat: { id: string };
  /** A person by key; throws naming the known keys. */
  person(key: string): PlaygroundPerson;
  /**
   * Sends the bot a message from someone other than the current user, shaped as Teams sends it
   * (the same fields the page's own messages have). The Playground forwards it without showing it
   * in the page and answers before the bot does, so check the bot's side for its arrival.
   *
   * In a channel, the bot's reply goes to the thread `<channel>;messageid=<root>`, which the
   * connector only accepts if it knows the root. With `thread` (a `PostedMessage.messageId` of
   * the page) the message is a reply in that thread, and the bot's replies show in the page.
   * Without it, a root is first created through the Playground's conversation API (as the
   * current user, not sent to the bot), and the message takes its id: the bot's replies are then
   * accepted, but the page does not show that thread (it only shows posts made in it).
   */
  injectMessage(options: InjectMessageOptions): Promise<Activity>;
  /** Forwards `activity` as it is, after filling in serviceUrl, channelId and recipient. */
  inject(activity: Activity): Promise<void>;
  /**
   * Presses an `Action.Execute` button as `user` (a key): the bot gets `adaptiveCard/action` with
   * `from` that person. Returns the bot's invoke response. The page's card does not change from
   * it; only the bot's update (PUT) of the message changes it.
   */
  invokeAs(user: string, options: InvokeOptions): Promise<unknown>;
  page: PlaygroundPage;
  /** The Playground's stdout, stderr and log file. */
  output(): string;
  /** Closes the browser, stops the Playground and removes its working directory. */
  close(): Promise<void>;
}

/** Starts the Playground for the bot at `botEndpoint`; the bot must already answer HEAD there. */
export async function startPlayground(options: StartPlaygroundOptions): Promise<Playground> {
  const setup = playgroundSetup(options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cli = findPlaygroundCli(ROOT, [ROOT]);
  if (!cli) throw new Error(`the Agents Playground is not installed: ${PLAYGROUND_INSTALL}`);
  const { port, output, stop } = await runPlayground({
    cli: cli.path,
    botEndpoint: options.botEndpoint,
    setup,
    port: options.port,
    timeoutMs,
  });
  // A test that names its port means that one: the Playground takes another when it is taken.
  if (options.port !== undefined && options.port !== 0 && port !== options.port) {
    await stop();
    throw new Error(`port ${options.port} was taken: the Playground listens on ${port} instead`);
  }
  return playground({ setup, port, outDir: options.outDir, timeoutMs, output, stop });
}

interface PlaygroundParts {
  setup: PlaygroundSetup;
  port: number;
  outDir: string | undefined;
  timeoutMs: number;
  output: () => string;
  stop: () => Promise<void>;
}

function playground({ setup, port, outDir, timeoutMs, output, stop }: PlaygroundParts): Playground {
  const url = `http://127.0.0.1:${port}`;
  // What the Playground puts in the activities it sends (it names localhost, not 127.0.0.1).
  const serviceUrl = `http://localhost:${port}/_connector`;
  const page = playgroundPage({
    url: `${url}/`,
    setup,
    outDir: outDir ?? defaultOutDir(),
    timeoutMs,
    output,
  });
  const person = (key: string): PlaygroundPerson => {
    const found = setup.people[key];
    if (!found) {
      throw new Error(
        `no person "${key}" in the Playground: ${Object.keys(setup.people).join(', ')}`,
      );
    }
    return found;
  };
  const call = async (path: string, body: unknown): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(`POST ${path} failed: ${String(error)}\n${tail(output())}`, { cause: error });
    }
    const text = await res.text();
    if (!res.ok)
      throw new Error(`POST ${path} got ${res.status}: ${text}\n${tail(output(), 1500)}`);
    return text;
  };
  const inject = async (activity: Activity) => {
    await call('/_internal/v1/customActivities', {
      serviceUrl,
      channelId: 'msteams',
      recipient: setup.bot,
      ...activity,
    });
  };
  let closed = false;
  return {
    serviceUrl,
    url: `${url}/`,
    port,
    tenantId: setup.tenantId,
    bot: setup.bot,
    currentUser: setup.currentUser,
    people: setup.people,
    team: setup.team,
    channels: Object.fromEntries(setup.team.channels.map((c) => [c.name, c])),
    groupChat: setup.groupChat,
    personalChat: setup.personalChat,
    person,
    inject,
    async injectMessage(options) {
      const sender = person(options.from);
      let root = options.thread;
      if (options.chat.startsWith('channel:') && !root) {
        // A root the connector knows, so the bot's replies in its thread are accepted; without
        // a mention the Playground does not forward it to the bot.
        const channel = channelOf(setup, options.chat as `channel:${string}`);
        const path = `/_conversation/v1/conversations/${encodeURIComponent(channel.id)}/messages`;
        const body = {
          from: { id: setup.currentUser.id },
          text: options.text,
          textFormat: 'plain',
        };
        root = (JSON.parse(await call(path, body)) as { messageId: string }).messageId;
      }
      const activity = messageActivity(setup, serviceUrl, sender, options, root);
      await inject(activity);
      return activity;
    },
    async invokeAs(user, { replyToId, conversationId, verb, data = {} }) {
      const text = await call('/_conversation/v1/invoke', {
        name: 'adaptiveCard/action',
        from: { id: person(user).id },
        conversation: { id: conversationId },
        replyToId,
        value: { action: { type: 'Action.Execute', verb, data } },
      });
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
    page,
    output,
    async close() {
      if (closed) return;
      closed = true;
      await page.close();
      await stop();
    },
  };
}

/** `test-output/playground/`, which keeps itself out of git (a `*` .gitignore inside). */
function defaultOutDir(): string {
  mkdirSync(DEFAULT_OUT_DIR, { recursive: true });
  const ignore = join(resolve(DEFAULT_OUT_DIR, '..'), '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  return DEFAULT_OUT_DIR;
}
