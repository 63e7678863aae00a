/**
 * Numbers as chat shows them: three significant digits below 100 (0.882), one decimal above
 * (612.4). Beside a threshold, as many digits as it takes to differ from it: 0.9496 against
 * 0.95 reads "0.9496 < 0.95", never "0.95 < 0.95".
 */
export function formatValue(value: number, against?: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const short = Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Number(value.toPrecision(3));
  if (against === undefined || value === against || short !== against) return String(short);
  for (let digits = 4; digits <= 15; digits++) {
    const longer = Number(value.toPrecision(digits));
    if (longer !== against) return String(longer);
  }
  return String(value);
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
