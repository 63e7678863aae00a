import type { MessageView, ModalView, ViewAction, ViewTone } from '../types.js';
import { buttonRows, TONE_EMOJI } from '../views/layout.js';
import { mrkdwnCut, safeEnd } from '../views/split.js';
import { CARD_LIMITS as L, TRUNCATION_NOTE } from './limits.js';
import {
  type NameOf,
  type TextPiece,
  toCardMarkdown,
  toCardPieces,
  toPlainText,
} from './markdown.js';

/** An Adaptive Card as JSON (adaptivecards.io/explorer); typed as loosely as Teams reads it. */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: CardElement[];
  actions?: CardAction[];
  refresh?: { action: CardAction; userIds?: string[] };
  fallbackText?: string;
  msteams?: { width: 'Full' };
}
export type CardElement = { type: string } & Record<string, unknown>;
export type CardAction = { type: string; title?: string } & Record<string, unknown>;

/** The content type of a card attachment (learn.microsoft.com/adaptive-cards, Bot Framework). */
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** The verb every card's refresh and a form's Cancel send: the transport answers with the current card. */
export const REFRESH_VERB = 'refresh';

/** Marks a form's submit button, so the transport tells a submission from a click. */
export const FORM_MARKER = 'slipwayForm';
/** Inputs come back merged into the action's data: their ids are prefixed to keep clear of it. */
export const INPUT_PREFIX = 'input.';

/** Adaptive Card colours for each tone (adaptivecards.io/explorer/TextBlock: color). */
const TONE_COLOR: Readonly<Record<ViewTone, string>> = {
  success: 'Good',
  failure: 'Attention',
  warning: 'Warning',
  waiting: 'Accent',
  progress: 'Accent',
  neutral: 'Default',
};

export interface RenderOptions {
  /** Names for the people the view mentions (`<@id>`). */
  nameOf?: NameOf;
  /**
   * Adds a Universal Actions refresh (verb `refresh`), so a client showing the card asks the bot
   * for the current one: a person who clicked sees their own answer replaced by what everyone
   * sees. On by default; forms and answers to one person have none.
   */
  refresh?: boolean;
}

const NO_NAMES: NameOf = () => null;

/**
 * A view as an Adaptive Card within Teams' limits (limits.ts): the title coloured by tone, the
 * body, the fields as facts, the context as small print, the buttons as Action.Execute (verb =
 * the action's id, data = its value) in rows of six. A card too large is cut, text first, with a
 * visible note; it is never sent over the limit.
 */
export function renderCard(view: MessageView, options: RenderOptions = {}): AdaptiveCard {
  const nameOf = options.nameOf ?? NO_NAMES;
  for (const share of [1, 0.5, 0.25, 0.1, 0]) {
    const card = buildCard(view, nameOf, options.refresh ?? true, share);
    if (fits(card)) return card;
  }
  // Even with no body, facts or context it is too large (thousands of buttons): title only.
  return card([titleBlock(view, nameOf), note(TRUNCATION_NOTE)], view, nameOf, false);
}

/**
 * A form as a card with inputs (Universal Actions' sequential workflow): answering the click's
 * invoke with it replaces the card for the person who clicked. Submit sends Action.Execute with
 * the form's action as verb and its value, the inputs merged in (`input.<id>`); Cancel asks for
 * the current card again.
 */
