import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

/**
 * Who and where the Agents Playground pretends to be: the `.m365agentsplayground.yml` it reads
 * from its working directory, with Teams-shaped ids. Computed without starting anything, so a
 * test can write Slipway's `people:` config (which needs the aadObjectIds), and `slipway dev
 * --teams` can take them from slipway.yaml, and start Slipway before the Playground, which
 * probes the bot at start.
 *
 * The file's schema is in the package's bundle (`dist/index.js`, search `config.schema.json`,
 * version 0.1.1). The fields used, and what the Playground does with them:
 * - `tenantId`: put in every activity's `conversation.tenantId` and `channelData.tenant.id`.
 * - `bot.{id,name}`: the activity's `recipient`, the mention's `mentioned`, the name in the page's
 *   `@` picker (at most 42 characters).
 * - `currentUser`: the one person the page acts as; every message typed and button clicked in
 *   the page comes `from` them.
 * - `users`: exactly 5 more people (the schema says minItems 5 and maxItems 5; with fewer the
 *   Playground logs `ConfigFileParseError` and exits). They are members of the group chat and
 *   the team, so `/_conversation/v1/invoke` accepts them as `from`, and it fills in their `name`
 *   and `aadObjectId` from here.
 *   Each user needs `id, name, userPrincipleName` (sic), `aadObjectId, givenName, surname, email`.
 * - `personalChat.id`: the conversation id of the current user's 1:1 chat with the bot.
 * - `groupChat.{id,name}`: the one group chat (current user, the 5 users and the bot).
 * - `team.{id,name,aadGroupId,channels}`: the one team. Its General channel's conversation id is
 *   the team id; `channels` holds at most one more channel (`maxItems: 1`).
 */

/** A person in the Playground. `key` is how they are named (Slipway's `people:` key). */
export interface PlaygroundPerson {
  key: string;
  /** Teams' channel account id, `29:<key>`: the activity's `from.id`. */
  id: string;
  /** Entra object id, a GUID derived from the key: the activity's `from.aadObjectId`. */
  aadObjectId: string;
  name: string;
  email: string;
}

/** A person as asked for: a key, or a key with overrides (a configured name, an Entra id). */
export type PersonInput = string | ({ key: string } & Partial<Omit<PlaygroundPerson, 'key'>>);

export interface PlaygroundSetupOptions {
  /** Six people at most: the current user and the 5 users (missing ones are filled in). */
  users?: PersonInput[];
  /** Key of the person the page acts as; the first of `users` when not given. */
  currentUser?: string;
  bot?: { id?: string; name?: string };
  /**
   * The team: its name and its one channel besides General, whose conversation id is
   * `19:<channel>@thread.tacv2` unless `channelId` names one (a channel of slipway.yaml).
   */
  team?: { name?: string; channel?: string; channelId?: string };
  /** The one group chat; `id` when slipway.yaml names a group chat (`19:…@thread.v2`). */
  groupChat?: { name?: string; id?: string };
  /** Keys the people filled in must not take (people of slipway.yaml who are not in it). */
  avoid?: string[];
}

export interface PlaygroundChannel {
  name: string;
  /** The channel's conversation id, `19:…@thread.tacv2`; the General channel's is the team's. */
  id: string;
}

export interface PlaygroundSetup {
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundPerson;
  /** Everyone, the current user included, by key. */
  people: Record<string, PlaygroundPerson>;
  team: { id: string; name: string; aadGroupId: string; channels: PlaygroundChannel[] };
  groupChat: { id: string; name: string };
  personalChat: { id: string };
  /** The YAML the Playground reads. */
  yaml: string;
}

/** Filled in, in this order, for people a test does not name. */
const DEFAULT_PEOPLE: Record<string, string> = {
  alice: 'Alice Archer',
  bob: 'Bob Baker',
  carol: 'Carol Chen',
  dave: 'Dave Diaz',
  erin: 'Erin Evans',
  frank: 'Frank Fisher',
};
const PEOPLE_COUNT = Object.keys(DEFAULT_PEOPLE).length;
/** After those, when `avoid` takes some of them. */
const GUESTS = ['guest1', 'guest2', 'guest3', 'guest4', 'guest5', 'guest6'];

