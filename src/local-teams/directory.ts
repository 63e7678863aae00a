import { createHash } from 'node:crypto';
import type { LocalTeamsConfig } from './schema.js';

/**
 * Who and where: the tenant's people, teams with their channels, and group chats, with ids
 * shaped as Teams shapes them (learn.microsoft.com/microsoftteams/platform/bots/how-to/
 * conversations/conversation-messages): users `29:…` with an Entra object id, the bot
 * `28:<app id>`, channels `19:…@thread.tacv2` (a team's id is its General channel's), group
 * chats `19:…@thread.v2`, 1:1 chats `a:1…`. Ids derive from keys, so they are the same on
 * every run. Install flags and memberships change as the tests (un)install the app.
 */

export interface User {
  key: string;
  id: string;
  aadObjectId: string;
  name: string;
  givenName: string;
  surname: string;
  email: string;
  userPrincipalName: string;
  installed: boolean;
}

export interface Channel {
  key: string;
  id: string;
  /** General's name is absent in Teams' channel list, as in Teams. */
  name: string;
  team: Team;
}

export interface Team {
  key: string;
  id: string;
  name: string;
  aadGroupId: string;
  members: User[];
  botInstalled: boolean;
  channels: Channel[];
}

export interface GroupChat {
  key: string;
  id: string;
  topic?: string | undefined;
  members: User[];
  botInstalled: boolean;
}

export interface Account {
  id: string;
  name: string;
  aadObjectId?: string;
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest();

function guid(...parts: string[]): string {
  const h = digest('guid', ...parts).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const threadId = (kind: string, ...parts: string[]) =>
  `19:${digest(kind, ...parts)
    .toString('hex')
    .slice(0, 32)}@${kind}`;

export interface Directory {
  readonly tenantId: string;
  readonly bot: Account;
  readonly users: User[];
  readonly teams: Team[];
  readonly groupChats: GroupChat[];
  /** By key, `29:` id or Entra object id. */
  user(ref: string): User | undefined;
  team(ref: string): Team | undefined;
  /** By key or id; a team's key names its General channel. */
  channel(ref: string): Channel | undefined;
  groupChat(ref: string): GroupChat | undefined;
  /** The 1:1 chat between the bot and this person: one per person, as in Teams. */
  personalChatId(user: User): string;
  account(user: User): Account;
}

function buildUser(u: LocalTeamsConfig['users'][number], tenantDomain: string): User {
  const name = u.name ?? u.key.charAt(0).toUpperCase() + u.key.slice(1);
  const [givenName = name, ...rest] = name.split(' ');
  const email = u.email ?? `${u.key}@${tenantDomain}`;
  return {
    key: u.key,
    id: u.id ?? `29:1${digest('user', u.key).toString('base64url').slice(0, 42)}`,
    aadObjectId: u.aadObjectId ?? guid('user', u.key),
    name,
    givenName,
    surname: rest.join(' '),
    email,
    userPrincipalName: email,
    installed: u.installed,
  };
}

export function createDirectory(cfg: LocalTeamsConfig): Directory {
  const users = cfg.users.map((u) => buildUser(u, 'contoso.example'));
  const keys = new Set<string>();
  const claim = (kind: string, key: string) => {
    if (keys.has(`${kind}:${key}`)) throw new Error(`local-teams: two ${kind}s have key "${key}"`);
    keys.add(`${kind}:${key}`);
  };
  for (const u of users) claim('user', u.key);
  const byKey = (ks: string[] | undefined, where: string) =>
    ks === undefined
      ? [...users]
      : ks.map((k) => {
          const u = users.find((x) => x.key === k);
          if (!u) throw new Error(`local-teams: ${where} names user "${k}", who is not in users`);
          return u;
        });

  const teams: Team[] = cfg.teams.map((t) => {
    const id = t.id ?? threadId('thread.tacv2', 'team', t.key);
    const team: Team = {
      key: t.key,
      id,
      name: t.name,
      aadGroupId: guid('team', t.key),
      members: byKey(t.members, `team "${t.key}"`),
      botInstalled: t.botInstalled,
      channels: [],
    };
    const general = { key: `${t.key}.general`, id, name: 'General', team };
    team.channels = [
      general,
      ...t.channels.map((c) => ({
        key: c.key,
        id: c.id ?? threadId('thread.tacv2', 'channel', t.key, c.key),
        name: c.name,
        team,
      })),
    ];
    return team;
  });
  const channels = teams.flatMap((t) => t.channels);
  for (const c of channels) claim('channel', c.key);
  const groupChats: GroupChat[] = cfg.groupChats.map((g) => ({
    key: g.key,
    id: g.id ?? threadId('thread.v2', 'chat', g.key),
    topic: g.topic,
    members: byKey(g.members, `group chat "${g.key}"`),
    botInstalled: g.botInstalled,
  }));
  for (const g of groupChats) claim('groupChat', g.key);

  return {
    tenantId: cfg.tenantId,
    bot: { id: `28:${cfg.appId}`, name: cfg.botName },
    users,
    teams,
    groupChats,
    user: (ref) => users.find((u) => u.key === ref || u.id === ref || u.aadObjectId === ref),
    team: (ref) => teams.find((t) => t.key === ref || t.id === ref),
    channel: (ref) =>
      channels.find((c) => c.key === ref || c.id === ref) ??
      teams.find((t) => t.key === ref)?.channels[0],
    groupChat: (ref) => groupChats.find((g) => g.key === ref || g.id === ref),
    personalChatId: (user) =>
      `a:1${digest('personal', cfg.appId, user.key).toString('base64url').slice(0, 60)}`,
    account: (user) => ({ id: user.id, name: user.name, aadObjectId: user.aadObjectId }),
  };
}
