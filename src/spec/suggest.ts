/**
 * The end of a message about an unknown name: `(did you mean "x"?)` when a
 * known one is close, and the names that are known. Never "expected one of:"
 * with nothing after it: with no names, `none` says what to do instead.
 */
export function unknownName(word: string, known: readonly string[], none: string): string {
  const suggestion = closest(word, known);
  const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
  return known.length ? `${hint}; expected one of: ${known.join(', ')}` : `${hint}; expected ${none}`;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a typo of it. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
