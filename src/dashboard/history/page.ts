import type { Config } from '../../config/schema.js';
import { ago, badge, type NameOf, stateBadge, stateLabel, utc } from '../format.js';
import { type Html, html } from '../html.js';
import {
  type FieldErrors,
  type FilterField,
  filterQuery,
  type HistoryFilters,
  SEARCH_DAYS,
  STATE_CHOICES,
  type StateChoice,
} from './filters.js';
import type { HistoryEntry } from './read.js';

export const PAGE_SIZE = 50;
export const EXPORT_MAX = 10_000;

export interface HistoryView {
  filters: HistoryFilters;
  errors: FieldErrors;
  /** Null when the filters could not be read: nothing is listed. */
  entries: HistoryEntry[] | null;
  next: Date | null;
  /** Where a search for words started, when no since day was given. */
  searchedFrom: Date | null;
  nameOf: NameOf;
  now: Date;
}

/** The history's <main>: the filters, the entries newest first, and the way to older ones. */
export function historyMain(config: Config, view: HistoryView): Html {
  const { filters, errors, entries } = view;
  const invalid = Object.keys(errors).length > 0;
  return html`<h1>History</h1>
<p>Every deployment and every refused request, newest first. Times are UTC.</p>
${invalid ? html`<div class="notice bad" role="alert"><p>Some filters could not be read, so nothing is listed: fix the marked ${Object.keys(errors).length === 1 ? 'field' : 'fields'} and filter again.</p>${errors.before ? html`<p>${errors.before} <a href="/history">Newest entries</a></p>` : ''}</div>` : ''}
${filterForm(config, filters, errors)}
${entries ? listing(view, entries) : ''}`;
}

function filterForm(config: Config, filters: HistoryFilters, errors: FieldErrors): Html {
  const services = withCurrent(
    config.services.map((s) => s.name),
    filters.service,
  );
  const environments = withCurrent(
    config.environments.map((e) => e.name),
    filters.environment,
  );
  return html`<form method="get" action="/history" class="filters" role="search" aria-label="Filter the history">
<div><label for="history-service">Service</label><select id="history-service" name="service">${option('', 'Any service', filters.service ?? '')}${services.map((s) => option(s, s, filters.service ?? ''))}</select></div>
<div><label for="history-environment">Environment</label><select id="history-environment" name="environment">${option('', 'Any environment', filters.environment ?? '')}${environments.map((e) => option(e, e, filters.environment ?? ''))}</select></div>
<div><label for="history-state">State</label><select id="history-state" name="state"${invalidAttrs('state', errors)}>${STATE_CHOICES.map((s) => option(s, stateChoiceLabel(s), filters.state))}</select>${fieldError('state', errors)}</div>
${input('person', 'Person', 'text', filters.person, errors, 'name or id')}
${input('since', 'Since (UTC)', 'date', filters.since, errors)}
${input('until', 'Until (UTC)', 'date', filters.until, errors)}
${input('q', 'Search', 'search', filters.q, errors, 'id, version or words')}
<div><button type="submit" class="primary">Filter</button></div>
<div><a href="/history">Clear filters</a></div>
</form>`;
}

/** Options for the names the config gives, plus one the link asked for that it no longer does. */
function withCurrent(names: string[], current: string | null): string[] {
  return current && !names.includes(current) ? [...names, current] : names;
}

function option(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
}

function stateChoiceLabel(state: StateChoice): string {
  if (state === 'any') return 'Any, refusals too';
  if (state === 'refused') return 'Refused requests';
  return stateLabel(state);
}

function input(
  field: FilterField,
  label: string,
  type: string,
  value: string | null,
  errors: FieldErrors,
  placeholder?: string,
): Html {
  const id = `history-${field}`;
  return html`<div><label for="${id}">${label}</label><input id="${id}" name="${field}" type="${type}" value="${value ?? ''}"${placeholder ? html` placeholder="${placeholder}"` : ''}${invalidAttrs(field, errors)}>${fieldError(field, errors)}</div>`;
}

function invalidAttrs(field: FilterField, errors: FieldErrors): Html | '' {
  return errors[field] ? html` aria-invalid="true" aria-describedby="history-${field}-error"` : '';
}

