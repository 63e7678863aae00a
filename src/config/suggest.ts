import { suggest } from '../core/suggest.js';

/** The closest candidate to a misspelt name: the one suggestion logic, shared with chat. */
export function closest(input: string, candidates: Iterable<string>): string | null {
  return suggest(input, [...candidates]);
}

/** ` (did you mean "production"?)`, or nothing. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const near = closest(input, candidates);
  return near ? ` (did you mean "${near}"?)` : '';
}

/** `a, b or c` for messages. */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
