import { duration, figureCells } from '../../dora/render.js';
import type { DoraTargetReport } from '../../dora/types.js';
import { type Html, html } from '../html.js';
import type { Selection } from './selection.js';

/**
 * The four figures as cards and as a table, in the words and formats `slipway report dora`
 * prints (src/dora/render.ts), so that the page and the command can be read side by side.
 */

type CardFigures = Omit<Selection, 'targets' | 'days' | 'weeks'>;

export function targetFigures(t: DoraTargetReport): CardFigures {
  return { ...t.total, leadTime: { one: t.total.leadTime } };
}

/** `web in production`, as the command names a target. */
export function targetName(t: { service: string; environment: string }): string {
  return `${t.service} in ${t.environment}`;
}

/** The four cards; `level` is their headings' level under the section they are in. */
export function figureCards(f: CardFigures, level: 3 | 4): Html {
  const card = (title: string, body: Html) =>
    html`<div class="card"><h${level}>${title}</h${level}>${body}</div>`;
  return html`<div class="cards">
${card('Deployment frequency', frequency(f))}
${card('Lead time for changes', leadTime(f.leadTime))}
${card('Change failure rate', failureRate(f))}
${card('Time to restore', restore(f))}
</div>`;
}

function frequency(f: CardFigures): Html {
  const perDay =
    f.deploymentsPerDay > 0 && f.deploymentsPerDay < 0.05
      ? 'under 0.1'
      : round(f.deploymentsPerDay);
  return html`<p><strong>${round(f.deploymentsPerWeek)}</strong> deploys per week</p>
<p class="small muted">${perDay} per day, ${f.deployments} in all</p>`;
}

function leadTime(lead: CardFigures['leadTime']): Html {
  if ('one' in lead) {
    const l = lead.one;
    const leftOut =
      l.unmeasured > 0
        ? html` ${plural(l.unmeasured, 'deploy')} without a commit time or build report left out.`
        : '';
    if (l.samples === 0)
      return html`<p><strong>-</strong></p>
<p class="small muted">No change with a known start: lead time needs the commit time or the build report CI sends to Slipway.${leftOut}</p>`;
    return html`<p><strong>${duration(l.medianSeconds)}</strong> median</p>
<p class="small muted">p90 ${duration(l.p90Seconds)}, from ${plural(l.samples, 'change')}.${leftOut}</p>`;
  }
  const s = lead.spread;
  if (s.measured === 0)
    return html`<p><strong>-</strong></p>
<p class="small muted">No change with a known start: lead time needs the commit time or the build report CI sends to Slipway.</p>`;
  const [low, high] = [duration(s.lowestMedianSeconds), duration(s.highestMedianSeconds)];
  const range =
    low === high
      ? html`<strong>${low}</strong>`
      : html`<strong>${low}</strong> to <strong>${high}</strong>`;
  return html`<p>${range} median by service</p>
<p class="small muted">Lowest and highest of ${plural(s.measured, 'service')} with a measured change, from ${plural(s.samples, 'change')}; each service's median is under By service.</p>`;
}

function failureRate(f: CardFigures): Html {
  if (f.changeFailureRate === null)
    return html`<p><strong>-</strong></p><p class="small muted">No change ended in this period.</p>`;
  return html`<p><strong>${Math.round(f.changeFailureRate * 100)}%</strong></p>
<p class="small muted">${f.failedChanges} of ${plural(f.changes, 'change')} failed</p>`;
}

function restore(f: CardFigures): Html {
  const r = f.timeToRestore;
  const open = r.unrestored > 0 ? `${r.unrestored} not restored` : '';
  if (r.samples === 0)
    return html`<p><strong>-</strong></p>
<p class="small muted">${open ? `${open} yet.` : 'No failure to restore.'}</p>`;
  return html`<p><strong>${duration(r.medianSeconds)}</strong> median</p>
<p class="small muted">From ${plural(r.samples, 'restored failure')}${open ? `, ${open}` : ''}.</p>`;
}

const COLUMNS = [
  'Service',
  'Environment',
  'Deploys per week',
  'Lead time median / p90',
  'Change failure rate',
  'Time to restore',
];

/** One row per target, the command's columns and cells. */
export function figureTable(targets: readonly DoraTargetReport[]): Html {
  const rows = targets.map((t) => {
    const cells = [
      `${round(t.total.deploymentsPerWeek)} (${t.total.deployments} in all)`,
      ...figureCells(t.total),
    ];
    return html`<tr><th scope="row" data-label="${COLUMNS[0]}">${t.service}</th><td data-label="${COLUMNS[1]}">${t.environment}</td>${cells.map(
      (c, i) => html`<td data-label="${COLUMNS[i + 2]}">${c}</td>`,
    )}</tr>`;
  });
  return html`<div class="scroll"><table class="stack dora-targets">
<thead><tr>${COLUMNS.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** As the command rounds: one decimal. */
export function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
