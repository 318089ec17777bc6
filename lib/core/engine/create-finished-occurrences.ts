// An in-memory, bounded record of finalised occurrences (the LMDB outbox keeps a durable one).
import type { FinishedOccurrences } from '../vocabulary/ports.js';

/** Creates an in-memory record of finished occurrences; the oldest are forgotten past `max` or `retentionMs`. */
export function createFinishedOccurrences(options: { max?: number; retentionMs?: number; now?: () => number } = {}): FinishedOccurrences {
  const max = options.max ?? 100_000;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const now = options.now ?? Date.now;
  // Insertion-ordered: the first entry is always the oldest.
  const finished = new Map<string, number>();
  return {
    has(occurrenceId) {
      const at = finished.get(occurrenceId);
      return at !== undefined && now() - at <= retentionMs;
    },
    add(occurrenceId) {
      finished.delete(occurrenceId);
      finished.set(occurrenceId, now());
      while (finished.size > max) finished.delete(finished.keys().next().value!);
    },
  };
}
