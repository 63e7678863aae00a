import { suggest } from '../core/suggest.js';
import { quote } from './quote.js';
import type { Token } from './tokenize.js';
import { keyOf } from './tokenize.js';
import type { Command, CommandName, GrammarContext } from './types.js';
import { usageFor } from './usage.js';

/**
 * What a verb's parser returns. A failure may carry a `repair`: the whole command rewritten the
 * way it was probably meant. The entry point parses the repair and, only if that parses,
 * offers it as the suggestion, so a "Did you mean" is always a command that works.
 */
export type Outcome = { ok: true; command: Command } | Failure;

export interface Failure {
  ok: false;
  error: string;
  suggestion: string | null;
  usage: string;
  repair: string | null;
}

/** What every verb's parser receives: the words after the verb, and the reason after ` -- `. */
export interface VerbInput {
  verb: CommandName;
  force: boolean;
  args: readonly Token[];
  reason: string | null;
  ctx: GrammarContext;
}

export type Role = 'service' | 'environment';
const ARTICLE: Record<Role, string> = { service: 'a service', environment: 'an environment' };

export function fail(
  p: Pick<VerbInput, 'verb'> | null,
  error: string,
  more: { suggestion?: string | null; repair?: string | null } = {},
): Failure {
  return {
    ok: false,
    error,
    suggestion: more.suggestion ?? null,
    usage: usageFor(p ? p.verb : null),
    repair: more.repair ?? null,
  };
}

/** The command as it would read with the words after the verb edited; for a repair. */
export function rewrite(p: VerbInput, edit: (words: string[]) => void): string {
  // A backticked token keeps its backticks, or the repair could read it as a keyword.
  const words = p.args.map((t) => (t.literal ? t.raw : t.word));
  edit(words);
  const head = `${p.verb}${p.force ? '!' : ''}`;
  return [head, ...words].join(' ') + (p.reason ? ` -- ${p.reason}` : '');
}

/** The name as configured (its canonical spelling) when `word` is one in `role`. */
export function findName(ctx: GrammarContext, role: Role, word: string): string | null {
  const key = keyOf(word);
  const names = role === 'service' ? ctx.services : ctx.environments;
  return names.find((n) => n.toLowerCase() === key) ?? null;
}

/**
 * The canonical name for `word` in `role`, or a failure saying precisely what is wrong: a
 * name of the other kind, a near miss, or nothing configured.
 */
export function resolveName(
  p: VerbInput,
  role: Role,
  word: string,
  repair: string | null = null,
): string | Failure {
  const found = findName(p.ctx, role, word);
  if (found !== null) return found;
  const other: Role = role === 'service' ? 'environment' : 'service';
  if (findName(p.ctx, other, word) !== null) {
    return fail(p, `${quote(word)} is ${ARTICLE[other]}, not ${ARTICLE[role]}.`, { repair });
  }
  const names = role === 'service' ? p.ctx.services : p.ctx.environments;
  if (names.length === 0)
    return fail(p, `Unknown ${role} ${quote(word)}: no ${role}s are configured.`);
  const near = suggest(keyOf(word), names);
  return fail(p, `Unknown ${role} ${quote(word)}.`, {
    suggestion: near ? `Did you mean \`${near}\`?` : null,
    repair,
  });
}
