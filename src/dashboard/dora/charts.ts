import { type Html, html } from '../html.js';

/**
 * Weekly charts drawn on the server as SVG: no library and no script, so they print, work
 * without JavaScript and pass the pages' content security policy. Each chart names itself
 * (role="img" labelled by its <title> and a <desc> that says what it shows in words) and has
 * its numbers in a table below it, for whoever cannot see the drawing.
 */

export interface ChartSeries {
  name: string;
  /** One per week; null when there was nothing to measure (a gap), 0 when it measured zero. */
  values: readonly (number | null)[];
}

export interface ChartInput {
  /** Unique on the page: the ids of the title and description derive from it. */
  id: string;
  title: string;
  /** ISO weeks (`2025-W14`), in order: the x axis. */
  weeks: readonly string[];
  /** How the axis, the description and the table write a value: `3`, `25%`, `2h30m`. */
  format: (value: number) => string;
  /** Steps the y axis may tick by, smallest first, in the values' unit (COUNT_STEPS…). */
  steps?: readonly number[];
  /** What the table says for a null value: `no changes`. */
  missing?: string;
}

/** Whole counts: never a tick at half a deploy. */
export const COUNT_STEPS: readonly number[] = [1, 2, 5, 10, 20, 25, 50, 100];
/** Percentages (0–100). */
export const PERCENT_STEPS: readonly number[] = [10, 20, 25, 50];
/** Seconds, at the lengths people count time in: minutes, hours, days, weeks. */
export const DURATION_STEPS: readonly number[] = [
  60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 432_000, 604_800,
  1_209_600, 2_592_000,
];

const WIDTH = 640;
const PLOT = { left: 64, right: 16, top: 12, height: 168 };
const PLOT_WIDTH = WIDTH - PLOT.left - PLOT.right;
const BASELINE = PLOT.top + PLOT.height;
/** Room under the plot for the week labels. */
const AXIS_ROOM = 28;
/** Week labels shown at most, so that a year of weeks stays legible. */
const MAX_WEEK_LABELS = 13;
const GRID = '#d0d7de';
const AXIS = '#57606a';

/**
 * Line styles told apart by shape and dash as well as colour (each colour at least 4.5:1 on
 * white), so that a reader who cannot tell the colours apart can still follow each line.
 */
const STYLES = [
  { colour: '#0550ae', marker: 'circle', dash: '' },
  { colour: '#a40e26', marker: 'square', dash: '6 3' },
  { colour: '#116329', marker: 'triangle', dash: '2 3' },
  { colour: '#7d4e00', marker: 'diamond', dash: '8 3 2 3' },
  { colour: '#6639ba', marker: 'cross', dash: '1 2' },
  { colour: '#1b1f24', marker: 'circle', dash: '10 4' },
] as const;
type Marker = (typeof STYLES)[number]['marker'];

export interface Scale {
  /** The value at the top of the plot. */
  max: number;
  ticks: number[];
}

/**
 * A y axis from zero that holds `max` in about `count` steps of one of `steps`. All-zero or
 * empty data still gets one step, so nothing divides by zero and the zero line sits at the
 * bottom where it belongs.
 */
export function niceScale(max: number, steps: readonly number[] = COUNT_STEPS, count = 4): Scale {
  const top = Number.isFinite(max) && max > 0 ? max : 0;
  const step = stepFor(top, steps, count);
  const n = Math.max(1, Math.ceil(top / step));
  return { max: n * step, ticks: Array.from({ length: n + 1 }, (_, i) => i * step) };
}

function stepFor(top: number, steps: readonly number[], count: number): number {
  for (const s of steps) if (s * count >= top) return s;
  // Beyond the listed steps: the largest one times 1, 2, 2.5, 5, 10, 20, 25, 50…
  const base = steps.at(-1) ?? 1;
  for (let m = 1; ; m *= 10) {
    for (const k of [1, 2, 2.5, 5]) if (base * k * m * count >= top) return base * k * m;
  }
}

/** Deploys per week and the like: one bar per week, its height proportional to its value. */
export function barChart(input: ChartInput & { series: ChartSeries }): Html {
  const { series } = input;
  const scale = niceScale(highest([series]), input.steps);
  const band = PLOT_WIDTH / Math.max(1, input.weeks.length);
  const barWidth = Math.max(1, band * 0.7);
  const bars = input.weeks.map((week, i) => {
    const value = series.values[i] ?? null;
    if (value === null) return '';
    const h = heightOf(value, scale);
    const x = PLOT.left + band * i + (band - barWidth) / 2;
    return html`<rect x="${r(x)}" y="${r(BASELINE - h)}" width="${r(barWidth)}" height="${r(h)}" fill="${STYLES[0].colour}" data-value="${value}"><title>${week}: ${input.format(value)}</title></rect>`;
  });
  return chart(input, [series], scale, html`<g class="bars">${bars}</g>`, 0, true);
}

