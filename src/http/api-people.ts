import type { Logger } from 'pino';
import {
  knownNames,
  memberIdsIn,
  type PeopleNames,
  type PeopleSource,
  withNames,
} from '../core/people.js';

/**
 * Sentences meant to be read: refusal and transition reasons, a deployment's outcome, an error's
 * message. They name people by name. Every other field that holds a person (`requestedBy`,
 * `actor`, `approver`, `owner`) keeps the id: clients filter and link on it.
 */
const SENTENCES = new Set(['reason', 'outcome', 'message']);

/** The `people` of an answer: each Slack id in it that has a known name, to that name. */
export type PeopleField = Record<string, string>;

/**
 * An API answer that names people, with `people` added and its sentences naming people by name.
 * Names come from the store (a server learns them from Slack, src/chat/people.ts); when it
 * cannot say, the answer goes out with ids and an empty `people`.
 */
export async function withPeople<T extends object>(
  source: PeopleSource,
  body: T,
  log?: Logger,
): Promise<T & { people: PeopleField }> {
  const ids = new Set<string>();
  for (const text of stringsIn(body)) for (const id of memberIdsIn(text)) ids.add(id);
  const names = await knownNames(source, ids, (err) =>
    log?.warn({ err }, 'could not read names for an API answer; it names people by id'),
  );
  const named = names.size === 0 ? body : nameSentences(body, names);
  return { ...named, people: Object.fromEntries(names) };
}

function nameSentences<T>(body: T, names: PeopleNames): T {
  return visitStrings(body, (text, key) =>
    key !== null && SENTENCES.has(key) ? withNames(text, names) : text,
  );
}

/**
 * A copy of `value` with each string passed through `visit` (with the key it sits under, null
 * in an array). Only arrays and plain objects are entered: a Date stays a Date for JSON.
 */
function visitStrings<T>(value: T, visit: (text: string, key: string | null) => string): T {
  const walk = (v: unknown, key: string | null): unknown => {
    if (typeof v === 'string') return visit(v, key);
    if (Array.isArray(v)) return v.map((item) => walk(item, null));
    if (!isPlainObject(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
  };
  return walk(value, null) as T;
}

function* stringsIn(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item);
  else if (isPlainObject(value)) for (const item of Object.values(value)) yield* stringsIn(item);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
