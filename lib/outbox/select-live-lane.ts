// A pure decision of the relay: which entries written after an outage may go out in a live lane while the
// backlog drains, without overtaking an older pending entry of their occurrence.
import type { StoredEntry } from './open-outbox-store.js';

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
