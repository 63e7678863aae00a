/**
 * Scripts that run inside the Playground's page. They are strings, not functions, so nothing the
 * test transform adds to compiled functions (helpers for names) reaches the browser.
 *
 * The page renders each Adaptive Card into a `.ac-adaptiveCard` element without any id on it;
 * the id of the message holding the card is only in the props of the React components around it
 * (`messageId`, checked in Playground 0.2.28). The cards' order in the DOM does not tell which is
 * newest: a channel lists its posts newest first, and the replies of each post oldest first.
 * Message ids are the Playground's creation times in milliseconds, so the largest is the newest.
 */

const MESSAGE_ID_OF = `
  function messageIdOf(element) {
    const key = Object.keys(element).find((k) => k.startsWith('__reactFiber$'));
    let fiber = key ? element[key] : null;
    for (let depth = 0; fiber && depth < 80; depth += 1, fiber = fiber.return) {
      const props = fiber.memoizedProps;
      if (props && typeof props === 'object' && typeof props.messageId === 'string') {
        return props.messageId;
      }
    }
    return null;
  }
  function cardsUnder(root) {
    return Array.from(root.querySelectorAll('.ac-adaptiveCard')).filter(
      (el) => !el.parentElement || !el.parentElement.closest('.ac-adaptiveCard'),
    );
  }
`;

/** A selector engine: `playground_card=<message id>` is the card in that message. */
export const CARD_ENGINE = `({
  queryAll(root, id) {
    ${MESSAGE_ID_OF}
    return cardsUnder(root).filter((el) => messageIdOf(el) === id);
  },
  query(root, id) {
    return this.queryAll(root, id)[0] || null;
  },
})`;

export const CARD_ENGINE_NAME = 'playground_card';

/** The cards the page shows: `[{messageId, text, buttons}]`, in DOM order. */
export const READ_CARDS = `(() => {
  ${MESSAGE_ID_OF}
  return cardsUnder(document).map((el) => ({
    messageId: messageIdOf(el),
    text: el.innerText.trim(),
    buttons: Array.from(el.querySelectorAll('button'))
      .map((b) => (b.innerText || b.getAttribute('aria-label') || '').trim())
      .filter(Boolean),
  }));
})()`;

/** The page's visible text without runs of blank lines. */
export const PAGE_TEXT = `document.body ? document.body.innerText.replace(/\\n\\s*\\n+/g, '\\n') : ''`;
