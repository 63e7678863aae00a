import type { ConversationReferences } from '../chat/teams/index.js';
import { TEAMS_PREFIX } from '../config/ids.js';
import { type PersonInput, personKeyOf, resolvePeople } from '../config/people.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { ANONYMOUS_TEAMS, type TeamsSettings } from '../core/settings.js';
import { guidFor, type PlaygroundSetup, playgroundSetup } from '../local-teams/playground/index.js';

/**
 * What `slipway dev --teams` shows in Microsoft's Agents Playground, from slipway.yaml: the people
 * of `people:` who have a Teams id, the channel of a service's Teams channel, the group chat of a
 * service's Teams group chat. A config without Teams ids gets a dev overlay, in memory only, so the
 * whole flow still works; every such assumption is said at start (`notes`).
 */
export interface TeamsDevPlan {
  /** The config Slipway runs with: slipway.yaml, with the overlay when one was needed. */
  config: Config;
  setup: PlaygroundSetup;
  /** What was assumed or made up, one sentence each. */
  notes: string[];
  /** A command that works in the Playground as its current user, and where to type it. */
  hint: { text: string; where: string };
}

/** Someone of the local Slack: their Slack id and the name it shows. */
export interface SlackDevPerson {
  id: string;
  name: string;
}

/** Teams without credentials, for the Playground (the server allows it on loopback only). */
export const PLAYGROUND_TEAMS: TeamsSettings = ANONYMOUS_TEAMS;

/** The Playground's own channel besides General when slipway.yaml names no Teams channel. */
const DEV_CHANNEL = { name: 'deploys', id: '19:deploys@thread.tacv2' };
const CHANNEL = /^19:[^\s@]+@thread\.(tacv2|skype)$/;
const GROUP_CHAT = /^19:[^\s@]+@thread\.v2$/;
/** The current user and the 5 users its config schema requires. */
const PLAYGROUND_PEOPLE = 6;

export function teamsDevPlan(
  loaded: Config,
  slackPeople: readonly SlackDevPerson[],
  teamsUser: string | undefined,
): TeamsDevPlan {
  const notes: string[] = [];
  const config = withDevChannel(withDevPeople(loaded, slackPeople, notes), notes);
  const people = teamsPeople(config, teamsUser, notes);
  const channel = playgroundChannel(config, notes);
  const groupChat = teamsConversations(config).find((id) => GROUP_CHAT.test(id));
  const setup = playgroundSetup({
    users: people,
    team: { channel: channel.name, channelId: channel.id },
    ...(groupChat ? { groupChat: { id: groupChat } } : {}),
    avoid: Object.keys(config.people),
  });
  const madeUp = Object.values(setup.people).filter((p) => !config.people[p.key]);
  if (madeUp.length > 0) {
    notes.push(
      `The Playground needs ${PLAYGROUND_PEOPLE} people; made up: ${madeUp.map((p) => p.name).join(', ')} (not in slipway.yaml: Slipway knows them as Teams users only, with the rights of "*").`,
    );
  }
  return { config, setup, notes, hint: hintFor(config, channel) };
}

/**
 * No one under `people:` has a Teams id: the local Slack's people get one each (the same every
 * run), listed under `people:` by a key of their name, so each is one person in Slack and Teams.
 */
function withDevPeople(config: Config, slack: readonly SlackDevPerson[], notes: string[]): Config {
  if (Object.values(config.people).some((p) => p.teams) || slack.length === 0) return config;
  const people: Record<string, PersonInput> = Object.fromEntries(
    Object.entries(config.people).map(([key, p]) => [key, { ...p, direct: p.direct ?? undefined }]),
  );
  const added: string[] = [];
  for (const person of slack) {
    const key = personKeyOf(config, person.id) ?? freeKey(person.name, people);
    const known = people[key] ?? {};
    people[key] = {
      ...known,
      slack: person.id,
      teams: guidFor(`person:${key}`),
      name: known.name ?? person.name,
    };
    added.push(`${key} (${person.id})`);
  }
  notes.push(
    `No one under people: has a Teams id: for this run the local Slack's people get made-up ones, each one person on both: ${added.join(', ')}.`,
  );
  return resolvePeople({ ...config, people }) as Config;
}

/** `Ana Lima` → `ana`, or `ana2` when taken; person keys are lowercase. */
function freeKey(name: string, taken: Record<string, unknown>): string {
  const base =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9 ]/g, '')
      .split(' ')[0] || 'person';
  let key = /^[a-z]/.test(base) ? base : `p${base}`;
  for (let n = 2; taken[key]; n++) key = `${base}${n}`;
  return key;
}

/**
 * No service posts to a Teams channel: the first service with a channel posts to the
 * Playground's too, and environments that take chat requests from some channels only take
 * them from it as well, so every flow can be tried from Teams.
 */
function withDevChannel(config: Config, notes: string[]): Config {
  if (teamsChannels(config).length > 0) return config;
  const service = config.services.find((s) => s.channels.length > 0) ?? config.services[0];
  if (!service) return config;
  const channel = `${TEAMS_PREFIX}${DEV_CHANNEL.id}`;
  const opened = config.environments.filter(
    (e) => e.channels.length > 0 && !e.channels.some((c) => c.startsWith(TEAMS_PREFIX)),
  );
  notes.push(
    `No service posts to a Teams channel: for this run ${service.name}'s deployments also post to the Playground's ${DEV_CHANNEL.name} channel (${channel})${opened.length > 0 ? `, and chat requests for ${opened.map((e) => e.name).join(', ')} may come from it too` : ''}.`,
  );
  return {
    ...config,
    services: config.services.map((s) =>
      s === service ? { ...s, channels: [...s.channels, channel] } : s,
    ),
    environments: config.environments.map((e) =>
      opened.includes(e) ? { ...e, channels: [...e.channels, channel] } : e,
    ),
  };
}

