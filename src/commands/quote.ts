const SHOWN_LENGTH = 40;
// Characters a reader cannot see or that would break the line: shown by code point instead.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** A person's word inside an error sentence: in quotes, cut short, invisible characters named. */
export function quote(text: string): string {
  const chars = [...text];
  const shown = chars
    .slice(0, SHOWN_LENGTH)
    .map((c) => (INVISIBLE.test(c) ? codePoint(c) : c))
    .join('');
  return `"${shown}${chars.length > SHOWN_LENGTH ? '…' : ''}"`;
}

/** `U+000A` for a character that cannot be shown as itself. */
export function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
