import type { CheckInput } from './checks.js';
import { PERSON_KEY } from './ids.js';
import type { RawIssue } from './issues.js';
import type { PathSegment } from './locate.js';
import { didYouMean } from './suggest.js';

/**
 * Identities the core acts as by itself, which principals may name without a `people:` entry:
 * alerts (`alertmanager`, see webhooks/alertmanager) and the engine (`slipway`). The CLI's
 * `operator` and the build hook's `builds.actor` are read from the config.
 */
const BUILT_IN_ACTORS = ['alertmanager', 'slipway'];

/**
 * `people:` against itself and the principals: one chat account belongs to one person, a
 * person's direct messages go where they have an account, and a principal that looks like a
 * person key names a listed person.
 */
export function peopleIssues(input: CheckInput, principals: PrincipalList[]): RawIssue[] {
  const people = input.raw.people;
  if (people !== undefined && !isRecord(people)) return [];
  const entries = Object.entries(people ?? {}).filter(
    (entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]),
  );
  return [
    ...sharedIds(entries, 'slack', 'Slack', (id) => id),
    ...sharedIds(entries, 'teams', 'Teams', (id) => id.toLowerCase()),
    ...directIssues(entries),
    ...unknownPersonIssues(input, Object.keys(people ?? {}), principals),
  ];
}

export interface PrincipalList {
  path: PathSegment[];
  items: unknown[];
}

function sharedIds(
  entries: [string, Record<string, unknown>][],
  platform: 'slack' | 'teams',
  label: string,
  normalize: (id: string) => string,
): RawIssue[] {
  const owners = new Map<string, string>();
  const issues: RawIssue[] = [];
  for (const [key, person] of entries) {
    const id = person[platform];
    if (typeof id !== 'string' || id === '') continue;
    const first = owners.get(normalize(id));
    if (first === undefined) {
      owners.set(normalize(id), key);
      continue;
    }
    issues.push({
      path: ['people', key, platform],
      message: `${label} id ${id} is also ${first}'s: one ${label} account belongs to one person`,
      fix: `remove it from ${key} or from ${first}; if they are the same person, merge the two entries into one`,
    });
  }
  return issues;
}

function directIssues(entries: [string, Record<string, unknown>][]): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const [key, person] of entries) {
    const direct = person.direct;
    if (direct !== 'slack' && direct !== 'teams') continue;
    if (typeof person[direct] === 'string') continue;
    const label = direct === 'slack' ? 'Slack' : 'Teams';
    issues.push({
      path: ['people', key, 'direct'],
      message: `${key}'s direct messages go to ${label}, but ${key} has no ${direct} id`,
      fix: `add "${direct}: <${direct === 'slack' ? 'member id' : 'Entra ID object id'}>" to ${key}, or remove "direct"`,
    });
  }
  return issues;
}

function unknownPersonIssues(
  input: CheckInput,
  keys: string[],
  principals: PrincipalList[],
): RawIssue[] {
  const known = new Set([...keys, ...BUILT_IN_ACTORS, ...configuredActors(input.raw)]);
  const issues: RawIssue[] = [];
  for (const { path, items } of principals) {
    items.forEach((item, index) => {
      if (typeof item !== 'string' || !PERSON_KEY.test(item) || known.has(item)) return;
      issues.push({
        path: [...path, index],
        message: `"${item}" names no one: there is no "${item}" under people`,
        fix:
          keys.length > 0 && didYouMean(item, keys) !== ''
            ? `write a listed person${didYouMean(item, keys)}, or add ${item} under people`
            : `add "${item}: {slack: <member id>, teams: <Entra ID object id>}" under people, or write their Slack member id (U012ABC) or "teams:<Entra ID object id>"`,
      });
    });
  }
  return issues;
}

/** The CLI's and the build hook's identities, as written or by default. */
function configuredActors(raw: Record<string, unknown>): string[] {
  const operator = typeof raw.operator === 'string' ? raw.operator : 'operator';
  const builds = isRecord(raw.builds) ? raw.builds.actor : undefined;
  return [operator, typeof builds === 'string' ? builds : 'ci'];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
