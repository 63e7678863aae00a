import { BUTTON_STYLES, type LimitName, charLength as length, SLACK_LIMITS } from './limits.js';
import type { Block } from './types.js';

/**
 * Block Kit checks for messages and modals. Every number comes from the table in limits.ts,
 * where each limit names the page of Slack's reference that states it and the @slack/types
 * field that documents it too.
 */

/**
 * Where blocks are shown: a message, or a modal (docs.slack.dev/reference/views/modal-views),
 * which holds up to 100 blocks and may hold input blocks.
 */
export type Surface = 'message' | 'modal';

/** Block types Slack accepts in messages; those Slipway sends are checked in depth. */
const MESSAGE_BLOCK_TYPES = new Set([
  'section',
  'header',
  'divider',
  'context',
  'actions',
  'image',
  'rich_text',
  'markdown',
  'video',
  'file',
  'table',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a message's (or a modal's) blocks. Each problem is phrased as Slack phrases it in
 * `invalid_blocks` answers: `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 * `base` prefixes every pointer (`/view` for a modal, as views.open reports it).
 */
export function validateBlocks(blocks: Block[], surface: Surface = 'message', base = ''): string[] {
  const problems: string[] = [];
  /** Records a problem; returns false so a check can `return at(...)`. */
  const at = (pointer: string, message: string): false => {
    problems.push(`${message} [json-pointer:${pointer}]`);
    return false;
  };
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();

  function maxLen(value: unknown, name: LimitName, pointer: string): boolean {
    const { max } = SLACK_LIMITS[name];
    if (typeof value === 'string' && length(value) > max) {
      return at(pointer, `must be less than ${max + 1} characters`);
    }
    return true;
  }

  /** A text object within `name`'s limit; plain_text only where the table says so. */
  function textObject(value: unknown, pointer: string, name: LimitName): boolean {
    if (!isObject(value)) return at(pointer, 'expected object');
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn') {
      return at(`${pointer}/type`, 'must be one of plain_text, mrkdwn');
    }
    if (SLACK_LIMITS[name].plainOnly === true && value.type !== 'plain_text') {
      return at(`${pointer}/type`, 'must be plain_text');
    }
    if (typeof value.text !== 'string') return at(`${pointer}/text`, 'expected string');
    if (length(value.text) < 1) return at(`${pointer}/text`, 'must be more than 0 characters');
    return maxLen(value.text, name, `${pointer}/text`);
  }

  function actionId(value: unknown, pointer: string): boolean {
    if (value === undefined) return true;
    if (typeof value !== 'string') return at(pointer, 'expected string');
    maxLen(value, 'actionId', pointer);
    // Slack documents uniqueness within the block; the double asks it of the whole message
    // so a click names one button without ambiguity (README, "Stricter than Slack").
    if (actionIds.has(value))
      return at(pointer, `action_id "${value}" is already used in this message`);
    actionIds.add(value);
    return true;
  }

  function confirm(value: unknown, pointer: string): void {
    if (!isObject(value)) {
      at(pointer, 'expected object');
      return;
    }
    textObject(value.title, `${pointer}/title`, 'confirmTitle');
    textObject(value.text, `${pointer}/text`, 'confirmText');
    textObject(value.confirm, `${pointer}/confirm`, 'confirmButton');
    textObject(value.deny, `${pointer}/deny`, 'confirmButton');
    style(value.style, `${pointer}/style`);
  }

  function style(value: unknown, pointer: string): void {
    if (value !== undefined && !(BUTTON_STYLES as readonly unknown[]).includes(value)) {
      at(pointer, `must be one of ${BUTTON_STYLES.join(', ')}`);
    }
  }

  function element(value: unknown, pointer: string): boolean {
    if (!isObject(value) || typeof value.type !== 'string') return at(pointer, 'expected element');
    if (value.type === 'plain_text_input') textInput(value, pointer);
    if (value.type === 'button') {
      textObject(value.text, `${pointer}/text`, 'buttonText');
      maxLen(value.value, 'buttonValue', `${pointer}/value`);
      maxLen(value.url, 'buttonUrl', `${pointer}/url`);
      style(value.style, `${pointer}/style`);
    }
    if (value.confirm !== undefined) confirm(value.confirm, `${pointer}/confirm`);
    return actionId(value.action_id, `${pointer}/action_id`);
  }

  function textInput(value: Record<string, unknown>, pointer: string): void {
    if (value.placeholder !== undefined)
      textObject(value.placeholder, `${pointer}/placeholder`, 'placeholder');
    const most = SLACK_LIMITS.inputLength.max;
    for (const key of ['min_length', 'max_length'] as const) {
      const n = value[key];
      if (n === undefined) continue;
      const min = key === 'max_length' ? 1 : 0;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > most)
        at(`${pointer}/${key}`, `must be an integer from ${min} to ${most}`);
    }
    if (value.multiline !== undefined && typeof value.multiline !== 'boolean')
      at(`${pointer}/multiline`, 'expected boolean');
  }

  function list(value: unknown, pointer: string, name: LimitName): unknown[] {
    if (!Array.isArray(value)) {
      at(pointer, 'expected array');
      return [];
    }
    const { max } = SLACK_LIMITS[name];
    if (value.length < 1) at(pointer, 'must provide at least 1 item');
    if (value.length > max) at(pointer, `no more than ${max} items allowed`);
    return value;
  }

  const checks: Record<string, (b: Record<string, unknown>, p: string) => void> = {
    section(b, p) {
      if (b.text === undefined && b.fields === undefined) {
        at(p, 'must provide either text or fields');
      }
      if (b.text !== undefined) textObject(b.text, `${p}/text`, 'sectionText');
      if (b.fields !== undefined) {
        for (const [i, f] of list(b.fields, `${p}/fields`, 'sectionFields').entries()) {
          textObject(f, `${p}/fields/${i}`, 'sectionFieldText');
        }
      }
      if (b.accessory !== undefined) element(b.accessory, `${p}/accessory`);
    },
    header(b, p) {
      textObject(b.text, `${p}/text`, 'headerText');
    },
    divider() {},
    context(b, p) {
      for (const [i, e] of list(b.elements, `${p}/elements`, 'contextElements').entries()) {
        if (!isObject(e) || e.type !== 'image') textObject(e, `${p}/elements/${i}`, 'textObject');
      }
    },
    actions(b, p) {
      for (const [i, e] of list(b.elements, `${p}/elements`, 'actionsElements').entries()) {
        element(e, `${p}/elements/${i}`);
      }
    },
    input(b, p) {
      textObject(b.label, `${p}/label`, 'inputLabel');
      if (b.hint !== undefined) textObject(b.hint, `${p}/hint`, 'inputHint');
      if (b.optional !== undefined && typeof b.optional !== 'boolean')
        at(`${p}/optional`, 'expected boolean');
      element(b.element, `${p}/element`);
    },
  };

  const maxBlocks = SLACK_LIMITS[surface === 'modal' ? 'modalBlocks' : 'messageBlocks'].max;
  if (blocks.length > maxBlocks) at(`${base}/blocks`, `no more than ${maxBlocks} items allowed`);
  for (const [i, block] of blocks.entries()) {
    const p = `${base}/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      at(p, 'expected block object');
      continue;
    }
    // Input blocks collect what a person types: only modals (and the Home tab) have them.
    const allowed =
      MESSAGE_BLOCK_TYPES.has(block.type) || (surface === 'modal' && block.type === 'input');
    if (!allowed) {
      at(`${p}/type`, 'unsupported block type');
      continue;
    }
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string') at(`${p}/block_id`, 'expected string');
      else {
        maxLen(block.block_id, 'blockId', `${p}/block_id`);
        if (blockIds.has(block.block_id)) at(`${p}/block_id`, 'duplicate block_id');
        blockIds.add(block.block_id);
      }
    }
    checks[block.type]?.(block, p);
  }
  return problems;
}

