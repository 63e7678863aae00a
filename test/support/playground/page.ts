import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page, selectors } from 'playwright-core';
import type { PlaygroundSetup } from '../../../src/local-teams/playground/index.js';
import { CARD_ENGINE, CARD_ENGINE_NAME, PAGE_TEXT, READ_CARDS } from './page-scripts.js';
import { step, tail, waitFor } from './wait.js';

/** Debian's Chromium; playwright-core never downloads a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A chat in the page's left list: the 1:1 chat, the group chat, or a channel by name. */
export type ChatTarget = 'personal' | 'group' | `channel:${string}`;

/** A message the page posted, as the Playground's conversation API answered. */
export interface PostedMessage {
  /** Where the bot sees it: a channel post's thread (`19:…@thread.tacv2;messageid=…`) or the chat. */
  conversationId: string;
  /** The Playground's id of the message: a channel post's is its thread's root. */
  messageId: string;
}

export interface Card {
  /** The bot's message holding the card: `replyToId` for an invoke on it. */
  messageId: string;
  text: string;
  /** The labels of its buttons (Action.Execute and others). */
  buttons: string[];
  /** The card's element, found again by message id each time it is used (PUT re-renders it). */
  locator: Locator;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface PlaygroundPage {
  /** Opens (or reopens) the page in a new tab; earlier tabs' messages are not shown again. */
  open(): Promise<void>;
  openChat(target: ChatTarget): Promise<void>;
  /** Types `@`, picks the bot in the menu, types `text`, then posts (channel) or sends (chat). */
  mentionBot(text: string): Promise<PostedMessage>;
  /** Posts `text` without a mention: the bot only sees it in the personal chat. */
  send(text: string): Promise<PostedMessage>;
  /** The newest Adaptive Card in the open chat, waiting for one to appear. */
  lastCard(options?: WaitOptions): Promise<Card>;
  /** Waits until a card shows text matching `pattern` (cards change in place on PUT). */
  waitForCardText(pattern: RegExp, options?: WaitOptions): Promise<Card>;
  /**
   * Clicks the button `label` on the newest card that has one (or on card `messageId`) and
   * returns the invoke response the Playground got from the bot.
   */
  clickCardButton(label: string, options?: WaitOptions & { messageId?: string }): Promise<unknown>;
  /** Writes `<outDir>/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /**
   * Console errors and uncaught exceptions of the page. Without `all`, leaves out the two kinds
   * every offline load has: the Segoe UI fonts from res-1.cdn.office.net (no internet here)
   * and the 404 of /favicon.ico.
   */
  consoleErrors(options?: { all?: boolean }): string[];
  /** The page's visible text. */
  text(): Promise<string>;
  /** The playwright page, for what this does not cover. */
  playwright(): Page;
  close(): Promise<void>;
}

export interface PageContext {
  url: string;
  setup: PlaygroundSetup;
  outDir: string;
  /** Default for every wait, in ms. */
  timeoutMs: number;
  /** The Playground process's recent output, for errors that may come from it. */
  output: () => string;
}

const OFFLINE_NOISE = [/res-1\.cdn\.office\.net/, /\/favicon\.ico\b/];
const PAGE_LOAD_MS = 60_000;

// Playwright keeps selector engines per process and refuses a second registration of a name,
// while each Playground a test file starts opens its own browser: register once.
let engineRegistered: Promise<void> | undefined;
function registerCardEngine(): Promise<void> {
  engineRegistered ??= selectors.register(CARD_ENGINE_NAME, { content: CARD_ENGINE });
  return engineRegistered;
}

/** The page of one Playground; the browser starts on the first `open()`. */
export function playgroundPage(ctx: PageContext): PlaygroundPage {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let chat: ChatTarget | undefined;
  let errors: { text: string; url: string }[] = [];

  const current = (): Page => {
    if (!page) throw new Error('the Playground page is not open: call page.open() first');
    return page;
  };
  const seen = async () => {
    const text = page ? await page.evaluate<string>(PAGE_TEXT).catch(() => '') : '(no page)';
    // The page ends with its log panel, which says what went between the page and the bot.
    const [chatText = '', logPanel = ''] = text.split(/\nLog Panel\n/);
    return (
      `page text:\n${tail(chatText, 2500)}\nlog panel:\n${tail(logPanel, 1500)}\n` +
      `Playground output:\n${tail(ctx.output(), 1000)}`
    );
  };
  const readCards = async (): Promise<Omit<Card, 'locator'>[]> => {
    const cards =
      await current().evaluate<{ messageId: string | null; text: string; buttons: string[] }[]>(
        READ_CARDS,
      );
    if (cards.some((c) => c.messageId === null)) {
      throw new Error(
        'a card in the page has no message id in its React props: the Playground page changed ' +
          '(this reads `messageId`, as in 0.2.28)',
      );
    }
    return (cards as Omit<Card, 'locator'>[]).sort((a, b) => compareIds(a.messageId, b.messageId));
  };
  const withLocator = (card: Omit<Card, 'locator'>): Card => ({
    ...card,
    locator: current().locator(`${CARD_ENGINE_NAME}=${card.messageId}`),
  });
  const cardSummary = async () =>
    `cards:\n${(await readCards().catch(() => []))
      .map((c) => `  ${c.messageId}: ${JSON.stringify(c.text)} [${c.buttons.join(', ')}]`)
      .join('\n')}\n${await seen()}`;

  async function open(): Promise<void> {
    await registerCardEngine();
    browser ??= await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox'],
    });
    await page?.close();
    errors = [];
    chat = undefined;
    const opened = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page = opened;
    opened.setDefaultTimeout(ctx.timeoutMs);
    opened.on('console', (message) => {
      if (message.type() === 'error')
        errors.push({ text: message.text(), url: message.location().url });
    });
    opened.on('pageerror', (error) => errors.push({ text: String(error), url: '' }));
    await step(
      `loading the Playground page ${ctx.url}`,
      async () => {
        await opened.goto(ctx.url, { timeout: PAGE_LOAD_MS });
        // The chat list appears once the page has its config, which the Playground only answers
        // after its HEAD probe of the bot.
        await opened
          .getByRole('treeitem', { name: 'Personal Chat' })
          .waitFor({ timeout: PAGE_LOAD_MS });
      },
      seen,
    );
  }

  async function openChat(target: ChatTarget): Promise<void> {
    const p = current();
    const label = chatLabel(ctx.setup, target);
    await step(
      `opening ${target} (the chat list's "${label}")`,
      async () => {
        await p.getByRole('treeitem', { name: label, exact: true }).click();
        const post = p.getByRole('button', { name: 'Post', exact: true });
        await waitFor(
          `the compose box of ${target}`,
          async () =>
            (await p.locator(EDITOR).first().isVisible()) &&
            (await post.isVisible()) === target.startsWith('channel:'),
          { timeoutMs: ctx.timeoutMs, seen },
        );
      },
      seen,
    );
    chat = target;
  }

  async function compose(text: string, mention: boolean): Promise<PostedMessage> {
    const p = current();
    const target = chat;
    if (!target) throw new Error('no chat is open: call page.openChat(…) first');
    if (mention && target === 'personal') {
      throw new Error('the personal chat has no @ picker (the bot gets every message): use send()');
    }
    const conversation = conversationOf(ctx.setup, target);
    return step(
      `${mention ? 'mentioning the bot' : 'sending'} in ${target}: ${JSON.stringify(text)}`,
      async () => {
        const editor = p.locator(EDITOR).first();
        await editor.click();
        await waitFor(
          'the compose box to take the focus',
          () => editor.evaluate((el) => el.contains(document.activeElement)),
          { timeoutMs: ctx.timeoutMs, seen },
        );
        if (mention) await pickBot(p, editor);
        await p.keyboard.type(text);
        const answered = p.waitForResponse(
          (r) =>
            r.request().method() === 'POST' &&
            /\/_conversation\/v1\/conversations\/[^/]+\/messages$/.test(r.url()),
        );
        if (target.startsWith('channel:'))
          await p.getByRole('button', { name: 'Post', exact: true }).click();
        else await p.keyboard.press('Enter');
        const response = await answered;
        const posted = decodeURIComponent(
          response.url().split('/conversations/')[1]?.split('/')[0] ?? '',
        );
        if (posted !== conversation) {
          throw new Error(`the page posted to ${posted}, not to ${target} (${conversation})`);
        }
        if (!response.ok())
          throw new Error(`the Playground answered ${response.status()}: ${await response.text()}`);
        const body = (await response.json()) as { messageId: string; postConversationId?: string };
        return {
          conversationId: body.postConversationId ?? conversation,
          messageId: body.messageId,
        };
      },
      seen,
    );
  }

  async function pickBot(p: Page, editor: Locator): Promise<void> {
    await p.keyboard.type(`@${ctx.setup.bot.name.split(' ')[0]}`);
    // A menu item's accessible name is its avatar's alt text and then its label: "Slipway Slipway".
    const name = ctx.setup.bot.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const item = p.getByRole('menuitem', { name: new RegExp(`(^|\\s)${name}$`) });
    try {
      await item.waitFor({ timeout: Math.min(ctx.timeoutMs, 5_000) });
    } catch (error) {
      const typed = await editor.textContent().catch(() => '?');
      throw new Error(
        `no "${ctx.setup.bot.name}" in the @ menu; the compose box holds ${JSON.stringify(typed)}`,
        {
          cause: error,
        },
      );
    }
    await item.click();
    await p.keyboard.type(' ');
  }

  async function waitForCard(
    what: string,
    pick: (cards: Omit<Card, 'locator'>[]) => Omit<Card, 'locator'> | undefined,
    options: WaitOptions = {},
  ): Promise<Card> {
    current();
    const card = await waitFor(what, async () => pick(await readCards()), {
      timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
      seen: cardSummary,
    });
    return withLocator(card);
  }

  async function clickCardButton(
    label: string,
    options: WaitOptions & { messageId?: string } = {},
  ): Promise<unknown> {
    const card = await waitForCard(
      options.messageId
        ? `card ${options.messageId} with a button "${label}"`
        : `a card with a button "${label}"`,
      (cards) =>
        newest(
          cards,
          (c) =>
            c.buttons.includes(label) && (!options.messageId || c.messageId === options.messageId),
        ),
      options,
    );
    const p = current();
    return step(
      `clicking "${label}" on card ${card.messageId}`,
      async () => {
        const answered = p.waitForResponse(
          (r) => r.request().method() === 'POST' && r.url().endsWith('/_conversation/v1/invoke'),
        );
        await card.locator.getByRole('button', { name: label, exact: true }).click();
        const response = await answered;
        const body = await response.text();
        if (!response.ok()) throw new Error(`the invoke got ${response.status()}: ${body}`);
        return body ? (JSON.parse(body) as unknown) : undefined;
      },
      cardSummary,
    );
  }

  return {
    open,
    openChat,
    mentionBot: (text) => compose(text, true),
    send: (text) => compose(text, false),
    lastCard: (options) => waitForCard('an Adaptive Card', (cards) => cards.at(-1), options),
    waitForCardText: (pattern, options) =>
      waitForCard(
        `a card showing ${pattern}`,
        (cards) => newest(cards, (c) => pattern.test(c.text)),
        options,
      ),
    clickCardButton,
    async screenshot(name) {
      mkdirSync(ctx.outDir, { recursive: true });
      const path = join(ctx.outDir, `${name}.png`);
      await current().screenshot({ path });
      return path;
    },
    consoleErrors: ({ all = false } = {}) =>
      errors
        .filter((e) => all || !OFFLINE_NOISE.some((noise) => noise.test(e.url)))
        .map((e) => (e.url ? `${e.text} (${e.url})` : e.text)),
    text: async () => current().evaluate<string>(PAGE_TEXT),
    playwright: current,
    async close() {
      await browser?.close();
      browser = undefined;
      page = undefined;
    },
  };
}

