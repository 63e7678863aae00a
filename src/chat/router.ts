import type { Config } from '../config/schema.js';
import { NotFoundError, SlipwayError } from '../core/errors.js';
import {
  type ChatPlatform,
  directPlatformsOf,
  displayName,
  platformOf,
  userIdOn,
} from './identity.js';
import type { ChatClient, ChatLimits, MessageRef, MessageView, ModalView } from './types.js';

/** The chat platforms this Slipway talks to; either may be missing. */
export interface ChatPlatforms {
  slack?: ChatClient;
  teams?: ChatClient;
}

/** A call for a platform this Slipway has no client for: retrying cannot help. */
export class PlatformNotConfiguredError extends SlipwayError {
  override readonly code = 'chat_platform_missing';
}

const LABELS: Record<ChatPlatform, string> = { slack: 'Slack', teams: 'Teams' };

/**
 * The `ChatClient` the core talks to, over every configured platform: a call goes to the
 * platform its conversation id names (`teams:` ids to Teams, the rest to Slack), with people
 * named by actor id (a person key or a platform id) turned into that platform's user ids, and
 * mentions in views (`<@alice>`) into that platform's own.
 */
export interface ChatRouter extends ChatClient {
  /** The limits of the platform a conversation is on, for a choice made for that one place. */
  limitsFor(channel: string): ChatLimits;
}

export function createChatRouter(config: Config, platforms: ChatPlatforms): ChatRouter {
  const configured = (['slack', 'teams'] as const).filter((p) => platforms[p] !== undefined);
  if (configured.length === 0) {
    throw new SlipwayError('A chat router needs at least one chat platform: Slack or Teams.');
  }

  function client(platform: ChatPlatform, what: string): ChatClient {
    const found = platforms[platform];
    if (found) return found;
    const label = LABELS[platform];
    throw new PlatformNotConfiguredError(
      `Slipway cannot reach ${what} on ${label}: it is not connected to ${label}. Connect it, or change slipway.yaml to use ${configured.map((p) => LABELS[p]).join(' or ')}.`,
    );
  }

  function userOn(platform: ChatPlatform, user: string): string {
    const id = userIdOn(config, platform, user);
    if (id !== null) return id;
    throw new NotFoundError(
      `${user} has no ${LABELS[platform]} account Slipway knows of: add "${platform}" under people.${user} in slipway.yaml.`,
    );
  }

  const router: ChatRouter = {
    limits: strictest(configured.map((p) => (platforms[p] as ChatClient).limits)),
    limitsFor(channel) {
      return client(platformOf(channel), channel).limits;
    },
    async post(channel, view, options) {
      const platform = platformOf(channel);
      return client(platform, channel).post(channel, inPlatform(config, platform, view), options);
    },
    async update(ref, view) {
      const platform = platformOf(ref.channel);
      return client(platform, ref.channel).update(ref, inPlatform(config, platform, view));
    },
    async postEphemeral(channel, user, view) {
      const platform = platformOf(channel);
      const target = client(platform, channel);
      return target.postEphemeral(
        channel,
        userOn(platform, user),
        inPlatform(config, platform, view),
      );
    },
    // Only Slack hands out response URLs today; a platform that does would prefix them.
    async respond(responseUrl, view, options) {
      const platform = platformOf(responseUrl);
      return client(platform, 'this answer').respond(
        responseUrl,
        inPlatform(config, platform, view),
        options,
      );
    },
    async openDirect(user) {
      const choices = directPlatformsOf(config, user);
      if (choices.length === 0) {
        throw new NotFoundError(
          `${user} has no chat account Slipway knows of: give them a slack or teams id under people in slipway.yaml.`,
        );
      }
      // Where they want direct messages, else wherever else this Slipway can reach them.
      const platform =
        choices.find((p) => platforms[p] !== undefined) ?? (choices[0] as ChatPlatform);
      return client(platform, `${user} directly`).openDirect(userOn(platform, user));
    },
  };

  if (configured.some((p) => platforms[p]?.openModal)) {
    router.openModal = async (triggerId: string, view: ModalView) => {
      const platform = platformOf(view.origin.channel);
      const target = client(platform, view.origin.channel);
      if (!target.openModal) {
        throw new PlatformNotConfiguredError(
          `${LABELS[platform]} has no forms: the click should have come without a trigger.`,
        );
      }
      const body = view.body === undefined ? {} : { body: mentionsOn(config, platform, view.body) };
      return target.openModal(triggerId, { ...view, ...body });
    };
  }

  if (configured.some((p) => platforms[p]?.userName)) {
    router.userName = async (user: string) => {
      const named = displayName(config, user);
      if (named !== null) return named;
      for (const platform of lookupOrder(user)) {
        const id = userIdOn(config, platform, user);
        const lookup = platforms[platform]?.userName;
        if (id === null || !lookup) continue;
        const name = await lookup.call(platforms[platform], id);
        if (name !== null) return name;
      }
      return null;
    };
  }

  if (configured.some((p) => platforms[p]?.permalink)) {
    router.permalink = async (ref: MessageRef) => {
      const target = platforms[platformOf(ref.channel)];
      return (await target?.permalink?.(ref)) ?? null;
    };
  }

  /** Direct-message platform first: that is where they are most likely to be known by name. */
  function lookupOrder(user: string): ChatPlatform[] {
    const preferred = directPlatformsOf(config, user);
    return preferred.length > 0 ? preferred : [platformOf(user)];
  }

  return router;
}

