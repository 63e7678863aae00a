import type { ChatLimits } from '../types.js';

/**
 * What a Teams message can hold, as Microsoft documents it or, where it does not, as Teams
 * behaves. Teams refuses a message over its size with 413 `MessageSizeTooBig`, so the card
 * renderer (cards.ts) cuts text to fit and says so.
 */
export const CARD_LIMITS = {
  // Universal Actions (Action.Execute, refresh) need schema 1.5
  // (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards).
  version: '1.5',
  // The bot documentation says 100 KB as UTF-16 for the whole message, 80 KB to be sure of
  // delivery, refused with 413 MessageSizeTooBig
  // (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages; older
  // revisions said 40 KB). The "about 28 KB" often quoted is the Power Platform Teams
  // connector's (learn.microsoft.com/connectors/teams, known limitations). A card kept under
  // 28 KB of UTF-8 and 40 KB of UTF-16 passes every reading, and a deployment's card is far
  // smaller: the budget only bounds what a long log or reason could make of it.
  cardBytesUtf8: 28 * 1024,
  cardBytesUtf16: 40 * 1024,
  // Not documented: web and desktop show 6 actions of one actions array; more fit in further
  // ActionSets, the workaround Microsoft's support gave (github.com/atc0005/go-teams-notify/issues/161).
  // Five rows are more than a card about one deployment ever needs.
  actionsPerSet: 6,
  actionSets: 5,
  // A title is one line; a long one is cut rather than crowding out the body.
  titleText: 1_000,
  // A body long enough for a failure's outcome, well inside the card's size with its fields.
  bodyText: 8_000,
  // Each fact, each context line: short lines on a card; longer text belongs in the thread.
  factTitle: 200,
  factValue: 2_000,
  contextText: 2_000,
  // Action titles show on one line of a button: longer ones are cut by Teams anyway.
  actionTitle: 75,
  // A button's data rides in the card and comes back in the invoke: it counts toward the size.
  buttonValue: 2_000,
  // An Input.Text's maxLength: Slipway's forms ask for a sentence or a paragraph.
  inputMaxLength: 3_000,
} as const;

/** Shown wherever text was cut; the full text goes to the thread. */
export const TRUNCATION_NOTE = '… (truncated, full log in thread)';

/** A Teams message, as the core sees it (the ChatLimits port). */
export const TEAMS_CHAT_LIMITS: ChatLimits = {
  messageText: CARD_LIMITS.bodyText,
  buttonValue: CARD_LIMITS.buttonValue,
  buttonsPerRow: CARD_LIMITS.actionsPerSet,
  buttonsPerMessage: CARD_LIMITS.actionsPerSet * CARD_LIMITS.actionSets,
  // Channel posts have threads (replies to the root message); group and personal chats do not,
  // and the client posts a reply there as a plain message (client.ts).
  threads: true,
  // Teams has no message only one person sees in a shared conversation: the client answers
  // privately in the invoke response while a click waits, else in the person's 1:1 chat.
  ephemeral: false,
  // Universal Actions' sequential workflow: the invoke response replaces the card, for the
  // person who clicked only, with a card holding the inputs.
  forms: true,
};