const EDITOR = '[data-lexical-editor="true"]';

function chatLabel(setup: PlaygroundSetup, target: ChatTarget): string {
  if (target === 'personal') return 'Personal Chat';
  if (target === 'group') return setup.groupChat.name;
  return `${setup.team.name} - ${channelOf(setup, target).name}`;
}

/** The conversation id of `target`: the channel's, the group chat's or the personal chat's. */
export function conversationOf(setup: PlaygroundSetup, target: ChatTarget): string {
  if (target === 'personal') return setup.personalChat.id;
  if (target === 'group') return setup.groupChat.id;
  return channelOf(setup, target).id;
}

export function channelOf(setup: PlaygroundSetup, target: `channel:${string}`) {
  const name = target.slice('channel:'.length);
  const channel = setup.team.channels.find((c) => c.name === name);
  if (!channel) {
    throw new Error(
      `no channel "${name}" in the Playground's team: ${setup.team.channels.map((c) => c.name).join(', ')}`,
    );
  }
  return channel;
}

/** The last of `cards` (sorted oldest first) that `match` accepts. */
function newest<T>(cards: T[], match: (card: T) => boolean): T | undefined {
  return cards.filter(match).at(-1);
}

/** Orders the Playground's numeric message ids (creation times in ms) as numbers. */
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b))
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
