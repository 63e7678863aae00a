import { MEMBER_ID_IN_TEXT } from '../../core/people.js';

/**
 * Text helpers shared by the views. View text is Slack-flavoured markdown ("mrkdwn"): anything a
 * person or a program typed is escaped here, so `<!channel>` in a reason can never ping anyone
 * (docs.slack.dev/messaging/formatting-message-text#escaping).
 */

/** Escapes the three characters Slack's message markup gives meaning to. */
export function escapeText(text: string): string {
  return withMentions(escapeOnly(text));
}

function escapeOnly(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Member and channel ids as the core writes them in its sentences ("locked by U0WEB00001",
// "only from #C0DEPLOYS01"): as Slack issues them, 9 to 11 capitals and digits, at least one
// digit. Not after "@", so a mention someone typed (escaped above) stays text. The member id
// pattern is core/people.ts's: the CLI and the API find the same ids to show names instead.
const CHANNEL_ID_IN_TEXT = /(?<![\w-])#([CG](?=[A-Z0-9]*\d)[A-Z0-9]{8,10})(?![\w-])/g;

/**
 * People and channels named by id become mentions, which Slack shows by name
 * (docs.slack.dev/messaging/formatting-message-text#mentioning-users). The core stays free of
 * chat markup, and an id typed by a person shows the same way.
 */
function withMentions(escaped: string): string {
  return escaped.replace(MEMBER_ID_IN_TEXT, '<@$1>').replace(CHANNEL_ID_IN_TEXT, '<#$1>');
}

/** Undoes `escapeText`, for plain-text places (headers, button labels) Slack does not parse. */
export function unescapeText(text: string): string {
  return text
    .replace(/<@([^<>|\s]+)>/g, '$1')
    .replace(/<#([CG][A-Z0-9-]+)>/g, '#$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

// Actor ids that name a person: Slack member ids (U…, W…; test doubles use dashes, U-DEV1),
// Teams users (`teams:<AAD object id>`) and the config's person keys (`alice`).
const USER_ID = /^(?:[UW][A-Z0-9-]+|teams:[^\s<>|]+|[a-z][a-z0-9._-]*)$/;

/**
 * A person as a mention (`<@U012ABC>`, `<@alice>`), which each platform shows its own way: the
 * chat router turns a person key into that platform's id, or into the person's name where they
 * have none; Slack shows a member id as their name, the Teams renderer writes the name. An actor
 * that is nobody on the platform (the CLI `operator`) comes out as plain text there.
 */
export function mention(user: string): string {
  if (user === 'slipway') return 'Slipway';
  return USER_ID.test(user) ? `<@${user}>` : escapeText(user);
}

export function mentions(users: readonly string[]): string {
  return users.length === 0 ? 'nobody' : users.map(mention).join(', ');
}

/** Inline code, escaped; backticks inside would end the span, so they become quotes. */
export function code(text: string): string {
  // Inside code Slack shows a mention as its markup: no mentions there.
  return `\`${escapeOnly(text.replace(/`/g, "'"))}\``;
}

/** A time each reader sees in their own time zone, with a UTC fallback for old clients. */
export function when(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  const fallback = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${fallback}>`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The first line of a longer text, cut to `max` characters (before escaping). */
export function firstLine(text: string, max = 300): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A link with a label; both escaped (a URL's `&` must be `&amp;` inside Slack markup). */
export function link(url: string, label = url): string {
  return `<${escapeText(url)}|${escapeText(label.replace(/\|/g, '/'))}>`;
}

/** Ends `text` with a full stop unless a person's words already end it ("Broken on iOS!"). */
export function sentence(text: string): string {
  return /[.!?…]$/.test(text.trimEnd()) ? text.trimEnd() : `${text}.`;
}
