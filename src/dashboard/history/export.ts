import type { NameOf } from '../format.js';
import type { HistoryFilters } from './filters.js';
import type { HistoryEntry } from './read.js';

/**
 * One exported row, the same for CSV and JSON: a deployment, or a refused request (`state`
 * `refused`, with its `code`). `action` is a deployment's kind or the refused request's action;
 * `deploymentId` is the deployment itself, or the one the refused request named.
 */
export interface ExportRow {
  type: 'deployment' | 'refusal';
  id: string;
  at: string;
  service: string | null;
  environment: string | null;
  version: string | null;
  action: string;
  state: string;
  code: string | null;
  person: string;
  personName: string;
  source: string;
  channel: string | null;
  reason: string | null;
  outcome: string | null;
  deploymentId: string | null;
}

const COLUMNS: ReadonlyArray<keyof ExportRow> = [
  'type',
  'id',
  'at',
  'service',
  'environment',
  'version',
  'action',
  'state',
  'code',
  'person',
  'personName',
  'source',
  'channel',
  'reason',
  'outcome',
  'deploymentId',
];

export function exportRow(entry: HistoryEntry, nameOf: NameOf): ExportRow {
  if (entry.type === 'deployment') {
    const d = entry.deployment;
    return {
      type: 'deployment',
      id: d.id,
      at: d.createdAt.toISOString(),
      service: d.service,
      environment: d.environment,
      version: d.version,
      action: d.kind,
      state: d.state,
      code: null,
      person: d.requestedBy,
      personName: nameOf(d.requestedBy),
      source: d.source,
      channel: d.channel,
      reason: d.reason,
      outcome: d.outcome,
      deploymentId: d.id,
    };
  }
  const r = entry.refusal;
  return {
    type: 'refusal',
    id: r.id,
    at: r.at.toISOString(),
    service: r.service,
    environment: r.environment,
    version: r.version,
    action: r.action,
    state: 'refused',
    code: r.code,
    person: r.actor,
    personName: nameOf(r.actor),
    source: r.source,
    channel: r.channel,
    reason: r.reason,
    outcome: null,
    deploymentId: r.deploymentId,
  };
}

/** RFC 4180: a header row, CRLF after every record, fields quoted when they need it. */
export function toCsv(rows: readonly ExportRow[]): string {
  const lines = [
    COLUMNS.join(','),
    ...rows.map((row) => COLUMNS.map((c) => cell(row[c])).join(',')),
  ];
  return `${lines.map((line) => `${line}\r\n`).join('')}`;
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which it
 * skips first) as a formula, and a reason is text anyone can type: such a cell starts with ' so
 * it stays text (owasp.org/www-community/attacks/CSV_Injection).
 */
export function cell(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The JSON download: one list, newest first, each entry with its `type`. */
export function toJson(
  rows: readonly ExportRow[],
  meta: {
    filters: HistoryFilters;
    /** Where a search for words started, when no since day was given. */
    searchedFrom: Date | null;
    generatedAt: Date;
    limit: number;
    truncated: boolean;
  },
): string {
  const { before, ...filters } = meta.filters;
  return `${JSON.stringify(
    {
      generatedAt: meta.generatedAt.toISOString(),
      filters: { ...filters, before: before?.toISOString() ?? null },
      searchedFrom: meta.searchedFrom?.toISOString() ?? null,
      limit: meta.limit,
      truncated: meta.truncated,
      entries: rows,
    },
    null,
    2,
  )}\n`;
}
