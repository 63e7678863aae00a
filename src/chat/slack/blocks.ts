import type {
  ActionsBlock,
  Button,
  ConfirmationDialog,
  ContextBlock,
  HeaderBlock,
  InputBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  PlainTextInput,
  SectionBlock,
  ModalView as SlackModal,
} from '@slack/types';
import type { MessageView, ModalInput, ModalView, ViewAction } from '../types.js';
import { buttonRows, TONE_EMOJI } from '../views/layout.js';
import { unescapeText } from '../views/text.js';
import { BLOCK_LIMITS as L, TRUNCATION_NOTE, truncateMrkdwn, truncatePlain } from './limits.js';
import { encodeModalMetadata } from './modal-metadata.js';

export { BLOCK_LIMITS, splitForThread, TRUNCATION_NOTE } from './limits.js';

/**
 * What every Slack message Slipway sends carries, whichever way it goes (chat.postMessage,
 * chat.update, chat.postEphemeral, a response_url, a slash command's acknowledgement): the
 * notification text and the blocks, typed with Slack's own Block Kit types (@slack/types).
 */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * A view as Block Kit: title, body, fields, buttons, small print. Every limit Slack documents
 * is respected (limits.ts): text is cut with a visible note, never sent over.
 *
 * View text is mrkdwn and already escaped by the views; labels and confirm dialogs are plain
 * text. `text` is the fallback Slack shows in notifications and old clients.
 */
export function renderBlocks(view: MessageView): SlackMessage {
  const emoji = TONE_EMOJI[view.tone];
  const title = emoji ? `${emoji} ${view.title}` : view.title;
  const blocks: KnownBlock[] = [titleBlock(title)];
  if (view.body && view.body.trim() !== '') blocks.push(section(view.body, L.sectionText));
  blocks.push(...fieldBlocks(view.fields ?? []));
  const { blocks: actions, dropped } = actionBlocks(view);
  blocks.push(...actions);
  const context = [...(view.context ?? [])];
  if (dropped > 0) context.push(`${dropped} button(s) left out: too long for Slack`);
  if (context.length > 0) blocks.push(contextBlock(context));
  return { text: truncateMrkdwn(title, L.fallbackText), blocks: capBlocks(blocks) };
}

/**
 * A form as a Slack modal (docs.slack.dev/reference/views/modal-views): the body as a section,
 * one required input block per input (block_id and action_id are the input's id, so the
 * submission's values and the `errors` answer name inputs by their ids), the action as
 * callback_id and the button's reference in private_metadata (modal-metadata.ts).
 */
export function renderModal(view: ModalView): SlackModal {
  const blocks: KnownBlock[] = [];
  if (view.body && view.body.trim() !== '') blocks.push(section(view.body, L.sectionText));
  blocks.push(...view.inputs.map(inputBlock));
  if (blocks.length > L.modalBlocks) {
    throw new RangeError(`a form has at most ${L.modalBlocks} inputs in Slack`);
  }
  return {
    type: 'modal',
    callback_id: view.actionId,
    private_metadata: encodeModalMetadata(view.value, view.origin),
    title: plain(view.title, L.modalText),
    submit: plain(view.submit, L.modalText),
    close: plain(view.cancel, L.modalText),
    blocks,
  };
}

function inputBlock(input: ModalInput): InputBlock {
  const element: PlainTextInput = {
    type: 'plain_text_input',
    action_id: input.id,
    multiline: input.multiline ?? false,
  };
  if (input.placeholder) element.placeholder = plain(input.placeholder, L.inputPlaceholder);
  if (input.maxLength) element.max_length = Math.min(input.maxLength, L.inputMaxLength);
  return { type: 'input', block_id: input.id, label: plain(input.label, L.inputLabel), element };
}

/**
 * A header where the title is plain and short; mrkdwn (mentions, dates) and long titles go in
 * a bold section instead, since a header shows markup literally and stops at 150 characters.
 */
function titleBlock(title: string): HeaderBlock | SectionBlock {
  // Slack refuses empty text objects.
  if (title.trim() === '') return section('(no title)', L.sectionText);
  const plain = unescapeText(title);
  if (!title.includes('<') && plain.length <= L.headerText) {
    return { type: 'header', text: { type: 'plain_text', text: plain, emoji: true } };
  }
  return section(`*${title.replace(/\n/g, ' ')}*`, L.sectionText);
}

function section(text: string, max: number): SectionBlock {
  return { type: 'section', text: mrkdwn(truncateMrkdwn(text, max)) };
}

function fieldBlocks(fields: readonly { label: string; value: string }[]): SectionBlock[] {
  const blocks: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += L.fields) {
    blocks.push({
      type: 'section',
      fields: fields
        .slice(i, i + L.fields)
        .map((f) => mrkdwn(truncateMrkdwn(`*${f.label}*\n${f.value || ' '}`, L.fieldText))),
    });
  }
  return blocks;
}

function actionBlocks(view: MessageView): { blocks: ActionsBlock[]; dropped: number } {
  const { rows, dropped } = buttonRows<Button>(view, {
    action: (action) =>
      action.value.length > L.buttonValue || action.id.length > L.actionId
        ? null
        : actionButton(action),
    link: (link, i) =>
      link.url.length > L.buttonUrl
        ? null
        : {
            type: 'button',
            action_id: `link:${i}`,
            text: plain(link.label || hostOf(link.url), L.buttonText),
            url: link.url,
          },
    perRow: L.actionsElements,
  });
  return { blocks: rows.map((elements) => ({ type: 'actions', elements })), dropped };
}

function actionButton(action: ViewAction): Button {
  const button: Button = {
    type: 'button',
    action_id: action.id,
    text: plain(action.label || action.id, L.buttonText),
    value: action.value,
  };
  if (action.style) button.style = action.style;
  if (action.confirm) button.confirm = confirmDialog(action.confirm, action.style);
  return button;
}

function confirmDialog(
  c: NonNullable<ViewAction['confirm']>,
  style: ViewAction['style'],
): ConfirmationDialog {
  return {
    title: plain(c.title, L.confirmTitle),
    text: plain(c.text, L.confirmText),
    confirm: plain(c.confirm, L.confirmButton),
    deny: plain(c.deny, L.confirmButton),
    ...(style ? { style } : {}),
  };
}

/**
 * Slack refuses a whole message for one empty text object ("must be more than 0 characters"),
 * so an empty text shows as a space, as empty fields and context do.
 */
function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: truncatePlain(text || ' ', max), emoji: true };
}

/** A link button without a label is named for where it goes. */
function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text };
}

function contextBlock(items: readonly string[]): ContextBlock {
  // More than 10 items: the rest share the last element.
  const head = items.slice(0, L.contextElements - 1);
  const rest = items.slice(L.contextElements - 1);
  const elements = rest.length > 0 ? [...head, rest.join(' · ')] : head;
  return {
    type: 'context',
    elements: elements.map((text) => mrkdwn(truncateMrkdwn(text || ' ', L.contextText))),
  };
}

/** At most 50 blocks: the last one left says that something was cut. */
function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= L.blocks) return blocks;
  return [
    ...blocks.slice(0, L.blocks - 1),
    { type: 'context', elements: [mrkdwn(TRUNCATION_NOTE)] },
  ];
}
