// Pure decisions of the relay: which pending entries to publish in one round, and which Running / job
// heartbeat entries the final status of the same occurrence makes redundant.
import type { StoredEntry } from './create-outbox-store.js';

/** What one relay round publishes, and what it removes without publishing once the final is confirmed. */
export interface RelayBatch {
  readonly send: readonly StoredEntry[];
  /** Entries superseded by a final status in `send`, keyed by that final's seq. */
  readonly supersededBy: ReadonlyMap<number, readonly StoredEntry[]>;
}

/**
 * Coalesces a batch in outbox order. When an occurrence's Running (or job heartbeat) and its final status
 * both wait in the same batch, only the final is sent: it carries StartTime too, and the scheduler keeps
 * only the last status per occurrence of a batch anyway. Logs are never coalesced and keep their order.
 */
export function coalesceStatuses(entries: readonly StoredEntry[]): RelayBatch {
  const finalByOccurrence = new Map<string, number>();
  for (const e of entries) if (e.kind === 'final') finalByOccurrence.set(e.occurrenceId, e.seq);
  if (finalByOccurrence.size === 0) return { send: entries, supersededBy: new Map() };
  const send: StoredEntry[] = [];
  const supersededBy = new Map<number, StoredEntry[]>();
  for (const e of entries) {
    const finalSeq = finalByOccurrence.get(e.occurrenceId);
    if ((e.kind === 'start' || e.kind === 'heartbeat') && finalSeq !== undefined && e.seq < finalSeq) {
      const list = supersededBy.get(finalSeq);
      if (list) list.push(e);
      else supersededBy.set(finalSeq, [e]);
    } else {
      send.push(e);
    }
  }
  return { send, supersededBy };
}

/**
 * Picks the live lane of a round while a backlog drains: entries from `liveFloor` on whose occurrence has
 * nothing older still pending (so per-occurrence order holds), in outbox order.
 */
export function selectLiveLane(
  candidates: readonly StoredEntry[],
  oldestPendingSeq: (occurrenceId: string) => number | undefined,
  liveFloor: number,
): StoredEntry[] {
  return candidates.filter((e) => {
    const head = oldestPendingSeq(e.occurrenceId);
    return head === undefined || head >= liveFloor;
  });
}