/**
 * What every configured platform can take and do: the smallest of each size, and a capability
 * only when all have it. Each client still renders to its own limits; this is for the core,
 * which cuts and chooses before it knows where a view goes.
 */
function strictest(all: readonly ChatLimits[]): ChatLimits {
  const least = (pick: (l: ChatLimits) => number) => Math.min(...all.map(pick));
  const every = (pick: (l: ChatLimits) => boolean) => all.every(pick);
  return {
    messageText: least((l) => l.messageText),
    buttonValue: least((l) => l.buttonValue),
    buttonsPerRow: least((l) => l.buttonsPerRow),
    buttonsPerMessage: least((l) => l.buttonsPerMessage),
    threads: every((l) => l.threads),
    ephemeral: every((l) => l.ephemeral),
    forms: every((l) => l.forms),
  };
}

/** A view with its mentions in the platform's form; its mrkdwn parts are where mentions live. */
export function inPlatform(
  config: Pick<Config, 'people'>,
  platform: ChatPlatform,
  view: MessageView,
): MessageView {
  const m = (text: string) => mentionsOn(config, platform, text);
  const out: MessageView = { ...view, title: m(view.title) };
  if (view.body !== undefined) out.body = m(view.body);
  if (view.fields) out.fields = view.fields.map((f) => ({ label: m(f.label), value: m(f.value) }));
  if (view.context) out.context = view.context.map(m);
  return out;
}

// `<@alice>`, `<@U012ABC>`, `<@U012ABC|alice>`, `<@teams:3f25…>`: a mention of an actor id.
const MENTION = /<@([^<>|\s]+)(\|[^<>]*)?>/g;

/**
 * Mentions of actor ids as `platform` writes them: Slack's `<@U…>`, and for Teams `<@teams:…>`,
 * which the Teams renderer turns into a mention by name. Someone not on that platform is
 * written by name (from the config), else by id, as text.
 */
export function mentionsOn(
  config: Pick<Config, 'people'>,
  platform: ChatPlatform,
  text: string,
): string {
  if (!text.includes('<@')) return text;
  return text.replace(MENTION, (whole, actor: string, label: string | undefined) => {
    const id = userIdOn(config, platform, actor);
    if (id !== null) return id === actor ? whole : `<@${id}${label ?? ''}>`;
    return escapeText(displayName(config, actor) ?? actor);
  });
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
