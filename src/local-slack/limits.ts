import type {
  ActionsBlock,
  Block,
  Button,
  Confirm,
  ContextBlock,
  HeaderBlock,
  InputBlock,
  ModalView,
  PlainTextElement,
  PlainTextInput,
  SectionBlock,
} from '@slack/types';

/**
 * Every Block Kit and Web API limit the local Slack enforces, each with the page of Slack's
 * reference that states it (read 2026-12-06) and, where @slack/types documents the same field,
 * the interface and field whose doc comment states it too. limits.test.ts checks each number
 * against that doc comment in the installed @slack/types, so a limit Slack changes shows up as
 * a failing test when the types are upgraded (README, "Which spec").
 */

/** The @slack/types interfaces whose fields carry a limit, by name. */
interface Shapes {
  ActionsBlock: ActionsBlock;
  Block: Block;
  Button: Button;
  Confirm: Confirm;
  ContextBlock: ContextBlock;
  HeaderBlock: HeaderBlock;
  InputBlock: InputBlock;
  ModalView: ModalView;
  PlainTextElement: PlainTextElement;
  PlainTextInput: PlainTextInput;
  SectionBlock: SectionBlock;
}

/** Where @slack/types documents the same limit: a field of one of its interfaces. */
export type TypesRef = {
  [S in keyof Shapes]: { shape: S; field: keyof Shapes[S] & string };
}[keyof Shapes];

export interface Limit {
  /** The most allowed: characters (counted as Slack counts them, by code point) or items. */
  max: number;
  unit: 'characters' | 'items';
  /** The page of Slack's reference that states the limit. */
  source: string;
  types?: TypesRef;
  /** Only a `plain_text` text object is allowed there (no mrkdwn). */
  plainOnly?: boolean;
}

const DOCS = 'https://docs.slack.dev/reference';
const BLOCKS = `${DOCS}/block-kit/blocks`;
const ELEMENTS = `${DOCS}/block-kit/block-elements`;
const OBJECTS = `${DOCS}/block-kit/composition-objects`;

function limit(
  max: number,
  unit: Limit['unit'],
  source: string,
  types?: TypesRef,
  plainOnly?: boolean,
): Limit {
  return { max, unit, source, ...(types ? { types } : {}), ...(plainOnly ? { plainOnly } : {}) };
}