/**
 * Rates and medians per week: one line per series, broken where a week has no value, with a
 * marker on every value so that a week alone between two gaps still shows.
 */
export function lineChart(input: ChartInput & { series: readonly ChartSeries[] }): Html {
  const scale = niceScale(highest(input.series), input.steps);
  const band = PLOT_WIDTH / Math.max(1, input.weeks.length);
  const x = (i: number) => PLOT.left + band * (i + 0.5);
  const lines = input.series.map((series, s) => {
    const style = styleOf(s);
    const points = input.weeks.map((_, i) => series.values[i] ?? null);
    const markers = points.map((value, i) =>
      value === null
        ? ''
        : html`<path d="${markerPath(style.marker, x(i), BASELINE - heightOf(value, scale))}" fill="${style.colour}" data-value="${value}"><title>${series.name}, ${input.weeks[i]}: ${input.format(value)}</title></path>`,
    );
    const d = linePath(points, x, scale);
    const line = d
      ? html`<path d="${d}" fill="none" stroke="${style.colour}" stroke-width="2"${style.dash ? html` stroke-dasharray="${style.dash}"` : ''}/>`
      : '';
    return html`<g class="series">${line}${markers}</g>`;
  });
  const legendRows = input.series.length > 1 ? legend(input.series) : null;
  return chart(
    input,
    input.series,
    scale,
    html`${lines}${legendRows?.markup}`,
    legendRows?.height ?? 0,
    false,
  );
}

/** The parts every chart shares: frame, axes, ticks, week labels, and the table below. */
function chart(
  input: ChartInput,
  series: readonly ChartSeries[],
  scale: Scale,
  plot: Html,
  extraHeight: number,
  total: boolean,
): Html {
  const height = BASELINE + AXIS_ROOM + extraHeight;
  const titleId = `${input.id}-title`;
  const descId = `${input.id}-desc`;
  return html`<svg class="chart" id="${input.id}" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title id="${titleId}">${input.title}</title>
<desc id="${descId}">${describe(input, series, total)}</desc>
${yAxis(scale, input.format)}${plot}${xAxis(input.weeks)}
</svg>
${dataTable(input, series)}`;
}

function yAxis(scale: Scale, format: (value: number) => string): Html {
  const lines = scale.ticks.map((tick) => {
    const y = r(BASELINE - heightOf(tick, scale));
    return html`<line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${y}" y2="${y}" stroke="${GRID}"/><text x="${PLOT.left - 6}" y="${y}" dy="0.32em" text-anchor="end">${format(tick)}</text>`;
  });
  return html`<g class="y-axis">${lines}<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${BASELINE}" stroke="${AXIS}"/></g>`;
}

function xAxis(weeks: readonly string[]): Html {
  const band = PLOT_WIDTH / Math.max(1, weeks.length);
  const every = Math.max(1, Math.ceil(weeks.length / MAX_WEEK_LABELS));
  const labels = weeks.map((week, i) => {
    if (i % every !== 0) return '';
    const x = r(PLOT.left + band * (i + 0.5));
    return html`<line x1="${x}" x2="${x}" y1="${BASELINE}" y2="${BASELINE + 4}" stroke="${AXIS}"/><text x="${x}" y="${BASELINE + 16}" text-anchor="middle">${shortWeek(week)}</text>`;
  });
  return html`<g class="x-axis"><line x1="${PLOT.left}" x2="${WIDTH - PLOT.right}" y1="${BASELINE}" y2="${BASELINE}" stroke="${AXIS}"/>${labels}</g>`;
}

/** `W14` under the axis; the table and the description give the year. */
function shortWeek(week: string): string {
  const m = /-(W\d{2})$/.exec(week);
  return m?.[1] ?? week;
}

/** Names and their line's look under the plot, wrapped to the chart's width. */
function legend(series: readonly ChartSeries[]): { markup: Html; height: number } {
  const rowHeight = 18;
  let x = PLOT.left;
  let row = 0;
  const items = series.map((s, i) => {
    const style = styleOf(i);
    // About 6.5 px a character at the charts' 11 px font, plus the sample line.
    const width = 34 + s.name.length * 6.5 + 16;
    if (x + width > WIDTH - PLOT.right && x > PLOT.left) {
      x = PLOT.left;
      row++;
    }
    const y = BASELINE + AXIS_ROOM + 8 + row * rowHeight;
    const at = x;
    x += width;
    return html`<g class="legend-item"><line x1="${r(at)}" x2="${r(at + 28)}" y1="${y}" y2="${y}" stroke="${style.colour}" stroke-width="2"${style.dash ? html` stroke-dasharray="${style.dash}"` : ''}/><path d="${markerPath(style.marker, at + 14, y)}" fill="${style.colour}"/><text x="${r(at + 34)}" y="${y}" dy="0.32em">${s.name}</text></g>`;
  });
  return { markup: html`<g class="legend">${items}</g>`, height: (row + 1) * rowHeight + 8 };
}

