import { displayName } from '../chat/identity.js';
import type { Config } from '../config/schema.js';
import type { DeploymentState } from '../core/deployment.js';
import { mayHaveName } from '../core/people.js';
import type { Store } from '../store/types.js';
import { type Html, html } from './html.js';

/** How each state reads, and its colour: ok (live), bad, warn (waits on people), info (moving). */
const STATES: Record<
  DeploymentState,
  { label: string; tone: 'ok' | 'bad' | 'warn' | 'info' | 'idle' }
> = {
  requested: { label: 'requested', tone: 'info' },
  awaiting_approval: { label: 'awaiting approval', tone: 'warn' },
  queued: { label: 'queued', tone: 'info' },
  running: { label: 'running', tone: 'info' },
  verifying: { label: 'verifying', tone: 'info' },
  succeeded: { label: 'succeeded', tone: 'ok' },
  failed: { label: 'failed', tone: 'bad' },
  rolling_back: { label: 'rolling back', tone: 'warn' },
  rolled_back: { label: 'rolled back', tone: 'bad' },
  cancelled: { label: 'cancelled', tone: 'idle' },
  superseded: { label: 'superseded', tone: 'idle' },
};

export function stateLabel(state: DeploymentState): string {
  return STATES[state].label;
}

/** A state as a badge: its words carry the meaning, the colour only repeats it. */
export function stateBadge(state: DeploymentState): Html {
  const s = STATES[state];
  return html`<span class="badge ${s.tone}">${s.label}</span>`;
}

export function badge(tone: 'ok' | 'bad' | 'warn' | 'info' | 'idle', text: string): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/** A moment as UTC text a reader can take in, marked up for machines too. */
export function when(at: Date | null | undefined, now: Date): Html {
  if (!at) return html`<span class="muted">—</span>`;
  return html`<time datetime="${at.toISOString()}" title="${utc(at)}">${ago(at, now)}</time>`;
}

export function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 min ago", "in 2 h": coarse on purpose, the exact time is in the title. */
export function ago(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  const future = ms < 0;
  const text = span(Math.abs(ms));
  if (text === 'now') return 'just now';
  return future ? `in ${text}` : `${text} ago`;
}

/** A length of time in the largest unit that fits: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 5) return 'now';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** How to write people: the config's name, else the one chat gave, else the id. */
export type NameOf = (id: string) => string;

/** Names for the ids a page shows, in one read of the store. */
export async function namesFor(
  deps: { config: Config; store: Pick<Store, 'findPeople'> },
  ids: Iterable<string | null | undefined>,
): Promise<NameOf> {
  const wanted = [...new Set([...ids].filter((id): id is string => !!id && mayHaveName(id)))];
  const known = wanted.length > 0 ? await deps.store.findPeople(wanted) : new Map();
  return (id) => displayName(deps.config, id) ?? known.get(id)?.name ?? id;
}
