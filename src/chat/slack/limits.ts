import { mrkdwnCut, safeEnd } from '../views/split.js';

export { splitForThread } from '../views/split.js';

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

/** Plain text (headers, button labels, dialogs): cut with an ellipsis. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeEnd(text, max - 1))}…`;
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