function fieldError(field: FilterField, errors: FieldErrors): Html | '' {
  const message = errors[field];
  return message
    ? html`<span id="history-${field}-error" class="field-error small">${message}</span>`
    : '';
}

function listing(view: HistoryView, entries: HistoryEntry[]): Html {
  return html`${view.searchedFrom ? html`<p class="notice" role="status">The search read the last ${SEARCH_DAYS} days, from ${view.searchedFrom.toISOString().slice(0, 10)}: to search further back, pick a since day.</p>` : ''}
${entries.length === 0 ? empty(view) : table(view, entries)}`;
}

function empty(view: HistoryView): Html {
  const filtered = filterQuery(view.filters) !== '' || view.filters.before;
  return html`<p>${filtered ? html`Nothing matches these filters. <a href="/history">Clear them</a> to see everything.` : 'Nothing has been requested yet: deployments and refused requests appear here as they happen.'}</p>`;
}

function table(view: HistoryView, entries: HistoryEntry[]): Html {
  const { filters, next } = view;
  const query = filterQuery(filters);
  const downloads = html`<p class="small">Download what these filters select, newest first, up to ${EXPORT_MAX.toLocaleString('en')} rows:
<a href="/history.csv${query}" download>CSV</a> · <a href="/history.json${query}" download>JSON</a></p>`;
  return html`${downloads}
<div class="scroll"><table class="stack history">
<caption class="visually-hidden">Deployments and refused requests, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Source</th><th scope="col">State</th><th scope="col">Reason or outcome</th><th scope="col">Deployment</th></tr></thead>
<tbody>${entries.map((e) => row(view, e))}</tbody>
</table></div>
<nav class="pages" aria-label="Pages">${filters.before ? html`<a href="/history${query}">Newest</a> ` : ''}${next ? html`<a href="/history${filterQuery(filters, next)}" rel="next">Older</a>` : html`<span class="muted">No older entries.</span>`}</nav>`;
}

function row(view: HistoryView, entry: HistoryEntry): Html {
  const at = html`<td data-label="When"><time datetime="${entry.at.toISOString()}">${utc(entry.at)}</time> <span class="small muted">${ago(entry.at, view.now)}</span></td>`;
  if (entry.type === 'deployment') {
    const d = entry.deployment;
    return html`<tr data-entry="${d.id}">${at}
<td data-label="What">${target(d.service, d.version, d.environment)} <span class="muted">${d.kind}</span></td>
<td data-label="Who">${view.nameOf(d.requestedBy)}</td>
<td data-label="Source">${d.source}</td>
<td data-label="State">${stateBadge(d.state)}</td>
<td data-label="Reason or outcome">${texts(d.reason, d.outcome)}</td>
<td data-label="Deployment">${deploymentLink(d.id)}</td></tr>`;
  }
  const r = entry.refusal;
  return html`<tr data-entry="${r.id}">${at}
<td data-label="What">${r.service || r.version || r.environment ? target(r.service, r.version, r.environment) : ''} <span class="muted">${r.action}</span></td>
<td data-label="Who">${view.nameOf(r.actor)}</td>
<td data-label="Source">${r.source}</td>
<td data-label="State">${badge('bad', `refused: ${r.code}`)}</td>
<td data-label="Reason or outcome">${r.reason}</td>
<td data-label="Deployment">${r.deploymentId ? deploymentLink(r.deploymentId) : html`<span class="muted">none</span>`}</td></tr>`;
}

function target(service: string | null, version: string | null, environment: string | null): Html {
  return html`<strong>${service ?? '?'}</strong> ${version ?? ''} → ${environment ?? '?'}`;
}

function texts(reason: string | null, outcome: string | null): Html {
  if (!reason && !outcome) return html`<span class="muted">—</span>`;
  return html`${reason ? html`<span>Asked: ${reason}</span>` : ''}${reason && outcome ? html`<br>` : ''}${outcome ?? ''}`;
}

function deploymentLink(id: string): Html {
  return html`<a href="/deployments/${encodeURIComponent(id)}">${id}</a>`;
}
