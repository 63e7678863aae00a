import { randomBytes } from 'node:crypto';
import { validateBlocks } from './blocks.js';
import { SLACK_LIMITS } from './limits.js';
import { triggerId } from './payloads.js';
import type { LocalSlackConfig } from './schema.js';
import type { Block, Clock } from './types.js';

/**
 * Modals: the triggers Slack hands out with each slash command, click and submission, and the
 * views opened with them. Limits from the table in limits.ts (reference/views/modal-views and
 * reference/methods/views.open).
 */
export const VIEW_LIMITS = {
  /** title: plain_text of at most 24 characters */
  text: SLACK_LIMITS.modalTitle.max,
  /** submit and close: plain_text of at most 24 characters */
  button: SLACK_LIMITS.modalButton.max,
  privateMetadata: SLACK_LIMITS.privateMetadata.max,
  callbackId: SLACK_LIMITS.callbackId.max,
  externalId: SLACK_LIMITS.externalId.max,
  /** "view_too_large: the provided view is greater than 250kb" */
  bytes: SLACK_LIMITS.viewBytes.max,
} as const;

/** "The expected format for the trigger_id argument is 132456.7890123.abcdef" (views.open). */
const TRIGGER_FORMAT = /^\d+\.\d+\.[0-9a-f]+$/;

/** A modal open for one person. */
export interface OpenView {
  id: string;
  user: string;
  /** The view as the app sent it (validated). */
  sent: Record<string, unknown>;
  openedAt: number;
  hash: string;
  /** The app's `response_action: errors` to the last submission: text under inputs, by block_id. */
  errors: Record<string, string>;
}

/** One input of an open view: where its value goes in `view.state.values`. */
export interface ViewInput {
  blockId: string;
  actionId: string;
  type: string;
  label: string;
  optional: boolean;
  multiline: boolean;
  minLength?: number | undefined;
  maxLength?: number | undefined;
}

export type OpenAnswer =
  | { ok: true; view: OpenView }
  | { ok: false; error: string; messages?: string[] };

export type Views = ReturnType<typeof createViews>;

export function createViews(cfg: LocalSlackConfig, clock: Clock) {
  const triggers = new Map<string, { user: string; issuedAt: number; used: boolean }>();
  const open = new Map<string, OpenView>();

  /** Triggers are issued in time order: the expired ones are at the front. */
  function forgetExpired(): void {
    for (const [id, t] of triggers) {
      if (clock() - t.issuedAt <= cfg.triggerTtlMs) break;
      triggers.delete(id);
    }
  }

  /** Exchanges a trigger once, within its 3 seconds, for the person who caused it. */
  function exchange(trigger: unknown): { user: string } | { error: string; messages?: string[] } {
    if (typeof trigger !== 'string' || trigger === '') {
      return { error: 'invalid_arguments', messages: ['invalid `trigger_id`'] };
    }
    if (!TRIGGER_FORMAT.test(trigger)) return { error: 'invalid_trigger_id' };
    const t = triggers.get(trigger);
    if (!t || clock() - t.issuedAt > cfg.triggerTtlMs) return { error: 'expired_trigger_id' };
    if (t.used) return { error: 'exchanged_trigger_id' };
    t.used = true;
    return { user: t.user };
  }

  return {
    /** A trigger_id for something `user` just did; views.open takes it once, within 3 s. */
    issueTrigger(user: string): string {
      forgetExpired();
      const id = triggerId();
      triggers.set(id, { user, issuedAt: clock(), used: false });
      return id;
    },

    /** views.open: checks the view first, so a refused view does not use the trigger up. */
    open(args: Record<string, unknown>): OpenAnswer {
      const parsed = parseView(args.view);
      if ('error' in parsed) return { ok: false, ...parsed };
      const problems = validateView(parsed.view);
      if (problems.length > 0) {
        return {
          ok: false,
          error: 'invalid_arguments',
          messages: problems.map((p) => `[ERROR] ${p}`),
        };
      }
      const externalId = parsed.view.external_id;
      if (externalId && [...open.values()].some((v) => v.sent.external_id === externalId)) {
        return { ok: false, error: 'duplicate_external_id' };
      }
      const exchanged = exchange(args.trigger_id);
      if ('error' in exchanged) return { ok: false, ...exchanged };
      const view: OpenView = {
        id: `V${randomBytes(5).toString('hex').toUpperCase()}`,
        user: exchanged.user,
        sent: parsed.view,
        openedAt: clock(),
        hash: `${Math.floor(clock() / 1000)}.${randomBytes(4).toString('hex')}`,
        errors: {},
      };
      open.set(view.id, view);
      return { ok: true, view };
    },

    /** The open views of one person, oldest first. */
    of(user: string): OpenView[] {
      return [...open.values()].filter((v) => v.user === user);
    },
    get: (id: string) => open.get(id),
    close(id: string): void {
      open.delete(id);
    },
    /** `response_action: update`: the same view shows new content. */
    replace(view: OpenView, sent: Record<string, unknown>): void {
      view.sent = sent;
      view.errors = {};
      view.hash = `${Math.floor(clock() / 1000)}.${randomBytes(4).toString('hex')}`;
    },

    /** The view object as Slack returns it from views.open and sends it with a submission. */
    wire(view: OpenView, values: Record<string, unknown> = {}): Record<string, unknown> {
      const s = view.sent;
      return {
        id: view.id,
        team_id: cfg.teamId,
        type: 'modal',
        blocks: s.blocks,
        private_metadata: s.private_metadata ?? '',
        callback_id: s.callback_id ?? '',
        state: { values },
        hash: view.hash,
        title: s.title,
        clear_on_close: s.clear_on_close ?? false,
        notify_on_close: s.notify_on_close ?? false,
        close: s.close ?? null,
        submit: s.submit ?? null,
        previous_view_id: null,
        root_view_id: view.id,
        app_id: cfg.appId,
        external_id: s.external_id ?? '',
        app_installed_team_id: cfg.teamId,
        bot_id: cfg.botId,
      };
    },
  };
}

