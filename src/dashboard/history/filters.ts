import { TEAMS_PREFIX } from '../../config/ids.js';
import { personKeyOf } from '../../config/people.js';
import type { Config } from '../../config/schema.js';
import { DEPLOYMENT_STATES, type DeploymentState } from '../../core/deployment.js';
import type { DeploymentFilter, RefusalFilter } from '../../store/types.js';

/** The state filter: any entry, deployments in one state, or refused requests only. */
export type StateChoice = 'any' | 'refused' | DeploymentState;
export const STATE_CHOICES: readonly StateChoice[] = ['any', ...DEPLOYMENT_STATES, 'refused'];

/** What the history shows, as the query string gave it (`null`: not filtered). */
export interface HistoryFilters {
  service: string | null;
  environment: string | null;
  state: StateChoice;
  /** A person's key, name or platform id, as typed. */
  person: string | null;
  /** Whole days, UTC: `YYYY-MM-DD`. */
  since: string | null;
  until: string | null;
  /** Searched text (an id, a version, words of a reason or outcome). */
  q: string | null;
  /** The page's cursor: only entries strictly older than this. */
  before: Date | null;
}

export type FilterField = keyof HistoryFilters;
/** What was wrong with a field, in a sentence that says what to write instead. */
export type FieldErrors = Partial<Record<FilterField, string>>;

const MAX_TEXT = 200;
const DAY_MS = 86_400_000;

/** Reads the filters of `/history`, `/history.csv` and `/history.json` alike. */
export function readFilters(query: URLSearchParams): {
  filters: HistoryFilters;
  errors: FieldErrors;
} {
  const errors: FieldErrors = {};
  const text = (field: 'service' | 'environment' | 'person' | 'q'): string | null => {
    const value = query.get(field)?.trim() ?? '';
    if (value.length <= MAX_TEXT) return value === '' ? null : value;
    errors[field] = `Write at most ${MAX_TEXT} characters here.`;
    return null;
  };
  const filters: HistoryFilters = {
    service: text('service'),
    environment: text('environment'),
    state: 'any',
    person: text('person'),
    since: day(query, 'since', errors),
    until: day(query, 'until', errors),
    q: text('q'),
    before: null,
  };
  const state = query.get('state') || 'any';
  if ((STATE_CHOICES as readonly string[]).includes(state)) filters.state = state as StateChoice;
  else errors.state = `"${state}" is not a state: pick one from the list, or "any".`;
  if (filters.since && filters.until && filters.until < filters.since) {
    errors.until = `Until (${filters.until}) is before since (${filters.since}): pick a later day.`;
  }
  const before = query.get('before');
  if (before) {
    const at = new Date(before);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(before)) {
      errors.before = 'The link to older entries is damaged: start again from the newest.';
    } else filters.before = at;
  }
  return { filters, errors };
}

function day(query: URLSearchParams, field: 'since' | 'until', errors: FieldErrors) {
  const value = query.get(field)?.trim() ?? '';
  if (value === '') return null;
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value);
  const at = m ? new Date(`${value}T00:00:00Z`) : null;
  // Date reads 2024-02-30 as 1 March: a day that does not come back the same does not exist.
  if (!at || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value) {
    errors[field] = `"${value}" is not a day: write it as YYYY-MM-DD, such as 2024-03-31.`;
    return null;
  }
  return value;
}