export function renderFormCard(view: ModalView, options: RenderOptions = {}): AdaptiveCard {
  const nameOf = options.nameOf ?? NO_NAMES;
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: toCardMarkdown(view.title, nameOf),
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    },
  ];
  if (view.body?.trim()) body.push(...textBlocks(toCardPieces(cut(view.body, L.bodyText), nameOf)));
  for (const input of view.inputs) {
    body.push({
      type: 'Input.Text',
      id: `${INPUT_PREFIX}${input.id}`,
      label: input.label,
      isMultiline: input.multiline ?? false,
      isRequired: true,
      errorMessage: `${input.label} is required.`,
      maxLength: Math.min(input.maxLength ?? L.inputMaxLength, L.inputMaxLength),
      ...(input.placeholder ? { placeholder: input.placeholder } : {}),
    });
  }
  const actions: CardAction[] = [
    {
      type: 'Action.Execute',
      title: plainCut(view.submit, L.actionTitle),
      verb: view.actionId,
      data: { value: view.value, [FORM_MARKER]: 1 },
      associatedInputs: 'auto',
      style: 'positive',
    },
    {
      type: 'Action.Execute',
      title: plainCut(view.cancel, L.actionTitle),
      verb: REFRESH_VERB,
      data: {},
      associatedInputs: 'none',
    },
  ];
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: L.version,
    body,
    actions,
    fallbackText: toPlainText(view.title, nameOf),
  };
}

/** A notification's one line (the activity's summary) and a message response's text. */
export function plainSummary(view: MessageView, nameOf: NameOf = NO_NAMES): string {
  const title = toPlainText(view.title, nameOf);
  const emoji = TONE_EMOJI[view.tone];
  return emoji ? `${emoji} ${title}` : title;
}

/** A view as plain text: what a message response (shown to the clicker only) can hold. */
export function plainText(view: MessageView, nameOf: NameOf = NO_NAMES): string {
  const lines = [plainSummary(view, nameOf)];
  if (view.body?.trim()) lines.push(toPlainText(view.body, nameOf));
  for (const f of view.fields ?? [])
    lines.push(`${toPlainText(f.label, nameOf)}: ${toPlainText(f.value, nameOf)}`);
  return cut(lines.join('\n'), L.bodyText);
}

/** Whether a card is within Teams' size (limits.ts: both readings of the documented limit). */
export function fits(content: unknown): boolean {
  const json = JSON.stringify(content);
  return Buffer.byteLength(json, 'utf8') <= L.cardBytesUtf8 && json.length * 2 <= L.cardBytesUtf16;
}

function buildCard(
  view: MessageView,
  nameOf: NameOf,
  refresh: boolean,
  share: number,
): AdaptiveCard {
  const body: CardElement[] = [titleBlock(view, nameOf)];
  const text = view.body?.trim() ? cut(view.body, Math.floor(L.bodyText * share)) : '';
  if (text) body.push(...textBlocks(toCardPieces(text, nameOf)));
  const facts = (view.fields ?? []).map((f) => ({
    title: cutMarkdown(f.label, L.factTitle, nameOf),
    value: cutMarkdown(f.value || ' ', Math.max(40, Math.floor(L.factValue * share)), nameOf),
  }));
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  const { sets, dropped } = actionSets(view);
  body.push(...sets);
  const context = [...(view.context ?? [])];
  if (dropped > 0) context.push(`${dropped} button(s) left out: too many or too long for Teams`);
  if (share < 1) context.push(TRUNCATION_NOTE);
  if (context.length > 0) {
    const line = context.join(' · ');
    body.push({
      type: 'TextBlock',
      text: cutMarkdown(line, Math.max(200, Math.floor(L.contextText * share)), nameOf),
      size: 'Small',
      isSubtle: true,
      wrap: true,
    });
  }
  return card(body, view, nameOf, refresh);
}

function card(
  body: CardElement[],
  view: MessageView,
  nameOf: NameOf,
  refresh: boolean,
): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: L.version,
    body,
    fallbackText: plainSummary(view, nameOf),
    // Full width: a card about a deployment has facts and buttons side by side
    // (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format#full-width-adaptive-card).
    msteams: { width: 'Full' },
    ...(refresh
      ? {
          refresh: {
            action: { type: 'Action.Execute', title: 'Refresh', verb: REFRESH_VERB, data: {} },
          },
        }
      : {}),
  };
}

