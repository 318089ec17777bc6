// The known configuration key a typo most likely meant, for "did you mean" in unknown-key messages.

function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(next[j - 1]! + 1, row[j]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The nearest known key, within a third of its length (at least 2 edits), or undefined. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = levenshtein(name.toLowerCase(), key.toLowerCase());
    if (distance <= Math.max(2, Math.floor(Math.max(name.length, key.length) / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
