import type { Deployment, Transition } from '../core/deployment.js';
import { NO_NAMES, type PeopleNames, withNames } from '../core/people.js';
import type { CommandResult } from '../engine/execute.js';
import { describeLock } from '../engine/index.js';
import type { RefusalRecord } from '../store/types.js';
import type { AuditEntry } from './history.js';

/**
 * Plain-text rendering of command results for a terminal. `names` are put in the tables' cells,
 * so that columns are aligned on them; sentences are named by the caller (cli/output.ts).
 */
export function renderResult(result: CommandResult, names: PeopleNames = NO_NAMES): string {
  switch (result.kind) {
    case 'deploy':
    case 'rollback': {
      const r = result.result;
      if (!r.ok) return refusalText(r);
      const d = r.deployment;
      const head = r.duplicate
        ? `Already requested: ${d.id}`
        : `${d.kind === 'rollback' ? 'Rollback' : 'Deployment'} ${d.id} requested`;
      const notes = r.notes.length > 0 ? `\n${r.notes.map((n) => `  note: ${n}`).join('\n')}` : '';
      return `${head}: ${d.service} ${d.version} → ${d.environment} (${stateText(d)})${notes}`;
    }
    case 'lock':
      if (!result.result.ok) return refusalText(result.result);
      return `Locked: ${describeLock(result.result.lock)}${result.result.replaced ? ` (took it over from ${result.result.replaced.owner})` : ''}`;
    case 'unlock':
      if (!result.result.ok) return refusalText(result.result);
      return `Unlocked ${result.result.released.service ? `${result.result.released.service} in ` : ''}${result.result.released.environment}.`;
    case 'status':
      if (result.targets.length === 0) return 'Nothing is configured.';
      return table(
        ['SERVICE', 'ENVIRONMENT', 'LIVE', 'NOW', 'WAITING', 'LOCK'],
        result.targets.map((t) => [
          t.service,
          t.environment,
          t.live ? `${t.live.version} (${t.live.finishedAt?.toISOString() ?? ''})` : '-',
          t.active
            ? `${t.active.version} ${t.active.state}${t.active.progress ? `: ${t.active.progress}` : ''}`
            : '-',
          t.pending.map((d) => `${d.version} ${d.state}`).join(', ') || '-',
          t.locks.map((l) => `${l.owner}${l.reason ? ` (${l.reason})` : ''}`).join(', ') || '-',
        ]),
        names,
      );
    case 'history':
      if (result.deployments.length === 0) return 'No deployments yet.';
      return table(
        HISTORY_HEADER,
        result.deployments.map((d) => deploymentRow(d, names)),
        names,
      );
    case 'help':
      return '';
  }
}

const HISTORY_HEADER = ['ID', 'WHEN', 'SERVICE', 'VERSION', 'ENV', 'STATE', 'BY', 'OUTCOME'];
// Keeps a history row on one terminal line.
const OUTCOME_WIDTH = 80;

/** `slipway history --all`: deployments and refused requests in one table, as given. */
export function renderAuditTrail(entries: AuditEntry[], names: PeopleNames = NO_NAMES): string {
  if (entries.length === 0) return 'Nothing yet: no deployments, no refused requests.';
  return table(
    HISTORY_HEADER,
    entries.map((e) =>
      e.type === 'deployment' ? deploymentRow(e.deployment, names) : refusalRow(e.refusal, names),
    ),
    names,
  );
}

/** Names go in before the OUTCOME column is cut to its width. */
function deploymentRow(d: Deployment, names: PeopleNames): string[] {
  return [
    d.id,
    when(d.createdAt),
    d.service,
    `${d.kind === 'rollback' ? '↩ ' : ''}${d.version}`,
    d.environment,
    d.state,
    d.requestedBy,
    withNames(d.outcome ?? d.progress ?? '', names).slice(0, OUTCOME_WIDTH),
  ];
}

/** What was asked (`approve d-…`) and why not, in the OUTCOME column. */
function refusalRow(r: RefusalRecord, names: PeopleNames): string[] {
  const asked = r.deploymentId ? `${r.action} ${r.deploymentId}` : r.action;
  return [
    r.id,
    when(r.at),
    r.service ?? '-',
    r.version ?? '-',
    r.environment ?? '-',
    'refused',
    r.actor,
    oneLine(withNames(`${asked}: ${r.reason}`, names), OUTCOME_WIDTH),
  ];
}

function when(at: Date): string {
  return at.toISOString().replace('T', ' ').slice(0, 19);
}

/** `text` on one line of at most `max` characters, an ellipsis marking a cut. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

export function refusalText(r: {
  code: string;
  reason: string;
  suggestion?: string | null;
}): string {
  return `Refused: ${r.reason}${r.suggestion ? ` ${r.suggestion}` : ''}`;
}

export function stateText(d: Deployment): string {
  const state = d.state.replace('_', ' ');
  if (d.state === 'awaiting_approval')
    return `${state}: needs ${d.approvalsRequired} approval${d.approvalsRequired === 1 ? '' : 's'}`;
  return d.outcome &&
    ['succeeded', 'failed', 'rolled_back', 'cancelled', 'superseded'].includes(d.state)
    ? `${state}: ${d.outcome}`
    : state;
}

export function transitionText(t: Transition): string {
  return `${t.at.toISOString().slice(11, 19)}  ${t.from ?? '·'} → ${t.to}${t.reason ? `  ${t.reason}` : ''}  (${t.actor})`;
}

/** Cells get their names before the widths are measured. */
function table(header: string[], cells: string[][], names: PeopleNames): string {
  return alignedTable(
    header,
    cells.map((row) => row.map((cell) => withNames(cell, names))),
  );
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
