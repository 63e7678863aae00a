/**
 * Adaptive Card basics, checked the way a renderer would refuse them
 * (adaptivecards.io/explorer, schema 1.6; Teams' Universal Actions,
 * learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/
 * universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards).
 * Teams' connector stores a card it cannot render and shows a broken message; the double
 * refuses it instead, so a test sees the mistake where it was made.
 */

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6'];

/** Elements of schema 1.6 plus those Teams documents for its own cards. */
const ELEMENTS = new Set([
  'TextBlock',
  'RichTextBlock',
  'Image',
  'Media',
  'Container',
  'ColumnSet',
  'FactSet',
  'ImageSet',
  'ActionSet',
  'Table',
  'Input.Text',
  'Input.Number',
  'Input.Date',
  'Input.Time',
  'Input.Toggle',
  'Input.ChoiceSet',
  'Input.Rating',
  'CodeBlock',
  'Icon',
  'Badge',
  'Carousel',
  'CompoundButton',
  'ProgressBar',
  'ProgressRing',
  'Rating',
]);

const ACTIONS = new Set([
  'Action.Execute',
  'Action.Submit',
  'Action.OpenUrl',
  'Action.ShowCard',
  'Action.ToggleVisibility',
  'Action.ResetInputs',
  'Action.Popover',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Walk {
  problems: string[];
  version: number;
  executes: number;
}

function checkAction(action: unknown, at: string, w: Walk): void {
  if (!isObject(action) || typeof action.type !== 'string') {
    w.problems.push(`an action has no type (at ${at})`);
    return;
  }
  if (!ACTIONS.has(action.type)) w.problems.push(`unknown action type ${action.type} (at ${at})`);
  if (action.type === 'Action.Execute') {
    w.executes += 1;
    if (typeof action.verb !== 'string' || action.verb === '') {
      w.problems.push(`Action.Execute has no verb (at ${at})`);
    }
  }
  if (action.type === 'Action.OpenUrl' && typeof action.url !== 'string') {
    w.problems.push(`Action.OpenUrl has no url (at ${at})`);
  }
  if (action.type === 'Action.ShowCard') {
    if (isObject(action.card)) checkCardContent(action.card, `${at}/card`, w);
    else w.problems.push(`Action.ShowCard has no card (at ${at})`);
  }
}

function checkElements(items: unknown, at: string, w: Walk): void {
  if (items === undefined) return;
  if (!Array.isArray(items)) {
    w.problems.push(`expected an array (at ${at})`);
    return;
  }
  items.forEach((el, i) => {
    checkElement(el, `${at}/${i}`, w);
  });
}

function checkElement(el: unknown, at: string, w: Walk): void {
  if (!isObject(el) || typeof el.type !== 'string') {
    w.problems.push(`an element has no type (at ${at})`);
    return;
  }
  const { type } = el;
  if (!ELEMENTS.has(type) && !type.startsWith('Chart.')) {
    w.problems.push(`unknown element type ${type} (at ${at})`);
  }
  if (type === 'TextBlock' && typeof el.text !== 'string') {
    w.problems.push(`TextBlock has no text (at ${at})`);
  }
  if (type === 'Image' && typeof el.url !== 'string')
    w.problems.push(`Image has no url (at ${at})`);
  if (type.startsWith('Input.') && (typeof el.id !== 'string' || el.id === '')) {
    w.problems.push(`${type} has no id (at ${at})`);
  }
  if (el.selectAction !== undefined) checkAction(el.selectAction, `${at}/selectAction`, w);
  checkElements(el.items, `${at}/items`, w);
  list(el.columns).forEach((col, i) => {
    checkElements(isObject(col) ? col.items : undefined, `${at}/columns/${i}/items`, w);
  });
  list(el.rows).forEach((row, r) => {
    list(isObject(row) ? row.cells : undefined).forEach((cell, c) => {
      const items = isObject(cell) ? cell.items : undefined;
      checkElements(items, `${at}/rows/${r}/cells/${c}/items`, w);
    });
  });
  list(el.pages).forEach((page, i) => {
    checkElements(isObject(page) ? page.items : undefined, `${at}/pages/${i}/items`, w);
  });
  if (type === 'ActionSet') {
    list(el.actions).forEach((a, i) => {
      checkAction(a, `${at}/actions/${i}`, w);
    });
  }
}

function checkCardContent(card: Json, at: string, w: Walk): void {
  checkElements(card.body, `${at}/body`, w);
  if (card.actions !== undefined && !Array.isArray(card.actions)) {
    w.problems.push(`actions must be an array (at ${at}/actions)`);
  }
  list(card.actions).forEach((a, i) => {
    checkAction(a, `${at}/actions/${i}`, w);
  });
  if (card.refresh !== undefined) {
    const action = isObject(card.refresh) ? card.refresh.action : undefined;
    checkAction(action, `${at}/refresh/action`, w);
  }
}

/** The problems with an Adaptive Card, each naming where it is; empty when it is fine. */
export function adaptiveCardProblems(card: unknown, at: string): string[] {
  if (!isObject(card)) return [`the card is not an object (at ${at})`];
  const w: Walk = { problems: [], version: 0, executes: 0 };
  if (card.type !== 'AdaptiveCard') w.problems.push(`type must be AdaptiveCard (at ${at}/type)`);
  if (typeof card.version !== 'string' || !VERSIONS.includes(card.version)) {
    w.problems.push(`version must be one of ${VERSIONS.join(', ')} (at ${at}/version)`);
  } else {
    w.version = Number(card.version);
  }
  if (card.body !== undefined && !Array.isArray(card.body)) {
    w.problems.push(`body must be an array (at ${at}/body)`);
  } else if (list(card.body).length === 0 && list(card.actions).length === 0) {
    w.problems.push(`the card has neither body nor actions (at ${at})`);
  }
  checkCardContent(card, at, w);
  // Teams runs Action.Execute only in cards of version 1.5 or later; below that "the card
  // stops working" (Universal Actions, "Schema for Universal Actions for Adaptive Cards").
  if (w.executes > 0 && w.version > 0 && w.version < 1.5) {
    w.problems.push(`Action.Execute needs version 1.5 or later in Teams (at ${at}/version)`);
  }
  return w.problems;
}

/** Every Action.Execute on a card, with where it sits, for a person to press. */
export function executeActions(card: unknown): Json[] {
  const found: Json[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) for (const n of node) visit(n);
    else if (isObject(node)) {
      if (node.type === 'Action.Execute') found.push(node);
      for (const [k, v] of Object.entries(node)) if (k !== 'refresh') visit(v);
    }
  };
  visit(card);
  return found;
}
