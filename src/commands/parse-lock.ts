import { parseDuration } from '../core/duration.js';
import { suggest } from '../core/suggest.js';
import {
  type Failure,
  fail,
  findName,
  type Outcome,
  resolveName,
  rewrite,
  type VerbInput,
} from './outcome.js';
import { quote } from './quote.js';
import { keyOf, keywordOf, type Token, tidyReason } from './tokenize.js';

/**
 * `lock <env> [<service>] [for <duration>] [<reason…>]` and `unlock <env> [<service>]`.
 *
 * A lock's reason may follow without " -- ", so the words after the clauses are read as one.
 * That makes a mistake cheap to miss: "lock production 2h" or "… migration for 2h" would lock
 * with no expiry. Those shapes are refused with the fix offered; a reason that really starts
 * that way goes after " -- ", which is never second-guessed.
 */
export function parseLock(p: VerbInput): Outcome {
  const environment = environmentOf(p);
  if (typeof environment !== 'string') return environment;
  let service: string | null = null;
  let durationMs: number | null = null;
  let i = 1;
  for (;;) {
    const token = p.args[i];
    if (!token) break;
    const duration = keywordOf(token) === 'for' ? readDuration(p.args, i + 1) : null;
    if (duration && durationMs === null) {
      durationMs = duration.ms;
      i += 1 + duration.used;
    } else if (service === null && findName(p.ctx, 'service', token.word)) {
      service = findName(p.ctx, 'service', token.word);
      i++;
    } else if (keywordOf(token) === 'for' && durationMs === null) {
      const next = p.args[i + 1];
      if (!next) return fail(p, 'Missing duration after "for", such as 30m, 2h or 1d.');
      // "for 0m", "for 2x": a duration got wrong, not the start of a reason.
      if (/^\d/.test(next.word))
        return fail(p, `${quote(next.word)} is not a duration such as 30m, 2h or 1d.`);
      return fail(
        p,
        `${quote(next.word)} is not a duration (such as 30m, 2h or 1d); to give a reason that starts with "for", put it after " -- ".`,
        { repair: rewrite(p, (w) => w.splice(i, 0, '--')) },
      );
    } else {
      break;
    }
  }
  const problem = trailingProblem(p, i, service !== null, durationMs !== null);
  if (problem) return problem;
  const trailing = tidyReason(p.args.slice(i).map((t) => t.raw));
  const reason = trailing && p.reason ? `${trailing} -- ${p.reason}` : (trailing ?? p.reason);
  return {
    ok: true,
    command: { kind: 'lock', environment, service, durationMs, reason, force: p.force },
  };
}

export function parseUnlock(p: VerbInput): Outcome {
  const environment = environmentOf(p);
  if (typeof environment !== 'string') return environment;
  const second = p.args[1];
  if (
    second &&
    findName(p.ctx, 'environment', second.word) &&
    !findName(p.ctx, 'service', second.word)
  ) {
    return fail(p, `Unlock one environment at a time: ${quote(second.word)} is a second one.`);
  }
  const service = second ? resolveName(p, 'service', second.word) : null;
  if (typeof service !== 'string' && service !== null) return service;
  const extra = p.args[2];
  if (extra)
    return fail(
      p,
      `Unexpected ${quote(extra.word)}: unlock takes an environment and, optionally, a service.`,
    );
  return { ok: true, command: { kind: 'unlock', environment, service, force: p.force } };
}

function environmentOf(p: VerbInput): string | Failure {
  const head = p.args[0];
  if (!head)
    return fail(
      p,
      `Missing environment: say which one to ${p.verb}, as in "${p.verb} production".`,
    );
  // "lock web production": the service first is the order people mix up.
  const swapped = rewrite(p, (w) => w.splice(0, 2, ...w.slice(0, 2).reverse()));
  return resolveName(p, 'environment', head.word, swapped);
}

