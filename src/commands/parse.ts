import { suggest } from '../core/suggest.js';
import { fail, findName, type Outcome, rewrite, type VerbInput } from './outcome.js';
import { parseLock, parseUnlock } from './parse-lock.js';
import { commandNamed, parseHelp, parseHistory, parseStatus, verbKey } from './parse-query.js';
import { parseDeploy, parseRollback } from './parse-release.js';
import { quote } from './quote.js';
import { type Token, tokenize } from './tokenize.js';
import type { CommandName, GrammarContext, ParseResult } from './types.js';
import { COMMAND_NAMES } from './usage.js';

/**
 * The chat grammar's entry points (README.md beside this file). Pure: the text and the names
 * from slipway.yaml in, a typed command or one precise error out. Never throws.
 */

// Far above any real command; stops a pasted log from costing anything.
const MAX_TEXT_LENGTH = 4000;
const MAX_REASON_LENGTH = 500;

const PARSERS: Readonly<Record<CommandName, (p: VerbInput) => Outcome>> = {
  deploy: parseDeploy,
  rollback: parseRollback,
  lock: parseLock,
  unlock: parseUnlock,
  status: parseStatus,
  history: parseHistory,
  help: parseHelp,
};
// The "!" forms that mean something (types.ts): a freeze override and taking over a lock.
const FORCEABLE: ReadonlySet<CommandName> = new Set(['deploy', 'lock', 'unlock']);
const WITH_REASON: ReadonlySet<CommandName> = new Set(['deploy', 'rollback', 'lock']);

type Mode = 'mention' | 'slash';

/** A command as typed after mentioning the bot: it starts with its verb (`deploy web 1.4.2`). */
export function parseCommand(text: string, ctx: GrammarContext): ParseResult {
  return settle(parseText(text, ctx, 'mention'), ctx);
}

/**
 * The text of `/deploy …`: arguments of `deploy` (`/deploy web 1.4.2 to staging`) unless the
 * first word is a verb (`/deploy rollback web`). A verb wins over a service of the same name.
 */
export function parseSlashDeploy(text: string, ctx: GrammarContext): ParseResult {
  return settle(parseText(text, ctx, 'slash'), ctx);
}

function parseText(text: string, ctx: GrammarContext, mode: Mode): Outcome {
  if (text.length > MAX_TEXT_LENGTH) {
    return fail(
      null,
      `The command is ${text.length} characters long; the limit is ${MAX_TEXT_LENGTH}.`,
    );
  }
  const { tokens, reason } = tokenize(text);
  const [first, ...rest] = tokens;
  if (!first) {
    if (reason !== null) return fail(null, 'Missing command before " -- ".');
    return { ok: true, command: { kind: 'help', topic: null } };
  }
  const verb = readVerb(first);
  if (verb) return runVerb({ verb: verb.name, force: verb.force, args: rest, reason, ctx });
  if (mode === 'slash' && !isMistypedVerb(first, ctx)) {
    return runVerb({ verb: 'deploy', force: false, args: tokens, reason, ctx });
  }
  return unknownVerb(first, tokens, reason, ctx);
}

function runVerb(p: VerbInput): Outcome {
  if (p.force && !FORCEABLE.has(p.verb)) {
    return fail(p, `${p.verb} has no "!" form; only deploy!, lock! and unlock! do.`, {
      repair: rewrite({ ...p, force: false }, () => {}),
    });
  }
  if (p.reason !== null && !WITH_REASON.has(p.verb)) {
    return fail(p, `${p.verb} does not take a reason after " -- ".`, {
      repair: rewrite({ ...p, reason: null }, () => {}),
    });
  }
  const outcome = PARSERS[p.verb](p);
  // Checked on the result: a lock's reason may also come from its trailing words.
  const reason = outcome.ok && 'reason' in outcome.command ? outcome.command.reason : null;
  if (reason !== null && reason.length > MAX_REASON_LENGTH) {
    return fail(
      p,
      `The reason is ${reason.length} characters long; the limit is ${MAX_REASON_LENGTH}.`,
    );
  }
  return outcome;
}

function readVerb(token: Token): { name: CommandName; force: boolean } | null {
  const name = commandNamed(token.word);
  if (name === null) return null;
  return { name, force: verbKey(token.word).endsWith('!') };
}

/**
 * In `/deploy <word> …`, a word that is no service but nearly a verb ("rollbak") was a verb;
 * anything else is a service, so "wbe" gets "Unknown service" with the right suggestion.
 */
function isMistypedVerb(first: Token, ctx: GrammarContext): boolean {
  const key = verbKey(first.word).replace(/!$/, '');
  if (findName(ctx, 'service', first.word) || suggest(key, ctx.services)) return false;
  return suggest(key, COMMAND_NAMES) !== null;
}

function unknownVerb(
  first: Token,
  tokens: readonly Token[],
  reason: string | null,
  ctx: GrammarContext,
): Outcome {
  const key = verbKey(first.word);
  const near = commandNamed(suggest(key.replace(/!$/, ''), COMMAND_NAMES) ?? '');
  let repair: string | null = null;
  if (near) {
    repair = rewrite(
      { verb: near, force: key.endsWith('!'), args: tokens.slice(1), reason, ctx },
      () => {},
    );
  } else if (findName(ctx, 'service', first.word)) {
    // "web 1.4.2" said to the bot: offer the deploy it most likely is.
    repair = rewrite({ verb: 'deploy', force: false, args: tokens, reason, ctx }, () => {});
  }
  return fail(null, `Unknown command ${quote(first.word)}.`, {
    suggestion: near ? `Did you mean \`${near}\`?` : null,
    repair,
  });
}

/** Repairs of a repair tried before giving up: "1.2 .3 --to staging" needs two. */
const REPAIR_STEPS = 3;

/**
 * Turns an outcome into the contract's ParseResult, offering a repair only if it parses, so a
 * suggestion always works as typed. A repair that fixes one mistake but trips on the next is
 * repaired again, a few steps at most.
 */
function settle(outcome: Outcome, ctx: GrammarContext): ParseResult {
  if (outcome.ok) return outcome;
  const { error, usage } = outcome;
  let suggestion = outcome.suggestion;
  let repair = outcome.repair;
  for (let step = 0; repair !== null && step < REPAIR_STEPS; step++) {
    const again = parseText(repair, ctx, 'mention');
    if (again.ok) {
      suggestion = `Did you mean \`${repair}\`?`;
      break;
    }
    repair = again.repair;
  }
  return { ok: false, error, suggestion, usage };
}