/** The chart in words: its span, and per series the highest, lowest and latest week. */
function describe(input: ChartInput, series: readonly ChartSeries[], total: boolean): string {
  const { weeks, format } = input;
  if (weeks.length === 0) return `${input.title}: no weeks to show.`;
  const span =
    weeks.length === 1
      ? `Week ${weeks[0]}.`
      : `${weeks.length} weeks, ${weeks[0]} to ${weeks.at(-1)}.`;
  const parts = series.map((s) => {
    const known = weeks.flatMap((week, i) => {
      const value = s.values[i] ?? null;
      return value === null ? [] : [{ week, value }];
    });
    const first = known[0];
    if (!first) return `${s.name}: ${input.missing ?? 'no data'} in any week.`;
    const high = known.reduce((a, b) => (b.value > a.value ? b : a), first);
    const low = known.reduce((a, b) => (b.value < a.value ? b : a), first);
    const last = known.at(-1) ?? first;
    const sum = known.reduce((n, p) => n + p.value, 0);
    const gaps = weeks.length - known.length;
    if (gaps === 0 && high.value === low.value)
      return `${s.name}: ${format(high.value)} in every week.`;
    return [
      `${s.name}:`,
      total ? ` ${format(sum)} in all;` : '',
      ` highest ${format(high.value)} in ${high.week},`,
      ` lowest ${format(low.value)} in ${low.week},`,
      ` latest ${format(last.value)} in ${last.week}`,
      gaps > 0 ? `; ${input.missing ?? 'no data'} in ${gaps} of ${weeks.length} weeks.` : '.',
    ].join('');
  });
  return [span, ...parts].join(' ');
}

/** The chart's numbers, for screen readers and for anyone who wants them exact. */
function dataTable(input: ChartInput, series: readonly ChartSeries[]): Html {
  const missing = input.missing ?? 'no data';
  const rows = input.weeks.map(
    (week, i) =>
      html`<tr><th scope="row">${week}</th>${series.map((s) => {
        const value = s.values[i] ?? null;
        return html`<td>${value === null ? missing : input.format(value)}</td>`;
      })}</tr>`,
  );
  return html`<details class="chart-data"><summary>${input.title} as a table</summary>
<div class="scroll"><table>
<caption class="visually-hidden">${input.title}, by week</caption>
<thead><tr><th scope="col">Week</th>${series.map((s) => html`<th scope="col">${s.name}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div></details>`;
}

function highest(series: readonly ChartSeries[]): number {
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  return max;
}

function heightOf(value: number, scale: Scale): number {
  return (Math.max(0, Math.min(value, scale.max)) / scale.max) * PLOT.height;
}

/** `M` at the first value after a gap, `L` to each next one: a null week breaks the line. */
function linePath(points: readonly (number | null)[], x: (i: number) => number, scale: Scale) {
  let d = '';
  let drawing = false;
  points.forEach((value, i) => {
    if (value === null) {
      drawing = false;
      return;
    }
    d += `${drawing ? 'L' : 'M'}${r(x(i))} ${r(BASELINE - heightOf(value, scale))}`;
    drawing = true;
  });
  return d;
}

function markerPath(marker: Marker, x: number, y: number): string {
  const s = 4;
  switch (marker) {
    case 'circle':
      return `M${r(x - s)} ${r(y)}a${s} ${s} 0 1 0 ${2 * s} 0a${s} ${s} 0 1 0 ${-2 * s} 0Z`;
    case 'square':
      return `M${r(x - s)} ${r(y - s)}h${2 * s}v${2 * s}h${-2 * s}Z`;
    case 'triangle':
      return `M${r(x)} ${r(y - s - 1)}L${r(x + s + 1)} ${r(y + s)}L${r(x - s - 1)} ${r(y + s)}Z`;
    case 'diamond':
      return `M${r(x)} ${r(y - s - 1)}L${r(x + s + 1)} ${r(y)}L${r(x)} ${r(y + s + 1)}L${r(x - s - 1)} ${r(y)}Z`;
    case 'cross':
      return `M${r(x - s)} ${r(y - 1.5)}h${s - 1.5}v${-s + 1.5}h3v${s - 1.5}h${s - 1.5}v3h${-s + 1.5}v${s - 1.5}h-3v${-s + 1.5}h${-s + 1.5}Z`;
  }
}

function styleOf(i: number): (typeof STYLES)[number] {
  return STYLES[i % STYLES.length] as (typeof STYLES)[number];
}

/** A tenth of a pixel is finer than any screen: shorter markup, same drawing. */
function r(n: number): number {
  return Math.round(n * 10) / 10;
}