/** Refuses the shapes of leftover words that were more likely meant as a clause than a reason. */
function trailingProblem(
  p: VerbInput,
  i: number,
  hasService: boolean,
  hasDuration: boolean,
): Failure | null {
  const rest = p.args.slice(i);
  const first = rest[0];
  const key = first ? keywordOf(first) : null;
  if (!first || key === null) return null;
  // The CLI's options typed here: "--for 2h" is "for 2h", "--reason x" is "-- x".
  const option = /^--?(for|duration|reason|message|m)$/.exec(key)?.[1];
  if (option) {
    const word = option === 'for' || option === 'duration' ? 'for' : '--';
    return fail(
      p,
      `Options are for the CLI; here, write "${word}" instead of ${quote(first.word)}.`,
      {
        repair: rewrite(p, (w) => w.splice(i, 1, word)),
      },
    );
  }
  const toReason = rewrite(p, (w) => w.splice(i, 0, '--'));
  if (key === 'for') {
    return fail(
      p,
      '"for" appears twice: to give a reason that starts with "for", put it after " -- ".',
      {
        repair: toReason,
      },
    );
  }
  const leading = hasDuration ? null : readDuration(p.args, i);
  if (leading) {
    const words = rest
      .slice(0, leading.used)
      .map((t) => t.word)
      .join(' ');
    return fail(p, `Write "for ${words}" to say how long the lock lasts.`, {
      repair: rewrite(p, (w) => w.splice(i, 0, 'for')),
    });
  }
  if (key === 'until')
    return fail(
      p,
      'Say how long the lock lasts with "for", as in "for 2h"; "until" is not understood.',
    );
  if (!hasDuration) {
    const later = laterDuration(p.args, i + 1);
    if (later) {
      return fail(
        p,
        `Put "for ${later.text}" right after the ${hasService ? 'service' : 'environment'} to set how long the lock lasts, or the reason after " -- ".`,
        {
          repair: rewrite(p, (w) => w.splice(i, 0, ...w.splice(later.at, later.used + 1))),
        },
      );
    }
  }
  // One word that is nearly a service (or is an environment) is a typo, not a reason.
  if (rest.length === 1 && !hasService && p.reason === null) {
    if (findName(p.ctx, 'environment', first.word)) {
      return fail(p, `Lock one environment at a time: ${quote(first.word)} is a second one.`);
    }
    const near = suggest(keyOf(first.word), p.ctx.services);
    if (near) {
      return fail(p, `Unknown service ${quote(first.word)}; a one-word reason goes after " -- ".`, {
        suggestion: `Did you mean \`${near}\`?`,
      });
    }
  }
  return null;
}

/** A `for <duration>` clause somewhere after `from`, as index of "for", words used and text. */
function laterDuration(
  args: readonly Token[],
  from: number,
): { at: number; used: number; text: string } | null {
  for (let at = from; at < args.length; at++) {
    const token = args[at] as Token;
    if (keywordOf(token) !== 'for') continue;
    const found = readDuration(args, at + 1);
    if (found) {
      const text = args
        .slice(at + 1, at + 1 + found.used)
        .map((t) => t.word)
        .join(' ');
      return { at, used: found.used, text };
    }
  }
  return null;
}

// People write "2 hours" and "90mins" as often as "2h": both read as parseDuration's units.
const UNIT_WORDS: Record<string, string> = {
  ms: 'ms',
  msec: 'ms',
  msecs: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  w: 'w',
  wk: 'w',
  wks: 'w',
  week: 'w',
  weeks: 'w',
};

/** A duration starting at `args[i]`: `2h`, `1h30m`, `2 hours`, `90mins`, `1h 30m`. */
export function readDuration(
  args: readonly Token[],
  i: number,
): { ms: number; used: number } | null {
  let ms = 0;
  let used = 0;
  for (;;) {
    const part = durationPart(args, i + used);
    if (!part) break;
    ms += part.ms;
    used += part.used;
  }
  return used === 0 || !Number.isSafeInteger(ms) ? null : { ms, used };
}

function durationPart(args: readonly Token[], i: number): { ms: number; used: number } | null {
  const token = args[i];
  if (!token || token.literal) return null;
  const key = keyOf(token.word);
  const direct = parseDuration(key);
  if (direct !== null) return { ms: direct, used: 1 };
  const joined = /^(\d{1,12})([a-z]+)$/.exec(key);
  const unit = joined ? UNIT_WORDS[joined[2] ?? ''] : undefined;
  if (joined && unit) return orNull(parseDuration(`${joined[1]}${unit}`), 1);
  const next = args[i + 1];
  const spaced =
    next && !next.literal && /^\d{1,12}$/.test(key) ? UNIT_WORDS[keyOf(next.word)] : undefined;
  return spaced ? orNull(parseDuration(`${key}${spaced}`), 2) : null;
}

function orNull(ms: number | null, used: number): { ms: number; used: number } | null {
  return ms === null ? null : { ms, used };
}
