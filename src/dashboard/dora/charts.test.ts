import { describe, expect, it } from 'vitest';
import { barChart, COUNT_STEPS, DURATION_STEPS, lineChart, niceScale } from './charts.js';

const WEEKS = ['2025-W10', '2025-W11', '2025-W12', '2025-W13'];
/** The plot's height in charts.ts: a bar at the scale's top is this tall. */
const PLOT_HEIGHT = 168;

function bars(svg: string): { height: number; value: number }[] {
  return [...svg.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*data-value="([\d.]+)"/g)].map((m) => ({
    height: Number(m[1]),
    value: Number(m[2]),
  }));
}

function tag(svg: string, name: string): string {
  return new RegExp(`<${name}[^>]*>([^<]*)</${name}>`).exec(svg)?.[1] ?? '';
}

describe('niceScale', () => {
  it('reaches past the highest value in whole steps from zero', () => {
    expect(niceScale(7)).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(3)).toEqual({ max: 3, ticks: [0, 1, 2, 3] });
    expect(niceScale(1_000)).toEqual({ max: 1_000, ticks: [0, 250, 500, 750, 1_000] });
  });

  it('keeps one step when every value is zero, so nothing divides by zero', () => {
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(0, DURATION_STEPS)).toEqual({ max: 60, ticks: [0, 60] });
  });

  it('goes past the listed steps by 1, 2, 2.5, 5, 10… times the largest', () => {
    const scale = niceScale(3_000, COUNT_STEPS);
    expect(scale.max).toBeGreaterThanOrEqual(3_000);
    expect(scale.ticks.length).toBeLessThanOrEqual(5);
    expect(scale.ticks[1]).toBe(1_000);
  });
});

describe('barChart', () => {
  const chart = (values: (number | null)[], format = (v: number) => String(v)) =>
    barChart({
      id: 'deploys',
      title: 'Deploys per week',
      weeks: WEEKS,
      series: { name: 'Deploys', values },
      format,
    }).text;

  it('draws bars in proportion to their values', () => {
    const drawn = bars(chart([2, 4, 8, 6]));
    expect(drawn.map((b) => b.value)).toEqual([2, 4, 8, 6]);
    // Scale 0..8: 8 fills the plot, 4 half of it.
    expect(drawn[2]?.height).toBe(PLOT_HEIGHT);
    expect(drawn[1]?.height).toBe(PLOT_HEIGHT / 2);
    for (const b of drawn) expect(b.height / b.value).toBeCloseTo(PLOT_HEIGHT / 8, 1);
  });

  it('draws a week without deploys as a zero bar, and a null week as nothing', () => {
    const svg = chart([3, 0, null, 1]);
    const drawn = bars(svg);
    expect(drawn.map((b) => b.value)).toEqual([3, 0, 1]);
    expect(drawn[1]?.height).toBe(0);
    expect(svg).toContain('<th scope="row">2025-W11</th><td>0</td>');
    expect(svg).toContain('<th scope="row">2025-W12</th><td>no data</td>');
    expect(tag(svg, 'desc')).toContain('no data in 1 of 4 weeks');
  });

  it('draws all-zero weeks on a scale that still has a top', () => {
    const svg = chart([0, 0, 0, 0]);
    expect(bars(svg).map((b) => b.height)).toEqual([0, 0, 0, 0]);
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
    expect(tag(svg, 'desc')).toBe('4 weeks, 2025-W10 to 2025-W13. Deploys: 0 in every week.');
    // Ticks 0 and 1 on the y axis.
    expect(svg).toMatch(/text-anchor="end">0<\/text>.*text-anchor="end">1<\/text>/s);
  });

  it('names itself and says what it shows in words, with the numbers in a table', () => {
    const svg = chart([2, 4, 8, 6]);
    expect(svg).toContain('class="chart"');
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="deploys-title deploys-desc"');
    expect(svg).toContain('<title id="deploys-title">Deploys per week</title>');
    expect(tag(svg, 'desc')).toBe(
      '4 weeks, 2025-W10 to 2025-W13. Deploys: 20 in all; highest 8 in 2025-W12, lowest 2 in 2025-W10, latest 6 in 2025-W13.',
    );
    expect(svg).toMatch(/<details[^>]*><summary>Deploys per week as a table<\/summary>/);
    expect(svg).toContain('<th scope="col">Week</th><th scope="col">Deploys</th>');
    for (const [week, n] of [
      ['2025-W10', 2],
      ['2025-W13', 6],
    ])
      expect(svg).toContain(`<th scope="row">${week}</th><td>${n}</td>`);
  });

  it('labels the weeks under the axis, shortened', () => {
    const svg = chart([1, 2, 3, 4]);
    for (const w of ['W10', 'W11', 'W12', 'W13']) expect(svg).toContain(`>${w}</text>`);
  });

  it('labels at most 13 weeks of a year, so they stay legible', () => {
    const weeks = Array.from({ length: 53 }, (_, i) => `2025-W${String(i + 1).padStart(2, '0')}`);
    const svg = barChart({
      id: 'year',
      title: 'A year',
      weeks,
      series: { name: 'Deploys', values: weeks.map(() => 1) },
      format: String,
    }).text;
    const labels = [...svg.matchAll(/text-anchor="middle">(W\d\d)<\/text>/g)].map((m) => m[1]);
    expect(labels.length).toBeLessThanOrEqual(13);
    expect(labels[0]).toBe('W01');
    expect(bars(svg)).toHaveLength(53);
  });
});

