import { isSlackUserId, isTeamsUserId, TEAMS_PREFIX } from '../config/ids.js';
import { actorOf, type ChatPlatform, namedIds, type ResolvedPerson } from '../config/people.js';
import type { Config } from '../config/schema.js';

/**
 * Who someone is across chat platforms, from the loaded config's `people:`. The core names a
 * listed person by their key (`alice`) and anyone else by their platform id (`U012ABC`,
 * `teams:<Entra ID object id>`): transports turn the platform's user id into that actor id
 * (`actorOf`), and whatever talks to a platform turns it back (`slackIdOf`, `teamsIdOf`).
 */

export type { ChatPlatform };
/** A platform user id → the core's actor id: a listed person's key, else the id itself. */
export { actorOf };

type People = Pick<Config, 'people'>;

/** The platform a conversation or user id belongs to: `teams:` ids are Teams', the rest Slack's. */
export function platformOf(id: string): ChatPlatform {
  return id.startsWith(TEAMS_PREFIX) ? 'teams' : 'slack';
}

/**
 * A conversation between the bot and one person: Slack's D… channels, a Teams personal chat
 * (`teams:a:…`). What is said there is seen by them alone.
 */
export function isDirectChannel(channel: string): boolean {
  return /^D/.test(channel) || channel.startsWith(`${TEAMS_PREFIX}a:`);
}

/** The listed person an actor id (or one of their platform ids) names, or null. */
export function personOf(config: People, actor: string): ResolvedPerson | null {
  return config.people[actorOf(config, actor)] ?? null;
}

/** Their Slack member id, or null when they have none (a Teams user, the CLI `operator`). */
export function slackIdOf(config: People, actor: string): string | null {
  const person = personOf(config, actor);
  if (person) return person.slack ?? null;
  return isSlackUserId(actor) ? actor : null;
}

/** Their Teams user id as the core writes it (`teams:<object id>`), or null when they have none. */
export function teamsIdOf(config: People, actor: string): string | null {
  const person = personOf(config, actor);
  if (person) return person.teams ? `${TEAMS_PREFIX}${person.teams}` : null;
  // An unlisted Teams user may be known by their channel id (`teams:29:…`) rather than a GUID.
  return actor.startsWith(TEAMS_PREFIX) ? actorOf(config, actor) : null;
}

/** Their user id on `platform`, or null when they are not on it. */
export function userIdOn(config: People, platform: ChatPlatform, actor: string): string | null {
  return platform === 'slack' ? slackIdOf(config, actor) : teamsIdOf(config, actor);
}

/**
 * The platforms to message someone directly on, best first: a listed person's `direct` (Slack
 * unless configured otherwise), then their other platform; anyone else, their own platform.
 */
export function directPlatformsOf(config: People, actor: string): ChatPlatform[] {
  const person = personOf(config, actor);
  if (!person) {
    if (isSlackUserId(actor)) return ['slack'];
    return actor.startsWith(TEAMS_PREFIX) ? ['teams'] : [];
  }
  const on = (['slack', 'teams'] as const).filter((platform) => person[platform] !== undefined);
  return person.direct ? [person.direct, ...on.filter((p) => p !== person.direct)] : on;
}

/** The name the config gives someone (`people.<key>.name`), or null. */
export function displayName(config: People, actor: string): string | null {
  return personOf(config, actor)?.name ?? null;
}

/** Someone the config names, by actor id, with their id on each platform they are on. */
export interface ConfiguredPerson {
  /** The core's id: a person key, or a platform id for someone not under `people`. */
  id: string;
  name?: string;
  slack?: string;
  teams?: string;
}

/**
 * Everyone the config names, once each and sorted by id: every listed person, and every
 * platform user a principal names who is not listed. Group references, service roles, `*`, and
 * identities on no platform (the CLI `operator`, `ci`) are none.
 */
export function configuredPeople(config: Config): ConfiguredPerson[] {
  const found = new Map<string, ConfiguredPerson>();
  for (const [key, person] of Object.entries(config.people)) {
    found.set(key, {
      id: key,
      ...(person.name ? { name: person.name } : {}),
      ...(person.slack ? { slack: person.slack } : {}),
      ...(person.teams ? { teams: `${TEAMS_PREFIX}${person.teams}` } : {}),
    });
  }
  for (const id of namedIds(config)) {
    if (found.has(id)) continue;
    if (isSlackUserId(id)) found.set(id, { id, slack: id });
    else if (isTeamsUserId(id)) found.set(id, { id, teams: id });
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