function titleBlock(view: MessageView, nameOf: NameOf): CardElement {
  // The tone's colour is not seen everywhere (notifications, screen readers): its emoji is.
  const emoji = TONE_EMOJI[view.tone];
  const title = view.title.trim() === '' ? '(no title)' : view.title.replace(/\n/g, ' ');
  const text = toCardMarkdown(cut(title, L.titleText), nameOf);
  return {
    type: 'TextBlock',
    text: emoji ? `${emoji} ${text}` : text,
    weight: 'Bolder',
    size: 'Medium',
    color: TONE_COLOR[view.tone],
    wrap: true,
  };
}

function textBlocks(pieces: TextPiece[]): CardElement[] {
  return pieces.map((piece) =>
    piece.kind === 'markdown'
      ? { type: 'TextBlock', text: piece.text, wrap: true }
      : // A TextRun is never read as markdown: a log shows exactly as it was written.
        {
          type: 'RichTextBlock',
          inlines: [{ type: 'TextRun', text: piece.text, fontType: 'Monospace' }],
        },
  );
}

function note(text: string): CardElement {
  return { type: 'TextBlock', text, size: 'Small', isSubtle: true, wrap: true };
}

/** Buttons in rows of six, then links; a reference too long to carry is left out, not cut. */
function actionSets(view: MessageView): { sets: CardElement[]; dropped: number } {
  const { rows, dropped } = buttonRows<CardAction>(view, {
    action: (action) => (action.value.length > L.buttonValue ? null : executeAction(action)),
    link: (link) =>
      /^https?:\/\//i.test(link.url)
        ? { type: 'Action.OpenUrl', title: plainCut(link.label, L.actionTitle), url: link.url }
        : null,
    perRow: L.actionsPerSet,
    max: L.actionsPerSet * L.actionSets,
  });
  return { sets: rows.map((actions) => ({ type: 'ActionSet', actions })), dropped };
}

/**
 * A button: Action.Execute, the universal action Teams sends to the bot as an
 * `adaptiveCard/action` invoke. A confirmation opens under the button first (Action.ShowCard)
 * and holds the real button: Adaptive Cards have no confirm dialog.
 */
function executeAction(action: ViewAction): CardAction {
  const execute: CardAction = {
    type: 'Action.Execute',
    title: plainCut(action.confirm ? action.confirm.confirm : action.label, L.actionTitle),
    verb: action.id,
    data: { value: action.value },
    ...(action.style ? { style: action.style === 'primary' ? 'positive' : 'destructive' } : {}),
  };
  if (!action.confirm) return execute;
  return {
    type: 'Action.ShowCard',
    title: plainCut(action.label, L.actionTitle),
    card: {
      type: 'AdaptiveCard',
      version: L.version,
      body: [
        {
          type: 'TextBlock',
          text: plainCut(action.confirm.title, 200),
          weight: 'Bolder',
          wrap: true,
        },
        { type: 'TextBlock', text: plainCut(action.confirm.text, 2_000), wrap: true },
      ],
      actions: [execute],
    },
  };
}

/** Mrkdwn cut to `max` characters without breaking markup, with the truncation note. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= TRUNCATION_NOTE.length + 1) return '';
  const head = text.slice(0, mrkdwnCut(text, max - TRUNCATION_NOTE.length - 1));
  // An open code block is closed, or the note would show inside it.
  const closed = (head.match(/```/g) ?? []).length % 2 === 1 ? `${head}\`\`\`` : head;
  return `${closed}\n${TRUNCATION_NOTE}`;
}

function cutMarkdown(text: string, max: number, nameOf: NameOf): string {
  if (text.length <= max) return toCardMarkdown(text, nameOf);
  return toCardMarkdown(`${text.slice(0, mrkdwnCut(text, max - 1))}…`, nameOf);
}

/** Labels and confirmations are plain text (views: src/chat/README.md). */
function plainCut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeEnd(text, max - 1))}…`;
}