export type BlocksArg =
  | { ok: true; blocks: Block[] | undefined }
  | { ok: false; error: 'invalid_blocks_format' };

/** `blocks` arrives as an array (JSON bodies) or as a JSON string (form bodies). */
export function parseBlocksArg(raw: unknown): BlocksArg {
  if (raw === undefined || raw === null || raw === '') return { ok: true, blocks: undefined };
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, error: 'invalid_blocks_format' };
    }
  }
  if (!Array.isArray(value)) return { ok: false, error: 'invalid_blocks_format' };
  return { ok: true, blocks: value as Block[] };
}

export interface ContentError {
  error: string;
  errors?: string[];
  response_metadata?: { messages: string[] };
}

/**
 * Checks a message's text and blocks the way chat.postMessage does: `no_text` when neither
 * is given, `msg_too_long` past 40,000 characters, `invalid_blocks` with Slack's messages.
 */
export function checkContent(
  text: string | undefined,
  blocks: Block[] | undefined,
): ContentError | undefined {
  if ((text === undefined || text === '') && (!blocks || blocks.length === 0)) {
    return { error: 'no_text' };
  }
  if (text !== undefined && length(text) > SLACK_LIMITS.messageText.max) {
    return { error: 'msg_too_long' };
  }
  if (blocks) {
    const problems = validateBlocks(blocks);
    if (problems.length > 0) {
      return {
        error: 'invalid_blocks',
        errors: problems,
        response_metadata: { messages: problems.map((m) => `[ERROR] ${m}`) },
      };
    }
  }
  return undefined;
}
