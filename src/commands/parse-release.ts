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
import { keywordOf, type Token, undecorate } from './tokenize.js';
import { validateVersion } from './version.js';

/**
 * `deploy <service>[@<version>] [<version>] [to <env>]` and
 * `rollback <service> [in <env>] [to <version>]`. Clauses may come in any order after the
 * service. A known environment where a version would go is refused rather than deployed as a
 * tag of that name: "deploy web staging" almost always lacks its "to".
 */
export function parseDeploy(p: VerbInput): Outcome {
  const head = p.args[0];
  if (!head || (keywordOf(head) === 'to' && !findName(p.ctx, 'service', 'to'))) {
    return fail(
      p,
      'Missing service: say which service to deploy, as in "deploy web 1.4.2 to staging".',
    );
  }
  const target = splitTarget(p, head);
  if (!target.ok) return target;
  let version = target.version;
  let environment: string | null = null;
  for (let i = 1; i < p.args.length; i++) {
    const token = p.args[i] as Token;
    const key = keywordOf(token);
    const next = p.args[i + 1];
    if (key === 'to') {
      if (environment !== null)
        return fail(p, 'Deploy to one environment at a time: "to" appears twice.');
      if (!next) return fail(p, 'Missing environment after "to".');
      const env = resolveName(p, 'environment', next.word);
      if (typeof env !== 'string') return env;
      environment = env;
      i++;
    } else if (key === 'in' || key === 'on') {
      // Reserved rather than read as a version: "deploy web in staging" means "to staging".
      if (!next) return unexpected(p, i, null);
      return fail(p, `Write "to ${next.word}", not "${key} ${next.word}", to deploy there.`, {
        repair: rewrite(p, (w) => w.splice(i, 1, 'to')),
      });
    } else if (key !== null && findName(p.ctx, 'environment', token.word)) {
      if (environment !== null) {
        return fail(
          p,
          `Deploy to one environment at a time: ${quote(token.word)} is a second one.`,
        );
      }
      return fail(
        p,
        `${quote(token.word)} is an environment: write "to ${token.word}" to deploy there.`,
        {
          repair: rewrite(p, (w) => w.splice(i, 0, 'to')),
        },
      );
    } else if (!token.literal && optionWord(p.verb, token.word) !== null) {
      return unexpected(p, i, null);
    } else if (version === null) {
      const problem = validateVersion(token.word);
      if (problem) return fail(p, problem);
      version = token.word;
    } else {
      return unexpected(
        p,
        i,
        `Deploy one version at a time: ${quote(token.word)} is a second one.`,
      );
    }
  }
  const command = { kind: 'deploy', service: target.service, version, environment } as const;
  return { ok: true, command: { ...command, force: p.force, reason: p.reason } };
}

export function parseRollback(p: VerbInput): Outcome {
  const head = p.args[0];
  if (!head)
    return fail(
      p,
      'Missing service: say which service to roll back, as in "rollback web in production".',
    );
  if (head.word.includes('@')) {
    const [name = '', ...rest] = head.word.split('@');
    return fail(
      p,
      `Write "to <version>" to roll back to a version, as in "rollback ${name} to ${rest.join('@')}".`,
      {
        repair: rewrite(p, (w) => w.splice(0, 1, name, 'to', rest.join('@'))),
      },
    );
  }
  const service = resolveName(p, 'service', head.word);
  if (typeof service !== 'string') return service;
  let environment: string | null = null;
  let version: string | null = null;
  for (let i = 1; i < p.args.length; i++) {
    const token = p.args[i] as Token;
    const key = keywordOf(token);
    const next = p.args[i + 1];
    if (key === 'in') {
      if (environment !== null)
        return fail(p, 'Roll back one environment at a time: "in" appears twice.');
      if (!next) return fail(p, 'Missing environment after "in".');
      const env = resolveName(p, 'environment', next.word);
      if (typeof env !== 'string') return env;
      environment = env;
      i++;
    } else if (key === 'to') {
      if (version !== null)
        return fail(p, 'Roll back to one version at a time: "to" appears twice.');
      if (!next) return fail(p, 'Missing version after "to".');
      if (keywordOf(next) !== null && findName(p.ctx, 'environment', next.word)) {
        return fail(
          p,
          `${quote(next.word)} is an environment: write "in ${next.word}" to roll back there.`,
          {
            repair: rewrite(p, (w) => w.splice(i, 1, 'in')),
          },
        );
      }
      const problem = validateVersion(next.word);
      if (problem) return fail(p, problem);
      version = next.word;
      i++;
    } else if (key !== null && findName(p.ctx, 'environment', token.word)) {
      if (environment !== null) {
        return fail(
          p,
          `Roll back one environment at a time: ${quote(token.word)} is a second one.`,
        );
      }
      return fail(
        p,
        `${quote(token.word)} is an environment: write "in ${token.word}" to roll back there.`,
        {
          repair: rewrite(p, (w) => w.splice(i, 0, 'in')),
        },
      );
    } else if (version === null && looksLikeVersion(token.word)) {
      return fail(p, `Write "to ${token.word}" to roll back to that version.`, {
        repair: rewrite(p, (w) => w.splice(i, 0, 'to')),
      });
    } else {
      return unexpected(p, i, null);
    }
  }
  return {
    ok: true,
    command: { kind: 'rollback', service, environment, version, reason: p.reason },
  };
}

