import type { Directory, User } from './directory.js';
import { type Answer, notFound, notInRoster, teamsError } from './errors.js';
import type { RateScenario } from './schema.js';
import { CreateConversationParams } from './schema.js';
import {
  type Activity,
  botInstalledIn,
  type Conversation,
  membersOf,
  type State,
  splitThread,
} from './state.js';
import { checkOutbound } from './validate.js';

/**
 * The Bot Connector REST API v3 as Teams serves it at the serviceUrl
 * (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference;
 * Teams' additions and answers: learn.microsoft.com/microsoftteams/platform/bots/how-to/
 * conversations/send-proactive-messages and conversation-messages). Ids in paths arrive as
 * the SDKs send them: unencoded, `;messageid=` included.
 */

export type Operation =
  | 'createConversation'
  | 'sendToConversation'
  | 'replyToActivity'
  | 'updateActivity'
  | 'deleteActivity'
  | 'getConversationMembers'
  | 'getConversationMember'
  | 'getConversationPagedMembers'
  | 'getTeamDetails'
  | 'getTeamChannels';

interface RouteDef {
  method: string;
  pattern: RegExp;
  operation: Operation;
  scenario: RateScenario;
}

const CONV = '/v3/conversations/([^/]+)';
const ROUTES: RouteDef[] = [
  ['POST', '/v3/conversations', 'createConversation', 'createConversation'],
  ['POST', `${CONV}/activities`, 'sendToConversation', 'sendToConversation'],
  ['POST', `${CONV}/activities/([^/]+)`, 'replyToActivity', 'sendToConversation'],
  ['PUT', `${CONV}/activities/([^/]+)`, 'updateActivity', 'sendToConversation'],
  ['DELETE', `${CONV}/activities/([^/]+)`, 'deleteActivity', 'sendToConversation'],
  ['GET', `${CONV}/members`, 'getConversationMembers', 'getMembers'],
  ['GET', `${CONV}/members/([^/]+)`, 'getConversationMember', 'getMembers'],
  ['GET', `${CONV}/pagedmembers`, 'getConversationPagedMembers', 'getMembers'],
  ['GET', '/v3/teams/([^/]+)', 'getTeamDetails', 'getConversations'],
  ['GET', '/v3/teams/([^/]+)/conversations', 'getTeamChannels', 'getConversations'],
].map(([method, path, operation, scenario]) => ({
  method: method as string,
  pattern: new RegExp(`^${path}$`, 'i'),
  operation: operation as Operation,
  scenario: scenario as RateScenario,
}));

export interface Route {
  operation: Operation;
  scenario: RateScenario;
  params: string[];
}

export function matchRoute(method: string, path: string): Route | Answer {
  let pathKnown = false;
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (r.method !== method) continue;
    const params = m.slice(1).map((p) => decodeURIComponent(p));
    return { operation: r.operation, scenario: r.scenario, params };
  }
  return pathKnown
    ? teamsError(405, 'MethodNotAllowed', `${method} is not allowed on ${path}`)
    : teamsError(404, 'NotFound', `No such API: ${method} ${path}`);
}

/** The thread a call counts against in Teams' per-thread limits. */
export function threadOf(route: Route, body: unknown): string {
  if (route.operation !== 'createConversation') return splitThread(route.params[0] ?? '').base;
  const p = CreateConversationParams.safeParse(body);
  return p.data?.channelData?.channel?.id ?? p.data?.members?.[0]?.id ?? '';
}

function teamsAccount(u: User, tenantId: string) {
  const { id, name, aadObjectId, givenName, surname, email, userPrincipalName } = u;
  return {
    id,
    name,
    aadObjectId,
    givenName,
    surname,
    email,
    userPrincipalName,
    tenantId,
    userRole: 'user',
  };
}

