// A pure decision of the relay: which Running / job heartbeat entries of a round the final status of the same
// occurrence makes redundant.
import type { StoredEntry } from './open-outbox-store.js';

/** What one relay round publishes, and what it removes without publishing once the final is confirmed. */
export interface RelayBatch {
  readonly send: readonly StoredEntry[];
  /** Entries superseded by a final status in `send`, keyed by that final's seq. */
  readonly supersededBy: ReadonlyMap<number, readonly StoredEntry[]>;
}

/**
 * Coalesces a batch in outbox order. When an occurrence's Running (or job heartbeat) and its final status both
 * wait in the same batch, only the final is sent (it carries StartTime too), where `coalesceRunning(entry)`
 * says so: the dashboard's status log, the Skip policy's running set and the zombie detector read every
 * attempt's Running, so the relay by default coalesces only entries that waited through an outage. Logs are
 * never coalesced and keep their order.
 */
export function coalesceStatuses(entries: readonly StoredEntry[], coalesceRunning: (entry: StoredEntry) => boolean = () => true): RelayBatch {
  const finalByOccurrence = new Map<string, number>();
  for (const e of entries) if (e.kind === 'final') finalByOccurrence.set(e.occurrenceId, e.seq);
  if (finalByOccurrence.size === 0) return { send: entries, supersededBy: new Map() };
  const send: StoredEntry[] = [];
  const supersededBy = new Map<number, StoredEntry[]>();
  for (const e of entries) {
    const finalSeq = finalByOccurrence.get(e.occurrenceId);
    if ((e.kind === 'start' || e.kind === 'heartbeat') && finalSeq !== undefined && e.seq < finalSeq && coalesceRunning(e)) {
      const list = supersededBy.get(finalSeq);
      if (list) list.push(e);
      else supersededBy.set(finalSeq, [e]);
    } else {
      send.push(e);
    }
  }
  return { send, supersededBy };
}