describe('lineChart', () => {
  const minutes = (v: number) => `${v / 60}m`;

  it('breaks the line at a null week and marks every value', () => {
    const svg = lineChart({
      id: 'lead',
      title: 'Lead time median per week',
      weeks: WEEKS,
      series: [{ name: 'web', values: [60, 120, null, 240] }],
      format: minutes,
      steps: [60],
      missing: 'no change measured',
    }).text;
    const d = /<path d="([^"]+)" fill="none"/.exec(svg)?.[1] ?? '';
    // Two runs: W10–W11, then W13 alone, started afresh with M.
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(1);
    expect([...svg.matchAll(/data-value="(\d+)"/g)].map((m) => m[1])).toEqual(['60', '120', '240']);
    expect(svg).toContain('<th scope="row">2025-W12</th><td>no change measured</td>');
    expect(tag(svg, 'desc')).toBe(
      '4 weeks, 2025-W10 to 2025-W13. web: highest 4m in 2025-W13, lowest 1m in 2025-W10, latest 4m in 2025-W13; no change measured in 1 of 4 weeks.',
    );
  });

  it('draws a zero on the axis, not as a gap', () => {
    const svg = lineChart({
      id: 'rate',
      title: 'Change failure rate per week',
      weeks: WEEKS,
      series: [{ name: 'Change failure rate', values: [0, 0, 0, 0] }],
      format: (v) => `${v}%`,
    }).text;
    const d = /<path d="([^"]+)" fill="none"/.exec(svg)?.[1] ?? '';
    expect(d.match(/M/g)).toHaveLength(1);
    expect(d.match(/L/g)).toHaveLength(3);
    // Every point on the baseline: y is the plot's bottom.
    const ys = [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => m[1]);
    expect(new Set(ys).size).toBe(1);
    expect(svg).not.toContain('NaN');
  });

  it('tells several series apart by name, marker and dash as well as colour', () => {
    const svg = lineChart({
      id: 'restore',
      title: 'Time to restore median per week',
      weeks: WEEKS,
      series: [
        { name: 'web', values: [60, null, null, 60] },
        { name: 'api', values: [null, null, null, null] },
      ],
      format: minutes,
    }).text;
    expect(svg).toContain('<th scope="col">web</th><th scope="col">api</th>');
    expect(svg).toContain('stroke-dasharray="6 3"');
    expect(svg).toMatch(/<g class="legend">.*>web<\/text>.*>api<\/text>/s);
    expect(tag(svg, 'desc')).toContain('api: no data in any week.');
  });

  it('escapes names and titles', () => {
    const svg = lineChart({
      id: 'x',
      title: 'Deploys of <script>',
      weeks: ['2025-W01"><b>'],
      series: [{ name: 'a&b <i>', values: [1] }],
      format: String,
    }).text;
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<i>');
    expect(svg).not.toContain('"><b>');
    expect(svg).toContain('Deploys of &lt;script&gt;');
    expect(svg).toContain('a&amp;b &lt;i&gt;');
  });
});
