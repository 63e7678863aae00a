/**
 * View text (Slack-style mrkdwn, escaped by the views: src/chat/views/text.ts) as Adaptive Card
 * text. Adaptive Cards render a markdown subset in TextBlocks and facts: `**bold**`, `_italic_`,
 * lists and `[text](url)` links (learn.microsoft.com/adaptive-cards/authoring-cards/text-features).
 * The markup the views wrote becomes that markdown; what a person typed stays text: it can
 * neither become a link nor a mention, as it could not in Slack.
 */

/** The name to show for a person id in a mention (`<@id>`); null or undefined shows the id. */
export type NameOf = (id: string) => string | null | undefined;

/** A stretch of view text: markdown for a TextBlock, or a code block shown as it is. */
export type TextPiece = { kind: 'markdown'; text: string } | { kind: 'code'; text: string };

/** Splits at code blocks (```…```): their content is shown verbatim in a monospace run. */
export function toCardPieces(mrkdwn: string, nameOf: NameOf): TextPiece[] {
  const pieces: TextPiece[] = [];
  for (const [i, part] of splitCodeBlocks(mrkdwn).entries()) {
    if (i % 2 === 1) pieces.push({ kind: 'code', text: unescapeEntities(part.replace(/^\n/, '')) });
    else if (part.trim() !== '') pieces.push({ kind: 'markdown', text: inline(part, nameOf) });
  }
  return pieces;
}

/** One line of card markdown (titles, facts, context): code blocks become inline code. */
export function toCardMarkdown(mrkdwn: string, nameOf: NameOf): string {
  return inline(
    splitCodeBlocks(mrkdwn)
      .map((part, i) => (i % 2 === 1 ? `\`${part.replace(/`/g, "'").trim()}\`` : part))
      .join(''),
    nameOf,
  );
}

/** Text without markup: a message response, a notification's summary. */
export function toPlainText(mrkdwn: string, nameOf: NameOf): string {
  const parts = splitCodeBlocks(mrkdwn).map((part, i) => {
    if (i % 2 === 1) return part;
    return part
      .replace(/<([^<>\n]*)>/g, (_m, inner: string) => plainSpan(inner, nameOf))
      .replace(BOLD, '$1$2');
  });
  return unescapeEntities(parts.join(''));
}

// Slack's bold: a `*` after a start, space or punctuation, around text that neither starts nor
// ends with a space, closed before an end, space or punctuation.
const BOLD = /(^|[^\w*])\*(?=\S)([^*\n]*?[^\s*])\*(?![\w*])/g;
// Placeholders for the markup already converted, so that later steps leave it alone. U+E000 (a
// private-use character) is removed from the input first: no text a person typed can forge one.
const HELD = /\uE000(\d+)\uE000/g;

function inline(text: string, nameOf: NameOf): string {
  const held: string[] = [];
  const hold = (markdown: string) => `\uE000${held.push(markdown) - 1}\uE000`;
  let s = text.replace(/\uE000/g, '');
  // Inside code Slack shows markup literally: nothing in it is converted.
  s = s.replace(/`([^`\n]+)`/g, (_m, code: string) => hold(`\`${literal(code)}\``));
  s = s.replace(/<([^<>\n]*)>/g, (_m, inner: string) => hold(span(inner, nameOf)));
  s = s.replace(BOLD, '$1**$2**');
  s = literal(s);
  return s.replace(HELD, (_m, i: string) => held[Number(i)] ?? '');
}

/** A markup span (`<@U1>`, `<url|label>`, `<!date^…|fallback>`) as card markdown. */
function span(inner: string, nameOf: NameOf): string {
  if (inner.startsWith('@')) {
    const [id = '', label] = inner.slice(1).split('|', 2);
    return literal(nameOf(id) ?? label ?? id);
  }
  if (inner.startsWith('#')) {
    const [id = '', label] = inner.slice(1).split('|', 2);
    return literal(`#${label ?? id}`);
  }
  const date = dateSpan(inner);
  if (date) return date;
  if (inner.startsWith('!')) return literal(specialLabel(inner));
  const bar = inner.indexOf('|');
  const url = unescapeEntities(bar < 0 ? inner : inner.slice(0, bar));
  const label = bar < 0 ? url : unescapeEntities(inner.slice(bar + 1));
  if (!/^(https?:|mailto:)/i.test(url)) return literal(label);
  // Brackets would end the link text; parentheses and spaces the URL.
  const text = label.replace(/\[/g, '(').replace(/\]/g, ')');
  const href = url.replace(
    /[()\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return `[${literal(text)}](${href})`;
}

function plainSpan(inner: string, nameOf: NameOf): string {
  if (inner.startsWith('@')) {
    const [id = '', label] = inner.slice(1).split('|', 2);
    return nameOf(id) ?? label ?? id;
  }
  if (inner.startsWith('#')) {
    const [id = '', label] = inner.slice(1).split('|', 2);
    return `#${label ?? id}`;
  }
  if (inner.startsWith('!date^')) return inner.slice(inner.indexOf('|') + 1);
  if (inner.startsWith('!')) return specialLabel(inner);
  const [url = '', label] = inner.split('|', 2);
  return label && label !== url ? `${label} (${url})` : url;
}

/**
 * A date the views wrote for Slack to show in each reader's time zone (`<!date^secs^…|iso>`):
 * Adaptive Cards do the same with DATE and TIME
 * (learn.microsoft.com/adaptive-cards/authoring-cards/text-features#datetime-formatting-and-localization).
 */
function dateSpan(inner: string): string | null {
  const m = /^!date\^(\d+)\^/.exec(inner);
  if (!m) return null;
  const iso = new Date(Number(m[1]) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{{DATE(${iso}, SHORT)}} {{TIME(${iso})}}`;
}

/** `<!here>`, `<!subteam^S1|@ops>`: their label, never a ping. */
function specialLabel(inner: string): string {
  const bar = inner.indexOf('|');
  return bar >= 0 ? inner.slice(bar + 1) : `@${inner.slice(1).split('^')[0] ?? ''}`;
}

/**
 * Text a person or a program wrote, unescaped, that must stay text: a zero-width space between
 * `]` and `(` (or `[`) means no link can form, and `<` cannot open an autolink, while the text
 * reads the same.
 */
function literal(escaped: string): string {
  return unescapeEntities(escaped)
    .replace(/\](?=[([])/g, ']\u200b')
    .replace(/</g, '<\u200b');
}

function unescapeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Text and code blocks alternate: even indexes are text, odd ones code (```…```). */
function splitCodeBlocks(text: string): string[] {
  const parts = text.split('```');
  // An unclosed fence is text, as Slack shows it.
  if (parts.length % 2 === 0) {
    const last = parts.pop() ?? '';
    parts[parts.length - 1] += `\`\`\`${last}`;
  }
  return parts;
}
