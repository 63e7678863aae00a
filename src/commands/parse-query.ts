import { suggest } from '../core/suggest.js';
import { fail, findName, type Outcome, resolveName, rewrite, type VerbInput } from './outcome.js';
import { quote } from './quote.js';
import { keywordOf, type Token } from './tokenize.js';
import type { CommandName } from './types.js';
import { COMMAND_NAMES } from './usage.js';

// `status [<service>]`, `history <service> [in <env>] [<n>]`, `help [<command>]`.

const DEFAULT_HISTORY = 10;
const MAX_HISTORY = 100;

export function parseStatus(p: VerbInput): Outcome {
  const [head, extra] = p.args;
  if (extra) return fail(p, `Unexpected ${quote(extra.word)}: status takes at most one service.`);
  const service = head ? resolveName(p, 'service', head.word) : null;
  if (typeof service !== 'string' && service !== null) return service;
  return { ok: true, command: { kind: 'status', service } };
}

export function parseHistory(p: VerbInput): Outcome {
  const head = p.args[0];
  if (!head) return fail(p, 'Missing service: say whose history to show, as in "history web".');
  const service = resolveName(p, 'service', head.word);
  if (typeof service !== 'string') return service;
  let environment: string | null = null;
  let limit: number | null = null;
  for (let i = 1; i < p.args.length; i++) {
    const token = p.args[i] as Token;
    const key = keywordOf(token);
    const next = p.args[i + 1];
    if (key === 'in') {
      if (environment !== null)
        return fail(p, 'Show one environment at a time: "in" appears twice.');
      if (!next) return fail(p, 'Missing environment after "in".');
      const env = resolveName(p, 'environment', next.word);
      if (typeof env !== 'string') return env;
      environment = env;
      i++;
    } else if (key !== null && /^-?\d+$/.test(key)) {
      if (limit !== null)
        return fail(p, `Give one number of entries: ${quote(token.word)} is a second one.`);
      limit = Number(key);
      if (!(limit >= 1 && limit <= MAX_HISTORY)) {
        return fail(
          p,
          `The number of entries must be between 1 and ${MAX_HISTORY}, not ${quote(token.word)}.`,
        );
      }
    } else if (key !== null && environment === null && findName(p.ctx, 'environment', token.word)) {
      return fail(
        p,
        `${quote(token.word)} is an environment: write "in ${token.word}" to see its history.`,
        {
          repair: rewrite(p, (w) => w.splice(i, 0, 'in')),
        },
      );
    } else {
      return fail(
        p,
        `Unexpected ${quote(token.word)}: history takes a service, "in <env>" and a number of entries.`,
      );
    }
  }
  return {
    ok: true,
    command: { kind: 'history', service, environment, limit: limit ?? DEFAULT_HISTORY },
  };
}

export function parseHelp(p: VerbInput): Outcome {
  const [head, extra] = p.args;
  if (!head) return { ok: true, command: { kind: 'help', topic: null } };
  const topic = commandNamed(head.word);
  if (topic === null) {
    const near = suggest(verbKey(head.word), COMMAND_NAMES);
    // The overview is the most useful answer to "help <something unknown>".
    return fail(null, `Unknown command ${quote(head.word)}.`, {
      suggestion: near ? `Did you mean \`help ${near}\`?` : null,
    });
  }
  if (extra) return fail(p, `Unexpected ${quote(extra.word)}: help takes at most one command.`);
  return { ok: true, command: { kind: 'help', topic } };
}

/** `deploy`, `Deploy!`, `/deploy` → `deploy`; anything else → null. */
export function commandNamed(word: string): CommandName | null {
  const key = verbKey(word).replace(/!$/, '');
  return COMMAND_NAMES.find((name) => name === key) ?? null;
}

/** A verb as compared: lower case, no leading slash (a pasted `/deploy`), `!` kept. */
export function verbKey(word: string): string {
  return word
    .toLowerCase()
    .replace(/[.,;:?]+$/, '')
    .replace(/^_+|_+$/g, '')
    .replace(/^\//, '');
}
