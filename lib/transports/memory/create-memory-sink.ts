// The in-memory sink: keeps every status and log record, for the embedded transport, serverless calls and tests.
import type { LogRecord, SinkRecord, StatusRecord } from '../../core/vocabulary/ports.js';

/** A sink that stores records in memory and lets you observe them as they arrive. */
export interface MemorySink {
  /** Stores one record (resolved at once). */
  write(record: StatusRecord | LogRecord): Promise<void>;
  /** Every record so far, statuses and logs, in arrival order. */
  readonly records: readonly (StatusRecord | LogRecord)[];
  /** The status records so far, of one occurrence or all, in arrival order. */
  statuses(occurrenceId?: string): StatusRecord[];
  /** The user log lines so far, of one occurrence or all, in arrival order. */
  logs(occurrenceId?: string): LogRecord[];
  /** The final status of an occurrence, if it has one. */
  finalStatus(occurrenceId: string): StatusRecord | undefined;
  /** Calls `listener` for every new record; returns the function that stops it. */
  subscribe(listener: (record: StatusRecord | LogRecord) => void): () => void;
  /** Forgets all records (listeners stay). */
  clear(): void;
}

/** Creates an in-memory sink; `limit` keeps only the newest records (0 = no limit). */
export function createMemorySink(options: { limit?: number } = {}): MemorySink {
  const limit = options.limit ?? 0;
  let records: SinkRecord[] = [];
  const finals = new Map<string, StatusRecord>();
  const listeners = new Set<(record: SinkRecord) => void>();
  const resolved = Promise.resolve();
  return {
    get records() {
      return records;
    },
    write(record) {
      records.push(record);
      if (limit > 0 && records.length > limit * 2) records = records.slice(-limit);
      if (record.type === 'status' && record.phase === 'final') {
        finals.set(record.occurrenceId, record);
        // Maps iterate in insertion order: the first key is the oldest final status.
        if (limit > 0 && finals.size > limit) finals.delete(finals.keys().next().value!);
      }
      for (const listener of listeners) listener(record);
      return resolved;
    },
    statuses: (id) => records.filter((r): r is StatusRecord => r.type === 'status' && (id === undefined || r.occurrenceId === id)),
    logs: (id) => records.filter((r): r is LogRecord => r.type === 'log' && (id === undefined || r.occurrenceId === id)),
    finalStatus: (id) => finals.get(id),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      records = [];
      finals.clear();
    },
  };
}