type Target = { ok: true; service: string; version: string | null } | Failure;

/** `web` or `web@1.4.2`. */
function splitTarget(p: VerbInput, head: Token): Target {
  const at = head.word.indexOf('@');
  if (at === -1) {
    // An environment first is the order people mix up: offer "deploy web … to staging".
    const swapped = rewrite(p, (w) => w.push('to', ...w.splice(0, 1)));
    const service = resolveName(p, 'service', head.word, swapped);
    return typeof service === 'string' ? { ok: true, service, version: null } : service;
  }
  const name = undecorate(head.word.slice(0, at));
  const version = undecorate(head.word.slice(at + 1));
  if (name === '') return fail(p, `Missing service before "@" in ${quote(head.word)}.`);
  const service = resolveName(p, 'service', name);
  if (typeof service !== 'string') return service;
  if (version === '') return fail(p, `Missing version after "${name}@".`);
  const problem = validateVersion(version);
  return problem ? fail(p, problem) : { ok: true, service, version };
}

/** A word with a digit that is a valid version: "1.4.1", "v2", not "hotfix". */
function looksLikeVersion(word: string): boolean {
  return /\d/.test(word) && validateVersion(word) === null;
}

/**
 * A word the grammar has no place for. A second version gets its own sentence; anything else
 * is most likely the start of a reason that lacks its " -- ".
 */
function unexpected(p: VerbInput, i: number, secondVersion: string | null): Failure {
  const token = p.args[i] as Token;
  const word = token.word;
  const option = token.literal ? null : optionWord(p.verb, word);
  if (option !== null) {
    const instead =
      option === ''
        ? `leave out ${quote(word)}: the version goes right after the service`
        : `write "${option}" instead of ${quote(word)}`;
    return fail(p, `Options are for the CLI; here, ${instead}.`, {
      repair: rewrite(p, (w) => w.splice(i, 1, ...(option === '' ? [] : [option]))),
    });
  }
  // "1.2 .3": a version split by a stray space.
  const before = p.args[i - 1];
  const joined = before ? `${before.word}${word}` : '';
  const split = before && (word.startsWith('.') || before.word.endsWith('.'));
  if (split && !before.literal && looksLikeVersion(before.word) && looksLikeVersion(joined)) {
    return fail(p, `A version has no spaces: write ${quote(joined)}.`, {
      repair: rewrite(p, (w) => w.splice(i - 1, 2, joined)),
    });
  }
  if (secondVersion !== null && looksLikeVersion(word)) return fail(p, secondVersion);
  return fail(p, `Unexpected ${quote(word)}: to give a reason, put it after " -- ".`, {
    repair: rewrite(p, (w) => w.splice(i, 0, '--')),
  });
}

/**
 * The chat words for the CLI's options, which people type in chat too: `--to staging` is
 * `to staging`. '' for an option that has no word (the version is just written).
 */
function optionWord(verb: string, word: string): string | null {
  const name = word.toLowerCase();
  if (!name.startsWith('-')) return null;
  const environment = verb === 'rollback' ? 'in' : 'to';
  switch (name.replace(/^-+/, '')) {
    case 'to':
      return 'to';
    case 'in':
    case 'env':
    case 'environment':
    case 'e':
      return environment;
    case 'version':
    case 'v':
      return verb === 'rollback' ? 'to' : '';
    case 'reason':
    case 'message':
    case 'm':
      return '--';
    default:
      return null;
  }
}
