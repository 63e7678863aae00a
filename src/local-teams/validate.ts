import { ADAPTIVE_CARD, adaptiveCardProblems } from './cards.js';
import { type Answer, teamsError } from './errors.js';
import { OutboundActivity } from './schema.js';
import type { Activity } from './state.js';

/**
 * What the connector checks on an activity a bot sends: its type, that a message says
 * something, its cards, and its size.
 */

/** Teams' text formats (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages). */
const TEXT_FORMATS = ['plain', 'markdown', 'xml'];

/**
 * Size as Teams counts it: "the message itself (text, image links, etc.), @-mentions, and
 * reactions encoded as UTF-16" (format-your-bot-messages). JS strings are UTF-16, so each
 * code unit is two bytes.
 */
export function messageBytes(a: Pick<Activity, 'text'> & Record<string, unknown>): number {
  const counted = {
    text: a.text,
    summary: a.summary,
    attachments: a.attachments,
    entities: a.entities,
  };
  return JSON.stringify(counted).length * 2;
}

export type Checked = { ok: true; activity: Activity } | { ok: false; answer: Answer };

const refuse = (answer: Answer): Checked => ({ ok: false, answer });

export function checkOutbound(raw: unknown, maxMessageBytes: number): Checked {
  const parsed = OutboundActivity.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (at /${issue.path.join('/')})` : '';
    return refuse(teamsError(400, 'BadSyntax', `${issue?.message ?? 'Invalid activity'}${where}`));
  }
  const a = parsed.data;
  if (a.type === 'typing') return { ok: true, activity: { ...a, type: 'typing' } };
  if (a.type !== 'message') return refuse(teamsError(400, 'BadArgument', 'Unknown activity type'));
  if (a.textFormat !== undefined && !TEXT_FORMATS.includes(a.textFormat)) {
    return refuse(teamsError(400, 'BadArgument', `Unknown textFormat ${a.textFormat}`));
  }
  const hasText = typeof a.text === 'string' && a.text.trim() !== '';
  if (!hasText && (a.attachments ?? []).length === 0) {
    return refuse(teamsError(400, 'BadArgument', 'Message has neither text nor attachments'));
  }
  for (const [i, att] of (a.attachments ?? []).entries()) {
    if (att.contentType !== ADAPTIVE_CARD) continue;
    const problems = adaptiveCardProblems(att.content, `/attachments/${i}/content`);
    if (problems.length > 0) {
      return refuse(
        teamsError(400, 'BadArgument', `Invalid Adaptive Card: ${problems.join('; ')}`),
      );
    }
  }
  const activity: Activity = { ...a, type: 'message' };
  if (messageBytes(activity) > maxMessageBytes) {
    return refuse(teamsError(413, 'MessageSizeTooBig', 'Message size too large.'));
  }
  return { ok: true, activity };
}