/** `view` is "a JSON-encoded string" in a form body; JSON bodies may carry the object. */
function parseView(
  raw: unknown,
): { view: Record<string, unknown> } | { error: string; messages?: string[] } {
  let value = raw;
  if (typeof raw === 'string') {
    if (Buffer.byteLength(raw) > VIEW_LIMITS.bytes) return { error: 'view_too_large' };
    try {
      value = JSON.parse(raw);
    } catch {
      return { error: 'invalid_arguments', messages: ['[ERROR] view must be a JSON object'] };
    }
  } else if (Buffer.byteLength(JSON.stringify(raw ?? null)) > VIEW_LIMITS.bytes) {
    return { error: 'view_too_large' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'invalid_arguments', messages: ['[ERROR] missing required field: view'] };
  }
  return { view: value as Record<string, unknown> };
}

/** The modal's own fields, then its blocks as a modal holds them (input blocks allowed). */
export function validateView(view: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const at = (pointer: string, message: string) =>
    problems.push(`${message} [json-pointer:/view${pointer}]`);
  if (view.type !== 'modal') at('/type', 'must be one of modal');
  plainText(view.title, '/title', true, at, VIEW_LIMITS.text);
  plainText(view.submit, '/submit', false, at, VIEW_LIMITS.button);
  plainText(view.close, '/close', false, at, VIEW_LIMITS.button);
  const strings = [
    ['private_metadata', VIEW_LIMITS.privateMetadata],
    ['callback_id', VIEW_LIMITS.callbackId],
    ['external_id', VIEW_LIMITS.externalId],
  ] as const;
  for (const [key, max] of strings) {
    const v = view[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') at(`/${key}`, 'expected string');
    else if ([...v].length > max) at(`/${key}`, `must be less than ${max + 1} characters`);
  }
  for (const key of ['clear_on_close', 'notify_on_close'] as const) {
    if (view[key] !== undefined && typeof view[key] !== 'boolean')
      at(`/${key}`, 'expected boolean');
  }
  if (!Array.isArray(view.blocks)) {
    at('/blocks', 'expected array');
    return problems;
  }
  const blocks = view.blocks as Block[];
  const firstInput = blocks.findIndex((b) => b?.type === 'input');
  if (firstInput >= 0 && view.submit === undefined) {
    // Slack's wording (github.com/slackapi/node-slack-sdk/issues/875).
    at(`/blocks/${firstInput}/input`, 'must define submit to use input block');
  }
  problems.push(...validateBlocks(blocks, 'modal', '/view'));
  return problems;
}

function plainText(
  value: unknown,
  pointer: string,
  required: boolean,
  at: (pointer: string, message: string) => void,
  max: number,
): void {
  if (value === undefined) {
    if (required) at(pointer, 'missing required field');
    return;
  }
  const v = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || v.type !== 'plain_text') {
    at(`${pointer}/type`, 'must be plain_text');
    return;
  }
  const text = typeof v.text === 'string' ? v.text : '';
  if ([...text].length < 1) at(`${pointer}/text`, 'must be more than 0 characters');
  else if ([...text].length > max) at(`${pointer}/text`, `must be less than ${max + 1} characters`);
}

/**
 * The inputs of a view, in order. An input block without a block_id gets a stable generated
 * one, as Slack generates one (the same rule as buttons: `b<index>`).
 */
export function inputsOf(view: OpenView): ViewInput[] {
  const blocks = Array.isArray(view.sent.blocks) ? (view.sent.blocks as Block[]) : [];
  const inputs: ViewInput[] = [];
  blocks.forEach((block, index) => {
    if (block.type !== 'input') return;
    const element = (block.element ?? {}) as Record<string, unknown>;
    const label = (block.label ?? {}) as Record<string, unknown>;
    inputs.push({
      blockId: typeof block.block_id === 'string' ? block.block_id : `b${index}`,
      actionId: typeof element.action_id === 'string' ? element.action_id : `a${index}`,
      type: String(element.type ?? ''),
      label: String(label.text ?? ''),
      optional: block.optional === true,
      multiline: element.multiline === true,
      minLength: typeof element.min_length === 'number' ? element.min_length : undefined,
      maxLength: typeof element.max_length === 'number' ? element.max_length : undefined,
    });
  });
  return inputs;
}
