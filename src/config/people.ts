import { isSlackUserId, isTeamsUserId, TEAMS_PREFIX } from './ids.js';

/**
 * People across chat platforms (`people:` in slipway.yaml). The core's id for someone listed
 * there is their key (`alice`), whichever platform they act from; for anyone else, their
 * platform id (`U012ABC`, `teams:<Entra ID object id>`). Principals are resolved to that id when
 * the config is loaded, and actors through `actorOf`, so one comparison decides who someone is.
 */

export type ChatPlatform = 'slack' | 'teams';

/** A person as written under `people:`. */
export interface PersonInput {
  slack?: string | undefined;
  teams?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  direct?: ChatPlatform | undefined;
}

/** A person in the loaded config: Teams ids in lower case, and where to message them directly. */
export interface ResolvedPerson {
  slack?: string;
  /** The Entra ID object id, without the core's `teams:` prefix. */
  teams?: string;
  email?: string;
  name?: string;
  /** Where a direct message goes: as configured, else Slack, else Teams; null without either. */
  direct: ChatPlatform | null;
}

/** The principal lists of a config, before or after resolution. */
interface WithPrincipals {
  admins: string[];
  groups: Record<string, string[]>;
  environments: { deployers: string[]; approvals: { from: string[] }; freezeOverride: string[] }[];
  services: { owners: string[]; qa: string[] }[];
}

/** Replaces every platform id of a listed person in the principals by their key. */
export function resolvePeople<T extends WithPrincipals & { people: Record<string, PersonInput> }>(
  config: T,
): Omit<T, 'people'> & { people: Record<string, ResolvedPerson> } {
  const people = Object.fromEntries(
    Object.entries(config.people).map(([key, person]) => [key, resolvePerson(person)]),
  );
  const index = indexOf(people);
  const resolve = (list: string[]) => [...new Set(list.map((p) => lookUp(index, p) ?? p))];
  return {
    ...config,
    people,
    admins: resolve(config.admins),
    groups: Object.fromEntries(
      Object.entries(config.groups).map(([name, members]) => [name, resolve(members)]),
    ),
    environments: config.environments.map((env) => ({
      ...env,
      deployers: resolve(env.deployers),
      approvals: { ...env.approvals, from: resolve(env.approvals.from) },
      freezeOverride: resolve(env.freezeOverride),
    })),
    services: config.services.map((service) => ({
      ...service,
      owners: resolve(service.owners),
      qa: resolve(service.qa),
    })),
  };
}

function resolvePerson(person: PersonInput): ResolvedPerson {
  const out: ResolvedPerson = { direct: null };
  if (person.slack) out.slack = person.slack;
  // Teams sends object ids in lower case; the config may have been pasted in capitals.
  if (person.teams) out.teams = person.teams.toLowerCase();
  if (person.email) out.email = person.email;
  if (person.name) out.name = person.name;
  const wanted = person.direct;
  // A `direct` naming a platform they are not on is refused by the loader's checks.
  out.direct = wanted && out[wanted] ? wanted : out.slack ? 'slack' : out.teams ? 'teams' : null;
  return out;
}

/** Person key, Slack id and `teams:<object id>` → person key. */
type Index = ReadonlyMap<string, string>;

const indexes = new WeakMap<object, Index>();

function indexOf(people: Readonly<Record<string, ResolvedPerson>>): Index {
  const cached = indexes.get(people);
  if (cached) return cached;
  const index = new Map<string, string>();
  // Reversed, so that where two people share an id (refused by the loader) the first wins.
  for (const [key, person] of Object.entries(people).reverse()) {
    if (person.slack) index.set(person.slack, key);
    if (person.teams) index.set(`${TEAMS_PREFIX}${person.teams}`, key);
  }
  for (const key of Object.keys(people)) index.set(key, key);
  indexes.set(people, index);
  return index;
}

function lookUp(index: Index, id: string): string | null {
  return index.get(isTeamsUserId(id) ? id.toLowerCase() : id) ?? null;
}

/** The key of the listed person `id` is (their key or one of their platform ids), or null. */
export function personKeyOf(
  config: { people: Readonly<Record<string, ResolvedPerson>> },
  id: string,
): string | null {
  return lookUp(indexOf(config.people), id);
}

/**
 * The core's id for whoever `id` is: a listed person's key, else the id itself (a Teams object
 * id in lower case, as Teams sends it).
 */
export function actorOf(
  config: { people: Readonly<Record<string, ResolvedPerson>> },
  id: string,
): string {
  return personKeyOf(config, id) ?? (isTeamsUserId(id) ? id.toLowerCase() : id);
}

/**
 * Every Slack user the config names, listed people's Slack ids among them: the users of the
 * local Slack (`slipway dev`), each once, sorted. Group references, service roles, `*`, the CLI
 * `operator`, person keys without a Slack id and Teams users are none; the local Slack's test
 * ids (`U-DEV1`) are. For everyone the config names on every platform, see
 * src/chat/identity.ts `configuredPeople`.
 */
export function configuredPeople(config: {
  people: Readonly<Record<string, ResolvedPerson>>;
  groups: Record<string, string[]>;
  admins: string[];
  services: { owners: string[]; qa: string[] }[];
  environments: { deployers: string[]; approvals: { from: string[] }; freezeOverride: string[] }[];
}): string[] {
  const ids = new Set<string>();
  for (const id of namedIds(config)) {
    const person = config.people[id];
    if (person?.slack) ids.add(person.slack);
    else if (isSlackUserId(id)) ids.add(id);
  }
  for (const person of Object.values(config.people)) if (person.slack) ids.add(person.slack);
  return [...ids].sort();
}

/** Every principal that is a person or a user id, in config order, each once. */
export function namedIds(config: WithPrincipals): string[] {
  const ids = new Set<string>();
  const add = (list: readonly string[]) => {
    for (const id of list) if (!isReference(id)) ids.add(id);
  };
  for (const members of Object.values(config.groups)) add(members);
  add(config.admins);
  for (const s of config.services) {
    add(s.owners);
    add(s.qa);
  }
  for (const e of config.environments) {
    add(e.deployers);
    add(e.approvals.from);
    add(e.freezeOverride);
  }
  return [...ids];
}

function isReference(principal: string): boolean {
  return principal === '*' || principal.startsWith('@') || principal.startsWith('service:');
}
