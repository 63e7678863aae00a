/**
 * "Did you mean …?" for names people type: services, environments, command verbs.
 *
 * Distance is optimal string alignment (Damerau-Levenshtein where no substring is edited
 * twice): a swapped pair of letters counts as one edit, because that is the commonest typo in
 * chat ("wbe", "delpoy"). A prefix of a longer name ("prod") is a near miss too, ranked after
 * real typos, so people who abbreviate are told the full name instead of being guessed for.
 */

/** Edit distance between `a` and `b`; stops early and returns `max + 1` once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  // The distance is at least the difference in length: no need to fill the table.
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] ?? 0) + 1);
      }
      current[j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate `input` most likely meant, or null when none is close. Case-insensitive;
 * returns the candidate as given. A typo is close within a third of the input's length (at
 * least one edit): "wbe" → "web", "prodution" → "production", but not "qa" → "dev". Ties go to
 * the candidate listed first, so the answer is stable.
 */
export function suggest(input: string, candidates: readonly string[]): string | null {
  const wanted = input.trim().toLowerCase();
  if (wanted === '') return null;
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const name = candidate.toLowerCase();
    if (name === wanted) return candidate;
    let score = editDistance(wanted, name, limit);
    if (score > limit) {
      // Two letters at least: one letter is the start of too many names to mean any of them.
      if (wanted.length < 2 || !name.startsWith(wanted)) continue;
      // After every typo; among prefixes, the shortest completion first ("stag" → "staging").
      score = limit + 1 + (name.length - wanted.length) / (name.length + 1);
    }
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
