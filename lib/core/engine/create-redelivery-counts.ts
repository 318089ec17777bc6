// Redelivery records in memory, for a worker without an outbox (the LMDB outbox keeps a durable one): bounded,
// the oldest forgotten first, and lost with the process, so a crash loop is counted only while the process lives.
import type { CrashCount, RedeliveryRecords } from '../vocabulary/ports.js';

/** Creates the in-memory records; past `max` occurrences the oldest is forgotten. */
export function createRedeliveryCounts(options: { max?: number } = {}): RedeliveryRecords {
  const max = options.max ?? 10_000;
  // Insertion-ordered: the first entry is always the oldest.
  const records = new Map<string, { crashes: number; released: boolean }>();
  const put = (occurrenceId: string, record: { crashes: number; released: boolean }) => {
    records.delete(occurrenceId);
    records.set(occurrenceId, record);
    while (records.size > max) records.delete(records.keys().next().value!);
  };
  return {
    noteRedelivery(occurrenceId) {
      const { crashes, released } = records.get(occurrenceId) ?? { crashes: 0, released: false };
      const count: CrashCount = released ? { crashes, counted: false } : { crashes: crashes + 1, counted: true };
      put(occurrenceId, { crashes: count.crashes, released: false });
      return Promise.resolve(count);
    },
    release(occurrenceId) {
      put(occurrenceId, { crashes: records.get(occurrenceId)?.crashes ?? 0, released: true });
      return Promise.resolve();
    },
  };
}
