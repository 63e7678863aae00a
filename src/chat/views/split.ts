/**
 * Cutting view text (Slack-style mrkdwn, the views' format on every platform) to a platform's
 * limits without breaking it: never inside a surrogate pair, an entity or a markup span.
 */

/** Cuts at `end` without splitting a UTF-16 surrogate pair (an emoji) in two. */
export function safeEnd(text: string, end: number): number {
  if (end <= 0) return 0;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/**
 * The longest prefix of mrkdwn `text` no longer than `end` that does not end inside an entity
 * (`&amp;`) or a markup span (`<@U1>`, `<url|label>`): either would render as garbage.
 */
export function mrkdwnCut(text: string, end: number): number {
  let cut = safeEnd(text, Math.min(end, text.length));
  const head = text.slice(0, cut);
  const amp = head.lastIndexOf('&');
  if (amp > head.lastIndexOf(';') && cut - amp < 10 && text.length > cut) cut = amp;
  const open = head.lastIndexOf('<');
  if (open > head.lastIndexOf('>') && text.length > cut) cut = Math.min(cut, open);
  return cut;
}

/**
 * Cuts a long text (a log, an output tail) into chunks of at most `limit` characters for thread
 * replies, at line ends where possible and never inside an entity or markup span.
 */
export function splitForThread(text: string, limit: number): string[] {
  if (limit < 16) throw new RangeError(`splitForThread needs a limit of at least 16, not ${limit}`);
  const chunks: string[] = [];
  let current = '';
  const push = () => {
    if (current !== '') chunks.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const joined = current === '' ? line : `${current}\n${line}`;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    push();
    let rest = line;
    while (rest.length > limit) {
      const cut = mrkdwnCut(rest, limit) || limit;
      chunks.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  push();
  return chunks;
}