/** The listed people with a Teams id, the current user first: at most the Playground's six. */
function teamsPeople(config: Config, teamsUser: string | undefined, notes: string[]) {
  const listed = Object.entries(config.people).flatMap(([key, p]) =>
    p.teams
      ? [{ key, aadObjectId: p.teams, name: p.name ?? key, ...(p.email ? { email: p.email } : {}) }]
      : [],
  );
  const wanted = teamsUser === undefined ? listed[0]?.key : personKeyOf(config, teamsUser);
  const current = listed.find((p) => p.key === wanted);
  if (teamsUser !== undefined && !current) {
    throw new ConfigError(
      `--teams-user ${teamsUser}: no one under people: with a Teams id is called that. Give one of: ${listed.map((p) => p.key).join(', ') || '(none: give someone a teams: id under people:)'}.`,
    );
  }
  const ordered = current ? [current, ...listed.filter((p) => p !== current)] : listed;
  const left = ordered.slice(PLAYGROUND_PEOPLE);
  if (left.length > 0) {
    notes.push(
      `The Playground holds ${PLAYGROUND_PEOPLE} people; not in it: ${left.map((p) => p.key).join(', ')} (pick who is in it with --teams-user).`,
    );
  }
  return ordered.slice(0, PLAYGROUND_PEOPLE);
}

/** Every Teams conversation the services post to, in config order, without `teams:`. */
function teamsConversations(config: Config): string[] {
  const ids = config.services.flatMap((s) =>
    s.channels.filter((c) => c.startsWith(TEAMS_PREFIX)).map((c) => c.slice(TEAMS_PREFIX.length)),
  );
  return [...new Set(ids)];
}

function teamsChannels(config: Config): string[] {
  return teamsConversations(config).filter((id) => CHANNEL.test(id));
}

/** The first service's Teams channel, named so a person finds it in the page's list. */
function playgroundChannel(config: Config, notes: string[]): { name: string; id: string } {
  const [id, ...others] = teamsChannels(config);
  if (!id) return DEV_CHANNEL;
  const name = channelName(config, id);
  if (others.length > 0) {
    notes.push(
      `The Playground has one channel besides General: ${name} (teams:${id}); not shown: ${others.map((o) => `teams:${o}`).join(', ')}.`,
    );
  }
  return { name, id };
}

/**
 * `19:deploys@thread.tacv2` → `deploys`; an id as Teams makes them (hex digits) → the name of the
 * service posting there.
 */
function channelName(config: Config, id: string): string {
  const slug = /^19:([a-z][a-z-]{0,29})@thread\./.exec(id)?.[1];
  if (slug && slug !== 'general') return slug;
  const service = config.services.find((s) => s.channels.includes(`${TEAMS_PREFIX}${id}`));
  return service && service.name.toLowerCase() !== 'general' ? service.name : 'slipway';
}

/**
 * A deploy the Playground's channel may ask for: of a service posting there, to staging when it
 * deploys there (as the local Slack's hint), else to its first environment taking requests
 * from that channel and needing no approval.
 */
function hintFor(config: Config, channel: { name: string; id: string }): TeamsDevPlan['hint'] {
  const id = `${TEAMS_PREFIX}${channel.id}`;
  const service =
    config.services.find((s) => s.channels.includes(id)) ?? config.services[0] ?? null;
  const where = `the ${channel.name} channel`;
  if (!service) return { text: '@Slipway help', where };
  const names = new Set(Object.keys(service.environments));
  const allowed = config.environments
    .filter((e) => names.size === 0 || names.has(e.name))
    .filter((e) => e.channels.length === 0 || e.channels.includes(id));
  const environment =
    allowed.find((e) => e.name === 'staging') ??
    allowed.find((e) => e.approvals.required === 0) ??
    allowed[0];
  return {
    text: `@Slipway deploy ${service.name} 1.2.3${environment ? ` to ${environment.name}` : ''}`,
    where,
  };
}

/**
 * Where the Playground's conversations and people are, written before Slipway hears from them,
 * as their activities would teach it: a deployment asked for in Slack reaches the Playground's
 * channel at once, and an earlier run's address (another port) is not used.
 */
export async function rememberPlayground(
  references: ConversationReferences,
  setup: PlaygroundSetup,
  port: number,
): Promise<void> {
  // The address the Playground itself puts in its activities.
  const serviceUrl = `http://localhost:${port}/_connector`;
  const tenantId = setup.tenantId;
  for (const channel of setup.team.channels) {
    await references.saveConversation({ id: channel.id, kind: 'channel', serviceUrl, tenantId });
  }
  await references.saveConversation({
    id: setup.groupChat.id,
    kind: 'groupChat',
    serviceUrl,
    tenantId,
  });
  await references.saveConversation({
    id: setup.personalChat.id,
    kind: 'personal',
    serviceUrl,
    tenantId,
  });
  for (const person of Object.values(setup.people)) {
    await references.saveMember({
      user: `${TEAMS_PREFIX}${person.aadObjectId}`,
      teamsId: person.id,
      aadObjectId: person.aadObjectId,
      name: person.name,
      tenantId,
      serviceUrl,
      personalConversationId: person === setup.currentUser ? setup.personalChat.id : null,
    });
  }
}
