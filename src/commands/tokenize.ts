/**
 * Chat text → words the grammar reads. Slack escapes `&`, `<` and `>`, wraps mentions and links
 * in `<…>` (api.slack.com/reference/surfaces/formatting#escaping), and people add bold, code
 * spans, smart quotes (macOS turns `--` into an em dash). None of that changes what they meant,
 * so it is undone here, once, and the grammar only sees plain words.
 */
export interface Token {
  /** The word as typed, once Slack's escaping is undone: what a reason keeps. */
  raw: string;
  /** Without decoration (`*bold*`, `code`, quotes, Slack links): what a version is read from. */
  word: string;
  /** Wrapped whole in backticks: a value, never a keyword (a version called `to`). */
  literal: boolean;
}

export interface Tokenized {
  tokens: Token[];
  /** Everything after the first ` -- ` (or ` — `), tidied; null when there is none. */
  reason: string | null;
}

// The bot's mention starts every app_mention event's text; "<@U1>:" and "<@U1>," too.
const LEADING_MENTIONS = /^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+/i;
const ENTITY = /&(amp|lt|gt);/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>' };
const SMART_SINGLE = /[\u2018\u2019\u201A\u201B\u2032]/g;
const SMART_DOUBLE = /[\u201C\u201D\u201E\u201F\u2033]/g;
// Zero-width space, word joiner, BOM, soft hyphen: pasted along with text, never meant.
const INVISIBLE = /[\u200B\u2060\uFEFF\u00AD]/g;
const SEPARATORS = new Set(['--', '\u2014', '\u2013']);
const DECORATION = /^[*~`"']+|[*~`"']+$/g;
const LINK = /^<(?:https?:\/\/|mailto:)[^<>|]*\|([^<>]+)>$|^<((?:https?:\/\/|mailto:)[^<>|]+)>$/;
const CONTROL = /\p{Cc}/gu;

export function tokenize(text: string): Tokenized {
  const normalized = text
    .replace(LEADING_MENTIONS, '')
    // One pass, so "&amp;lt;" (someone typing "&lt;") becomes "&lt;", not "<".
    .replace(ENTITY, (_, name: string) => ENTITIES[name] ?? '')
    .replace(SMART_SINGLE, "'")
    .replace(SMART_DOUBLE, '"')
    .replace(INVISIBLE, '');
  const words = normalized.split(/\s+/).filter((w) => w !== '');
  const cut = words.findIndex((w) => SEPARATORS.has(w));
  const command = cut === -1 ? words : words.slice(0, cut);
  return {
    tokens: command.map(toToken).filter((t) => t.word !== ''),
    reason: cut === -1 ? null : tidyReason(words.slice(cut + 1)),
  };
}

/** Free text kept for the audit trail: one line, no control characters; null when empty. */
export function tidyReason(words: readonly string[]): string | null {
  const kept = words.map((w) => w.replace(CONTROL, '')).filter((w) => w !== '');
  return kept.length === 0 ? null : kept.join(' ');
}

function toToken(raw: string): Token {
  if (/^`[^`]+`$/.test(raw)) return { raw, word: raw.slice(1, -1), literal: true };
  const bare = raw.replace(DECORATION, '');
  const link = LINK.exec(bare);
  const word = link ? (link[1] ?? link[2] ?? '').replace(DECORATION, '') : bare;
  return { raw, word, literal: false };
}

/** Strips what may wrap one half of `web@1.4.2` (`web@*1.4.2*`). */
export function undecorate(word: string): string {
  return word.replace(DECORATION, '');
}

/**
 * The form a word is compared in, as a name or keyword: lower case, without Slack italics
 * (`_web_`) or the sentence's punctuation ("to staging."). Names cannot contain either.
 */
export function keyOf(word: string): string {
  return word
    .toLowerCase()
    .replace(/[.,;:!?]+$/, '')
    .replace(/^_+|_+$/g, '');
}

/** The keyword a token is, when it may be one: a backticked word is always a value. */
export function keywordOf(token: Token): string | null {
  return token.literal ? null : keyOf(token.word);
}

/** Could `word` be read as a name or keyword? Then a version must be written in backticks. */
export function readsAsName(word: string): boolean {
  return /^[a-z0-9-]+$/.test(keyOf(word));
}
