import type { MessageView, ViewAction, ViewTone } from '../types.js';

/**
 * What every platform's renderer lays out the same way, whatever its markup: Block Kit
 * (slack/blocks.ts) and Adaptive Cards (teams/cards.ts) each build their own elements from these.
 */

/** A glance at the emoji says how it went, before the title, on every platform. */
export const TONE_EMOJI: Readonly<Record<ViewTone, string>> = {
  success: '✅',
  failure: '❌',
  waiting: '⏳',
  progress: '🚀',
  warning: '↩️',
  neutral: '',
};

export type ViewLink = NonNullable<MessageView['links']>[number];

export interface ButtonLayout<B> {
  /** The platform's button for an action, or null when the platform cannot carry it whole. */
  action(action: ViewAction): B | null;
  /** The platform's button for a link (`index`: its place in the view's links), or null. */
  link(link: ViewLink, index: number): B | null;
  /** Buttons in one row. */
  perRow: number;
  /** Buttons in all, where the platform shows no more; those after are left out. */
  max?: number;
}

/**
 * A view's buttons in a platform's rows: its actions, then its links, `perRow` to a row. A button
 * the platform cannot carry whole is left out and counted, never cut, since a reference cut short
 * would point at something else; the renderer tells the reader how many were left out.
 */
export function buttonRows<B>(
  view: MessageView,
  layout: ButtonLayout<B>,
): { rows: B[][]; dropped: number } {
  const buttons: B[] = [];
  let dropped = 0;
  const add = (button: B | null) => {
    if (button === null) dropped++;
    else buttons.push(button);
  };
  for (const action of view.actions ?? []) add(layout.action(action));
  for (const [i, link] of (view.links ?? []).entries()) add(layout.link(link, i));
  if (layout.max !== undefined && buttons.length > layout.max) {
    dropped += buttons.splice(layout.max).length;
  }
  const rows: B[][] = [];
  for (let i = 0; i < buttons.length; i += layout.perRow) {
    rows.push(buttons.slice(i, i + layout.perRow));
  }
  return { rows, dropped };
}