/** A GUID-shaped id derived from `seed`, so the same key gets the same aadObjectId every run. */
export function guidFor(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), `4${hex.slice(13, 16)}`, `8${hex.slice(17, 20)}`]
    .concat(hex.slice(20, 32))
    .join('-');
}

function person(input: PersonInput): PlaygroundPerson {
  const given = typeof input === 'string' ? { key: input } : input;
  const key = given.key;
  const name = given.name ?? DEFAULT_PEOPLE[key] ?? key.charAt(0).toUpperCase() + key.slice(1);
  return {
    key,
    id: given.id ?? `29:${key}`,
    aadObjectId: given.aadObjectId ?? guidFor(`person:${key}`),
    name,
    email: given.email ?? `${key}@slipway.test`,
  };
}

function peopleFrom(options: PlaygroundSetupOptions): PlaygroundPerson[] {
  const asked = (options.users ?? []).map(person);
  if (asked.length > PEOPLE_COUNT) {
    throw new Error(
      `the Playground takes ${PEOPLE_COUNT} people (the current user and exactly 5 users), ` +
        `${asked.length} were given: ${asked.map((p) => p.key).join(', ')}`,
    );
  }
  const keys = new Set(asked.map((p) => p.key));
  if (keys.size !== asked.length) throw new Error('two Playground users have the same key');
  const taken = new Set([...keys, ...(options.avoid ?? [])]);
  const filler = [...Object.keys(DEFAULT_PEOPLE), ...GUESTS]
    .filter((key) => !taken.has(key))
    .map((key) => person(key));
  const people = [...asked, ...filler].slice(0, PEOPLE_COUNT);
  const current = options.currentUser ?? people[0]?.key;
  const index = people.findIndex((p) => p.key === current);
  if (index < 0) {
    throw new Error(
      `currentUser "${current}" is not among the Playground's people: ${people.map((p) => p.key).join(', ')}`,
    );
  }
  return [people[index] as PlaygroundPerson, ...people.filter((_, i) => i !== index)];
}

function userEntry(p: PlaygroundPerson) {
  const [givenName = p.name, ...rest] = p.name.split(' ');
  return {
    id: p.id,
    name: p.name,
    userPrincipleName: p.email,
    aadObjectId: p.aadObjectId,
    givenName,
    surname: rest.join(' '),
    email: p.email,
  };
}

/** The General channel's conversation id, which is the team's id too (as in Teams). */
const GENERAL_ID = '19:general@thread.tacv2';

/** The Playground's people, bot, team and chats for `options`; the same options give the same ids. */
export function playgroundSetup(options: PlaygroundSetupOptions = {}): PlaygroundSetup {
  const [currentUser, ...users] = peopleFrom(options) as [PlaygroundPerson, ...PlaygroundPerson[]];
  const bot = { id: options.bot?.id ?? '28:slipway-bot', name: options.bot?.name ?? 'Slipway' };
  const teamName = options.team?.name ?? 'Platform';
  const channelName = options.team?.channel ?? 'deploys';
  if (channelName.toLowerCase() === 'general') {
    throw new Error('the team always has General; name the one other channel something else');
  }
  const channelId =
    options.team?.channelId ??
    `19:${channelName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@thread.tacv2`;
  if (channelId === GENERAL_ID) throw new Error(`${GENERAL_ID} is the team's General channel`);
  const team = {
    id: GENERAL_ID,
    name: teamName,
    aadGroupId: guidFor(`team:${teamName}`),
    channels: [
      { name: 'General', id: GENERAL_ID },
      { name: channelName, id: channelId },
    ],
  };
  const groupChat = {
    id: options.groupChat?.id ?? '19:release-crew@thread.v2',
    name: options.groupChat?.name ?? 'Release Crew',
  };
  const personalChat = { id: `a:1${bot.id.replace(/^28:/, '')}-${currentUser.key}` };
  const tenantId = guidFor('tenant:slipway');
  const yaml = stringify({
    version: '0.1.1',
    tenantId,
    bot,
    currentUser: userEntry(currentUser),
    users: users.map(userEntry),
    personalChat,
    groupChat,
    team: {
      id: team.id,
      name: team.name,
      aadGroupId: team.aadGroupId,
      channels: team.channels.slice(1),
    },
  });
  const people = Object.fromEntries([currentUser, ...users].map((p) => [p.key, p]));
  return { tenantId, bot, currentUser, people, team, groupChat, personalChat, yaml };
}