export const SLACK_LIMITS = {
  // "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
  messageBlocks: limit(50, 'items', BLOCKS),
  modalBlocks: limit(100, 'items', `${DOCS}/views/modal-views`, {
    shape: 'ModalView',
    field: 'blocks',
  }),
  // Every block: "Maximum length for this field is 255 characters. block_id should be unique for
  // each message and each iteration of a message."
  blockId: limit(255, 'characters', `${BLOCKS}/section-block`, {
    shape: 'Block',
    field: 'block_id',
  }),
  // "Minimum length for the text in this field is 1 and maximum length is 3000 characters."
  sectionText: limit(3000, 'characters', `${BLOCKS}/section-block`, {
    shape: 'SectionBlock',
    field: 'text',
  }),
  // "Maximum number of items is 10. Maximum length for the text in each item is 2000 characters."
  sectionFields: limit(10, 'items', `${BLOCKS}/section-block`, {
    shape: 'SectionBlock',
    field: 'fields',
  }),
  sectionFieldText: limit(2000, 'characters', `${BLOCKS}/section-block`, {
    shape: 'SectionBlock',
    field: 'fields',
  }),
  // "in the form of a plain_text text object. Maximum length for the text in this field is 150"
  headerText: limit(
    150,
    'characters',
    `${BLOCKS}/header-block`,
    { shape: 'HeaderBlock', field: 'text' },
    true,
  ),
  // "An array of image elements and text objects. Maximum number of items is 10."
  contextElements: limit(10, 'items', `${BLOCKS}/context-block`, {
    shape: 'ContextBlock',
    field: 'elements',
  }),
  // "There is a maximum of 25 elements in each action block."
  actionsElements: limit(25, 'items', `${BLOCKS}/actions-block`, {
    shape: 'ActionsBlock',
    field: 'elements',
  }),
  // Any text object: "The minimum length is 1 and maximum length is 3000 characters."
  textObject: limit(3000, 'characters', `${OBJECTS}/text-object`, {
    shape: 'PlainTextElement',
    field: 'text',
  }),
  // "Can only be of type: plain_text. … Maximum length for the text in this field is 75 characters."
  buttonText: limit(
    75,
    'characters',
    `${ELEMENTS}/button-element`,
    { shape: 'Button', field: 'text' },
    true,
  ),
  buttonValue: limit(2000, 'characters', `${ELEMENTS}/button-element`, {
    shape: 'Button',
    field: 'value',
  }),
  buttonUrl: limit(3000, 'characters', `${ELEMENTS}/button-element`, {
    shape: 'Button',
    field: 'url',
  }),
  // Buttons and inputs alike (Actionable in @slack/types): "Maximum length is 255 characters."
  actionId: limit(255, 'characters', `${ELEMENTS}/button-element`, {
    shape: 'Button',
    field: 'action_id',
  }),
  // Confirmation dialog: title 100 (plain_text), text 300, confirm and deny 30 (plain_text).
  confirmTitle: limit(
    100,
    'characters',
    `${OBJECTS}/confirmation-dialog-object`,
    { shape: 'Confirm', field: 'title' },
    true,
  ),
  confirmText: limit(300, 'characters', `${OBJECTS}/confirmation-dialog-object`, {
    shape: 'Confirm',
    field: 'text',
  }),
  confirmButton: limit(
    30,
    'characters',
    `${OBJECTS}/confirmation-dialog-object`,
    { shape: 'Confirm', field: 'confirm' },
    true,
  ),
  // "A label … in the form of a text object that must have type of plain_text. Maximum length for
  // the text in this field is 2000 characters."; the hint likewise.
  inputLabel: limit(
    2000,
    'characters',
    `${BLOCKS}/input-block`,
    { shape: 'InputBlock', field: 'label' },
    true,
  ),
  inputHint: limit(
    2000,
    'characters',
    `${BLOCKS}/input-block`,
    { shape: 'InputBlock', field: 'hint' },
    true,
  ),
  // "A PlainTextElement object that defines the placeholder text shown on the element. Maximum
  // length for the text field in this object is 150 characters." (Placeholdable)
  placeholder: limit(
    150,
    'characters',
    'https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/Placeholdable',
    { shape: 'PlainTextInput', field: 'placeholder' },
    true,
  ),
  // min_length: "between 0 and 3000, inclusive"; max_length: "between 1 and 3000, inclusive".
  inputLength: limit(3000, 'characters', `${ELEMENTS}/plain-text-input-element`, {
    shape: 'PlainTextInput',
    field: 'min_length',
  }),
  // "Must be a plain_text text element with a max length of 24 characters." (title, close, submit)
  modalTitle: limit(
    24,
    'characters',
    `${DOCS}/views/modal-views`,
    { shape: 'ModalView', field: 'title' },
    true,
  ),
  modalButton: limit(
    24,
    'characters',
    `${DOCS}/views/modal-views`,
    { shape: 'ModalView', field: 'submit' },
    true,
  ),
  privateMetadata: limit(3000, 'characters', `${DOCS}/views/modal-views`, {
    shape: 'ModalView',
    field: 'private_metadata',
  }),
  callbackId: limit(255, 'characters', `${DOCS}/views/modal-views`, {
    shape: 'ModalView',
    field: 'callback_id',
  }),
  // views.open: "It must be unique for all views on a team, and it has a max length of 255".
  externalId: limit(255, 'characters', `${DOCS}/methods/views.open`),
  // views.open's error list: "view_too_large: The provided view is greater than 250kb."
  viewBytes: limit(250 * 1024, 'characters', `${DOCS}/methods/views.open`),
  // Slack truncates a message's `text` past 40,000 characters and warns `message_truncated`
  // (api.slack.com/changelog/2018-04-truncating-really-long-messages); see blocks.ts.
  messageText: limit(
    40_000,
    'characters',
    'https://api.slack.com/changelog/2018-04-truncating-really-long-messages',
  ),
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof SLACK_LIMITS;

/** Button styles (button-element: "primary" or "danger"; @slack/types ColorScheme). */
export const BUTTON_STYLES = ['primary', 'danger'] as const;

/** Slack counts characters by code point, not UTF-16 code unit: an emoji is one. */
export function charLength(s: string): number {
  return [...s].length;
}
