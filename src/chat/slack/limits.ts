/**
 * Block Kit limits, as documented by Slack. Slack refuses a whole message (`invalid_blocks`)
 * when one of them is exceeded, so the renderer cuts text to fit and says so.
 */
export const BLOCK_LIMITS = {
  // docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in each message"
  blocks: 50,
  // docs.slack.dev/reference/block-kit/blocks/section-block: text ≤ 3000, fields ≤ 10 × 2000
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  // docs.slack.dev/reference/block-kit/blocks/header-block: plain_text ≤ 150
  headerText: 150,
  // docs.slack.dev/reference/block-kit/blocks/context-block: ≤ 10 elements
  contextElements: 10,
  contextText: 3000,
  // docs.slack.dev/reference/block-kit/blocks/actions-block: ≤ 25 elements
  actionsElements: 25,
  // docs.slack.dev/reference/block-kit/block-elements/button-element
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  // docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  // docs.slack.dev/reference/methods/chat.postMessage#truncating: keep `text` ≤ 4000
  fallbackText: 4000,
  // docs.slack.dev/reference/views/modal-views: title, submit and close ≤ 24, ≤ 100 blocks,
  // private_metadata ≤ 3000, callback_id ≤ 255
  modalText: 24,
  modalBlocks: 100,
  privateMetadata: 3000,
  callbackId: 255,
  // docs.slack.dev/reference/block-kit/blocks/input-block: label ≤ 2000
  inputLabel: 2000,
  // docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
  inputPlaceholder: 150,
  inputMaxLength: 3000,
} as const;

/** Shown wherever text was cut; the full text goes to the thread. */
export const TRUNCATION_NOTE = '… (truncated, full log in thread)';

/** Cuts at `end` without splitting a UTF-16 surrogate pair (an emoji) in two. */
function safeEnd(text: string, end: number): number {
  if (end <= 0) return 0;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/** Plain text (headers, button labels, dialogs): cut with an ellipsis. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeEnd(text, max - 1))}…`;
}

/**
 * The longest prefix of mrkdwn `text` no longer than `end` that does not end inside an entity
 * (`&amp;`) or a markup span (`<@U1>`, `<url|label>`): either would render as garbage.
 */
export function mrkdwnCut(text: string, end: number): number {
  let cut = safeEnd(text, Math.min(end, text.length));
  const head = text.slice(0, cut);
  const amp = head.lastIndexOf('&');
  if (amp > head.lastIndexOf(';') && cut - amp < 10 && text.length > cut) cut = amp;
  const open = head.lastIndexOf('<');
  if (open > head.lastIndexOf('>') && text.length > cut) cut = Math.min(cut, open);
  return cut;
}

/**
 * Mrkdwn text cut to `max` characters with a visible note; an open code block is closed so
 * the note is not swallowed by it.
 */
export function truncateMrkdwn(text: string, max: number, note = TRUNCATION_NOTE): string {
  if (text.length <= max) return text;
  const budget = max - note.length - 1 - 3;
  let cut = mrkdwnCut(text, budget);
  const newline = text.lastIndexOf('\n', cut);
  // Whole lines read better, unless that would throw away most of the text.
  if (newline > budget * 0.8) cut = newline;
  let head = text.slice(0, cut);
  if ((head.match(/```/g) ?? []).length % 2 === 1) head += '```';
  return `${head}\n${note}`;
}

/**
 * Cuts a long text (a log, an output tail) into chunks of at most `limit` characters for thread
 * replies, at line ends where possible and never inside an entity or markup span.
 */
export function splitForThread(text: string, limit: number = BLOCK_LIMITS.sectionText): string[] {
  if (limit < 16) throw new RangeError(`splitForThread needs a limit of at least 16, not ${limit}`);
  const chunks: string[] = [];
  let current = '';
  const push = () => {
    if (current !== '') chunks.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const joined = current === '' ? line : `${current}\n${line}`;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    push();
    let rest = line;
    while (rest.length > limit) {
      const cut = mrkdwnCut(rest, limit) || limit;
      chunks.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  push();
  return chunks;
}