export function createConnector(deps: {
  state: State;
  directory: Directory;
  maxMessageBytes: number;
}) {
  const { state, directory } = deps;
  const check = (raw: unknown) => checkOutbound(raw, deps.maxMessageBytes);
  const incorrectParameters = () =>
    teamsError(400, 'BadSyntax', 'Incorrect conversation creation parameters');

  function postByBot(c: Conversation, activity: Activity, threadId?: string, replyToId?: string) {
    const id = state.nextActivityId();
    return state.post(c, {
      id,
      threadId: c.type === 'channel' ? (threadId ?? id) : undefined,
      replyToId,
      from: directory.bot,
      byBot: true,
      activity,
    });
  }

  function createConversation(body: unknown): Answer {
    const p = CreateConversationParams.safeParse(body);
    if (!p.success) return incorrectParameters();
    const tenant = p.data.channelData?.tenant?.id ?? p.data.tenantId;
    if (!tenant) return teamsError(400, 'BadSyntax', 'Could not parse tenant id');
    if (tenant !== directory.tenantId) {
      return teamsError(400, 'BadArgument', 'Tenant id does not match the bot’s tenant');
    }
    const channelId = p.data.channelData?.channel?.id;
    if (channelId) {
      const channel = directory.channel(channelId);
      if (channel?.id !== channelId) return notFound.conversation();
      if (!channel.team.botInstalled) return notInRoster();
      if (p.data.activity === undefined) return incorrectParameters();
      const checked = check(p.data.activity);
      if (!checked.ok) return checked.answer;
      if (checked.activity.type !== 'message') return incorrectParameters();
      const posted = postByBot(state.conversation(channel.id) as Conversation, checked.activity);
      return {
        status: 201,
        body: { id: `${channel.id};messageid=${posted.id}`, activityId: posted.id },
      };
    }
    const members = p.data.members ?? [];
    const member = members[0];
    if (p.data.isGroup || members.length !== 1 || !member) return incorrectParameters();
    const user = directory.user(member.id);
    if (!user || user.key === member.id) {
      return teamsError(400, 'BadArgument', 'Invalid user identity in provided tenant');
    }
    if (!user.installed) return notInRoster();
    const c = state.personal(user);
    if (p.data.activity === undefined) return { status: 201, body: { id: c.id } };
    const checked = check(p.data.activity);
    if (!checked.ok) return checked.answer;
    if (checked.activity.type !== 'message') return { status: 201, body: { id: c.id } };
    return { status: 201, body: { id: c.id, activityId: postByBot(c, checked.activity).id } };
  }

  function send(conversationId: string, body: unknown, replyTo?: string): Answer {
    const { base, messageId } = splitThread(conversationId);
    const c = state.conversation(base);
    if (!c || (messageId && c.type !== 'channel')) return notFound.conversation();
    if (!botInstalledIn(c)) return notInRoster();
    const checked = check(body);
    if (!checked.ok) return checked.answer;
    if (checked.activity.type === 'typing') return { status: 202, body: {} };
    const sentReplyTo = checked.activity.replyToId;
    const replyToId = replyTo ?? (typeof sentReplyTo === 'string' ? sentReplyTo : undefined);
    let threadId: string | undefined;
    if (c.type === 'channel') {
      // A channel reply goes into the thread of the post it answers: the one named by
      // `;messageid=`, else the thread of the activity it replies to, else a new post.
      const anchor = messageId ?? replyToId;
      if (anchor) {
        threadId = state.find(c, anchor)?.threadId;
        if (!threadId || (messageId && threadId !== messageId)) return notFound.activity();
      }
    }
    const posted = postByBot(c, checked.activity, threadId, replyToId);
    return { status: 201, body: { id: posted.id } };
  }

  function ownActivity(conversationId: string, id: string) {
    const c = state.conversation(conversationId);
    if (!c) return { answer: notFound.conversation() };
    const stored = state.find(c, id);
    if (!stored || stored.deleted) return { answer: notFound.activity() };
    if (!stored.byBot) {
      return {
        answer: teamsError(403, 'NotEnoughPermissions', 'A bot can only change its own messages.'),
      };
    }
    return { stored };
  }

  function update(conversationId: string, id: string, body: unknown): Answer {
    const { stored, answer } = ownActivity(conversationId, id);
    if (!stored) return answer;
    const checked = check(body);
    if (!checked.ok) return checked.answer;
    if (checked.activity.type !== 'message') {
      return teamsError(400, 'BadArgument', 'Unknown activity type');
    }
    stored.versions.push({ ...checked.activity, id });
    state.changed();
    return { status: 200, body: { id } };
  }

  function remove(conversationId: string, id: string): Answer {
    const { stored, answer } = ownActivity(conversationId, id);
    if (!stored) return answer;
    stored.deleted = true;
    state.changed();
    return { status: 200, body: {} };
  }

  function members(conversationId: string, query: URLSearchParams, paged: boolean): Answer {
    const c = state.conversation(conversationId);
    if (!c) return notFound.conversation();
    const all = membersOf(c).map((u) => teamsAccount(u, c.tenantId));
    if (!paged) return { status: 200, body: all };
    // pageSize: at least 50, 200 by default, at most 500 (Teams' paged members API).
    const size = Math.min(500, Math.max(50, Number(query.get('pageSize')) || 200));
    const from = Number(Buffer.from(query.get('continuationToken') ?? '', 'base64url').toString());
    const start = Number.isInteger(from) && from > 0 ? from : 0;
    const next = start + size < all.length ? { continuationToken: b64(start + size) } : {};
    return { status: 200, body: { members: all.slice(start, start + size), ...next } };
  }

  function member(conversationId: string, userId: string): Answer {
    const c = state.conversation(conversationId);
    if (!c) return notFound.conversation();
    const u = membersOf(c).find((m) => m.id === userId || m.aadObjectId === userId);
    if (!u) {
      return teamsError(
        404,
        'MemberNotFoundInConversation',
        'The member was not found in the conversation.',
      );
    }
    return { status: 200, body: teamsAccount(u, c.tenantId) };
  }

  function team(teamId: string, channels: boolean): Answer {
    const t = directory.teams.find((x) => x.id === teamId);
    if (!t) return teamsError(404, 'NotFound', 'Team not found.');
    if (!t.botInstalled) return notInRoster();
    if (!channels)
      return { status: 200, body: { id: t.id, name: t.name, aadGroupId: t.aadGroupId } };
    // Teams lists General without a name.
    const list = t.channels.map((ch) =>
      ch.id === t.id ? { id: ch.id } : { id: ch.id, name: ch.name },
    );
    return { status: 200, body: { conversations: list } };
  }

  return {
    handle(route: Route, body: unknown, query: URLSearchParams): Answer {
      const [a = '', b = ''] = route.params;
      switch (route.operation) {
        case 'createConversation':
          return createConversation(body);
        case 'sendToConversation':
          return send(a, body);
        case 'replyToActivity':
          return send(a, body, b);
        case 'updateActivity':
          return update(a, b, body);
        case 'deleteActivity':
          return remove(a, b);
        case 'getConversationMembers':
          return members(a, query, false);
        case 'getConversationPagedMembers':
          return members(a, query, true);
        case 'getConversationMember':
          return member(a, b);
        case 'getTeamDetails':
          return team(a, false);
        case 'getTeamChannels':
          return team(a, true);
      }
    },
  };
}

const b64 = (n: number) => Buffer.from(String(n)).toString('base64url');