/** The query string that selects `filters` (empty fields left out), for links and exports. */
export function filterQuery(filters: HistoryFilters, before: Date | null = null): string {
  const params = new URLSearchParams();
  for (const field of ['service', 'environment', 'person', 'since', 'until', 'q'] as const) {
    const value = filters[field];
    if (value !== null) params.set(field, value);
  }
  if (filters.state !== 'any') params.set('state', filters.state);
  if (before) params.set('before', before.toISOString());
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The ids a person filter matches. A person under `people:` is found by key, by one of their
 * platform ids or by the name the config gives them (any case), and matches all of those ids,
 * because rows written before they were listed carry a platform id. Anything else is an id as
 * the core writes it (`operator`, `U012ABC`).
 */
export function personIds(config: Pick<Config, 'people'>, typed: string): string[] {
  const lower = typed.toLowerCase();
  const key =
    personKeyOf(config, typed) ??
    Object.entries(config.people).find(([, p]) => p.name?.toLowerCase() === lower)?.[0];
  const person = key ? config.people[key] : undefined;
  if (!key || !person) return [typed];
  return [key, person.slack, person.teams && `${TEAMS_PREFIX}${person.teams}`].filter(
    (id): id is string => !!id,
  );
}

/** How far back a search for words reads when no since day is given. */
export const SEARCH_DAYS = 90;

// Ids as src/core/ids.ts makes them: a searched id is looked up by key, not found in text.
const DEPLOYMENT_ID = /^d-[0-9a-f]{12}$/;
const REFUSAL_ID = /^r-[0-9a-f]{12}$/;

/**
 * What to ask the store: a filter for each list, or null for a list the state rules out.
 * `until` is inclusive (the whole day), so it bounds like the page's cursor: strictly before
 * the next midnight.
 *
 * Searched text: a deployment's id finds it and the refusals that named it, a refusal's id
 * finds it, both by key. Anything else is looked for in every row's version, reason and outcome,
 * which no index serves (src/store/text-search.ts): with 1,000,000 deployments over two years
 * that read takes 1 to 2 s on SQLite when nothing matches, so without a since day it reads the
 * last SEARCH_DAYS days only (about 0.2 s there), and the page says so; a since day reads
 * further back, for whoever needs it and waits for it.
 */
export function storeQuery(
  config: Pick<Config, 'people'>,
  filters: HistoryFilters,
  now: Date,
): StoreQuery {
  const until = filters.until ? new Date(startOf(filters.until).getTime() + DAY_MS) : null;
  const before = earliest(until, filters.before);
  const people = filters.person ? personIds(config, filters.person) : undefined;
  const { q, state } = filters;
  const search = !q
    ? null
    : DEPLOYMENT_ID.test(q)
      ? ('deployment' as const)
      : REFUSAL_ID.test(q)
        ? ('refusal' as const)
        : ('text' as const);
  const searchedFrom =
    search === 'text' && !filters.since
      ? new Date(startOf(now.toISOString().slice(0, 10)).getTime() - SEARCH_DAYS * DAY_MS)
      : null;
  const since = filters.since ? startOf(filters.since) : searchedFrom;
  const common = {
    ...(filters.service ? { service: filters.service } : {}),
    ...(filters.environment ? { environment: filters.environment } : {}),
    ...(since ? { since } : {}),
    ...(search === 'text' && q ? { text: q } : {}),
  };
  const deployments =
    state === 'refused' || search === 'refusal'
      ? null
      : {
          ...common,
          ...(people ? { requestedBy: people } : {}),
          ...(state === 'any' ? {} : { states: [state] }),
          ...(search === 'deployment' && q ? { id: q } : {}),
        };
  const refusals =
    state === 'any' || state === 'refused'
      ? {
          ...common,
          ...(people ? { actor: people } : {}),
          ...(search === 'deployment' && q ? { deploymentId: q } : {}),
          ...(search === 'refusal' && q ? { id: q } : {}),
        }
      : null;
  return { deployments, refusals, before, searchedFrom };
}

export interface StoreQuery {
  deployments: Omit<DeploymentFilter, 'before' | 'limit'> | null;
  refusals: Omit<RefusalFilter, 'before' | 'limit'> | null;
  /** Only entries strictly older than this: the page's cursor or the end of `until`. */
  before: Date | null;
  /** Where a search for words starts when no since day was given; null otherwise. */
  searchedFrom: Date | null;
}

function startOf(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a || !b) return a ?? b;
  return a < b ? a : b;
}
